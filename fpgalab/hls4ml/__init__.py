"""hls4ml's configuration in and out (between ``fpgalab.frontends`` and ``fpgalab.design`` in the layers).

* ``config_in``: ``fpgalab.compile(model, x, hls_config=cfg, io_type=..., part=..., clock_period=...)``
  reads hls4ml's converter arguments and configuration dict into fpgalab's options.
* ``config_out``: ``design.hls4ml_config()`` gives them back for the design as fpgalab builds it.
* ``project``: ``design.to_hls4ml(output_dir)`` runs hls4ml on them (optional extra ``fpgalab[hls4ml]``).
* ``precision``, ``parts``, ``layers``, ``resolve``: precision strings, part names, hls4ml's layers of a
  kernel, and how hls4ml looks a layer's settings up.

``Design.hls4ml_config`` and ``Design.to_hls4ml`` are assigned in ``fpgalab/__init__.py``.
"""

from fpgalab.hls4ml.config_in import Hls4mlSource, hls4ml_options
from fpgalab.hls4ml.config_out import Hls4mlOrigin, hls4ml_config
from fpgalab.hls4ml.converter import CONVERTER_ARGS, split_converter_args
from fpgalab.hls4ml.layers import hls4ml_layers, keras_layers
from fpgalab.hls4ml.parts import device_for_part, part_for_device
from fpgalab.hls4ml.precision import hls4ml_type_text, parse_hls4ml_type
from fpgalab.hls4ml.project import sparsified_config, sparsified_project, to_hls4ml

__all__ = [
    "CONVERTER_ARGS",
    "Hls4mlOrigin",
    "Hls4mlSource",
    "device_for_part",
    "hls4ml_config",
    "hls4ml_layers",
    "hls4ml_options",
    "hls4ml_type_text",
    "keras_layers",
    "parse_hls4ml_type",
    "part_for_device",
    "sparsified_config",
    "sparsified_project",
    "split_converter_args",
    "to_hls4ml",
]
