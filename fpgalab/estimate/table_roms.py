"""The function tables of fpgalab's Verilog as Yosys builds them: LUT ROMs priced by their contents.

fpgalab's RTL reads a function table (exp, tanh, sigmoid, reciprocal, ...) in the cycle its index
is ready, so Yosys cannot use block RAM and builds the ROM from LUTs (``table_lookup`` with
``flow="yosys"``). What such a ROM costs depends on its words far more than on its size: a
saturating sigmoid has few bits that change, an exponential many. ``table_roms(kernel, ...)``
gives, for every elementwise node, the words of each table it reads, and ``logic_rom_luts``
prices words the way ABC maps them.

Tables in series within one expression of a single input (``sigmoid(exp(tanh(x)))``) are, after
the first table's index, a function of that index alone: ABC maps the whole chain as one ROM of
the composed function (``TableRom.absorbed`` for the later tables).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from fpgalab.costs.memory import table_lookup
from fpgalab.costs.operators import _cost, _lut4
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType
from fpgalab.sim.elementwise import evaluate_expr
from fpgalab.sim.tables import table_index, table_mantissas
from fpgalab.sim.values import SimContext, SimValue

LEAF_WORDS = 64  # words one LUT6 holds for one output bit
# LUTs per distinct non-constant 64-word leaf of a bit column, the mux tree above the leaves
# included. Source: Yosys synth_xilinx -family xcup of the default 1024-entry tables alone, read
# combinationally: exp 231 LUT / 117 leaves, tanh 173 / 97, sigmoid 155 / 92, reciprocal 139 / 76,
# rsqrt 170 / 95, sqrt 230 / 148 (ap_fixed<18,8>), exp 291 / 163 and reciprocal 141 / 76
# (ap_fixed<16,6>): 1.55 to 1.97, mean 1.8.
LUTS_PER_LEAF = 1.8
# The same ROM behind the index arithmetic of a layer (subtract, clamp, shift, clamp) and in front
# of what uses its word costs more: ABC folds that logic into the leaves. Source: attribution of
# the synthesized softmax_8 naive (the exp path 560 LUT, the reciprocal path 207, against 294 and
# 137 for the tables alone; the exp table with only its index logic: 470) and the fit of
# rtl_costs (bench/FIDELITY.md rows softmax, mnist_softmax, lenet5_fc3_softmax, lenet5).
IN_CONTEXT = 1.6
MAX_ENUMERATED = 1 << 16  # input values tried to find a chain's composed function


@dataclass(frozen=True)
class TableRom:
    """One table read of an expression: its words (``width`` bits each), or ``absorbed`` into the
    ROM of the composed chain that an earlier table of the expression starts."""

    function: str
    words: tuple[int, ...]
    width: int
    absorbed: bool = False


def logic_rom_luts(words, width: int) -> int:
    """LUT6s of a ROM of ``words`` read combinationally: LUTS_PER_LEAF x the distinct non-constant
    64-word leaves of the distinct non-constant bit columns (a constant column, or a copy of
    another, costs nothing). Source: see LUTS_PER_LEAF."""
    words = np.asarray(words, dtype=np.int64) & ((1 << width) - 1)
    if words.size == 0:
        return 0
    padded = np.concatenate([words, np.full((-words.size) % LEAF_WORDS, words[-1])])
    columns, leaves = set(), 0
    for bit in range(width):
        column = (padded >> bit) & 1
        key = column.tobytes()
        if column.min() == column.max() or key in columns:
            continue
        columns.add(key)
        chunks = {c.tobytes() for c in column.reshape(-1, LEAF_WORDS) if c.min() != c.max()}
        leaves += max(1, len(chunks))
    return math.ceil(LUTS_PER_LEAF * leaves)


def _table_ops(expr) -> list:
    """The table operations of ``expr`` in the order ``fpgalab.schedule.operators.expression_ops`` lists them
    (post-order; a division by a constant needs no table)."""
    if not isinstance(expr, ir.Op):
        return []
    found = [op for arg in expr.args for op in _table_ops(arg)]
    if expr.op in ir.TABLE_OPS and not (expr.op == "div" and isinstance(expr.args[1], ir.Const)):
        found.append(expr)
    return found


def _args(expr) -> set[int]:
    if isinstance(expr, ir.Arg):
        return {expr.index}
    if isinstance(expr, ir.Op):
        return set().union(*(_args(a) for a in expr.args)) if expr.args else set()
    return set()


def _composed(node: ir.Elementwise, first, input_type, tables: dict, table_type):
    """The words of the chain from ``first``'s index to the node's output, or None when the output
    is not a function of that index alone."""

    count = 1 << input_type.width
    if count <= MAX_ENUMERATED:
        mantissas = np.arange(count, dtype=np.int64)
    else:
        mantissas = np.linspace(0, count - 1, MAX_ENUMERATED).astype(np.int64)
    if input_type.signed:
        mantissas = mantissas - (count >> 1)
    operands = [SimValue(mantissas, input_type)] * len(node.inputs)
    ctx = SimContext(tables=dict(tables), table_type=table_type)
    argument = evaluate_expr(first.args[1] if first.op == "div" else first.args[0], operands, ctx)
    if not isinstance(argument.dtype, FixedType):
        return None
    spec = tables[ir.TABLE_OPS[first.op]]
    index = table_index(argument.array, argument.dtype.frac, spec)
    output = evaluate_expr(node.expr, operands, ctx)
    if not isinstance(output.dtype, FixedType):
        return None
    order = np.argsort(index, kind="stable")
    index, values = index[order], np.asarray(output.array)[order]
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    if np.any(values != values[starts][np.searchsorted(index[starts], index, side="right") - 1]):
        return None  # the output depends on more than the index
    return tuple(int(v) for v in values[starts]), output.dtype.width


def table_roms(kernel: ir.Kernel, tables: dict, table_type) -> dict[str, tuple[TableRom, ...]]:
    """For every elementwise node reading tables, its ``TableRom`` per table operation, in the
    order of the schedule's table operators."""
    types = {name: buf.dtype for name, buf in kernel.buffers().items()}
    result = {}
    for node in kernel.nodes:
        if isinstance(node, ir.Loop):  # the cell's layers are layers of the RTL
            result.update(table_roms(node.body, tables, table_type))
        if not isinstance(node, ir.Elementwise):
            continue
        ops = _table_ops(node.expr)
        if not ops:
            continue
        result[node.name] = _node_roms(node, ops, tuple(types[name] for name in node.inputs), tables, table_type)
    return result


