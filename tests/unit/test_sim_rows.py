"""The simulator's fixed-point rows against a scalar reference written from the C++ semantics.

The reference runs the loops an HLS designer writes (``acc = bias; for k: acc += w[k] * x[k]``)
on exact rationals, one element at a time, with its own quantizer (tests/unit/test_fixed.py's
``ref_quantize``). Hypothesis draws the types (every quantization and overflow mode, narrow
accumulators that round every product) and the values (mantissas, so inputs are exact).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from conftest import case
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fixed import ref_quantize

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import OVERFLOW_MODES, QUANT_MODES, FixedType
from fpgalab.sim.functional import run_kernel
from fpgalab.sim.values import SimContext, to_exact

QUICK = settings(max_examples=40, deadline=None)


@st.composite
def types(draw, min_width=4, max_width=16):
    width = draw(st.integers(min_width, max_width))
    integer = draw(st.integers(1, width))
    return FixedType(width, integer, True, draw(st.sampled_from(QUANT_MODES)), draw(st.sampled_from(OVERFLOW_MODES)))


def values_of(draw, t: FixedType, shape) -> np.ndarray:
    count = int(np.prod(shape))
    lowest = -t.max_int if t.overflow == "AP_SAT_SYM" else t.min_int  # SAT_SYM turns min into -max on input
    mants = draw(st.lists(st.integers(lowest, t.max_int), min_size=count, max_size=count))
    return (np.array(mants, dtype=np.float64) * 2.0**-t.frac).reshape(shape)


def q(value: Fraction, t: FixedType) -> Fraction:
    return Fraction(ref_quantize(value, t), 1 << t.frac) if t.frac >= 0 else Fraction(ref_quantize(value, t) << -t.frac)


def F(x) -> Fraction:
    return Fraction(float(x))


def simulate(kernel: ir.Kernel, *inputs) -> np.ndarray:
    out = run_kernel(kernel, [np.asarray(a, np.float32)[None] for a in inputs], SimContext())
    return to_exact(out[kernel.outputs[0]])[0]


def _kernel(node, inputs, constants):
    return ir.Kernel("k", tuple(inputs), tuple(constants), (node,), (node.name,))


@st.composite
def dot_cases(draw):
    t_in, t_w, t_acc, t_out = draw(types()), draw(types()), draw(types(max_width=24)), draw(types())
    m, k, n = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 3))
    return (
        t_in,
        t_w,
        t_acc,
        t_out,
        values_of(draw, t_in, (m, k)),
        values_of(draw, t_w, (k, n)),
        values_of(draw, t_w, (n,)),
    )


@QUICK
@given(dot_cases())
def test_dot_with_bias_matches_the_scalar_loop(case):
    t_in, t_w, t_acc, t_out, x, w, b = case
    node = ir.Dot(
        "y",
        ("x", "w", "b"),
        (x.shape[0], w.shape[1]),
        t_out,
        lhs_contract=(1,),
        rhs_contract=(0,),
        bias_dims=(1,),
        acc=t_acc,
    )
    kernel = _kernel(
        node,
        [ir.Input("x", x.shape, t_in)],
        [
            ir.Constant("w", w.shape, w.astype(np.float32), t_w),
            ir.Constant("b", b.shape, b.astype(np.float32), t_w, "bias"),
        ],
    )
    got = simulate(kernel, x)
    for i, j in itertools.product(range(x.shape[0]), range(w.shape[1])):
        acc = q(F(b[j]), t_acc)
        for kk in range(x.shape[1]):
            acc = q(acc + F(x[i, kk]) * F(w[kk, j]), t_acc)
        assert Fraction(float(got[i, j])) == q(acc, t_out)


@st.composite
def conv_cases(draw):
    t_in, t_w, t_acc, t_out = (
        draw(types(max_width=12)),
        draw(types(max_width=12)),
        draw(types(max_width=24)),
        draw(types()),
    )
    groups = draw(st.sampled_from([1, 2]))
    channels = groups * draw(st.integers(1, 2))
    features = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    stride, dilation = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    pad = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    h, w = draw(st.integers(kh * dilation, 6)), draw(st.integers(kw * dilation, 5))
    x = values_of(draw, t_in, (1, h, w, channels))
    kernel = values_of(draw, t_w, (kh, kw, channels // groups, features))
    return t_in, t_w, t_acc, t_out, x, kernel, groups, stride, dilation, pad


@QUICK
@given(conv_cases())
def test_convolution_matches_the_scalar_loop(case):
    t_in, t_w, t_acc, t_out, x, kern, groups, stride, dilation, pad = case
    kh, kw, cg, features = kern.shape
    h, w = x.shape[1] + 2 * pad[0], x.shape[2] + 2 * pad[1]
    oh, ow = (h - (kh - 1) * dilation - 1) // stride + 1, (w - (kw - 1) * dilation - 1) // stride + 1
    node = ir.Conv(
        "y",
        ("x", "w"),
        (1, oh, ow, features),
        t_out,
        strides=(stride, stride),
        padding=((pad[0], pad[0]), (pad[1], pad[1])),
        dilation=(dilation, dilation),
        groups=groups,
        acc=t_acc,
    )
    kernel = _kernel(node, [ir.Input("x", x.shape, t_in)], [ir.Constant("w", kern.shape, kern.astype(np.float32), t_w)])
    got = simulate(kernel, x)
    padded = np.pad(x, [(0, 0), (pad[0], pad[0]), (pad[1], pad[1]), (0, 0)])
    fg = features // groups
    for oy, ox, f in itertools.product(range(oh), range(ow), range(features)):
        acc = Fraction(0)
        for ky, kx, c in itertools.product(range(kh), range(kw), range(cg)):
            value = padded[0, oy * stride + ky * dilation, ox * stride + kx * dilation, (f // fg) * cg + c]
            acc = q(acc + F(value) * F(kern[ky, kx, c, f]), t_acc)
        assert Fraction(float(got[0, oy, ox, f])) == q(acc, t_out), (oy, ox, f)


@QUICK
@given(st.data())
def test_max_and_sum_pooling_match_the_scalar_loop(data):
    t_in, t_acc, t_out = data.draw(types()), data.draw(types(max_width=20)), data.draw(types())
    x = values_of(data.draw, t_in, (1, 5, 4, 2))
    for kind in ("max", "sum"):
        node = ir.Pool(
            "y",
            ("x",),
            (1, 3, 2, 2),
            t_out,
            kind=kind,
            window=(1, 2, 2, 1),
            strides=(1, 2, 2, 1),
            padding=((0, 0), (0, 1), (0, 0), (0, 0)),
            init=float("-inf") if kind == "max" else 0.0,
            acc=t_acc if kind == "sum" else t_in,
        )
        got = simulate(_kernel(node, [ir.Input("x", x.shape, t_in)], []), x)
        padded = np.pad(x, [(0, 0), (0, 1), (0, 0), (0, 0)], constant_values=t_in.min_value if kind == "max" else 0)
        for oy, ox, c in itertools.product(range(3), range(2), range(2)):
            window = [F(padded[0, 2 * oy + dy, 2 * ox + dx, c]) for dy in range(2) for dx in range(2)]
            if kind == "max":
                expected = q(max(window), t_out)
            else:
                acc = Fraction(0)
                for v in window:
                    acc = q(acc + v, t_acc)
                expected = q(acc, t_out)
            assert Fraction(float(got[0, oy, ox, c])) == expected


@QUICK
@given(st.data())
def test_fused_expression_keeps_inner_precision(data):
    """relu(a * b + c) with inner ops unrounded: only the stored result is quantized."""
    ta, tb, tout = data.draw(types()), data.draw(types()), data.draw(types())
    a, b = values_of(data.draw, ta, (2, 3)), values_of(data.draw, tb, (3,))
    expr = ir.Op(
        "max",
        (ir.Op("add", (ir.Op("mul", (ir.Arg(0), ir.Arg(1)), None), ir.Const(0.25, ta)), None), ir.Const(0.0, ta)),
        tout,
    )
    node = ir.Elementwise("y", ("a", "b"), (2, 3), tout, expr=expr, in_dims=((0, 1), (1,)))
    kernel = _kernel(node, [ir.Input("a", a.shape, ta)], [ir.Constant("b", b.shape, b.astype(np.float32), tb)])
    got = simulate(kernel, a)
    quarter = q(Fraction(1, 4), ta)
    for i, j in itertools.product(range(2), range(3)):
        assert Fraction(float(got[i, j])) == q(max(F(a[i, j]) * F(b[j]) + quarter, Fraction(0)), tout)


@QUICK
@given(st.data())
def test_reduce_sum_over_two_dims_matches_the_scalar_loop(data):
    t_in, t_acc, t_out = data.draw(types()), data.draw(types(max_width=20)), data.draw(types())
    x = values_of(data.draw, t_in, (2, 3, 4))
    node = ir.Reduce("y", ("x",), (3,), t_out, kind="sum", dims=(0, 2), init=0.0, acc=t_acc)
    got = simulate(_kernel(node, [ir.Input("x", x.shape, t_in)], []), x)
    for j in range(3):
        acc = Fraction(0)
        for i, k in itertools.product(range(2), range(4)):
            acc = q(acc + F(x[i, j, k]), t_acc)
        assert Fraction(float(got[j])) == q(acc, t_out)


@pytest.mark.parametrize("accum", ["ap_fixed<16,6>", "ap_fixed<16,6,AP_RND,AP_WRAP>", "ap_fixed<12,4>"])
@pytest.mark.parametrize("name", ["jet_mlp", "lenet5"])
def test_narrow_wrapping_accumulators_sum_at_once_bit_for_bit(name, accum, monkeypatch):
    """hls4ml's accumulator (the layer type, AP_WRAP) drops product bits term by term; the one-sum
    path (each product quantized, summed, wrapped once) must equal adding them one by one."""
    from fpgalab.sim import rows  # noqa: PLC0415

    design = case(name).design(precision={"default": "ap_fixed<16,6>", "accum": accum})
    x = np.random.default_rng(3).normal(0, 2, size=(64,) + design.example_shapes[0][1:]).astype(np.float32)
    fast = design.simulate(x)
    monkeypatch.setattr(rows, "wrapping_sum", lambda *args: False)
    np.testing.assert_array_equal(fast, design.simulate(x))
