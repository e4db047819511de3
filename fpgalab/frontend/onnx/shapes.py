"""The ops of the shape subgraphs exporters emit (PyTorch's ``x.view(x.size(0), -1)``: Shape ->
Gather -> Unsqueeze -> Concat -> Cast -> Reshape), folded to ``Known`` values at compile time (Gather:
``frontend.onnx.positional``, Cast: ``frontend.onnx.tensors``)."""

from __future__ import annotations

import numpy as np

from fpgalab.frontend.lowering import Known
from fpgalab.frontend.onnx.rules import rule, shape_of


@rule("Shape")
def _shape(lw, site, args):
    own = np.asarray(shape_of(args[0]), dtype=np.float32)
    start, end = int(site.attr("start", 0)), site.attr("end")
    return Known(own[start : (int(end) if end is not None else None)])
