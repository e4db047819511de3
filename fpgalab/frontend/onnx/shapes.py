"""The ops of the shape subgraphs exporters emit (PyTorch's ``x.view(x.size(0), -1)``: Shape ->
Gather -> Unsqueeze -> Concat -> Cast -> Reshape), folded to ``Known`` values at compile time (Gather: ``frontend.onnx.positional``)."""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known
from fpgalab.frontend.onnx.rules import rule, shape_of


@rule("Shape")
def _shape(lw, site, args):
    own = np.asarray(shape_of(args[0]), dtype=np.float32)
    start, end = int(site.attr("start", 0)), site.attr("end")
    return Known(own[start : (int(end) if end is not None else None)])


_CASTS = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16}
_CASTS.update({11: np.float64, 12: np.uint32, 13: np.uint64, 4: np.uint16})


@rule("Cast")
def _cast(lw, site, args):
    to = int(site.attr("to", 1))
    known = lw.known(args[0])
    if known is not None:
        if to not in _CASTS:
            raise CompileError(f"{site.where()}: cast to ONNX type {to} is not supported; to: {sorted(_CASTS)}")
        return Known(known.array.astype(_CASTS[to]).astype(np.float32))
    if to in (1, 10, 11):  # float to float: the design's precision decides
        return args[0]
    raise CompileError(
        f"{site.where()}: casts a run-time tensor to ONNX type {to}; fpgalab casts run-time tensors only to "
        "floating point (1 float, 10 float16, 11 double)"
    )
