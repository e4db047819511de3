"""ONNX ConvTranspose (1-D and 2-D, channels-first; groups, dilations, pads, auto_pad, output_padding and
output_shape) through the TF front end's transposed convolution.

A transposed convolution with stride ``s`` is a stride-1 convolution of the input dilated by ``s``
(``s - 1`` zeros between elements), padded by ``k - 1 - pad_begin`` low and ``k - 1 - pad_end +
output_padding`` high, with the kernel flipped and its input and output channels swapped.
``frontend.tf.conv_transpose.input_dilated_conv`` lowers that as ``s^n`` phase convolutions of the
undilated input, so no multiply meets an inserted zero; the ONNX input is transposed to channels
last around it, as for Conv. With stride 1 it is one convolution with the kernel's dilations; with
strides and dilations, the kernel is spread at compile time (zeros between its taps) for the phases.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known
from fpgalab.frontend.onnx.layers import add_bias
from fpgalab.frontend.onnx.rules import known_input, rule, shape_of, transpose
from fpgalab.frontend.tf.conv_transpose import input_dilated_conv
from fpgalab.ir import nodes as ir


def forward_kernel(weights: np.ndarray, groups: int) -> np.ndarray:
    """ONNX ConvTranspose weights [C, M/groups, *k] -> the equivalent convolution's [*k, C/groups, M]."""
    c, per_group, *window = weights.shape
    n = len(window)
    grouped = weights.reshape(groups, c // groups, per_group, *window)
    flipped = np.flip(grouped, axis=tuple(range(3, 3 + n)))
    order = (*range(3, 3 + n), 1, 0, 2)  # *k, C/groups, groups, M/groups
    return np.ascontiguousarray(np.transpose(flipped, order).reshape(*window, c // groups, groups * per_group))


def dilate_kernel(weights: np.ndarray, dilations) -> np.ndarray:
    """The kernel [C, M/groups, *k] with ``d - 1`` zeros between its taps along each spatial axis."""
    c, m, *window = weights.shape
    spread = np.zeros((c, m, *((k - 1) * d + 1 for k, d in zip(window, dilations))), weights.dtype)
    spread[(slice(None), slice(None), *(slice(None, None, d) for d in dilations))] = weights
    return spread


def transpose_padding(site, sx, window, strides, extra):
    """(low, high) pads per spatial dimension: ``pads``, ``auto_pad`` or the padding ``output_shape`` implies.

    With ``output_shape`` or SAME_*, the total padding is ``stride (in - 1) + output_padding + k - out``;
    SAME_UPPER puts the smaller half first, SAME_LOWER and an ``output_shape`` without auto_pad the
    larger half; a negative total (an output past the natural size) grows the end without auto_pad
    (onnxruntime's split)."""
    n = len(window)
    auto = site.attr("auto_pad", "NOTSET")
    if auto not in ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
        raise CompileError(
            f"{site.where()}: auto_pad={auto!r} is not supported; supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER"
        )
    wanted = site.attr("output_shape")
    if wanted is None and auto in ("SAME_UPPER", "SAME_LOWER"):
        wanted = [sx[2 + k] * strides[k] for k in range(n)]
    if wanted is None:
        pads = [0] * (2 * n) if auto == "VALID" else [int(p) for p in site.attr("pads", [0] * (2 * n))]
        return [(pads[k], pads[k + n]) for k in range(n)]
    wanted = [int(w) for w in wanted][-n:]
    padding = []
    for k in range(n):
        total = strides[k] * (sx[2 + k] - 1) + extra[k] + window[k] - wanted[k]
        small = int(total / 2)  # C's division, toward zero, for a negative total (output past the natural size)
        if auto == "SAME_UPPER":
            padding.append((small, total - small))
        elif auto == "SAME_LOWER" or total >= 0:
            padding.append((total - small, small))
        else:  # output_shape past the natural size, no auto_pad: the extra outputs at the end
            padding.append((0, total))
    return padding


@rule("ConvTranspose")
def _conv_transpose(lw, site, args):
    x = args[0]
    sx = shape_of(x)
    weights = known_input(lw, site, args, 1, "weights")
    n = len(sx) - 2
    groups = int(site.attr("group", 1))
    if sx[1] != weights.shape[0] or weights.shape[0] % groups:
        raise CompileError(
            f"{site.where()}: {sx[1]} input channels do not match weights {weights.shape} with group={groups}"
        )
    dilations = tuple(int(d) for d in site.attr("dilations", [1] * n))
    compact = weights
    weights = dilate_kernel(weights, dilations)
    window = weights.shape[2:]
    strides = tuple(int(s) for s in site.attr("strides", [1] * n))
    extra = [int(e) for e in site.attr("output_padding", [0] * n)]
    pads = transpose_padding(site, sx, window, strides, extra)
    padding = tuple((window[k] - 1 - pads[k][0], window[k] - 1 - pads[k][1] + extra[k]) for k in range(n))
    sizes = tuple(strides[k] * (sx[2 + k] - 1) + extra[k] + window[k] - sum(pads[k]) for k in range(n))
    if any(lo < 0 or hi < 0 for lo, hi in padding):
        raise CompileError(
            f"{site.where()}: pads {pads} (given, or implied by output_shape) must be at most kernel - 1 "
            f"({[w - 1 for w in window]}); negative pads (an output_shape past the natural size) are taken"
        )
    rank = n + 2
    x_last = transpose(lw, site, x, (0, *range(2, rank), 1))
    source = lw.known(x_last) or lw.buffer(x_last, site.name + "_in", site.op_name)
    if all(s == 1 for s in strides):  # no input dilation: one convolution, its kernel dilated as given
        kernel = Known(forward_kernel(compact, groups), lw.fresh(site.name + "_kernel"))
        shape = (sx[0], *sizes, kernel.array.shape[-1])
        buffers = [lw.buffer(v, f"{site.name}_in{k}", site.op_name) for k, v in enumerate((source, kernel))]
        node = ir.Conv(
            lw.fresh(site.name), tuple(b.name for b in buffers), shape, **lw.common(site), strides=strides,
            padding=padding, dilation=dilations, groups=groups,
        )  # fmt: skip
        y = lw.fold_or_add(node, [source, kernel])
    else:
        kernel = Known(forward_kernel(weights, groups), lw.fresh(site.name + "_kernel"))
        shape = (sx[0], *sizes, kernel.array.shape[-1])
        y = input_dilated_conv(lw, site, source, kernel, shape, dilation=strides, padding=padding, groups=groups)
    if len(args) > 2 and args[2] is not None:
        y = add_bias(lw, site, y, args[2], shape)
    return transpose(lw, site, y, (0, rank - 1, *range(1, rank - 1)))
