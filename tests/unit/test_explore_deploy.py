"""``fpgalab.explore`` with deployment axes: each design deployed on a cloud card per combination."""

from __future__ import annotations

import pytest
from conftest import case

from fpgalab.explore import explore

F1 = dict(precision="ap_fixed<16,6>", device="xcvu9p", clock_mhz=250, io="parallel")
_BASE: dict = {}


def base():
    """jet_mlp with io="parallel": one sample per cycle, so PCIe's per-transfer overhead binds small batches."""
    if "jet" not in _BASE:
        _BASE["jet"] = case("jet_mlp").design(**F1)
    return _BASE["jet"]


def _rows(result):
    table = result.table
    return table.to_dict("records") if hasattr(table, "to_dict") else list(table)


def test_deployed_rows_match_design_deploy():
    result = explore(
        base(),
        space={"batch": [1, 16, 256], "compute_units": [1, "auto"]},
        deploy={"platform": "aws-f1"},
        objective="card_throughput",
        **F1,
    )
    rows = _rows(result)
    assert len(rows) == 6 and all(row["status"] == "ok" for row in rows)
    for row in rows:
        asked = row["compute_units_asked"]
        assert asked == (1 if row["point"] % 2 == 0 else "auto")  # compute_units is the inner axis
        deployment = result.design(row).deploy("aws-f1", batch=row["batch"], compute_units=asked)
        assert row["compute_units"] == deployment.compute_units
        assert row["card_throughput"] == pytest.approx(deployment.throughput)
        assert row["batch_latency_us"] == pytest.approx(deployment.batch_latency * 1e6)
        assert row["inference_latency_us"] == pytest.approx(deployment.inference_latency * 1e6)
        assert row["binds"] == deployment.binding
        report = deployment.report()
        assert row["watts"] == pytest.approx(report.watts)
        assert row["inferences_per_joule"] == pytest.approx(report.inferences_per_joule)
        assert row["platform"] == "aws-f1"
    # the design is built once and deployed six times
    assert len({id(result.design(row)) for row in rows}) == 1
    for units in (0, 1):  # per compute-unit choice, throughput does not fall as the batch grows
        by_batch = [row["card_throughput"] for row in rows if row["point"] % 2 == units]
        assert by_batch == sorted(by_batch) and by_batch[0] < by_batch[-1]
    assert rows[0]["binds"] == "pcie"
    assert result.best["card_throughput"] == max(row["card_throughput"] for row in rows)


def test_a_failing_deployment_is_an_error_row_and_the_sweep_goes_on():
    result = explore(
        base(),
        space={"batch": [16, 2**30], "compute_units": [1, 5], "platform": ["aws-f1"]},
        objective="perf_per_watt",
        **F1,
    )
    rows = _rows(result)
    status = {(row["batch"], row["compute_units"]): row["status"] for row in rows}
    assert status[(16, 1)] == "ok"
    assert status[(2**30, 1)].startswith("error:") and "use batch <=" in status[(2**30, 1)]
    assert status[(16, 5)].startswith("error:") and "compute units" in status[(16, 5)]
    assert result.failed == 3 and result.points == 4
    assert result.best["batch"] == 16 and result.best["status"] == "ok"


def test_compile_and_deployment_axes_together():
    result = explore(
        base(),
        space={"precision": ["ap_fixed<16,6>", "ap_fixed<8,3>"], "batch": [1, 64]},
        deploy={"platform": "aws-f1", "compute_units": 1},
        objective="card_throughput",
        **F1,
    )
    rows = _rows(result)
    assert [(row["precision"], row["batch"]) for row in rows] == [
        ("ap_fixed<16,6>", 1),
        ("ap_fixed<16,6>", 64),
        ("ap_fixed<8,3>", 1),
        ("ap_fixed<8,3>", 64),
    ]
    assert result.design(rows[0]) is result.design(rows[1])  # one design per compile point
    assert result.design(rows[0]) is not result.design(rows[2])
    eight = result.design(rows[3]).deploy("aws-f1", batch=64, compute_units=1)
    assert rows[3]["card_throughput"] == pytest.approx(eight.throughput)


def test_deployment_options_need_a_platform_and_known_names():
    with pytest.raises(ValueError, match="need a platform"):
        explore(base(), space={"batch": [1, 2]}, **F1)
    with pytest.raises(ValueError, match="unknown deploy option"):
        explore(base(), space={"batch": [1]}, deploy={"platform": "aws-f1", "cu": 2}, **F1)
    with pytest.raises(ValueError, match="needs a deployment"):
        explore(base(), space={"reuse": [1]}, objective="card_throughput", **F1)


def test_transfer_axes_match_design_deploy():
    space = {"axi_width": [128, 512], "pack": [True, False], "convert": ["host", "kernel"]}
    result = explore(base(), space=space, deploy={"platform": "aws-f1", "batch": 64, "compute_units": 1}, **F1)
    rows = _rows(result)
    assert len(rows) == 8 and all(row["status"] == "ok" for row in rows)
    for row in rows:
        options = {key: row[key] for key in space}
        deployment = result.design(row).deploy("aws-f1", batch=64, compute_units=1, **options)
        assert row["card_throughput"] == pytest.approx(deployment.throughput)
        assert row["batch_latency_us"] == pytest.approx(deployment.batch_latency * 1e6)
    assert len({round(row["batch_latency_us"], 6) for row in rows}) > 1  # the axes change the bytes moved
