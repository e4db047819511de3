"""``ir.Loop`` without TensorFlow: a hand-built recurrence h[t+1] = tanh(W h[t] + x[t]) checked
against NumPy, in float32 and fixed point, through the checker, JSON, the schedule and the estimate."""

from __future__ import annotations

import numpy as np
import pytest

from fpgalab.design import build_design
from fpgalab.ir import nodes as ir
from fpgalab.ir.serialize import kernel_from_dict, kernel_to_dict
from fpgalab.ir.verify import IRError, verify_kernel
from fpgalab.options import parse_options
from fpgalab.schedule import schedule_kernel
from fpgalab.sim.functional import run_kernel

RNG = np.random.default_rng(4)
W = RNG.uniform(-0.5, 0.5, (3, 3)).astype(np.float32)


def _cell() -> ir.Kernel:
    """h_next = tanh(h @ W + x_t): inputs (h [1,3], x_t [1,1,3]); outputs (h_next, h_next as [1,1,3])."""
    h, x = ir.Input("h", (1, 3)), ir.Input("x_t", (1, 1, 3))
    weights = ir.Constant("w", (3, 3), W)
    nodes = (
        ir.Reshape("x_flat", ("x_t",), (1, 3)),
        ir.Dot("hw", ("h", "w"), (1, 3), lhs_contract=(1,), rhs_contract=(0,)),
        ir.Elementwise(
            "h_next",
            ("hw", "x_flat"),
            (1, 3),
            expr=ir.Op("tanh", (ir.Op("add", (ir.Arg(0), ir.Arg(1))),)),
            in_dims=((0, 1), (0, 1)),
        ),
        ir.Reshape("y", ("h_next",), (1, 1, 3)),
    )
    return ir.Kernel("cell", (h, x), (weights,), nodes, ("h_next", "y"))


def _kernel(steps: int, stacked: bool) -> ir.Kernel:
    start = ir.Constant("h0", (1, 3), np.zeros((1, 3), np.float32), role="constant")
    loop = ir.Loop(
        "rnn",
        ("h0", "seq"),
        (steps, 1, 3) if stacked else (1, 3),
        layer="rnn",
        trips=steps,
        body=_cell(),
        carried=1,
        step_axes=(0,),
        step_offsets=(0,),
        result=1 if stacked else 0,
        stack_axis=0 if stacked else -1,
    )
    return ir.Kernel("recurrence", (ir.Input("seq", (steps, 1, 3)),), (start,), (loop,), ("rnn",))


def _numpy(x: np.ndarray, stacked: bool) -> np.ndarray:
    h, outputs = np.zeros((x.shape[0], 1, 3), np.float32), []
    for t in range(x.shape[1]):
        h = np.tanh(h @ W + x[:, t])
        outputs.append(h)
    return np.stack(outputs, axis=1) if stacked else h


@pytest.mark.parametrize("stacked", [False, True])
def test_the_simulator_runs_the_cell_once_per_step(stacked):
    kernel = verify_kernel(_kernel(6, stacked))
    x = RNG.uniform(-1, 1, (5, 6, 1, 3)).astype(np.float32)
    got = run_kernel(kernel, [x])["rnn"].array
    np.testing.assert_allclose(got, _numpy(x, stacked), rtol=1e-5, atol=1e-6)


def test_a_fixed_point_loop_keeps_its_state_in_the_layer_type():
    design = build_design("recurrence", _kernel(6, True), parse_options(precision="ap_fixed<16,4>"), [(6, 1, 3)])
    loop = design.kernel.nodes[0]
    assert str(loop.body.inputs[0].dtype) == "ap_fixed<16,4>" and str(loop.dtype) == "ap_fixed<16,4>"
    x = RNG.uniform(-1, 1, (20, 6, 1, 3)).astype(np.float32)
    assert np.max(np.abs(design.simulate(x) - _numpy(x, True))) < 0.01


def test_the_checker_and_json_keep_the_body():
    kernel = _kernel(4, True)
    assert kernel_from_dict(kernel_to_dict(kernel)) == kernel
    with pytest.raises(IRError, match="body gives"):
        verify_kernel(kernel.replace(nodes=(kernel.nodes[0].replace(trips=3),)))


def test_the_schedule_pays_the_cell_once_per_step_and_prices_one_cell():
    designs = [build_design("r", _kernel(n, True), parse_options(), [(n, 1, 3)]) for n in (4, 8)]
    layers = [d.schedule.layer("rnn") for d in designs]
    cell = schedule_kernel(designs[0].kernel.nodes[0].body).sequential_cycles
    per_step = (layers[1].cycles - layers[0].cycles) // 4
    assert per_step > cell and not layers[0].pipelined
    assert "steps in sequence" in layers[0].formula
    dsp = [d.resources.layer("rnn").total.dsp for d in designs]
    assert dsp[0] == dsp[1] > 0