def _node_roms(node, ops, input_types, tables, table_type) -> tuple[TableRom, ...]:
    if not isinstance(table_type, FixedType):
        return ()
    roms = []
    for op in ops:  # the words are in the operation's type (a reciprocal in the table type), as the RTL stores them
        word_type = table_type if op.op == "div" or op.dtype is None else op.dtype
        if not isinstance(word_type, FixedType):
            return ()
        function = ir.TABLE_OPS[op.op]
        roms.append(TableRom(function, _cached_words(function, tables[function], word_type), word_type.width))
    used = _args(node.expr)
    if len(used) == 1 and isinstance(input_types[next(iter(used))], FixedType):
        composed = _composed(node, ops[0], input_types[next(iter(used))], tables, table_type)
        if composed is not None:
            words, width = composed
            roms = [TableRom(roms[0].function, words, width)] + [
                TableRom(r.function, (), r.width, True) for r in roms[1:]
            ]
    return tuple(roms)


@functools.lru_cache(maxsize=64)
def _cached_words(function: str, spec, word_type) -> tuple[int, ...]:
    """The ROM words of ``spec`` in ``word_type`` (``sim.tables.table_mantissas``, as the RTL's .hex)."""

    return tuple(int(w) for w in table_mantissas(spec, word_type))


def table_rom_cost(index_width: int, table: TableRom, device):
    """One read of ``table`` in fpgalab's RTL: its LUT ROM (``IN_CONTEXT`` x ``logic_rom_luts``)
    and the index offset and clamp (``table_lookup``'s index_width + 1 LUT), or nothing when the
    ROM of an earlier table in the chain absorbed it. LUT4 parts: ``table_lookup(flow="yosys")``
    by size (the leaf model is calibrated on LUT6 only)."""

    if table.absorbed:
        return _cost(
            f"{table.function} table: absorbed into the ROM of the chain it follows (one function of "
            "the first table's index)"
        )
    if _lut4(device):
        return table_lookup(index_width, len(table.words), table.width, device, flow="yosys")
    rom = logic_rom_luts(table.words, table.width)
    luts = math.ceil(IN_CONTEXT * rom) + index_width + 1
    return _cost(
        f"{table.function} table of {len(table.words)} x {table.width} in LUTs: {IN_CONTEXT:g} x {rom} "
        f"(its words: {LUTS_PER_LEAF:g} LUT per distinct 64-word leaf) + {index_width + 1} LUT index",
        lut=luts,
    )
