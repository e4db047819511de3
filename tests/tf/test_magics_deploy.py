"""%%fpga --deploy PLATFORM --batch N --compute-units K|auto: the Deployment tab, through IPython's shell."""

from __future__ import annotations

import pytest
from conftest import empty_session, magic_shell, run_fpga

from fpgalab.cloud import Deployment, load_platform
from fpgalab.magics import session_of
from fpgalab.magics.figures import PLOTLY_MIME
from fpgalab.magics.options import MagicUsageError, parse_cell_line

pytestmark = pytest.mark.tf

SETUP = """\
import numpy as np
import tensorflow as tf
W = tf.constant(np.linspace(-1, 1, 16 * 8, dtype=np.float32).reshape(16, 8))
x16 = np.linspace(0, 1, 16, dtype=np.float32).reshape(1, 16)
"""
DENSE = "def dense(x):\n    return tf.nn.relu(tf.matmul(x, W))\n"
FIXED_ROWS = ["host", "PCIe host→card", "PCIe card→host"]


@pytest.fixture(scope="module")
def ip():
    return magic_shell(SETUP)


@pytest.fixture
def session(ip):
    return empty_session(ip)


def cell(ip, line: str):
    return run_fpga(ip, line, DENSE)


def view_of(ip, line: str):
    from fpgalab.magics.cell import run

    return run(ip, session_of(ip), parse_cell_line(line), DENSE)


def tab(view, title: str) -> list[dict]:
    return [o["data"] for o in view.outputs[title].outputs]


def figures_of(view) -> list[dict]:
    return [d[PLOTLY_MIME] for d in tab(view, "Deployment") if PLOTLY_MIME in d]


# ---- the flags -----------------------------------------------------------------------------------------------


def test_flags_are_parsed():
    args = parse_cell_line("--deploy aws-f1 --batch 64 --compute-units 2")
    assert (args.deploy, args.batch, args.compute_units) == ("aws-f1", 64, 2)
    args = parse_cell_line("--deploy u55c")  # an alias; the defaults of design.deploy
    assert (args.deploy, args.batch, args.compute_units) == ("u55c", 256, "auto")
    assert parse_cell_line("").deploy is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--deploy aws-f9", "argument --deploy: unknown platform 'aws-f9'; the known platforms (aliases) are: "),
        ("--deploy f1 --batch 0", "argument --batch: expected a positive integer, got 0"),
        ("--deploy f1 --batch 2.5", "argument --batch: expected a positive integer, got '2.5'"),
        ("--deploy f1 --compute-units two", "argument --compute-units: expected a positive integer or auto, got 'two'"),
        ("--batch 64", "--batch needs --deploy PLATFORM"),
        ("--compute-units 2", "--compute-units needs --deploy PLATFORM"),
    ],
)
def test_bad_flags_name_what_is_wrong(line, message):
    with pytest.raises(MagicUsageError) as err:
        parse_cell_line(line)
    usage, what = str(err.value).split("\n")  # the usage line, then one line saying what is wrong
    assert usage.startswith("usage: %%fpga") and "[--deploy PLATFORM" in usage
    assert what.startswith(message)


def test_bad_platform_in_the_shell_is_a_usage_error_without_traceback(ip, session):
    captured, result = cell(ip, "--inputs x16 --deploy aws-f9")
    text = captured.stdout + captured.stderr
    assert not result.success and "unknown platform 'aws-f9'" in text and "aws-f1 (f1" in text
    assert "Traceback" not in text and not session.entries


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--deploy aws-f1 --batch 1000000000", "ValueError: --deploy aws-f1: a batch of 1000000000 needs "),
        ("--deploy u55c --compute-units 40", "ValueError: --deploy u55c: 40 compute units on alveo-u55c: each needs"),
    ],
)
def test_what_the_card_cannot_take_is_a_one_line_error(ip, session, line, message):
    captured, result = cell(ip, f"--inputs x16 {line}")
    text = (captured.stdout + captured.stderr).strip()
    assert not result.success and text.startswith(message) and "\n" not in text


# ---- the tab -------------------------------------------------------------------------------------------------


def test_deployment_is_stored_and_summarised(ip, session):
    captured, result = cell(ip, "--inputs x16 --deploy aws-f1 --batch 256")
    assert result.success, captured.stderr
    design, deployment = ip.user_ns["dense_design"], ip.user_ns["dense_deployment"]
    expected = design.deploy("aws-f1", batch=256)
    assert isinstance(deployment, Deployment) and deployment.throughput == expected.throughput
    [output] = captured.outputs
    last = output.data["text/plain"].splitlines()[-1]
    assert last.startswith(
        f"deployed on aws-f1: batch 256, {expected.compute_units} compute unit(s), "
        f"{expected.throughput:,.0f} inferences/s (bound by {expected.binding}), batch "
    )


