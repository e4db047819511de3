"""``Design.report()``: cycles, interval, latency, throughput, resources and utilisation, per layer and total.

Frozen dataclasses built from the schedule (``fpgalab.schedule``), the timing simulator
(``fpgalab.schedule.timing``) and the resource estimator (``fpgalab.estimate``). ``str(report)`` is a
table; ``to_dict()`` plain data; ``to_frame()`` a pandas DataFrame of the layers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

RESOURCE_KINDS = ("lut", "ff", "dsp", "bram", "uram")


@dataclass(frozen=True)
class Utilization:
    """Fractions of the part's LUT, FF, DSP, BRAM (its block unit, RAMB18 on Xilinx) and URAM."""

    lut: float
    ff: float
    dsp: float
    bram: float
    uram: float

    @property
    def max(self) -> float:
        return max(self.lut, self.ff, self.dsp, self.bram, self.uram)

    @property
    def limiting(self) -> str:
        return max(RESOURCE_KINDS, key=lambda kind: getattr(self, kind))

    def __str__(self) -> str:
        return "  ".join(f"{kind.upper()} {100 * getattr(self, kind):.1f}%" for kind in RESOURCE_KINDS)


def utilization(resources, device) -> Utilization:
    capacity = {"lut": device.luts, "ff": device.ffs, "dsp": device.dsps, "bram": device.bram, "uram": device.uram}
    fractions = {}
    for kind in RESOURCE_KINDS:
        used = getattr(resources, kind)
        fractions[kind] = used / capacity[kind] if capacity[kind] else (float("inf") if used else 0.0)
    return Utilization(**fractions)


@dataclass(frozen=True)
class LayerReport:
    name: str  # the layer's FSM node
    layer: str  # Keras layer / TF scope
    kind: str
    nodes: tuple[str, ...]
    cycles: int  # its latency L
    start: int  # first input: cycle it starts
    end: int  # and cycle after it ends
    stall: int
    pipelined: bool
    ii: int
    ii_limit: str  # target | recurrence | memory ports | not pipelined
    depth: int
    trip: int
    copies: int
    formula: str  # how ``cycles`` follows from the loops
    resources: object  # fpgalab.costs.operators.Resources
    utilization: Utilization
    items: tuple  # fpgalab.estimate.resources.CostItem: the formula behind each figure
    reuse: int = 0  # the reuse factor used (0: none given)


@dataclass(frozen=True)
class DesignReport:
    name: str
    device: str
    clock_mhz: float
    dataflow: bool
    cycles: int  # latency of one input, cycles
    interval: int  # cycles between inputs in steady state
    latency_us: float
    throughput: float  # inputs per second
    resources: object
    utilization: Utilization
    fits: bool
    per_layer: tuple[LayerReport, ...]
    warnings: tuple[str, ...] = ()
    build: tuple = ()  # fpgalab.estimate.buildcheck.BuildWarning: limits hls4ml's design would hit

    @property
    def builds(self) -> bool:
        """False when a limit of the HLS tool or the part would stop the build (a sure or likely warning)."""
        return not any(w.blocks for w in self.build)

    def layer(self, name: str) -> LayerReport:
        for layer in self.per_layer:
            if name in (layer.name, layer.layer) or name in layer.nodes:
                return layer
        raise KeyError(name)

    def to_dict(self) -> dict:
        data = asdict(self)
        return data

    def node_rows(self) -> list[dict]:
        """One dict per node (the HLS function or loop nest of each step of a layer)."""
        counts: dict = {}
        for layer in self.per_layer:
            counts[layer.layer] = counts.get(layer.layer, 0) + 1
        with_reuse = any(other.reuse for other in self.per_layer)
        rows = []
        for layer in self.per_layer:
            label = (
                layer.layer
                if layer.layer and counts[layer.layer] == 1
                else f"{layer.layer}/{layer.name}"
                if layer.layer
                else layer.name
            )
            row = {
                "layer": label,
                "node": layer.name,
                "nodes": 1,
                "kind": layer.kind,
                "cycles": layer.cycles,
                "start": layer.start,
                "end": layer.end,
                "stall": layer.stall,
                "ii": layer.ii if layer.pipelined else None,
                "depth": layer.depth,
                "copies": layer.copies,
            }
            if with_reuse:
                row["reuse"] = layer.reuse or None
            row.update({kind: getattr(layer.resources, kind) for kind in RESOURCE_KINDS})
            rows.append(row)
        return rows

    def groups(self) -> list[tuple[str, tuple[LayerReport, ...]]]:
        """The nodes of each Keras layer (or TF op scope), in schedule order: a softmax is one group of four."""
        order: dict[str, list] = {}
        for layer in self.per_layer:
            order.setdefault(layer.layer or layer.name, []).append(layer)
        return [(name, tuple(members)) for name, members in order.items()]

    def rows(self, nodes: bool = False) -> list[dict]:
        """One dict per Keras layer: the columns of ``table`` and ``to_frame`` (``nodes=True``: per node).

        A layer of several nodes spans from its first node's start to its last node's end
        (``cycles``); its II is its slowest node's, its resources the sum; ``node`` names its
        longest node and ``nodes`` counts them.
        """
        if nodes:
            return self.node_rows()
        by_node = {row["node"]: row for row in self.node_rows()}
        rows = []
        for name, members in self.groups():
            if len(members) == 1:
                rows.append({**by_node[members[0].name], "layer": name})
                continue
            main = max(members, key=lambda m: m.cycles)
            pipelined = [m.ii for m in members if m.pipelined]
            row = {
                "layer": name,
                "node": main.name,
                "nodes": len(members),
                "kind": "+".join(dict.fromkeys(m.kind for m in members)),
                "cycles": max(m.end for m in members) - min(m.start for m in members),
                "start": min(m.start for m in members),
                "end": max(m.end for m in members),
                "stall": sum(m.stall for m in members),
                "ii": max(pipelined) if len(pipelined) == len(members) else None,
                "depth": None,
                "copies": max(m.copies for m in members),
            }
            if "reuse" in by_node[main.name]:
                row["reuse"] = by_node[main.name]["reuse"]
            row.update({kind: sum(getattr(m.resources, kind) for m in members) for kind in RESOURCE_KINDS})
            rows.append(row)
        return rows

    def to_frame(self, nodes: bool = False):
        import pandas as pd  # noqa: PLC0415

        return pd.DataFrame(self.rows(nodes))

    def table(self, nodes: bool = False) -> str:
        """The report as text: one row per Keras layer, or per node with ``nodes=True``."""
        head = (
            f"{self.name} on {self.device} at {self.clock_mhz:g} MHz"
            f"{' (dataflow)' if self.dataflow else ''}: latency {self.cycles} cycles = {self.latency_us:.2f} us, "
            f"interval {self.interval} cycles, {self.throughput:,.0f} inputs/s"
        )
        columns = ("layer", "kind", "cycles", "ii", "lut", "ff", "dsp", "bram", "uram")
        rows = [[_cell(row[c]) for c in columns] for row in self.rows(nodes)]
        total = ["total", "", str(self.cycles), "", *(_number(getattr(self.resources, k)) for k in RESOURCE_KINDS)]
        widths = [max(len(c), *(len(r[i]) for r in rows + [total])) for i, c in enumerate(columns)]
        lines = [head, "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows + [total]]
        lines.append(f"utilization: {self.utilization}  ->  {'fits' if self.fits else 'DOES NOT FIT'}")
        if not nodes and len(self.groups()) < len(self.per_layer):
            lines.append("(layers of several nodes: table(nodes=True) shows each)")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _cell(value) -> str:
    return "-" if value is None else _number(value)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
