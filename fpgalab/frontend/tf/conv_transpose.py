"""Convolutions with input dilation (HLO ``lhs_dilate``): transposed convolutions, lowered as
hardware builds them.

TensorFlow gives ``Conv2DTranspose``, ``Conv1DTranspose`` and ``tf.nn.conv2d_transpose`` to XLA as a
``reverse`` of the kernel and a stride-1 ``convolution`` over the input with ``d - 1`` zeros
inserted between its elements (``lhs_dilate=d``). Convolving that zero-inserted input directly
would spend ``d^n - 1`` of every ``d^n`` multiply-accumulates on a zero. This lowering does what
hls4ml's Conv1DTranspose/Conv2DTranspose do instead: the output splits into ``d^n`` phases (output
index modulo ``d`` per spatial dimension); in phase ``r`` only the kernel taps ``k = k0(r) + d j``
meet a real input, so each phase is an ordinary stride-1 convolution of the undilated input with
the sub-kernel ``kernel[k0::d]``. The kernel is a constant, so the sub-kernels are sliced at compile
time. The ``d^n`` phase outputs are then interleaved into the output by ``Concat`` layers over a
size-1 axis inserted after each spatial dimension (a free row-major ``Reshape`` gives the output
its shape), and a ``Slice`` drops the rows past the output's end when its length is not a multiple
of ``d``.

So the design computes, and the estimate counts, exactly the taps that meet an input: every
multiply of every phase ``Conv`` is a real one, with no zero multiplies and no cycles spent on
them; the interleave costs what the ``Concat`` copies cost. Unlike hls4ml, the kernel is not padded
to a multiple of the stride: a phase with fewer taps (kernel 3, stride 2: phases of 2 and 1 taps)
gets a smaller ``Conv``.
"""

from __future__ import annotations

import itertools

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Known
from fpgalab.ir import nodes as ir


