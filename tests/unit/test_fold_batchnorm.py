"""BatchNorm (a per-channel scale and shift after a layer) folded into the dense or convolution before it."""

from __future__ import annotations

import numpy as np
from conftest import case

from fpgalab.ir import nodes as ir
from fpgalab.passes import graph_passes, run_pipeline
from fpgalab.passes.fold_batchnorm import FoldBatchNorm
from fpgalab.sim.functional import run_kernel
from fpgalab.sim.values import to_float


def _dense_bias_bn(n_in=6, n_out=5) -> tuple[ir.Kernel, dict]:
    """x @ w, + bias, * gamma', + beta' (Keras Dense then inference BatchNorm), then relu."""
    rng = np.random.default_rng(3)
    arrays = {
        name: rng.uniform(-1, 1, shape).astype(np.float32)
        for name, shape in (("w", (n_in, n_out)), ("b", (n_out,)), ("s", (n_out,)), ("t", (n_out,)))
    }
    constants = tuple(ir.Constant(name, a.shape, a) for name, a in arrays.items())
    full, last = (0, 1), (1,)
    nodes = (
        ir.Dot("fc", ("x", "w"), (1, n_out), layer="fc", lhs_contract=(1,), rhs_contract=(0,)),
        ir.Elementwise(
            "bias", ("fc", "b"), (1, n_out), layer="fc", expr=ir.Op("add", (ir.Arg(0), ir.Arg(1))), in_dims=(full, last)
        ),
        ir.Elementwise(
            "scale",
            ("s", "bias"),
            (1, n_out),
            layer="bn",
            expr=ir.Op("mul", (ir.Arg(0), ir.Arg(1))),
            in_dims=(last, full),
        ),
        ir.Elementwise(
            "shift",
            ("scale", "t"),
            (1, n_out),
            layer="bn",
            expr=ir.Op("sub", (ir.Arg(0), ir.Arg(1))),
            in_dims=(full, last),
        ),
        ir.Elementwise(
            "relu", ("shift",), (1, n_out), layer="act", expr=ir.Op("max", (ir.Arg(0), ir.Const(0.0))), in_dims=(full,)
        ),
    )
    kernel = ir.Kernel("bn_mlp", (ir.Input("x", (1, n_in)),), constants, nodes, ("relu",))
    return kernel, arrays


def test_dense_bias_batchnorm_chain_becomes_one_dense_with_folded_weights_and_bias():
    kernel, a = _dense_bias_bn()
    folded = FoldBatchNorm().run(kernel)
    assert [type(n).__name__ for n in folded.nodes] == ["Dot", "Elementwise"]
    dense = folded.nodes[0]
    assert dense.name == "shift" and dense.layer == "fc" and dense.bias_dims == (1,)
    weights = {c.name: c.value for c in folded.constants}
    np.testing.assert_allclose(weights[dense.inputs[1]], a["w"] * a["s"], rtol=1e-6)
    np.testing.assert_allclose(weights[dense.inputs[2]], a["b"] * a["s"] - a["t"], rtol=1e-6, atol=1e-7)
    assert set(weights) == {dense.inputs[1], dense.inputs[2]}  # the unfolded ROMs are gone
    x = np.random.default_rng(4).uniform(-2, 2, (50, 1, 6)).astype(np.float32)
    expected = np.maximum((x @ a["w"] + a["b"]) * a["s"] - a["t"], 0)
    got = to_float(run_kernel(folded, [x])["relu"])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_a_shift_alone_is_left_to_fold_bias_and_a_shared_output_is_not_folded():
    kernel, _ = _dense_bias_bn()
    no_scale = kernel.replace(nodes=tuple(n for n in kernel.nodes if n.name != "scale"))
    no_scale = no_scale.replace(
        nodes=tuple(n.replace(inputs=("bias", "t")) if n.name == "shift" else n for n in no_scale.nodes)
    )
    assert FoldBatchNorm().run(no_scale) is no_scale
    shared = kernel.replace(outputs=("relu", "bias"))
    assert [n.name for n in FoldBatchNorm().run(shared).nodes][:2] == ["fc", "bias"]


def test_mobilenet_batchnorms_fold_into_their_convolutions_without_changing_outputs():
    mobilenet = case("mobilenet_v1_small")
    kernel = mobilenet.float_kernel()
    folded, _ = run_pipeline(kernel, graph_passes())
    unfolded, _ = run_pipeline(kernel, graph_passes()[1:])
    convs = [n for n in folded.nodes if isinstance(n, ir.Conv)]
    assert convs and all(len(n.inputs) == 3 for n in convs)  # every conv got the BN shift as its bias
    per_channel_scales = [n for n in unfolded.nodes if isinstance(n, ir.Elementwise) and "mul" in repr(n.expr)]
    assert sum(c.name.endswith("_bn") for c in folded.constants) == len(per_channel_scales) == len(convs) - 1
    assert per_channel_scales and not [
        n for n in folded.nodes if isinstance(n, ir.Elementwise) and "mul" in repr(n.expr) and len(n.inputs) > 1
    ]
    x = mobilenet.samples[0][:3]
    out = folded.outputs[0]
    np.testing.assert_allclose(
        to_float(run_kernel(folded, [x])[out]),
        to_float(run_kernel(unfolded, [x])[unfolded.outputs[0]]),
        rtol=1e-5,
        atol=1e-6,
    )
