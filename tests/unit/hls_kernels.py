"""Small hand-built kernels for the HLS tests (schedule, passes, timing, resources): no TensorFlow."""

from __future__ import annotations

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.options import parse_options, parse_precision
from fpgalab.passes import hls_passes, run_pipeline
from fpgalab.passes.quantize import AssignPrecision
from fpgalab.schedule import schedule_kernel

RELU = ir.Op("max", (ir.Arg(0), ir.Const(0.0)))


def typed(kernel: ir.Kernel, precision="ap_fixed<16,6>") -> ir.Kernel:
    return AssignPrecision(parse_precision(precision)).run(kernel)


def dense(n_in=64, n_out=32, precision="ap_fixed<16,6>", relu=True) -> ir.Kernel:
    """x[1, n_in] @ w[n_in, n_out] + b, then relu: layer "fc"."""
    rng = np.random.default_rng(0)
    x = ir.Input("x", (1, n_in))
    w = ir.Constant("w", (n_in, n_out), rng.uniform(-1, 1, (n_in, n_out)).astype(np.float32))
    b = ir.Constant("b", (n_out,), rng.uniform(-1, 1, n_out).astype(np.float32))
    fc = ir.Dot(
        "fc",
        ("x", "w", "b"),
        (1, n_out),
        layer="fc",
        op_name="model/fc/MatMul",
        lhs_contract=(1,),
        rhs_contract=(0,),
        bias_dims=(1,),
    )
    nodes = [fc]
    if relu:
        nodes.append(
            ir.Elementwise(
                "relu", ("fc",), (1, n_out), layer="fc", op_name="model/fc/Relu", expr=RELU, in_dims=((0, 1),)
            )
        )
    return typed(ir.Kernel("dense", (x,), (w, b), tuple(nodes), (nodes[-1].name,)), precision)


def conv(size=8, channels=2, filters=4, window=3, precision="ap_fixed<16,6>") -> ir.Kernel:
    """A VALID convolution with bias and relu (layer "conv"), then a 2x2 max pool (layer "pool")."""
    rng = np.random.default_rng(1)
    out = size - window + 1
    x = ir.Input("x", (1, size, size, channels))
    k = ir.Constant(
        "k",
        (window, window, channels, filters),
        rng.uniform(-1, 1, (window, window, channels, filters)).astype(np.float32),
    )
    b = ir.Constant("kb", (filters,), rng.uniform(-1, 1, filters).astype(np.float32))
    c = ir.Conv(
        "conv",
        ("x", "k", "kb"),
        (1, out, out, filters),
        layer="conv",
        strides=(1, 1),
        padding=((0, 0), (0, 0)),
        dilation=(1, 1),
    )
    r = ir.Elementwise("crelu", ("conv",), (1, out, out, filters), layer="conv", expr=RELU, in_dims=((0, 1, 2, 3),))
    p = ir.Pool(
        "pool",
        ("crelu",),
        (1, out // 2, out // 2, filters),
        layer="pool",
        kind="max",
        window=(1, 2, 2, 1),
        strides=(1, 2, 2, 1),
        padding=((0, 0),) * 4,
        init=-np.inf,
    )
    return typed(ir.Kernel("conv", (x,), (k, b), (c, r, p), ("pool",)), precision)


def chain(n=64, precision="ap_fixed<16,6>") -> ir.Kernel:
    """y = relu(x * x) then z = y + y, as two unfusable-by-IR elementwise layers a -> b."""
    x = ir.Input("x", (n,))
    a = ir.Elementwise("a", ("x",), (n,), layer="a", expr=ir.Op("mul", (ir.Arg(0), ir.Arg(0))), in_dims=((0,),))
    b = ir.Elementwise("b", ("a",), (n,), layer="b", expr=ir.Op("add", (ir.Arg(0), ir.Const(1.0))), in_dims=((0,),))
    return typed(ir.Kernel("chain", (x,), (), (a, b), ("b",)), precision)


def directed(kernel: ir.Kernel, **options) -> ir.Kernel:
    """The kernel after the HLS passes of ``fpgalab.compile(..., **options)``."""
    result, _ = run_pipeline(kernel, hls_passes(parse_options(**options)))
    return result


def scheduled(kernel: ir.Kernel, device="xcvu9p", clock_mhz=200.0, **options):
    return schedule_kernel(directed(kernel, device=device, clock_mhz=clock_mhz, **options), device, clock_mhz)
