"""ONNX ConvTranspose (1-D and 2-D, channels-first) through the TF front end's transposed convolution.

A transposed convolution with stride ``s`` is a stride-1 convolution of the input dilated by ``s``
(``s - 1`` zeros between elements), padded by ``k - 1 - pad_begin`` low and ``k - 1 - pad_end +
output_padding`` high, with the kernel flipped and its input and output channels swapped.
``frontend.tf.conv_transpose.input_dilated_conv`` lowers that as ``s^n`` phase convolutions of the
undilated input, so no multiply meets an inserted zero; the ONNX input is transposed to channels
last around it, as for Conv.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known
from fpgalab.frontend.onnx.layers import add_bias
from fpgalab.frontend.onnx.rules import known_input, rule, shape_of, transpose
from fpgalab.frontend.tf.conv_transpose import input_dilated_conv


def forward_kernel(weights: np.ndarray, groups: int) -> np.ndarray:
    """ONNX ConvTranspose weights [C, M/groups, *k] -> the equivalent convolution's [*k, C/groups, M]."""
    c, per_group, *window = weights.shape
    n = len(window)
    grouped = weights.reshape(groups, c // groups, per_group, *window)
    flipped = np.flip(grouped, axis=tuple(range(3, 3 + n)))
    order = (*range(3, 3 + n), 1, 0, 2)  # *k, C/groups, groups, M/groups
    return np.ascontiguousarray(np.transpose(flipped, order).reshape(*window, c // groups, groups * per_group))


@rule("ConvTranspose")
def _conv_transpose(lw, site, args):
    x = args[0]
    sx = shape_of(x)
    weights = known_input(lw, site, args, 1, "weights")
    n = len(sx) - 2
    groups = int(site.attr("group", 1))
    window = weights.shape[2:]
    strides = tuple(site.attr("strides", [1] * n))
    if any(d != 1 for d in site.attr("dilations", [1] * n)):
        raise CompileError(f"{site.where()}: dilations={site.attr('dilations')} is not supported; supported: 1")
    if "output_shape" in site.attrs:
        raise CompileError(f"{site.where()}: the attribute output_shape is not supported; give pads instead")
    auto = site.attr("auto_pad", "NOTSET")
    if auto not in ("NOTSET", "VALID"):
        raise CompileError(f"{site.where()}: auto_pad={auto!r} is not supported; supported: NOTSET, VALID")
    pads = [0] * (2 * n) if auto == "VALID" else list(site.attr("pads", [0] * (2 * n)))
    extra = list(site.attr("output_padding", [0] * n))
    padding = tuple((window[k] - 1 - pads[k], window[k] - 1 - pads[k + n] + extra[k]) for k in range(n))
    sizes = tuple(strides[k] * (sx[2 + k] - 1) + extra[k] + window[k] - pads[k] - pads[k + n] for k in range(n))
    if any(lo < 0 or hi < 0 for lo, hi in padding):
        raise CompileError(f"{site.where()}: pads {pads} larger than kernel {list(window)} - 1 are not supported")
    rank = n + 2
    x_last = transpose(lw, site, x, (0, *range(2, rank), 1))
    kernel = Known(forward_kernel(weights, groups), lw.fresh(site.name + "_kernel"))
    shape = (sx[0], *sizes, kernel.array.shape[-1])
    source = lw.known(x_last) or lw.buffer(x_last, site.name + "_in", site.op_name)
    y = input_dilated_conv(lw, site, source, kernel, shape, dilation=strides, padding=padding, groups=groups)
    if len(args) > 2 and args[2] is not None:
        y = add_bias(lw, site, y, args[2], shape)
    return transpose(lw, site, y, (0, rank - 1, *range(1, rank - 1)))