def test_tab_holds_summary_timeline_and_batch_sweep(ip, session):
    view = view_of(ip, "--inputs x16 --deploy aws-f1 --batch 256")
    titles = [view.tabs.get_title(i) for i in range(len(view.tabs.children))]
    assert titles == ["Resources", "Latency", "Deployment", "Code"]
    assert titles[view.tabs.selected_index] == "Deployment"
    deployment = view.deployment
    summary = tab(view, "Deployment")[0]["text/html"]
    for needle in ("throughput", "batch latency", "one inference alone", "bound by", "compute units", "DDR[0]"):
        assert needle in summary
    timeline, sweep = figures_of(view)

    # one Gantt row per resource: the host, each PCIe direction, each bank and each compute unit
    banks = [bank.name for bank in deployment.banks]
    units = [f"CU {k}" for k in range(deployment.compute_units)]
    assert deployment.compute_units == 4 and banks == [f"DDR[{k}]" for k in range(4)]  # F1's four DDR4 banks
    assert sorted(t["name"] for t in timeline["data"]) == sorted(FIXED_ROWS + banks + units)
    assert all(set(t["y"]) == {t["name"]} and t["type"] == "bar" for t in timeline["data"])
    # the bars are the event simulation's spans of the first batches, in microseconds
    events = deployment.simulate()
    shown = 8  # two rounds of the four units
    rows = {t["name"]: t for t in timeline["data"]}
    cu0 = [s for s in events.spans if s.resource == "cu0" and s.batch < shown]
    assert rows["CU 0"]["base"] == pytest.approx([s.start * 1e6 for s in cu0])
    assert rows["CU 0"]["x"] == pytest.approx([(s.end - s.start) * 1e6 for s in cu0])
    assert len(rows["host"]["x"]) == 2 * shown  # pre- and post-processing of each batch
    assert len(rows["PCIe host→card"]["x"]) == len(rows["PCIe card→host"]["x"]) == shown
    assert len(rows["DDR[1]"]["x"]) == 2 * len(rows["CU 1"]["x"])  # the kernel's reads and its write-back

    # throughput and batch latency against batch size: each point is design.deploy at that batch
    assert [t["name"] for t in sweep["data"]] == ["throughput (inferences/s)", "batch latency (µs)"]
    assert sweep["data"][0]["x"] == [1, 4, 16, 64, 256, 1024]
    design = ip.user_ns["dense_design"]
    for batch, throughput, latency in zip(sweep["data"][0]["x"], sweep["data"][0]["y"], sweep["data"][1]["y"]):
        point = design.deploy("aws-f1", batch=batch)
        assert throughput == pytest.approx(point.throughput) and latency == pytest.approx(point.batch_latency * 1e6)
    assert "template" not in timeline["layout"] and sweep["layout"]["xaxis"]["type"] == "log"
    assert timeline["layout"]["xaxis"]["title"]["text"] == "µs"


def test_long_timelines_are_drawn_in_milliseconds():
    from fpgalab.magics.deployment import time_unit

    assert time_unit(9e-3) == (1e6, "µs") and time_unit(0.3) == (1e3, "ms")


def test_quiet_still_deploys_and_stores(ip, session):
    captured, result = cell(ip, "--inputs x16 --deploy f1 --batch 16 --compute-units 1 --quiet --name q")
    assert result.success and not captured.outputs
    deployment = ip.user_ns["q_deployment"]
    assert (deployment.batch, deployment.compute_units, deployment.platform.name) == (16, 1, "aws-f1")


def test_compute_units_flag_sets_the_rows(ip, session):
    view = view_of(ip, "--inputs x16 --deploy alveo-u55c --batch 64 --compute-units 1")
    timeline, _ = figures_of(view)
    assert view.deployment.compute_units == 1 and view.deployment.platform.name == "alveo-u55c"
    assert [t["name"] for t in timeline["data"]] == [*FIXED_ROWS, load_platform("u55c").banks[0].name, "CU 0"]


def test_a_rebuilt_design_is_deployed_again(ip, session):
    view = view_of(ip, "--inputs x16 --deploy aws-f1 --batch 256 --compute-units 1")
    before = view.deployment
    view.precision.value = "ap_fixed<8,3>"
    after = view.deployment
    assert after is not before and after.compute_units == 1
    assert after.costs.input_bytes < before.costs.input_bytes  # narrower words packed into the beats
    assert (
        view.summary()
        .splitlines()[-1]
        .startswith(f"deployed on aws-f1: batch 256, 1 compute unit(s), {after.throughput:,.0f}")
    )


def test_comparison_shows_when_deployments_compare(ip, session, monkeypatch):
    if not hasattr(Deployment, "compare"):
        view = view_of(ip, "--inputs x16 --deploy aws-f1")
        assert not any("CPU" in d["text/plain"] for d in tab(view, "Deployment"))

    class Table:
        def _repr_html_(self):
            return "<table><tr><td>CPU, one thread</td></tr></table>"

        def __str__(self):
            return "CPU, one thread"

    monkeypatch.setattr(Deployment, "compare", lambda self: Table(), raising=False)
    view = view_of(ip, "--inputs x16 --deploy aws-f1")
    last = tab(view, "Deployment")[-1]
    assert last["text/plain"] == "CPU, one thread" and "<td>CPU, one thread</td>" in last["text/html"]


def test_saved_widget_state_stays_small_with_32_compute_units(ip, session):
    import json

    import ipywidgets as w

    view = view_of(ip, "--inputs x16 --deploy alveo-u55c")
    assert view.deployment.compute_units == 32  # one per HBM pseudo channel: 67 rows, 64 batches shown

    def walk(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)

    state = w.Widget.get_manager_state(drop_defaults=True, widgets=list(walk(view.widget)))
    assert len(json.dumps(state)) < 150_000
