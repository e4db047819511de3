"""explore's devices axis: each design split over that many FPGAs, the split's columns and objective."""

from __future__ import annotations

import pytest
from conftest import case

import fpgalab


@pytest.fixture(scope="module")
def jet():
    return case("jet_mlp").design(io="parallel")


def test_explore_searches_the_number_of_devices(jet):
    result = fpgalab.explore(
        jet,
        space={"reuse": [1, 4], "devices": [1, 2, 3]},
        multi={"link": "qsfp28-100g"},
        objective="multi_throughput",
    )
    rows = result.table.to_dict("records") if hasattr(result.table, "to_dict") else result.table
    assert len(rows) == 6
    assert {row["devices"] for row in rows} == {1, 2, 3}
    for row in rows:
        assert row["status"] == "ok", row["status"]
        design = result.design(row)
        split = design.partition(["xcvu9p"] * row["devices"], link="qsfp28-100g")
        assert row["multi_throughput"] == pytest.approx(split.throughput)
        assert row["multi_binds"] == split.binding
        assert row["link"] == "qsfp28-100g"
    best = result.best
    assert best["multi_throughput"] == max(row["multi_throughput"] for row in rows)


def test_explore_devices_errors(jet):
    n = len(jet.schedule.layers)
    result = fpgalab.explore(jet, space={"devices": [n + 1]})
    rows = result.table.to_dict("records") if hasattr(result.table, "to_dict") else result.table
    assert rows[0]["status"].startswith("error:") and "cannot be split" in rows[0]["status"]
    with pytest.raises(ValueError, match="positive integers"):
        fpgalab.explore(jet, space={"devices": [0]})
    with pytest.raises(ValueError, match="needs a devices axis"):
        fpgalab.explore(jet, space={"reuse": [1]}, objective="multi_throughput")
    with pytest.raises(ValueError, match="needs a devices axis"):
        fpgalab.explore(jet, space={"reuse": [1]}, multi={"link": "f1-p2p"})
    with pytest.raises(ValueError, match="unknown multi option"):
        fpgalab.explore(jet, space={"devices": [2]}, multi={"bandwidth": 3})
