"""hls4ml's division and softmax semantics on a typed kernel (``tables="hls4ml"``).

Two rewrites, each with operations every backend already has, so the simulator, the HLS C++, the
LLVM module and the Verilog compute hls4ml's bits the same way:

- **average pooling** (``nnet_pooling.h`` ``avg``: ``y /= length`` on the sum in ``accum_t``): an
  integer division of the sum's mantissa, truncating toward zero, where fpgalab multiplies by
  the reciprocal. ``x / n`` (``n`` a positive whole constant) becomes ``x * c`` assigned to
  ``x``'s own fraction bits with ``AP_TRN_ZERO``, with ``c = ceil(2**k / n) / 2**k`` and ``k``
  large enough that ``trunc(m * c) == trunc(m / n)`` for every mantissa ``m`` of ``x`` (the error
  ``|m| (c - 1/n) < 2**-k |m|`` stays below ``1/n``, the smallest distance of ``m / n`` from the
  next integer toward zero).
- **softmax** (``softmax_stable``): ``exp(x - max)`` becomes ``exp(-(max - x))`` with
  ``max - x`` held in hls4ml's ``inp_norm_t`` (``ap_ufixed<W-1, I-1>``, wrapping), read by the
  mirrored exp table of ``fpgalab.sim.hls4ml_tables.softmax_tables``; the reciprocal table is
  hls4ml's 1/x table. Every softmax of a design shares one exp table, so their inputs must have
  one type.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType
from fpgalab.passes.softmax import _difference_from_max
from fpgalab.sim.hls4ml_tables import SOFTMAX_TABLE_T, norm_type, softmax_tables


def _arg_type(expr, node: ir.Elementwise, buffers):
    if isinstance(expr, ir.Arg):
        return buffers[node.inputs[expr.index]].dtype
    return getattr(expr, "dtype", None)


def _whole_divisor(expr) -> int | None:
    divisor = expr.args[1]
    if isinstance(divisor, ir.Const) and float(divisor.value).is_integer() and divisor.value >= 1:
        return int(divisor.value)
    return None


def truncating_division(x, x_type: FixedType, n: int, dtype) -> ir.Op:
    """``x / n`` as ``trunc`` of the mantissa division, at ``x_type``'s fraction bits, then ``dtype``."""
    k = x_type.width + n.bit_length() + 2
    scale = -(-(1 << k) // n)  # ceil(2**k / n)
    const_type = FixedType(k + 2, 2, True)
    held = FixedType(x_type.width + 1, x_type.integer + 1, True, "AP_TRN_ZERO", "AP_WRAP")
    product = ir.Op("mul", (x, ir.Const(scale / 2**k, const_type)), held)
    return ir.Op("convert", (product,), dtype) if dtype is not None else product


class _Rewriter:
    def __init__(self, kernel: ir.Kernel):
        self.buffers = kernel.buffers()
        self.producers = {n.name: n for n in kernel.nodes}

    def expr(self, expr, node: ir.Elementwise):
        if not isinstance(expr, ir.Op):
            return expr
        args = tuple(self.expr(a, node) for a in expr.args)
        if expr.op == "div" and _whole_divisor(expr) is not None:
            x_type = _arg_type(args[0], node, self.buffers)
            if isinstance(x_type, FixedType):
                return truncating_division(args[0], x_type, _whole_divisor(expr), expr.dtype)
        if (
            expr.op == "exp"
            and isinstance(expr.dtype, FixedType)
            and _difference_from_max(node, expr.args[0], self.producers)
        ):
            x, peak = expr.args[0].args
            x_type = _arg_type(x, node, self.buffers)
            if isinstance(x_type, FixedType):
                distance = ir.Op("sub", (peak, x), norm_type(x_type))
                return ir.Op("exp", (ir.Op("neg", (distance,), None),), expr.dtype)
        return ir.Op(expr.op, args, expr.dtype)


@dataclass(frozen=True)
class Hls4mlSemantics:
    """The rewrites above on a typed kernel; ``hls_passes`` runs it first when ``tables="hls4ml"``.

    A softmax's exponentials and their sum take hls4ml's ``accum_t`` (``exp_res``, ``exp_sum``:
    ``ap_fixed<18,8,AP_RND,AP_SAT>``) instead of the layer's result type."""

    name: str = "hls4ml_semantics"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        rewriter = _Rewriter(kernel)
        nodes, exponentials = [], set()
        for node in kernel.nodes:
            if isinstance(node, ir.Elementwise) and isinstance(node.dtype, FixedType):
                expr = rewriter.expr(node.expr, node)
                if expr != node.expr and expr.op == "exp" and expr.args[0] != node.expr.args[0]:
                    expr = ir.Op("exp", expr.args, SOFTMAX_TABLE_T)
                    node = node.replace(expr=expr, dtype=SOFTMAX_TABLE_T)
                    exponentials.add(node.name)
                node = node if expr == node.expr else node.replace(expr=expr)
            elif isinstance(node, ir.Reduce) and node.kind == "sum" and node.inputs[0] in exponentials:
                node = node.replace(acc=SOFTMAX_TABLE_T, dtype=SOFTMAX_TABLE_T)
            nodes.append(node)
        softmax_input_type(kernel.replace(nodes=tuple(nodes)))  # one exp table per design: refuse two types
        return kernel.replace(nodes=tuple(nodes))


def softmax_input_type(kernel: ir.Kernel) -> FixedType | None:
    """The input type of the kernel's rewritten softmaxes (``exp(-(max - x))``), or None without one."""
    buffers, found = kernel.buffers(), set()
    for node in kernel.nodes:
        if not isinstance(node, ir.Elementwise):
            continue
        for op in ir.expr_ops(node.expr):
            inner = op.args[0] if op.op == "exp" else None
            if isinstance(inner, ir.Op) and inner.op == "neg" and isinstance(inner.args[0], ir.Op):
                distance = inner.args[0]
                if distance.op == "sub" and isinstance(distance.args[1], ir.Arg):
                    found.add(buffers[node.inputs[distance.args[1].index]].dtype)
    if len(found) > 1:
        raise ValueError(
            "tables='hls4ml': the softmaxes of this design read inputs of different types "
            f"({', '.join(sorted(map(str, found)))}) and a design has one exp table; "
            "give their inputs one type, or use tables='fpgalab'"
        )
    return next(iter(found)) if found else None


def hls4ml_tables(kernel: ir.Kernel, tables: dict) -> dict:
    """``tables`` with hls4ml's softmax exp and 1/x tables for the kernel's softmax input type (sizes as
    hls4ml sets them from its ``table_size``, ``softmax_tables``)."""
    input_type = softmax_input_type(kernel)
    if input_type is None:
        return tables
    # hls4ml's table_size for the softmax: the exp table's size as given (1024 unless set), or once
    # fitted the 1/x table's, which stays the same when fitted again
    fitted = tables["reciprocal"].style == "hls4ml"
    exp, reciprocal = softmax_tables(input_type, (tables["reciprocal"] if fitted else tables["exp"]).size)
    return {**tables, "exp": exp, "reciprocal": reciprocal}
