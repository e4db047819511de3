"""Overflow counting: every wrap and saturation a fixed-point simulation applies, per node and sample.

A type that cannot hold a value wraps it (``AP_WRAP``) or clamps it (``AP_SAT*``); a function
table whose input leaves its range reads an edge entry. Either can ruin a result while each
layer's output still looks in range (a softmax whose sum of exponentials wraps gives garbage
of the right type), so the simulator counts them where they happen: ``fpgalab.sim.fixed`` and
``fpgalab.sim.tables`` call the active ``Tally`` (a context variable, ``fixed.COUNTER``) with the
values out of range, and the driver tells the tally which node it is running.

A wrapping accumulator that sums at once (``fpgalab.sim.accumulate``) is counted when its final
value wrapped: wraps of partial sums that cancel leave the result exact in modular arithmetic.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import MAX_FIXED_WIDTH, FixedType
from fpgalab.sim import fixed
from fpgalab.sim.tables import UNBOUNDED_BELOW, TableSpec

SHOWN = 4  # places named in one warning; the accuracy report lists all


@dataclass(frozen=True)
class Overflow:
    """One place of the design where values did not fit, and how often."""

    layer: str
    node: str
    role: str  # "accumulator", "sum", "result", "input", "weight", "intermediate" or "table input"
    type_text: str  # the type (or table) that could not hold the values
    samples: int  # samples in which it happened at least once
    total: int  # samples simulated
    mode: str  # "wrapped", "saturated", "set to 0" or "clamped to the table's edge"
    fix: str  # what to change, in the words of the options

    @property
    def share(self) -> float:
        return self.samples / self.total if self.total else 0.0

    def describe(self) -> str:
        where = self.layer if self.layer == self.node else f"{self.layer} ({self.node})"
        return (
            f"{where}: the {self.role} ({self.type_text}) {self.mode} in {100 * self.share:.3g}% of samples"
            f" ({self.samples} of {self.total}) — {self.fix}"
        )


def _mode(t: FixedType) -> str:
    if t.overflow == "AP_WRAP":
        return "wrapped"
    return "set to 0" if t.overflow == "AP_SAT_ZERO" else "saturated"


def _per_sample(mask: np.ndarray, samples: int) -> np.ndarray:
    """Which samples a mask of elements touches (values without a sample axis concern every sample)."""
    if mask.ndim and mask.shape[0] % samples == 0:  # a sample axis, or rows of several positions per sample
        return mask.reshape(samples, -1).any(axis=1)
    return np.full(samples, bool(mask.any()))


def wider_type(t: FixedType, needed: int) -> FixedType:
    """``t`` with the integer bits a mantissa that needs ``needed`` bits (sign included) asks for.

    At most ``MAX_FIXED_WIDTH`` bits, the widest type a user may give: fraction bits make room.
    """
    integer = t.integer + max(1, needed - t.width)
    frac = max(0, min(t.frac, MAX_FIXED_WIDTH - integer))
    return FixedType(integer + frac, integer, t.signed, t.quant, t.overflow)


class Tally:
    """Counts, for one simulation, the samples in which each (node, type) overflowed."""

    def __init__(self):
        self.total = 0
        self._counts: dict[tuple, int] = {}
        self._needed: dict[tuple, int] = {}
        self._chunk: dict[tuple, np.ndarray] = {}
        self._samples = 1
        self._place: tuple[str, str, str] = ("", "", "input")  # layer, node, role of values not in a node
        self._node: ir.Node | None = None

    # ---- recording (the simulator's side)
    @contextlib.contextmanager
    def chunk(self, samples: int):
        """Count while one chunk of ``samples`` samples runs (the counter is active only inside)."""
        self._samples, self._chunk = samples, {}
        token = fixed.COUNTER.set(self._record)
        try:
            yield self
        finally:
            fixed.COUNTER.reset(token)
            for key, flags in self._chunk.items():
                self._counts[key] = self._counts.get(key, 0) + int(flags.sum())
            self.total += samples
            self._chunk = {}

    def at_node(self, node: ir.Node) -> None:
        self._node, self._place = node, (node.layer or node.name, node.name, "")

    def at_value(self, layer: str, name: str, role: str) -> None:
        self._node, self._place = None, (layer, name, role)

    def _record(self, mask: np.ndarray, needed_bits: int, kind) -> None:
        if self._node is not None and self._node.given_type and kind == self._node.dtype:
            return  # a QONNX Quant's clip is the model's arithmetic, not an overflow to fix
        key = (*self._place[:2], self._role(kind), kind)
        flags = _per_sample(np.asarray(mask), self._samples)
        previous = self._chunk.get(key)
        self._chunk[key] = flags if previous is None else previous | flags
        self._needed[key] = max(self._needed.get(key, 0), needed_bits)

    def _role(self, kind) -> str:
        if isinstance(kind, TableSpec):
            return "table input"
        if self._node is None:
            return self._place[2]
        node = self._node
        if isinstance(node, ir.Reduce) and node.kind == "sum" and kind == node.acc == node.dtype:
            return "sum"
        if kind == getattr(node, "acc", None) and isinstance(node, (ir.Dot, ir.Conv, ir.Reduce, ir.Pool)):
            return "accumulator"
        if kind == node.dtype:
            return "result"
        return "intermediate"

    # ---- reading (the design's side)
    def overflows(self) -> tuple[Overflow, ...]:
        """Every place that overflowed, most frequent first."""
        found = []
        for key, samples in self._counts.items():
            if not samples:
                continue
            layer, node, role, kind = key
            found.append(Overflow(layer, node, role, _text(kind), samples, self.total, _mode_of(kind), self._fix(key)))
        return tuple(sorted(found, key=lambda o: (-o.samples, o.layer, o.node)))

    def _fix(self, key) -> str:
        layer, _node, role, kind = key
        if isinstance(kind, TableSpec):
            reach = "outside" if kind.function in UNBOUNDED_BELOW else "above"
            reach = "at or above" if kind.function in ("exp", "expm1") else reach
            return (
                f"inputs {reach} the {kind.function} table's range [{kind.lo:g}, {kind.hi:g}) read its edge; "
                f"widen it with tables={{{kind.function!r}: (size, lo, hi)}}"
            )
        needed = self._needed.get(key, 0)
        if needed - kind.frac > MAX_FIXED_WIDTH:
            return (
                f"the values reach 2^{needed - kind.frac - 1}, beyond any type of up to {MAX_FIXED_WIDTH} bits: "
                "check the data for infinities or NaN, or scale it"
            )
        wider = wider_type(kind, needed)
        if role == "input":
            return f"give the input {wider} or wider (precision={{'input': {str(wider)!r}}})"
        if role == "weight":
            return f"give the weights {wider} or wider (precision={{'weight': {str(wider)!r}}})"
        option = "accum" if role in ("accumulator", "sum") else "result"
        return f"give it {wider} or wider (precision={{{layer!r}: {{{option!r}: {str(wider)!r}}}}})"


def overflow_warning(found: tuple[Overflow, ...], lead: str) -> str | None:
    """One message: ``lead`` and the places that overflowed (the first ``SHOWN`` of them), or None when none did."""
    if not found:
        return None
    lines = [o.describe() for o in found[:SHOWN]]
    more = f"; and {len(found) - SHOWN} more (see accuracy() or overflows())" if len(found) > SHOWN else ""
    return f"{lead} in {len(found)} place(s): " + "; ".join(lines) + more


def _text(kind) -> str:
    if isinstance(kind, TableSpec):
        return f"{kind.function} table over [{kind.lo:g}, {kind.hi:g})"
    return str(kind)


def _mode_of(kind) -> str:
    return "was clamped to the table's edge" if isinstance(kind, TableSpec) else _mode(kind)
