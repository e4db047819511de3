"""Array partitioning (Vitis ``#pragma HLS ARRAY_PARTITION``): cyclic, block or complete, per dimension.

``partition="auto"`` (the default) partitions each buffer so that the unrolled copies of every
layer's loop body reach their II: along each dimension the elements one iteration touches
(first iteration, from the access patterns of ``fpgalab.schedule.access``, padding included since later
iterations shift the pattern inside the buffer) span ``s`` consecutive indices, and a cyclic
factor ``s`` puts them in distinct banks (complete when ``s`` covers the dimension). ``partition="none"`` partitions nothing (Vitis without pragmas). Explicit specs
override, keyed by buffer name, or by layer (its weights; or a dict of roles weight, bias,
input, output):

    partition={"fc1": ("cyclic", 4, 0), "image": "complete", "conv1": {"input": ("block", 2, 1)}}

A spec is "none", "complete" (every dimension), ("complete", dim), ("cyclic" | "block", factor)
(dimension 0) or ("cyclic" | "block", factor, dim), or a list of them. A dimension the buffer
does not have, or a factor below 1, is a ``ValueError``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.keys import node_matches
from fpgalab.ir.loops import kernel_shapes
from fpgalab.options import check_keys
from fpgalab.passes.overrides import is_buffer_key
from fpgalab.schedule import fusion_chains, plan_loops
from fpgalab.schedule.access import MAX_ENUMERATED_COPIES
from fpgalab.schedule.layers import access_key, iteration_indices

ROLES = ("weight", "bias", "input", "output")


def _is_dict(value, keys) -> bool:
    """A frozen dict (tuple of pairs) whose keys are all in ``keys``."""
    return (
        isinstance(value, tuple)
        and bool(value)
        and all(isinstance(x, tuple) and len(x) == 2 and x[0] in keys for x in value)
    )


def _items(spec) -> list:
    if _is_dict(spec, ("kind", "factor", "dim")):
        return [spec]
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(x, (list, tuple)) for x in spec):
        return list(spec)
    return [spec]


def parse_spec(spec, buffer: str, shape: tuple) -> tuple[ir.PartitionSpec, ...]:
    """PartitionSpec per dimension of ``buffer`` from a user's spec."""
    rank = len(shape)
    result = [ir.PartitionSpec()] * rank
    for item in _items(spec):
        if item in ("none", None):
            continue
        if item == "complete":
            result = [ir.PartitionSpec("complete", size) if size > 1 else ir.PartitionSpec() for size in shape]
            continue
        if _is_dict(item, ("kind", "factor", "dim")):
            fields = dict(item)
            item = (
                ("complete", fields.get("dim", 0))
                if fields.get("kind") == "complete"
                else (fields.get("kind"), fields.get("factor"), fields.get("dim", 0))
            )
        if not isinstance(item, (list, tuple)) or not item or item[0] not in ir.PARTITION_KINDS[1:]:
            raise ValueError(
                f"partition of {buffer}: {item!r} is not a spec; write 'none', 'complete', "
                "('complete', dim), ('cyclic', factor[, dim]) or ('block', factor[, dim])"
            )
        kind = item[0]
        factor = 1 if kind == "complete" else item[1] if len(item) > 1 else None
        dim = (item[1] if len(item) > 1 else 0) if kind == "complete" else (item[2] if len(item) > 2 else 0)
        if isinstance(dim, bool) or not isinstance(dim, int) or not -rank <= dim < rank:
            raise ValueError(
                f"partition of {buffer}: dimension {dim!r} does not exist; it has {rank} "
                f"dimension(s), shape {list(shape)}, so dim must be 0..{rank - 1}"
            )
        if kind != "complete" and (isinstance(factor, bool) or not isinstance(factor, int) or factor < 1):
            raise ValueError(f"partition of {buffer}: the {kind} factor must be a positive integer, got {factor!r}")
        size = shape[dim]
        if size == 1 or (kind != "complete" and factor == 1):
            result[dim] = ir.PartitionSpec()
        elif kind == "complete" or factor >= size:
            result[dim] = ir.PartitionSpec("complete", size)
        else:
            result[dim] = ir.PartitionSpec(kind, factor)
    return tuple(result)


