"""%%fpga --sparsify, the view's sparsity slider and the sparsity figure, driven through IPython's shell."""

from __future__ import annotations

import pytest
from conftest import empty_session, magic_shell, run_fpga
from IPython.utils.capture import capture_output

import fpgalab
from fpgalab.magics import session_of
from fpgalab.magics.figures import PLOTLY_MIME
from fpgalab.magics.options import MagicUsageError, parse_cell_line

pytestmark = pytest.mark.tf

SETUP = """\
from examples import models
x_train, x_test, y_train, y_test = models.digits_data()
x_test, y_test = x_test[:120], y_test[:120]
"""
DIGITS = "digits = models.digits_mlp().fn\n"


@pytest.fixture(scope="module")
def ip():
    return magic_shell(SETUP)


@pytest.fixture
def session(ip):
    return empty_session(ip)


def cell(ip, line: str, body: str = DIGITS):
    return run_fpga(ip, line, body)


def _view(ip, line: str):
    from fpgalab.magics.cell import run

    return run(ip, session_of(ip), parse_cell_line(line), DIGITS)


def _weights_kept(design) -> int:
    from fpgalab.sparsify.apply import layer_weights

    weights = layer_weights(design.float_kernel)
    return sum(int((abs(v) > 0).sum()) for v in weights.values.values())


# ---- the flags ---------------------------------------------------------------------------------------------


def test_sparsify_flags_parsed():
    assert parse_cell_line("--sparsify 0.7").sparsify == 0.7
    args = parse_cell_line("--sparsify loss=1% --data x --labels y --sparsify-method std")
    assert args.sparsify == {"top1": 0.01} and args.sparsify_method == "std"
    assert parse_cell_line("--sparsify loss=0.02 --data x --labels y").sparsify == {"top1": 0.02}
    assert parse_cell_line("--io parallel").sparsify is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--sparsify 1.5", "a sparsity is a share of the weights in [0, 1), got 1.5"),
        ("--sparsify loss=abc --data x --labels y", "loss='abc': expected a budget such as loss=1%"),
        ("--sparsify half", "expected a sparsity in [0, 1) (e.g. 0.7) or a top-1 loss budget (loss=1%)"),
        ("--sparsify top1=1%", "expected loss=B"),
        ("--sparsify loss=1%", "--sparsify loss=B measures the accuracy lost: give --data and --labels"),
        ("--sparsify loss=1% --data x", "give --data and --labels"),
        ("--sparsify-method std", "--sparsify-method needs --sparsify"),
        ("--sparsify 0.5 --sparsify-method best", "invalid choice: 'best'"),
    ],
)
def test_bad_sparsify_flags_are_usage_errors(line, message):
    with pytest.raises(MagicUsageError, match="usage: %%fpga") as caught:
        parse_cell_line(line)
    assert message in str(caught.value)


def test_bad_flag_in_a_cell_is_one_line(ip, session):
    captured, result = cell(ip, "--sparsify loss=1%")
    assert not result.success and "digits_design" not in session.entries
    assert "give --data and --labels" in captured.stderr + captured.stdout + str(result.error_in_exec)


def test_scan_without_labels_is_one_line(ip, session):
    captured, result = cell(ip, "--sparsify 0.5 --sparsify-method scan --data x_test")
    assert not result.success
    assert "--sparsify:" in captured.stdout + captured.stderr and "Traceback" not in captured.stdout


# ---- the cell ----------------------------------------------------------------------------------------------


def test_cell_shows_the_sparsified_design(ip, session):
    captured, result = cell(ip, "--sparsify 0.7 --io parallel")
    assert result.success, captured.stderr
    design = ip.user_ns["digits_design"]
    pruned = ip.user_ns["digits_sparsity"]
    assert pruned.design is design and session.get("digits_design").design is design
    assert pruned.method == "global" and pruned.sparsity == pytest.approx(0.7, abs=0.01)
    assert _weights_kept(design) == sum(row.kept for row in pruned.layers)
    [output] = captured.outputs
    lines = output.data["text/plain"].splitlines()
    assert lines[1].startswith("sparsity 0.70") and "method global, target sparsity 0.7" in lines[1]
    full = fpgalab.compile(models_digits(ip), ip.user_ns["x_test"][:1], io="parallel")
    assert design.report().resources.dsp < full.report().resources.dsp
    assert design.report().resources.lut < 0.5 * full.report().resources.lut


def models_digits(ip):
    return ip.user_ns["models"].digits_mlp().fn


def test_cell_with_a_loss_budget_says_the_accuracy(ip, session):
    captured, result = cell(ip, "--sparsify loss=2% --io parallel --data x_test --labels y_test")
    assert result.success, captured.stderr
    pruned = ip.user_ns["digits_sparsity"]
    assert pruned.method == "scan" and pruned.target == "top-1 loss <= 0.02"
    before, after = pruned.accuracy_before["top1"], pruned.accuracy_after["top1"]
    assert before - after <= 0.02 + 1e-9 and pruned.sparsity > 0.2
    summary = captured.outputs[0].data["text/plain"]
    assert f"top-1 accuracy {before:.2%} -> {after:.2%}" in summary


def test_view_header_names_the_sparsity(ip, session):
    view = _view(ip, "--sparsify 0.5 --sparsify-method std --io parallel")
    assert "sparsity 0.50" in view.header.value and "method std" in view.header.value
    assert view.sparsity.value == 0.5


