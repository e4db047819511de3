"""The power model of fpgalab.cloud.power: calibration against the published Alveo U50 report_power,
monotony, the toggle rate, the board envelope, and perf/W of a deployment."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from test_cloud import design

from fpgalab.cloud import list_platforms, load_platform
from fpgalab.cloud.platform import PLATFORM_DIR, read_platform_file
from fpgalab.cloud.power import (
    COEFFICIENTS,
    U50_REPORT,
    ZU9EG_REPORT,
    PowerEnvelopeWarning,
    estimate_power,
)
from fpgalab.costs.operators import Resources


def counted(lut=0, ff=0, dsp=0, bram=0, uram=0, clock_mhz=180.0, device="xcu55c"):
    """A design known only by its resource counts (a published report's), as estimate_power reads it."""
    resources = Resources(lut=lut, ff=ff, dsp=dsp, bram=bram, uram=uram)
    options = SimpleNamespace(clock_mhz=clock_mhz, device=device)
    return SimpleNamespace(name="published", options=options, report=lambda: SimpleNamespace(resources=resources))


def test_the_u50_report_is_reproduced_from_its_resource_counts():
    """The calibration source: LUT, FF and block RAM dynamic power of the published U50 report."""
    r = U50_REPORT
    p = estimate_power(counted(lut=r["lut"][0], ff=r["ff"][0], bram=r["bram"][0]), clock_mhz=180)
    for kind in ("lut", "ff", "bram"):
        assert p.dynamic_w[kind] == pytest.approx(r[kind][1], rel=0.05)
    assert p.routing_w == pytest.approx(r["signals_w"], rel=0.05)
    assert p.clocks_w == pytest.approx(r["clocks_w"], rel=0.05)


def test_the_dsp_coefficient_fits_the_zu9eg_report_and_matches_a_lut_multiplier():
    r = ZU9EG_REPORT
    p = estimate_power(counted(r["lut"], r["ff"], r["dsp"], r["bram"], clock_mhz=300, device="xczu9eg"))
    dynamic = sum(p.dynamic_w.values()) + p.routing_w + p.clocks_w
    assert dynamic == pytest.approx(r["dynamic_w"], rel=1e-6)  # fitted to this total: not a held-out check
    # the independent check: a DSP48E2 burns what the LUTs of a 12x12..18x18 multiplier would (n^2/2 LUTs)
    assert 72 <= COEFFICIENTS["dsp"].value / COEFFICIENTS["lut"].value <= 162
    # held out: the static power, LUT-scaled from the U50 report, against the ZU9EG report's 0.652 W
    assert p.static_w == pytest.approx(r["static_w"], rel=0.15)


def test_every_coefficient_has_a_source():
    assert {"lut", "ff", "dsp", "bram", "uram", "routing", "clocks", "static", "HBM2", "DDR4"} <= set(COEFFICIENTS)
    for c in COEFFICIENTS.values():
        assert c.value > 0 and c.unit and len(c.source) > 40
    assert "estimate" in COEFFICIENTS["uram"].source and "fitted" in COEFFICIENTS["dsp"].source


def test_power_grows_with_resources_clock_and_toggle():
    small, large = design("jet_mlp"), design("jet_mlp", io="parallel")
    assert estimate_power(large).total_w > estimate_power(small).total_w
    assert estimate_power(small, compute_units=2).total_w > estimate_power(small).total_w
    totals = [estimate_power(large, clock_mhz=f).total_w for f in (100, 200, 300)]
    assert totals == sorted(totals) and len(set(totals)) == 3
    totals = [estimate_power(large, toggle=t).total_w for t in (0.05, 0.125, 0.25, 0.5)]
    assert totals == sorted(totals) and len(set(totals)) == 4
    for kind in ("lut", "ff", "dsp", "bram", "uram"):
        more = counted(**{kind: 2000})
        assert estimate_power(more).dynamic_w[kind] == pytest.approx(
            2 * estimate_power(counted(**{kind: 1000})).dynamic_w[kind]
        )


def test_toggle_zero_leaves_the_static_power_and_the_clock_trees():
    d = design("jet_mlp", io="parallel")
    idle = estimate_power(d, toggle=0.0)
    assert all(w == 0 for w in idle.dynamic_w.values()) and idle.routing_w == 0
    assert idle.clocks_w > 0  # clock trees toggle every cycle whatever the data do
    assert idle.total_w == pytest.approx(idle.static_w + idle.clocks_w)
    assert idle.static_w == pytest.approx(1_182_240 * COEFFICIENTS["static"].value)  # the VU9P's LUTs
    stopped = estimate_power(counted(clock_mhz=250, device="xcvu9p"))
    assert stopped.total_w == pytest.approx(idle.static_w)  # no kernel: static only


def test_on_a_card_the_idle_replaces_the_part_static_and_traffic_costs_energy():
    d = design("jet_mlp")
    bare = estimate_power(d)
    card = estimate_power(d, platform="aws-f1")
    assert card.idle_w == load_platform("f1").idle_power_w
    assert card.total_w == pytest.approx(bare.total_w - bare.static_w + card.idle_w)
    busy = estimate_power(d, platform="aws-f1", memory_gbps=10.0, pcie_gbps=5.0)
    assert busy.memory_w == pytest.approx(10e9 * 8 * COEFFICIENTS["DDR4"].value)
    assert busy.pcie_w == 0  # the link's power is in the idle
    hbm = estimate_power(d, platform="u55c", memory_gbps=10.0)
    assert hbm.memory_w == pytest.approx(10e9 * 8 * COEFFICIENTS["HBM2"].value) and hbm.memory_w < busy.memory_w


def test_exceeding_the_envelope_warns_and_reports_the_envelope(tmp_path):
    data = json.loads((PLATFORM_DIR / "aws-f1.json").read_text())
    data["name"], data["aliases"] = "small-card", ["small-card"]
    data["power"]["board_max_w"] = 20.0
    (tmp_path / "small.json").write_text(json.dumps(data))
    small = read_platform_file(tmp_path / "small.json")
    d = design("jet_mlp", io="parallel")
    with pytest.warns(PowerEnvelopeWarning, match="exceeds small-card's 20 W"):
        p = estimate_power(d, platform=small, compute_units=2, toggle=0.5)
    assert p.uncapped_w > 20 and p.total_w == 20 and p.warnings
    assert "warning:" in str(p)


def test_a_deployment_reports_watts_and_inferences_per_joule():
    deployment = design("jet_mlp").deploy("aws-f1", batch=256)
    report = deployment.report()
    power = deployment.power()
    assert report.watts == pytest.approx(power.total_w)
    assert report.inferences_per_joule == pytest.approx(deployment.throughput / report.watts)
    assert deployment.inferences_per_joule() == pytest.approx(report.inferences_per_joule)
    assert power.compute_units == deployment.compute_units == 4
    memory, pcie = deployment.traffic_gbps()
    assert memory == pytest.approx(2 * pcie) and pcie > 0
    assert power.memory_w == pytest.approx(memory * 8e9 * COEFFICIENTS["DDR4"].value)
    assert "inferences/J" in str(report)
    table = str(power)
    for term in ("part static", "card idle", "dsp", "routing", "clock trees", "memory traffic", "total"):
        assert term in table


def test_bad_inputs_are_named():
    d = design("jet_mlp")
    with pytest.raises(ValueError, match="toggle must be a rate in"):
        estimate_power(d, toggle=1.5)
    with pytest.raises(ValueError, match="need a platform"):
        estimate_power(d, memory_gbps=1.0)
    with pytest.raises(ValueError, match="compute_units must be a positive integer"):
        estimate_power(d, compute_units=0)
    with pytest.raises(ValueError, match="exceeds the link"):
        estimate_power(d, platform="u250", pcie_gbps=100.0)


def test_every_platform_has_a_sourced_idle_power_below_its_envelope():
    for platform in list_platforms():
        assert 0 < platform.idle_power_w < platform.board_power_w
        assert platform.sources["power.idle_w"].startswith(("measured", "estimate"))
        assert ("power.idle_w", platform.idle_power_w, platform.sources["power.idle_w"]) in platform.figures()
