"""``design.to_hls4ml(output_dir)``: hls4ml converts the design's Keras model with ``hls4ml_config()`` and
writes its project (firmware, testbench, build_prj.tcl), ready for ``hls_model.build()`` in Vitis/Vivado HLS.

hls4ml is an optional extra (``pip install fpgalab[hls4ml]``): imported only here, when called.
"""

from __future__ import annotations

from pathlib import Path

from fpgalab.hls4ml.config_out import hls4ml_config, origin

INSTALL = "pip install 'fpgalab[hls4ml]'"


def _hls4ml():
    try:
        import hls4ml  # noqa: PLC0415 - optional extra
    except ImportError as err:
        raise ImportError(f"design.to_hls4ml needs hls4ml, which is not installed: {INSTALL}") from err
    return hls4ml


def to_hls4ml(design, output_dir, model=None, project_name: str | None = None):
    """Convert ``model`` (default: the Keras model the design was compiled from) with the design's
    hls4ml configuration and write the project to ``output_dir``; returns hls4ml's ``ModelGraph``."""
    model = model if model is not None else origin(design).model
    if model is None:
        raise ValueError(
            "to_hls4ml needs the Keras model: this design was not compiled from one here (a rebuilt or loaded "
            "design); pass it: design.to_hls4ml(output_dir, model=keras_model)"
        )
    if not callable(getattr(model, "get_config", None)):
        raise ValueError(f"to_hls4ml converts Keras models; got {type(model).__name__}")
    hls4ml = _hls4ml()
    args = hls4ml_config(design, model)
    args["output_dir"] = str(Path(output_dir))
    if project_name is not None:
        args["project_name"] = project_name
    hls_model = hls4ml.converters.convert_from_keras_model(model, **args)
    hls_model.write()
    return hls_model


def sparsified_config(result) -> dict:
    """``SparsityResult.hls4ml_config()``: the sparsified design's converter arguments with its pruned
    Keras model as ``model``, so ``hls4ml.converters.convert_from_keras_model(**args)`` builds it."""
    if not callable(getattr(result.model, "get_config", None)):
        raise ValueError("hls4ml_config of a sparsified design needs its pruned Keras model; this result has none")
    return {"model": result.model, **hls4ml_config(result.design, result.model)}


def sparsified_project(result, output_dir, project_name: str | None = None):
    """``SparsityResult.to_hls4ml(output_dir)``: the hls4ml project of the pruned Keras model."""
    return to_hls4ml(result.design, output_dir, result.model, project_name)
