"""The event simulation's spans: every resource's service of every batch (what the notebook's Gantt draws)."""

from __future__ import annotations

import pytest
from conftest import case


def test_spans_match_the_batch_timings_and_the_busy_time():
    design = case("jet_mlp").design(precision="ap_fixed<16,6>", device="xcvu9p", clock_mhz=250)
    deployment = design.deploy("f1", batch=256, host_seconds_per_sample=1e-9)
    events = deployment.simulate(64)
    c = deployment.costs
    by_resource: dict = {}
    for span in events.spans:
        by_resource.setdefault(span.resource, []).append(span)
    assert set(by_resource) == {"host", "pcie host->card", "pcie card->host", "cu0", "cu1", "cu2", "cu3"}
    for resource, spans in by_resource.items():
        assert sum(s.end - s.start for s in spans) == pytest.approx(events.busy[resource])
        ordered = sorted(spans, key=lambda s: s.start)
        assert all(a.end <= b.start + 1e-15 for a, b in zip(ordered, ordered[1:]))  # one batch at a time
    assert len(by_resource["host"]) == 2 * 64 and len(by_resource["pcie host->card"]) == 64
    for timing in events.batches:
        [kernel] = [s for s in by_resource[f"cu{timing.compute_unit}"] if s.batch == timing.index]
        assert (kernel.start, kernel.end) == pytest.approx((timing.kernel_start, timing.kernel_end))
        assert kernel.end - kernel.start == pytest.approx(c.kernel)
        [to_card] = [s for s in by_resource["pcie host->card"] if s.batch == timing.index]
        assert to_card.end <= kernel.start and to_card.end - to_card.start == pytest.approx(c.host_to_card)
        pre, post = sorted((s for s in by_resource["host"] if s.batch == timing.index), key=lambda s: s.start)
        assert pre.start == pytest.approx(timing.start) and post.end == pytest.approx(timing.end)
