"""A softmax's internal types, from its number of classes: the sum of exponentials and the reciprocal table.

Keras's softmax lowers to ``e = exp(x - max(x))``, ``s = sum(e)`` and ``e / s`` (a reciprocal
table read times ``e``). The exponentials are at most about 1, so for ``N`` classes the sum lies
in ``[1, N]``: at the layer's result type (``ap_fixed<16,6>`` holds up to 32) a softmax over more
than ~32 classes wraps its sum and outputs garbage. hls4ml gives these values their own types
(``exp_table_t``, ``inv_table_t``); fpgalab derives them here from the graph:

- ``softmax_sums``: every sum of exponentials in the kernel with the largest value it can reach
  (``N`` times the largest exp table entry its arguments can read: about 1 when the argument is
  ``x - max(x)``, else the table's last entry);
- ``sum_type``: the sum's type, with the integer bits that bound needs and the fraction bits of
  the exponentials, so the sum is exact and never wraps (``AssignPrecision`` gives it to the sum
  unless the layer's ``accum`` says otherwise);
- ``fit_reciprocal_table``: the reciprocal table's range widened (at the same step) to reach the
  largest such sum when the user kept the default table, so ``1 / s`` is read, not clamped; and
  the log table's, the same way, when a log reads such a sum (log-softmax's ``log(s)``).
"""

from __future__ import annotations

import math
from dataclasses import replace

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType
from fpgalab.sim.tables import DEFAULT_TABLES, TableSpec

MAX_TABLE_SIZE = 1 << 16  # beyond it the reciprocal table keeps its size and its step grows


def _source(name: str, producers: dict) -> str:
    """The buffer ``name`` reads, looking through reshapes, broadcasts and transposes."""
    node = producers.get(name)
    while isinstance(node, ir.DATA_MOVEMENT) and len(node.inputs) == 1:
        name, node = node.inputs[0], producers.get(node.inputs[0])
    return name


def _producer(name: str, producers: dict) -> ir.Node | None:
    """The node that computes ``name`` (through data movement), or None for an input or constant."""
    return producers.get(_source(name, producers))


def _argument_at_most_zero(node: ir.Elementwise, producers: dict) -> bool:
    """Whether an ``exp`` node's argument is ``x - max(x)`` (so it is never above 0), computed in
    the node or by the node it reads (log-softmax keeps ``x - max(x)`` for its output too)."""
    arg = node.expr.args[0]
    if isinstance(arg, ir.Arg):
        difference = _producer(node.inputs[arg.index], producers)
        return isinstance(difference, ir.Elementwise) and _difference_from_max(difference, difference.expr, producers)
    return _difference_from_max(node, arg, producers)


def _difference_from_max(node: ir.Elementwise, arg, producers: dict) -> bool:
    if not (isinstance(arg, ir.Op) and arg.op == "sub" and all(isinstance(a, ir.Arg) for a in arg.args)):
        return False
    x_name, max_name = (node.inputs[a.index] for a in arg.args)
    peak = _producer(max_name, producers)
    return (
        isinstance(peak, ir.Reduce)
        and peak.kind == "max"
        and _source(peak.inputs[0], producers) == _source(x_name, producers)
    )


def _largest_exp(node: ir.Elementwise, producers: dict, table: TableSpec) -> float:
    """The largest table entry (before rounding to the output type) that node's inputs can read."""
    top = table.size - 1
    if _argument_at_most_zero(node, producers):
        top = min(top, max(0, math.floor((0.0 - table.lo) / table.step)))
    value = math.exp(table.lo + (top + 0.5) * table.step)
    if isinstance(node.dtype, FixedType):
        value = min(value, node.dtype.max_value)
    return value


def softmax_sums(kernel: ir.Kernel, exp_table: TableSpec | None = None) -> dict[str, float]:
    """Every sum of exponentials in ``kernel`` (by node name) with the largest value it can reach."""
    table = exp_table or DEFAULT_TABLES["exp"]
    producers = {n.name: n for n in kernel.nodes}
    shapes = kernel.buffers()
    sums = {}
    for node in kernel.nodes:
        if not (isinstance(node, ir.Reduce) and node.kind == "sum"):
            continue
        exp = _producer(node.inputs[0], producers)
        if not (isinstance(exp, ir.Elementwise) and isinstance(exp.expr, ir.Op) and exp.expr.op == "exp"):
            continue
        shape = shapes[node.inputs[0]].shape
        terms = math.prod(shape[d] for d in node.dims)
        sums[node.name] = terms * _largest_exp(exp, producers, table)
    return sums


def sum_type(bound: float, frac: int, like: FixedType) -> FixedType:
    """A signed type holding every value up to ``bound`` with ``frac`` fraction bits (modes of ``like``)."""
    integer = max(2, math.floor(math.log2(bound)) + 2) if bound > 0 else 2
    return FixedType(integer + max(frac, 0), integer, True, like.quant, like.overflow)


def fit_reciprocal_table(tables: dict, sums: dict[str, float], function: str = "reciprocal") -> dict:
    """``tables`` with the default reciprocal (or log) table widened to reach the largest softmax sum.

    The step (and so the accuracy for small sums) stays; the size grows by powers of two up to
    ``MAX_TABLE_SIZE``. A table the user chose is kept as given.
    """
    table = tables.get(function)
    if table != DEFAULT_TABLES[function] or not sums:
        return tables
    reach = max(sums.values())
    if reach < table.hi:
        return tables
    hi = float(2 ** math.ceil(math.log2(reach + table.step)))
    size = min(MAX_TABLE_SIZE, int(table.size * hi / table.hi))  # the default table starts at 0
    return {**tables, function: TableSpec(function, size, table.lo, hi)}


def _log_reads(kernel: ir.Kernel) -> set[str]:
    """The buffers (through data movement) that a ``log`` operation reads directly."""
    producers = {n.name: n for n in kernel.nodes}
    found = set()
    for node in kernel.nodes:
        if isinstance(node, ir.Elementwise):
            for op in ir.expr_ops(node.expr):
                if op.op == "log" and isinstance(op.args[0], ir.Arg):
                    found.add(_source(node.inputs[op.args[0].index], producers))
    return found


def fit_options(options, graphed: ir.Kernel):
    """``options`` (``fpgalab.options.Options``) with the reciprocal table reaching the softmax sums of
    ``graphed``, and the log table the sums a log reads."""
    sums = softmax_sums(graphed, options.tables["exp"])
    tables = fit_reciprocal_table(options.tables, sums)
    logged = _log_reads(graphed)
    tables = fit_reciprocal_table(tables, {k: v for k, v in sums.items() if k in logged}, "log")
    return options if tables is options.tables else replace(options, tables=tables)
