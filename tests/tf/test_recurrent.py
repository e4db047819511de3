"""Keras recurrent layers with ``unroll=False``: XLA's ``while`` becomes one ``ir.Loop`` whose body
(the cell) is built once and run once per time step."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from conftest import relative_error

import fpgalab
from fpgalab.errors import CompileError
from fpgalab.estimate import design_resources
from fpgalab.ir import nodes as ir

pytestmark = pytest.mark.tf

RNG = np.random.default_rng(11)


def _model(kind: str, steps: int, return_sequences: bool, unroll: bool = False, units: int = 4):
    keras.utils.set_random_seed(5)
    layer = getattr(keras.layers, kind)(units, return_sequences=return_sequences, unroll=unroll, name="rnn")
    return keras.Sequential([keras.Input((steps, 3)), layer])


def _inputs(steps: int, samples: int = 16) -> np.ndarray:
    return RNG.uniform(-1.0, 1.0, (samples, steps, 3)).astype(np.float32)


def _loops(design) -> list[ir.Loop]:
    return [n for n in design.kernel.nodes if isinstance(n, ir.Loop)]


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_float32_recurrent_layer_matches_tensorflow(kind, return_sequences):
    model, x = _model(kind, 6, return_sequences), _inputs(6)
    design = fpgalab.compile(model, x[:1], precision="float32")
    loops = _loops(design)
    assert len(loops) == 1 and loops[0].trips == 6  # one loop, the cell built once
    assert not any(isinstance(n, ir.Loop) for n in loops[0].body.nodes)
    assert relative_error(design.simulate(x), model(x).numpy()) < 1e-5


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM"])
def test_fixed_point_recurrent_layer_is_close_to_tensorflow(kind):
    model, x = _model(kind, 5, True), _inputs(5, 64)
    design = fpgalab.compile(model, x[:1], precision="ap_fixed<18,6>")
    assert relative_error(design.simulate(x), model(x).numpy()) < 0.02


def test_the_cell_does_not_grow_with_the_sequence_and_latency_grows_by_one_step_per_time_step():
    designs = [fpgalab.compile(_model("LSTM", steps, False), _inputs(steps)[:1]) for steps in (4, 8, 12)]
    assert len({len(_loops(d)[0].body.nodes) for d in designs}) == 1  # one cell, whatever the length
    cycles = [d.schedule.layer(_loops(d)[0].name).cycles for d in designs]
    step = (cycles[1] - cycles[0]) // 4
    assert cycles[1] - cycles[0] == cycles[2] - cycles[1] == 4 * step > 0  # linear in T: T steps of one cell
    assert len({d.report().resources.dsp for d in designs}) == 1


def test_rolled_loop_computes_what_the_unrolled_layer_does_with_fewer_resources_and_more_cycles():
    x = _inputs(8)
    rolled = fpgalab.compile(_model("SimpleRNN", 8, True), x[:1])
    unrolled = fpgalab.compile(_model("SimpleRNN", 8, True, unroll=True), x[:1])
    assert _loops(rolled) and not _loops(unrolled)
    np.testing.assert_array_equal(rolled.simulate(x), unrolled.simulate(x))
    rolled_report, unrolled_report = rolled.report(), unrolled.report()
    assert rolled_report.resources.lut < unrolled_report.resources.lut
    assert rolled_report.cycles > unrolled_report.cycles


def test_the_verilog_builds_the_loop_once_with_a_step_counter_and_the_yosys_flow_prices_it(tmp_path):
    design = fpgalab.compile(_model("SimpleRNN", 4, False), _inputs(4)[:1], dataflow=False)
    loop = design.schedule.layer(_loops(design)[0].name)
    text = next(design.emit("verilog", tmp_path / "rtl").glob(f"{design.kernel.name}.v")).read_text()
    assert f"a loop of 4 steps, {loop.formula}" in text
    for inner in loop.cell + loop.copy_layers:  # each copy and cell layer is built once
        assert text.count(f"// ---- {inner.name} (") == 1
    rtl, hls = (design_resources(design, flow) for flow in ("yosys", "hls"))
    assert rtl.total.dsp == hls.total.dsp > 0  # the same cell's multipliers
    assert any("step loop" in item.what for item in rtl.layer(loop.name).items)


@pytest.mark.parametrize("io", ["parallel", "stream"])
def test_hls4ml_architectures_refuse_a_loop_naming_the_layer(io):
    with pytest.raises(CompileError, match="layer 'rnn' is a recurrent loop"):
        fpgalab.compile(_model("LSTM", 4, False), _inputs(4)[:1], io=io).report()


def test_a_precision_override_names_the_recurrent_layer():
    model, x = _model("LSTM", 4, True), _inputs(4)
    design = fpgalab.compile(model, x[:1], precision={"default": "ap_fixed<8,3>", "rnn": "ap_fixed<18,6>"})
    body = _loops(design)[0].body
    computed = [n for n in body.nodes if not isinstance(n, ir.DATA_MOVEMENT)]  # data movement keeps x's type
    assert {str(n.dtype) for n in computed} == {"ap_fixed<18,6>"}
    assert relative_error(design.simulate(x), model(x).numpy()) < 0.05


def test_two_stacked_recurrent_layers_match_tensorflow():
    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [keras.Input((5, 3)), keras.layers.GRU(4, return_sequences=True), keras.layers.LSTM(3, name="top")]
    )
    x = _inputs(5)
    design = fpgalab.compile(model, x[:1], precision="float32")
    assert len(_loops(design)) == 2
    assert relative_error(design.simulate(x), model(x).numpy()) < 1e-5


def test_directives_on_a_recurrent_layer_are_reported_as_not_applied():
    design = fpgalab.compile(_model("LSTM", 4, False), _inputs(4)[:1], reuse={"rnn": 2})
    assert any(
        "layer rnn: unroll, reuse and pipeline directives are not applied" in w for w in design.schedule.warnings
    )


@pytest.mark.parametrize("kind", ["go_backwards", "bidirectional"])
def test_reversed_and_bidirectional_recurrent_layers_match_tensorflow(kind):
    """go_backwards reads the sequence through an HLO reverse; Bidirectional runs two loops."""
    keras.utils.set_random_seed(4)
    layer = keras.layers.LSTM(4, go_backwards=True) if kind == "go_backwards" else None
    layer = layer or keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True))
    model = keras.Sequential([keras.Input((5, 3)), layer])
    x = _inputs(5, samples=8)
    design = fpgalab.compile(model, x[:1], precision="float32")
    assert relative_error(design.simulate(x), model(x).numpy()) <= 1e-5
    assert len(_loops(design)) == (1 if kind == "go_backwards" else 2)