# ---- the slider --------------------------------------------------------------------------------------------


def test_slider_resparsifies_and_refreshes(ip, session):
    view = _view(ip, "--io parallel --data x_test --labels y_test")
    assert list(view.controls.children[:2]) == [view.precision, view.sparsity]
    assert view.sparsity.value == 0.0 and view.evaluation.sparsity is None
    assert "sparsity" not in view.summary().splitlines()[1]
    dense = view.design
    dense_report = view.report
    view.sparsity.value = 0.8
    pruned = view.evaluation.sparsity
    assert pruned.method == "scan" and pruned.sparsity == pytest.approx(0.8, abs=0.01)
    assert view.design is pruned.design and ip.user_ns["digits_design"] is view.design
    assert session.get("digits_design").design is view.design
    assert view.report.resources.dsp < dense_report.resources.dsp
    assert view.report.resources.lut < dense_report.resources.lut
    assert "sparsity 0.80" in view.header.value and "rebuilt in" in view.status.value
    assert view.summary().splitlines()[1].startswith("sparsity 0.80")
    view.sparsity.value = 0.3  # from the unpruned weights again, not from the 0.8 design
    assert view.evaluation.sparsity.sparsity == pytest.approx(0.3, abs=0.01)
    assert view.report.resources.dsp > pruned.design.report().resources.dsp
    view.precision.value = "ap_fixed<18,8>"  # another control keeps the slider's pruning
    assert view.design.options.precision_text == "ap_fixed<18,8>"
    assert view.evaluation.sparsity.sparsity == pytest.approx(0.3, abs=0.01)
    view.sparsity.value = 0.0
    assert view.evaluation.sparsity is None and _weights_kept(view.design) == _weights_kept(dense)


def test_no_slider_without_weights(ip, session):
    from fpgalab.magics.cell import run

    view = run(ip, session, parse_cell_line("--inputs x_test[:1]"), "def double(x):\n    return x * 2.0\n")
    assert view.sparsity not in view.controls.children and view.precision in view.controls.children
    captured, result = cell(ip, "--inputs x_test[:1] --sparsify 0.5", "def double(x):\n    return x * 2.0\n")
    assert not result.success and "nothing to sparsify" in captured.stdout + captured.stderr


def test_slider_is_global_without_data_and_fast(ip, session):
    import time

    view = _view(ip, "--io parallel")
    start = time.perf_counter()
    view.sparsity.value = 0.6
    elapsed = time.perf_counter() - start
    assert view.evaluation.sparsity.method == "global" and view.evaluation.sparsity.sparsity == pytest.approx(0.6, 0.01)
    assert elapsed < 2.0  # about 0.1 s on a quiet machine


def test_slider_starts_at_the_budget_s_sparsity(ip, session):
    view = _view(ip, "--sparsify loss=2% --io parallel --data x_test --labels y_test")
    reached = view.evaluation.sparsity.sparsity
    assert abs(view.sparsity.value - reached) <= 0.025 + 1e-9
    view.unroll.value = 1  # rebuilding for another control prunes to the budget again, not to the slider's share
    assert view.evaluation.sparsity.target == "top-1 loss <= 0.02"


# ---- the figure --------------------------------------------------------------------------------------------


def test_sparsity_figure_has_the_three_methods(ip, session):
    from fpgalab.magics.sparsity import sparsity_figure

    design = fpgalab.compile(models_digits(ip), ip.user_ns["x_test"][:1], io="parallel")
    data = (ip.user_ns["x_test"], ip.user_ns["y_test"])
    result = sparsity_figure(design, data, levels=(0, 0.5, 0.9))
    figure = result.figure
    assert {trace["name"] for trace in figure["data"]} == {"global", "std", "scan"}
    assert {trace["yaxis"] for trace in figure["data"]} == {"y", "y2", "y3"}  # accuracy, DSP, LUT
    assert len(result.rows) == 9
    for method in ("global", "std", "scan"):
        rows = [row for row in result.rows if row["method"] == method]
        assert [round(row["sparsity"], 2) for row in rows] == [0.0, 0.5, 0.9]
        assert rows[0]["dsp"] > rows[1]["dsp"] > rows[2]["dsp"] and rows[0]["lut"] > rows[2]["lut"]
        assert rows[0]["top1"] >= rows[2]["top1"]
    bundle = result._repr_mimebundle_()
    assert PLOTLY_MIME in bundle and "scan   0.90: sparsity 0.9" in bundle["text/plain"]
    without_data = sparsity_figure(design, levels=(0, 0.5))
    assert {trace["name"] for trace in without_data.figure["data"]} == {"global", "std"}
    assert {trace["yaxis"] for trace in without_data.figure["data"]} == {"y", "y2"}


def test_sparsity_line_command(ip, session):
    cell(ip, "--io parallel --data x_test --labels y_test")
    with capture_output() as captured:
        result = ip.run_cell("%fpga sparsity digits_design")
    assert result.success, captured.stderr
    [output] = captured.outputs
    assert PLOTLY_MIME in output.data and "methods global, std, scan" in output.data["text/plain"]
    with capture_output() as captured:
        ip.run_cell("%fpga sparsity nothing_design")
    assert "no design named 'nothing_design'" in captured.stderr + captured.stdout