def input_dilated_conv(lw, ins, x, kernel: Known, out_shape, *, dilation, padding, groups) -> object:
    """Lower a stride-1 convolution of ``x`` [N, *spatial, C] dilated by ``dilation`` (zeros inserted
    between elements) and padded by ``padding`` (low, high per spatial dimension), with the constant
    ``kernel`` [*window, C/groups, F], to phase convolutions; returns the [N, *out, F] value."""
    spatial = len(dilation)
    window = kernel.array.shape[:spatial]
    x_shape = x.array.shape if isinstance(x, Known) else x.shape
    in_sizes, out_sizes = x_shape[1:-1], tuple(out_shape[1:-1])
    counts = tuple(-(-o // d) for o, d in zip(out_sizes, dilation))  # outputs of each phase, rounded up
    batch, features = x_shape[0], kernel.array.shape[-1]
    slices: dict = {}
    phases = {}
    for phase in itertools.product(*(range(d) for d in dilation)):
        first = [(low - r) % d for (low, _), r, d in zip(padding, phase, dilation)]
        taps = [len(range(k0, k, d)) for k0, k, d in zip(first, window, dilation)]
        phase_shape = (batch, *counts, features)
        if 0 in taps:  # no kernel tap meets an input in this phase: its outputs are zero
            phases[phase] = Known(np.zeros(phase_shape, np.float32))
            continue
        sub_kernel = kernel.array[tuple(slice(k0, None, d) for k0, d in zip(first, dilation))]
        lows = [(low - r - k0) // d for (low, _), r, k0, d in zip(padding, phase, first, dilation)]
        source, lows, highs = _crop(lw, ins, x, slices, lows, taps, counts, in_sizes)
        weights = Known(np.ascontiguousarray(sub_kernel), f"{kernel.name or ins.name}_phase")
        buffers = [lw.buffer(v, f"{ins.name}_in{k}", ins.op_name) for k, v in enumerate((source, weights))]
        node = ir.Conv(
            lw.fresh(f"{ins.name}_phase{''.join(map(str, phase))}"),
            tuple(b.name for b in buffers),
            phase_shape,
            **lw.common(ins),
            strides=(1,) * spatial,
            padding=tuple(zip(lows, highs)),
            dilation=(1,) * spatial,
            groups=groups,
        )
        phases[phase] = lw.fold_or_add(node, [source, weights])
    return _interleave(lw, ins, phases, dilation, counts, out_shape)


def _crop(lw, ins, x, slices: dict, lows, taps, counts, in_sizes):
    """The input a phase convolution reads and its padding; a negative padding (the phase starts or
    ends inside the input) becomes a Slice of the input, shared by the phases that need it."""
    starts = [max(0, -low) for low in lows]
    lows = [max(0, low) for low in lows]
    highs = [c + t - 1 - (n - s) - lo for c, t, n, s, lo in zip(counts, taps, in_sizes, starts, lows)]
    limits = [n + min(0, h) for n, h in zip(in_sizes, highs)]
    highs = [max(0, h) for h in highs]
    if not any(starts) and tuple(limits) == tuple(in_sizes):
        return x, lows, highs
    key = (tuple(starts), tuple(limits))
    if key not in slices:
        x_shape = x.array.shape if isinstance(x, Known) else x.shape
        full = (0, *starts, 0), (x_shape[0], *limits, x_shape[-1])
        shape = tuple(b - a for a, b in zip(*full))
        if isinstance(x, Known):
            slices[key] = Known(np.ascontiguousarray(x.array[tuple(slice(a, b) for a, b in zip(*full))]))
        else:
            node = ir.Slice(
                lw.fresh(ins.name + "_crop"),
                (x.name,),
                shape,
                **lw.common(ins),
                starts=full[0],
                limits=full[1],
                strides=(1,) * len(shape),
            )
            slices[key] = lw.add_node(node)
    return slices[key], lows, highs


def _interleave(lw, ins, phases: dict, dilation, counts, out_shape):
    """Interleave the phase outputs [N, *counts, F]: output index q d + r of each spatial dimension
    comes from phase r's index q."""
    spatial = len(dilation)
    batch, features = out_shape[0], out_shape[-1]
    split = (batch, *(v for c in counts for v in (c, 1)), features)  # a size-1 axis after each spatial one
    parts = {phase: _reshape(lw, ins, value, split) for phase, value in phases.items()}
    for dim in reversed(range(spatial)):
        if dilation[dim] == 1:
            continue
        merged = {}
        for prefix in sorted({phase[:dim] + phase[dim + 1 :] for phase in parts}):
            group = [parts[prefix[:dim] + (r,) + prefix[dim:]] for r in range(dilation[dim])]
            merged[prefix[:dim] + (0,) + prefix[dim:]] = _concat(lw, ins, group, axis=2 + 2 * dim)
        parts = merged
    (whole,) = parts.values()
    full = (batch, *(c * d for c, d in zip(counts, dilation)), features)
    whole = _reshape(lw, ins, whole, full)
    if tuple(full) == tuple(out_shape):
        return whole
    if isinstance(whole, Known):
        return Known(np.ascontiguousarray(whole.array[tuple(slice(0, n) for n in out_shape)]))
    node = ir.Slice(
        lw.fresh(ins.name + "_trim"),
        (whole.name,),
        tuple(out_shape),
        **lw.common(ins),
        starts=(0,) * len(out_shape),
        limits=tuple(out_shape),
        strides=(1,) * len(out_shape),
    )
    return lw.add_node(node)


def _reshape(lw, ins, value, shape):
    if isinstance(value, Known):
        return Known(value.array.reshape(shape))
    if tuple(value.shape) == tuple(shape):
        return value
    producer = lw.produced.get(value.name)
    source = producer.inputs[0] if isinstance(producer, ir.Reshape) else value.name
    return lw.add_node(ir.Reshape(lw.fresh(ins.name + "_interleave"), (source,), tuple(shape), **lw.common(ins)))


def _concat(lw, ins, values: list, axis: int):
    if all(isinstance(v, Known) for v in values):
        return Known(np.concatenate([v.array for v in values], axis=axis))
    buffers = [lw.buffer(v, ins.name + "_zeros", ins.op_name) for v in values]
    shape = list(buffers[0].shape)
    shape[axis] = sum(b.shape[axis] for b in buffers)
    node = ir.Concat(
        lw.fresh(ins.name + "_interleave"), tuple(b.name for b in buffers), tuple(shape), **lw.common(ins), axis=axis
    )
    return lw.add_node(node)


def check_input_dilated(ins, window: list, kernel) -> None:
    """Input dilation is lowered only as a transposed convolution takes it: stride 1, no window
    dilation, a constant kernel."""
    where = f"'{ins.opcode}' ({ins.op_name or ins.name})"
    if any(w["stride"] != 1 or w["window_dilation"] != 1 for w in window):
        raise CompileError(
            f"{where}: a convolution with input dilation (a transposed convolution) must have stride 1 and "
            "no window dilation; here the window has strides "
            f"{[w['stride'] for w in window]} and dilations {[w['window_dilation'] for w in window]}"
        )
    if kernel is None:
        raise CompileError(
            f"{where}: a transposed convolution needs a constant kernel (weights the design owns); "
            "here the kernel is computed at run time"
        )
