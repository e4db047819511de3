"""The build check (fpgalab.estimate.buildcheck) on published hls4ml builds (bench/build_cases.json:
failures with their HLS errors, successful builds with their reports), in the report, %%fpga and explore."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

pytestmark = pytest.mark.tf

CASES = json.loads((ROOT / "bench" / "build_cases.json").read_text())["cases"]


def test_at_least_five_published_failures_and_five_successes():
    outcomes = [case["outcome"] for case in CASES]
    assert outcomes.count("fails") >= 5 and outcomes.count("builds") >= 5
    assert all(case["source"].startswith("https://github.com/") for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_published_outcome_is_predicted(case):
    import run_buildcheck  # noqa: PLC0415 - the bench's own rebuild of each case

    result = run_buildcheck.check_case(case)
    assert result["verdict"] == case["outcome"], [str(w) for w in result["warnings"]]
    for warning in result["warnings"]:  # each names its layer, limit, quantity and fix
        assert warning.quantity > warning.threshold and warning.fix and warning.layer
        assert warning.confidence in ("sure", "likely", "possible")


def _dense_model(n_in: int, n_out: int):
    import keras  # noqa: PLC0415

    model = keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(n_out, activation="relu", name="wide")])
    rng = np.random.default_rng(1)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    return model, np.zeros((1, n_in), np.float32)


def test_report_names_layer_limit_and_the_fix_that_works():
    import fpgalab  # noqa: PLC0415
    from fpgalab.estimate.buildcheck import check_build  # noqa: PLC0415

    model, x = _dense_model(256, 128)  # 32768 products: over Vivado's partition limit, 8x its unroll limit
    vivado = fpgalab.compile(model, x, io="parallel", clock_uncertainty="12.5%", precision="ap_fixed<16,6>")
    report = vivado.report()
    assert not report.builds
    (warning,) = [w for w in report.build if w.stage == "hls"]
    assert (warning.layer, warning.limit, warning.quantity, warning.threshold) == ("wide", "partition", 32768, 4096)
    assert warning.confidence == "sure" and "reuse=8" in warning.fix
    assert report.warnings[0] == str(warning) and "wide" in report.table()
    # Vitis HLS (fpgalab's default tool) has no partition limit: the unroll one, less sure
    vitis = fpgalab.compile(model, x, io="parallel", precision="ap_fixed<16,6>")
    assert [(w.limit, w.confidence) for w in check_build(vitis) if w.stage == "hls"] == [("unroll", "likely")]
    fixed = fpgalab.compile(
        model, x, io="parallel", strategy="resource", reuse=8, clock_uncertainty="12.5%", precision="ap_fixed<16,6>"
    )
    assert fixed.report().builds and not fixed.report().build
    # one step below the fix: the Resource strategy's MultLoop unrolls 8192 multiplications into a
    # 8192 x 16-bit ROM word; 8192 DSPs are more than the xcvu9p's 6840, but the rest fit in its LUTs
    short = fpgalab.compile(
        model, x, io="parallel", strategy="resource", reuse=4, clock_uncertainty="12.5%", precision="ap_fixed<16,6>"
    )
    found = [(w.limit, w.quantity, w.confidence) for w in short.report().build]
    assert found == [("unroll", 8192, "likely"), ("reshape", 131072, "sure"), ("dsp", 8192, "possible")]


def test_fpgalab_architecture_and_small_layers_give_no_warning():
    import fpgalab  # noqa: PLC0415

    model, x = _dense_model(256, 128)
    assert fpgalab.compile(model, x, precision="ap_fixed<16,6>").report().build == ()
    small, x = _dense_model(64, 64)  # 4096 products: at the limit, not over it
    assert fpgalab.compile(small, x, io="parallel", clock_uncertainty="12.5%").report().build == ()


def test_bad_tool_and_size_are_refused():
    import fpgalab  # noqa: PLC0415
    from fpgalab.estimate.buildcheck import check_build  # noqa: PLC0415

    model, x = _dense_model(8, 4)
    design = fpgalab.compile(model, x, io="parallel")
    with pytest.raises(ValueError, match="tool must be one of vivado, vitis"):
        check_build(design, tool="quartus")
    with pytest.raises(ValueError, match="maximum_size must be a positive"):
        check_build(design, maximum_size=0)


def test_explore_marks_points_that_would_not_build():
    import fpgalab  # noqa: PLC0415

    model, x = _dense_model(256, 128)
    result = fpgalab.explore(
        model, x, space={"reuse": [1, 16]}, io="parallel", strategy="resource", precision="ap_fixed<16,6>"
    )
    rows = {row["reuse"]: row for row in result.table.to_dict("records")}
    assert rows[1]["builds"] is False
    assert "wide" in rows[1]["build_warning"] and not rows[1]["feasible"]
    assert rows[16]["builds"] and rows[16]["build_warning"] == ""
    assert result.best["reuse"] == 16  # the faster RF 1 point is not offered,
    assert not rows[1]["pareto"] and rows[16]["pareto"]  # nor on the Pareto front


def test_fpga_magic_shows_the_warning():
    from conftest import empty_session, magic_shell, run_fpga  # noqa: PLC0415

    shell = magic_shell(
        "import numpy as np\nimport tensorflow as tf\n"
        "W = tf.constant(np.linspace(-1, 1, 256 * 128, dtype=np.float32).reshape(256, 128))\n"
        "x256 = np.linspace(0, 1, 256, dtype=np.float32).reshape(1, 256)\n"
    )
    empty_session(shell)
    body = "def wide(x):\n    return tf.nn.relu(tf.matmul(x, W))\n"
    captured, result = run_fpga(shell, "--inputs x256 --io parallel", body)
    assert result.success, captured.stderr
    text = "\n".join(o.data.get("text/plain", "") for o in captured.outputs)
    assert "will not build (likely)" in text and "unroll limit of 4,096" in text


@pytest.mark.parametrize("case", [c for c in CASES if "implementation" in c], ids=lambda c: c["id"])
def test_dsp_overflow_is_judged_by_the_luts_it_moves_to(case):
    """A design placed with more csynth DSPs than the part gets no blocking DSP warning; one whose own
    report shows 10x the part's DSPs gets a sure one."""
    import run_buildcheck  # noqa: PLC0415

    (dsp,) = [w for w in run_buildcheck.check_case(case)["warnings"] if w.limit == "dsp"]
    assert dsp.stage == "implementation"
    assert dsp.blocks == (case["implementation"] != "placed")
