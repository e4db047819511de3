"""Per-layer option keys, checked against the model once it is lowered (the passes call these)."""

from __future__ import annotations

from fpgalab.ir import nodes as ir
from fpgalab.ir.keys import node_matches


def check_override_keys(keys, kernel: ir.Kernel, option: str) -> None:
    """An override naming no layer is a ValueError listing the layers there are."""
    for key in keys:
        if not any(node_matches(key, n) for n in kernel.nodes):
            layers = sorted({n.layer for n in kernel.nodes if n.layer})
            raise ValueError(f"{option} override {key!r} names no layer of this design; layers: {', '.join(layers)}")


def check_keys(overrides: tuple, kernel: ir.Kernel, option: str, buffers_allowed: bool = False) -> None:
    """A key naming no layer (nor buffer, where allowed) is a ValueError listing the layers."""
    names = {b.name for b in (*kernel.inputs, *kernel.constants)} | {n.name for n in kernel.nodes}
    keys = [key for key, _ in overrides if not (buffers_allowed and key in names)]
    check_override_keys(keys, kernel, option)


def positive_int(value, what: str, allowed: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer{allowed}, got {value!r}")
    return value
