"""How fpgalab's Verilog reads each buffer: distinct reads per iteration, banks each can reach,
padding guards. What ``rtl_costs`` needs beyond the schedule for ``flow="yosys"``.

The Verilog backend (``fpgalab.backends.verilog.layer``) issues, per iteration, one read per
unrolled copy and operand, shares the reads of copies that address the same element, and gives a
read whose bank depends on the iteration (a convolution window sliding over a partitioned image)
a port on every bank it can reach and a multiplexer choosing the arriving word. This module works
that out from the same loop programs (``fpgalab.backends.program``) and the schedule's unrolling,
by evaluating the index of every read over every iteration, as the backend does.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from fpgalab.backends import program as prog
from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes
from fpgalab.schedule import Schedule
from fpgalab.schedule.access import bank_of
from fpgalab.sim import fixed

MAX_ITERATIONS = 1 << 21  # beyond this a read is taken to reach every bank (the backend does the same)


@dataclass(frozen=True)
class ReadFacts:
    """One layer's reads of one buffer in one iteration."""

    reads: int  # distinct reads (copies addressing the same element share one)
    reach: int  # banks the reads reach, summed over the reads (reads x 1 when every bank is static)
    guarded: int  # reads with padding guards (an index test and a fill value)
    dims: int  # dimensions of the buffer's index arithmetic (its shape without unit dimensions)
    offsets: int = 0  # distinct offsets within a bank among the reads (equal address logic is shared)


def offset_of(index: tuple, shape: tuple, partition: tuple) -> np.ndarray:
    """The offset of each element within its bank (``verilog_memory.Memory.bank_offset``)."""
    offset = np.zeros(np.shape(index[0]) if index else (1,), dtype=np.int64)
    for d, size in enumerate(shape):
        spec = partition[d] if d < len(partition) else None
        kind, factor = (spec.kind, spec.factor) if spec is not None else ("none", 1)
        if kind == "cyclic" and factor > 1:
            per, value = math.ceil(size / min(factor, size)), index[d] // min(factor, size)
        elif kind == "block" and factor > 1:
            per = math.ceil(size / factor)
            value = index[d] % per
        elif kind == "complete" and size > 1:
            per, value = 1, 0 * index[d]
        else:
            per, value = size, index[d]
        offset = offset * per + value
    return offset


def rom_columns(kernel, schedule: Schedule) -> dict[str, float]:
    """For each constant buffer, the distinct non-constant bit columns of a bank's words
    (averaged over its banks): what Yosys keeps of a ROM in logic (a constant column is a wire,
    equal columns share their logic and register; untrained biases are all zero)."""

    buffers = {buf.name: buf for buf in schedule.buffers}
    result = {}
    for constant in kernel_constants(kernel):
        buf = buffers.get(constant.name)
        if buf is None or not hasattr(constant.dtype, "frac"):
            continue
        values = np.asarray(constant.value, dtype=np.float32).reshape(buf.shape)
        words = np.asarray(fixed.from_float(values.reshape(-1), constant.dtype), dtype=np.int64)
        words &= (1 << buf.width) - 1
        grid = tuple(np.indices(buf.shape).reshape(len(buf.shape), -1)) if buf.shape else (np.zeros(1, np.int64),)
        banks = np.asarray(bank_of(grid, buf.shape, buf.partition)).reshape(-1) if buf.shape else np.zeros(1, np.int64)
        total = 0
        for bank in np.unique(banks):
            mine = words[banks == bank]
            columns = {
                ((mine >> bit) & 1).tobytes()
                for bit in range(buf.width)
                if ((mine >> bit) & 1).min() != ((mine >> bit) & 1).max()
            }
            total += len(columns)
        result[constant.name] = total / max(1, len(np.unique(banks)))
    return result


def _copies(loops, kind: str) -> list[dict]:
    unrolled = [lp for lp in loops if lp.unroll > 1 and lp.kind == kind]
    return [
        dict(zip([lp.name for lp in unrolled], combo))
        for combo in itertools.product(*[range(lp.unroll) for lp in unrolled])
    ]


def _env(loops, copy: dict, outer: dict):
    """Every iteration's loop values; ``outer``: index variables set outside the layer (a loop
    layer's step ``t``), name -> number of values, enumerated as the backend does."""
    counted = [lp for lp in loops if not (lp.role == "unrolled" and lp.iterations == 1)]
    sizes = [lp.iterations for lp in counted] + list(outer.values())
    if math.prod(sizes) > MAX_ITERATIONS:
        return None
    grids = np.indices(sizes).reshape(len(sizes), -1) if sizes else np.zeros((0, 1), dtype=np.int64)
    env = {lp.name: grids[k] * lp.unroll + copy.get(lp.name, 0) for k, lp in enumerate(counted)}
    env.update({name: grids[len(counted) + k] for k, name in enumerate(outer)})
    for lp in loops:
        env.setdefault(lp.name, np.full(grids.shape[1], copy.get(lp.name, 0)))
    return env


