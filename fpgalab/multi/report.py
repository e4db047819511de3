"""The report of a partition: stages, per-device utilisation, the tensors crossing each cut and their
traffic, the pipeline's throughput and latency, and what binds. ``str(report)`` is a table, ``to_dict()``
plain data."""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.estimate.report import RESOURCE_KINDS


@dataclass(frozen=True)
class PartitionReport:
    name: str
    link: str
    clock_mhz: float
    max_utilization: float
    throughput: float  # frames per second
    interval_us: float
    latency_us: float
    binding: str
    stages: tuple[dict, ...]
    cuts: tuple[dict, ...]

    @classmethod
    def of(cls, partition) -> PartitionReport:
        stages = tuple(
            {
                "stage": s.index,
                "device": s.device,
                "layers": s.layers,
                "first_layer": s.layers[0],
                "last_layer": s.layers[-1],
                "interval_cycles": s.interval_cycles,
                "latency_cycles": s.latency_cycles,
                "interval_us": s.interval_s * 1e6,
                "latency_us": s.latency_s * 1e6,
                **{kind: getattr(s.resources, kind) for kind in RESOURCE_KINDS},
                **{f"{kind}_util": getattr(s.utilization, kind) for kind in RESOURCE_KINDS},
                "utilization": s.utilization.max,
                "limiting": s.utilization.limiting,
            }
            for s in partition.stages
        )
        cuts = tuple(
            {
                "cut": f"{c.index}->{c.index + 1}",
                "before_layer": partition.stages[c.index + 1].layers[0],
                "tensors": tuple(
                    {"name": t.name, "shape": t.shape, "dtype": t.dtype, "bytes": t.nbytes} for t in c.tensors
                ),
                "bytes": c.nbytes,
                "transfer_us": c.latency_s * 1e6,
                "link_interval_us": c.interval_s * 1e6,
                "gbytes_per_s": c.nbytes * partition.throughput / 1e9,
            }
            for c in partition.cuts
        )
        return cls(
            partition.design.name,
            partition.link.name,
            partition.design.options.clock_mhz,
            partition.max_utilization,
            partition.throughput,
            partition.interval_s * 1e6,
            partition.latency_s * 1e6,
            partition.binding,
            stages,
            cuts,
        )

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "link": self.link,
            "clock_mhz": self.clock_mhz,
            "max_utilization": self.max_utilization,
            "throughput": self.throughput,
            "interval_us": self.interval_us,
            "latency_us": self.latency_us,
            "binding": self.binding,
            "stages": [dict(s) for s in self.stages],
            "cuts": [dict(c) for c in self.cuts],
        }

    def table(self) -> str:
        lines = [
            f"{self.name} over {len(self.stages)} device(s), link {self.link}, {self.clock_mhz:g} MHz: "
            f"{self.throughput:,.0f} frames/s (interval {self.interval_us:.3f} us), latency {self.latency_us:.3f} us; "
            f"binds: {self.binding}"
        ]
        head = ("stage", "device", "layers", "interval us", "latency us", "LUT", "FF", "DSP", "BRAM", "URAM")
        rows = []
        for s in self.stages:
            span = s["first_layer"] if len(s["layers"]) == 1 else f"{s['first_layer']}..{s['last_layer']}"
            rows.append(
                (
                    str(s["stage"]),
                    s["device"],
                    f"{span} ({len(s['layers'])})",
                    f"{s['interval_us']:.3f}",
                    f"{s['latency_us']:.3f}",
                    *(f"{100 * s[f'{kind}_util']:.1f}%" for kind in RESOURCE_KINDS),
                )
            )
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths)))
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
        for c in self.cuts:
            names = ", ".join(f"{t['name']} {tuple(t['shape'])} {t['dtype']}" for t in c["tensors"])
            lines.append(
                f"cut {c['cut']} (before {c['before_layer']}): {c['bytes']:,} B per frame "
                f"({c['transfer_us']:.3f} us through the link, one every {c['link_interval_us']:.3f} us; "
                f"{c['gbytes_per_s']:.3f} GB/s): {names}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()
