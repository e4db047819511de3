"""The ops of the shape subgraphs exporters emit (PyTorch's ``x.view(x.size(0), -1)``: Shape ->
Gather -> Unsqueeze -> Concat -> Cast -> Reshape; ConstantOfShape, Range and Size for masks and
positions), folded to ``Known`` values at compile time (Gather: ``frontend.onnx.positional``, Cast:
``frontend.onnx.tensors``)."""

from __future__ import annotations

import numpy as np

from fpgalab.frontend.lowering import Known
from fpgalab.frontend.onnx.rules import known_input, rule, shape_of


@rule("Shape")
def _shape(lw, site, args):
    own = np.asarray(shape_of(args[0]), dtype=np.float32)
    start, end = int(site.attr("start", 0)), site.attr("end")
    return Known(own[start : (int(end) if end is not None else None)])


@rule("Size")
def _size(lw, site, args):
    return Known(np.asarray(int(np.prod(shape_of(args[0]), dtype=np.int64)), dtype=np.float32))


@rule("ConstantOfShape")
def _constant_of_shape(lw, site, args):
    shape = [int(n) for n in known_input(lw, site, args, 0, "shape").reshape(-1)]
    value = site.attr("value")
    fill = float(np.asarray(value).reshape(-1)[0]) if value is not None else 0.0
    return Known(np.full(shape, fill, dtype=np.float32))


@rule("Range")
def _range(lw, site, args):
    start, limit, delta = (
        float(known_input(lw, site, args, k, w).reshape(-1)[0]) for k, w in enumerate(("start", "limit", "delta"))
    )
    count = max(int(np.ceil((limit - start) / delta)), 0)
    return Known((start + delta * np.arange(count)).astype(np.float32))