def _args(expr) -> set[int]:

    if isinstance(expr, (ir.Arg, prog.Valid)):
        return {expr.index}
    return set().union(*(_args(a) for a in expr.args)) if getattr(expr, "args", None) else set()


def _sites(program, loops) -> list[tuple[int, dict]]:
    """(read, copy) of every read the datapath issues in one iteration (``LayerReads.read_sites``)."""
    steps = _args(program.step) if program.step is not None else set()
    sites = []
    for scopy in _copies(loops, "spatial"):
        sites += [(k, scopy) for k in range(len(program.reads)) if k not in steps]
        sites += [(k, {**scopy, **rcopy}) for rcopy in _copies(loops, "reduce") for k in sorted(steps)]
    return sites


def _evaluate(read, buf, loops, copy, k: int, outer: dict):
    """(identity of the element read in every iteration, banks reached, offsets) of one read."""

    env = _env(loops, copy, outer)
    if env is None or any(isinstance(ix, prog.IRead) for ix in read.index):  # a row read from data: any bank
        return (read.buffer, k, tuple(sorted(copy.items()))), buf.banks, None
    size = next(iter(env.values())).shape
    index = tuple(np.broadcast_to(np.asarray(prog.i_eval(ix, env)), size) for ix in read.index)
    ok = np.ones(size, dtype=bool)
    for ix, bound in read.guards:
        value = np.asarray(prog.i_eval(ix, env))
        ok &= (value >= 0) & (value < bound)
    banks = 1
    if buf.banks > 1 and ok.any():
        banks = len(np.unique(np.asarray(bank_of(tuple(i[ok] for i in index), buf.shape, buf.partition))))
    key = (read.buffer, b"".join(i.tobytes() for i in index), ok.tobytes())
    return key, banks, offset_of(index, buf.shape, buf.partition).tobytes()


def _layer_programs(kernel, schedule: Schedule, tables: dict, table_type):
    """(program, its layer's schedule, outer index variables) of every layer the RTL builds: a
    loop layer's are its copies and its cell's layers (``verilog.loop``), its copies reading at
    the step ``t``."""
    storage, shapes = prog.storage_buffers(kernel), kernel_shapes(kernel)
    for program in prog.kernel_programs(kernel, tables, table_type, loops=True):
        layer = schedule.layer(program.name)
        if not isinstance(program, prog.LoopProgram):
            yield program, layer, {}
            continue
        inner = {each.name: each for each in layer.cell + layer.copy_layers}
        for _, copy in prog.step_copy_programs(program.node, storage, shapes):
            yield copy, inner[copy.name], {"t": program.node.trips}
        for each in prog.kernel_programs(program.node.body, tables, table_type):
            yield each, inner[each.name], {}


def kernel_constants(kernel) -> list:
    """The constants of a kernel and of its loops' bodies."""
    constants = list(kernel.constants)
    for node in kernel.nodes:
        if isinstance(node, ir.Loop):
            constants += kernel_constants(node.body)
    return constants


def layer_reads(kernel, schedule: Schedule, tables: dict, table_type) -> dict[str, dict[str, ReadFacts]]:
    """``ReadFacts`` per layer (by name) and buffer read."""

    buffers = {buf.name: buf for buf in schedule.buffers}
    result = {}
    for program, layer, outer in _layer_programs(kernel, schedule, tables, table_type):
        by_name = {lp.name: lp for lp in layer.loops}
        loops = [by_name[lp.name] for lp in program.loops]
        seen, counts, offsets = set(), {}, {}
        for k, copy in _sites(program, loops):
            read = program.reads[k]
            key, banks, offset = _evaluate(read, buffers[read.buffer], loops, copy, k, outer)
            offsets.setdefault(read.buffer, set()).add(offset if offset is not None else key)
            if key in seen:
                continue  # copies addressing the same element share one read
            seen.add(key)
            reads, reach, guarded = counts.get(read.buffer, (0, 0, 0))
            counts[read.buffer] = (reads + 1, reach + max(1, banks), guarded + bool(read.guards))
        result[layer.name] = {
            name: ReadFacts(
                reads, reach, guarded, sum(1 for size in buffers[name].shape if size > 1), len(offsets[name])
            )
            for name, (reads, reach, guarded) in counts.items()
        }
    return result