def auto_partitions(kernel: ir.Kernel) -> dict[str, tuple[ir.PartitionSpec, ...]]:
    """The partitioning each buffer needs for the unrolled copies of its readers and writer."""

    shapes = kernel_shapes(kernel)
    aliases = {n.name: n.inputs[0] for n in kernel.nodes if isinstance(n, ir.Reshape)}
    nodes = {n.name: n for n in kernel.nodes}
    spans: dict[str, list[int]] = {}
    for name, fused in fusion_chains(kernel)[0].items():
        owner = nodes[name]
        if isinstance(owner, ir.Reshape):
            continue
        unroll = tuple((lp.name, lp.unroll) for lp in plan_loops(owner, shapes) if lp.unroll > 1)
        if not unroll:
            continue
        names = set(owner.inputs) | {owner.name} | {n for node in fused for n in (*node.inputs, node.name)}
        for name in list(names):
            while name in aliases:
                name = aliases[name]
                names.add(name)
        needed_shapes = tuple(sorted((n, shapes[n]) for n in names))
        needed_aliases = tuple(sorted((n, aliases[n]) for n in names if n in aliases))
        key = (access_key(owner), tuple(access_key(n) for n in fused))
        for storage, span in _spans(*key, unroll, needed_shapes, needed_aliases):
            current = spans.setdefault(storage, [1] * len(span))
            spans[storage] = [max(a, b) for a, b in zip(current, span)]
    result = {}
    for name, span in spans.items():
        shape = shapes[name]
        specs = tuple(
            ir.PartitionSpec()
            if s <= 1
            else ir.PartitionSpec("complete", size)
            if s >= size
            else ir.PartitionSpec("cyclic", s)
            for s, size in zip(span, shape)
        )
        if any(p.kind != "none" for p in specs):
            result[name] = specs
    return result


@functools.lru_cache(maxsize=8192)
def _spans(owner: ir.Node, fused: tuple, unroll: tuple, shapes: tuple, aliases: tuple) -> tuple:
    """(storage buffer, span of indices per dimension) one iteration of a layer touches (cached)."""

    shape_of = dict(shapes)
    corners = math.prod(f for _, f in unroll) > MAX_ENUMERATED_COPIES
    spans: dict[str, list[int]] = {}
    for (storage, _), indices in iteration_indices(
        owner, fused, dict(unroll), {}, shape_of, dict(aliases), corners
    ).items():
        shape = shape_of[storage]
        current = spans.setdefault(storage, [1] * len(shape))
        for index in indices:
            for d, values in enumerate(index):
                # the raw extent, padding included: later iterations shift the same pattern inside
                values = np.asarray(values)
                if values.size:
                    current[d] = max(current[d], int(values.max() - values.min() + 1))
    return tuple((name, tuple(span)) for name, span in sorted(spans.items()))


def _targets(key: str, spec, kernel: ir.Kernel) -> list[tuple[str, object]]:
    """(buffer, spec) pairs a key names: a buffer itself, or a layer's weights (or a dict of roles)."""
    by_role = _is_dict(spec, ROLES)
    if is_buffer_key(key, kernel) and not by_role:
        return [(key, spec)]
    roles = dict(spec) if by_role else {"weight": spec}
    constants = {c.name for c in kernel.constants}
    targets = []
    for node in kernel.nodes:
        if not node_matches(key, node):
            continue
        for position, name in enumerate(node.inputs):
            if name in constants:
                role = "bias" if isinstance(node, (ir.Dot, ir.Conv)) and position == 2 else "weight"
            else:
                role = "input"
            if role in roles:
                targets.append((name, roles[role]))
        if "output" in roles:
            targets.append((node.name, roles["output"]))
    return targets


@dataclass(frozen=True)
class Partition:
    """Set the partitioning of every buffer: ``default`` "auto" or "none", then explicit ``specs``."""

    default: str = "auto"
    specs: tuple = ()
    name: str = "partition"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        if self.default not in ("auto", "none"):
            raise ValueError(f"partition must be 'auto', 'none' or a dict of buffer/layer specs, got {self.default!r}")
        check_keys(self.specs, kernel, "partition", buffers_allowed=True)
        shapes = kernel_shapes(kernel)
        chosen = auto_partitions(kernel) if self.default == "auto" else {}
        for key, spec in self.specs:
            for buffer, buffer_spec in _targets(key, spec, kernel):
                chosen[buffer] = parse_spec(buffer_spec, buffer, shapes[buffer])
        for buffer in {s.name for s in kernel.buffer_specs} | set(chosen):
            partition = chosen.get(buffer, ())
            if kernel.buffer_spec(buffer).partition != partition:
                kernel = kernel.with_buffer_spec(kernel.buffer_spec(buffer).replace(partition=partition))
        return kernel
