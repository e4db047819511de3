"""Scheduling of the buffers: partition, banks, storage, ports, read latency and dataflow channel.

Part of ``fpgalab.schedule`` (its docstring has the model): a buffer's banks follow its
partitioning; "auto" storage is registers for one-word banks, else what Yosys ``memory_libmap``
would choose; in a dataflow design a buffer between layers is a FIFO when its one reader reads
each element once in order, else a ping-pong buffer.
"""

from __future__ import annotations

import functools
import math

from fpgalab.costs.memory import auto_storage
from fpgalab.ir import nodes as ir
from fpgalab.schedule import access as acc
from fpgalab.schedule.model import DEFAULT_FIFO_DEPTH, DEFAULT_PIPO_DEPTH, PORTS, BufferSchedule, storage_name
from fpgalab.schedule.operators import bits, read_latency


def _resolve_storage(spec: ir.BufferSpec, bank_depth: int, width: int, device, read_only: bool) -> str:
    """The storage of each bank. "auto": registers for single words, else what Yosys
    ``memory_libmap`` would pick (``fpgalab.costs.operators.auto_storage``: a ROM in LUT logic
    counts as "lutram" here, a one-cycle read; RAMs up to about 2 Kbit in LUTRAM, ROMs up to
    about 8 Kbit in logic, larger ones in BRAM), so that the BRAM count is the one synthesis gives."""
    if spec.storage == "auto":
        return "reg" if bank_depth <= 1 else _auto_storage(bank_depth, width, device, read_only)
    if spec.storage == "uram" and device.uram_block is None:
        raise ValueError(
            f"storage 'uram' for {spec.name}: device {device.name} has no UltraRAM; allowed: bram, lutram, reg"
        )
    if spec.storage not in ir.STORAGE_KINDS:
        raise ValueError(f"storage of {spec.name} must be one of {', '.join(ir.STORAGE_KINDS)}, got {spec.storage!r}")
    return spec.storage


@functools.lru_cache(maxsize=4096)
def _auto_storage(depth: int, width: int, device, read_only: bool) -> str:

    chosen = auto_storage(depth, width, device, read_only=read_only)
    return {"registers": "reg", "logic": "lutram"}.get(chosen, chosen)


def _check_partition(name: str, shape: tuple, partition: tuple) -> tuple:
    if len(partition) > len(shape):
        raise ValueError(
            f"partition of {name}: it has {len(shape)} dimension(s) (0..{len(shape) - 1}), "
            f"got {len(partition)} partition specs"
        )
    full = tuple(partition) + (ir.PartitionSpec(),) * (len(shape) - len(partition))
    for d, spec in enumerate(full):
        if spec.kind not in ir.PARTITION_KINDS:
            raise ValueError(
                f"partition kind of {name} dim {d} must be one of {', '.join(ir.PARTITION_KINDS)}, got {spec.kind!r}"
            )
        if spec.kind in ("cyclic", "block") and not (isinstance(spec.factor, int) and spec.factor >= 1):
            raise ValueError(f"partition factor of {name} dim {d} must be a positive integer, got {spec.factor!r}")
    return full


def _reads_in_order(reader: ir.Node, name: str, shapes: dict) -> bool:
    """Whether ``reader`` reads buffer ``name`` once per element in row-major order (a FIFO can feed it)."""
    if reader.inputs.count(name) != 1:
        return False
    position = reader.inputs.index(name)
    if isinstance(reader, ir.Elementwise):
        return reader.in_dims[position] == tuple(range(len(reader.shape))) and tuple(shapes[name]) == tuple(
            reader.shape
        )
    if isinstance(reader, ir.Reduce):
        rank = len(shapes[name])
        return tuple(sorted(reader.dims)) == tuple(range(rank - len(reader.dims), rank))
    return isinstance(reader, ir.Pad)


def schedule_buffers(kernel: ir.Kernel, ctx, chains: dict, owner_of: dict) -> tuple[dict, list[str]]:
    """BufferSchedule per storage buffer (``ctx``: the schedule's context), and warnings."""
    roles = {i.name: "input" for i in kernel.inputs}
    roles.update({c.name: c.role for c in kernel.constants})
    nodes = {n.name: n for n in kernel.nodes}
    readers: dict = {}
    for node in kernel.nodes:
        if isinstance(node, ir.Reshape):
            continue
        for name in node.inputs:
            source = storage_name(name, ctx.aliases)
            if owner_of.get(source) == owner_of[node.name]:
                continue  # a fused chain's own intermediate
            readers.setdefault(source, []).append((owner_of[node.name], node))
    stored = [b.name for b in (*kernel.inputs, *kernel.constants)]
    for name, chain in chains.items():
        if not isinstance(nodes[name], ir.Reshape):
            stored.append(chain[-1].name if chain else name)
    buffers, warnings = {}, []
    specs = {spec.name: spec for spec in kernel.buffer_specs}
    for name in stored:
        spec = specs.get(name) or ir.BufferSpec(name)
        shape = tuple(ctx.shapes[name])
        partition = _check_partition(name, shape, spec.partition)
        banks = acc.banks_of(shape, partition)
        size = math.prod(shape)
        bank_depth = math.ceil(size / banks)
        width = bits(ctx.types[name])
        role = roles.get(name, "output" if name in kernel.outputs else "activation")
        reshape = spec.reshape and banks > 1
        word = width * banks if reshape else width
        storage = _resolve_storage(spec, bank_depth, word, ctx.device, role in ("weight", "bias", "constant"))
        reshape = reshape and storage != "reg"  # registers hold every element apart anyway
        layer_readers = tuple(dict.fromkeys(owner for owner, _ in readers.get(name, [])))
        channel, depth = ("rom", 1) if role in ("weight", "bias", "constant") else ("memory", 1)
        if kernel.dataflow and role == "activation":
            legal = len(readers.get(name, [])) == 1 and _reads_in_order(
                readers[name][0][1], _read_name(readers[name][0][1], name, ctx.aliases), ctx.shapes
            )
            if spec.channel == "fifo" and not legal:
                warnings.append(
                    f"{name}: a FIFO needs one reader reading each element once in order; using a ping-pong buffer"
                )
            if spec.channel in ("auto", "fifo") and legal:
                channel, depth = "fifo", spec.depth or DEFAULT_FIFO_DEPTH
            else:  # a depth given for a FIFO that could not be one does not size the ping-pong buffer
                channel, depth = "pipo", (spec.depth if spec.channel == "pipo" else 0) or DEFAULT_PIPO_DEPTH
        if spec.depth < 0:
            raise ValueError(f"depth of {name} must be a non-negative number, got {spec.depth}")
        writer = owner_of.get(name, "")
        buffers[name] = BufferSchedule(
            name,
            shape,
            str(ctx.types[name]),
            width,
            role,
            partition,
            banks,
            bank_depth,
            storage,
            PORTS[storage],
            read_latency(storage, ctx.device),
            writer,
            layer_readers,
            channel,
            depth,
            reshape,
        )
    return buffers, warnings


def _read_name(reader: ir.Node, source: str, aliases: dict) -> str:
    for name in reader.inputs:
        if storage_name(name, aliases) == source:
            return name
    return source
