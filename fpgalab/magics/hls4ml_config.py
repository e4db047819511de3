"""``%%fpga --hls4ml-config NAME``: compile with an hls4ml configuration the notebook defines.

``NAME`` holds hls4ml's configuration dict (``hls4ml.utils.config_from_keras_model``'s, with a ``Model``
section) or the converter arguments ``design.hls4ml_config()`` returns (``hls_config``, ``io_type``,
``part``, ``clock_period``, ``backend`` ...); ``fpgalab.hls4ml.config_in`` reads them.
"""

from __future__ import annotations

from fpgalab.hls4ml.converter import CONVERTER_ARGS, SAME_AS


class Hls4mlConfigError(ValueError):
    """The variable ``--hls4ml-config`` names is missing or holds no hls4ml configuration."""


def converter_arguments(name: str, namespace: dict) -> dict:
    """The compile options of the hls4ml configuration in the notebook variable ``name``."""
    if name not in namespace:
        raise Hls4mlConfigError(f"--hls4ml-config {name}: the notebook has no variable {name!r}")
    value = namespace[name]
    if not isinstance(value, dict):
        raise Hls4mlConfigError(
            f"--hls4ml-config {name}: expected hls4ml's configuration dict, got {type(value).__name__}"
        )
    if "hls_config" in value or any(k in value for k in CONVERTER_ARGS):
        unknown = sorted(set(value) - set(CONVERTER_ARGS) - {"clock_uncertainty", "model"})
        if unknown:
            raise Hls4mlConfigError(
                f"--hls4ml-config {name}: {', '.join(map(repr, unknown))} are not converter arguments fpgalab "
                f"reads; it reads {', '.join(CONVERTER_ARGS)}, clock_uncertainty"
            )
        return {k: v for k, v in value.items() if k != "model"}  # the model is the cell's
    if "Model" in value:
        return {"hls_config": value}
    raise Hls4mlConfigError(
        f"--hls4ml-config {name}: expected hls4ml's configuration (a dict with a 'Model' section) or converter "
        "arguments (a dict with 'hls_config'), got keys " + ", ".join(map(repr, value))
    )


def merge(options: dict, line_options: dict, converter: dict) -> dict:
    """The cell's options with the configuration's: a session default the configuration sets again
    (``%fpga config --device`` against its ``part``) gives way; the line's own options stay, and
    ``fpgalab.compile`` refuses one given twice."""
    covered = {o for key in converter for o in SAME_AS.get(key, ())}
    kept = {k: v for k, v in options.items() if k in line_options or k not in covered}
    return {**kept, **converter}
