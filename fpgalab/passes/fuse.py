"""Fuse chains of elementwise nodes into one node with one loop and one expression.

A producer is fused into its consumer when the consumer is its only reader, reads it at the
same index (no broadcast, which would recompute it) and it is not a kernel output. Inside the
fused expression the producer's operation keeps full precision (``Op.dtype = None``), as a
single C++ expression does in HLS: ``exp_table[index(x[i] - x_max)]`` never stores, and so
never wraps, the difference. Only the stored result is converted to the node's type.

A node of a type the model gives (a QONNX ``Quant``, ``given_type``) takes in the chain before it,
which then computes at full precision and is rounded once, by the Quant; it is never itself folded
into a later node, where its rounding would be lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BoolType, is_integer_type


def _substitute(expr, position: int, replacement_of):
    """Replace Arg(position) by the producer's expression; other args are renumbered by ``replacement_of``."""
    if isinstance(expr, ir.Arg):
        return replacement_of(expr.index)
    if isinstance(expr, ir.Op):
        return ir.Op(expr.op, tuple(_substitute(a, position, replacement_of) for a in expr.args), expr.dtype)
    return expr


def _inner(expr):
    """The producer's root operation, now an inner operation of full precision (compares stay 1-bit,
    integer operations keep their type: XLA's integers wrap at every operation)."""
    if is_integer_type(getattr(expr, "dtype", None)):
        return expr
    if isinstance(expr, ir.Op) and expr.op not in ("cmp_eq", "cmp_ne", "cmp_lt", "cmp_le", "cmp_gt", "cmp_ge"):
        return ir.Op(expr.op, expr.args, None)
    return expr


def fuse_pair(producer: ir.Elementwise, consumer: ir.Elementwise) -> ir.Elementwise:
    """The consumer with the producer folded into its expression."""
    position = consumer.inputs.index(producer.name)
    inputs, in_dims = [], []

    def slot(name, dims) -> int:
        for k, (n, d) in enumerate(zip(inputs, in_dims)):
            if n == name and d == dims:
                return k
        inputs.append(name)
        in_dims.append(dims)
        return len(inputs) - 1

    consumer_slots = {}
    for k, (name, dims) in enumerate(zip(consumer.inputs, consumer.in_dims)):
        if k != position:
            consumer_slots[k] = slot(name, dims)
    producer_slots = {k: slot(name, dims) for k, (name, dims) in enumerate(zip(producer.inputs, producer.in_dims))}
    producer_expr = _substitute(_inner(producer.expr), -1, lambda i: ir.Arg(producer_slots[i]))

    def replacement(i):
        return producer_expr if i == position else ir.Arg(consumer_slots[i])

    expr = _substitute(consumer.expr, position, replacement)
    return consumer.replace(
        inputs=tuple(inputs), in_dims=tuple(in_dims), expr=expr, layer=consumer.layer or producer.layer
    )


def _integer_kind(node: ir.Elementwise):
    """The integer type a node computes in, or None. Integer work (token ids wrapped by Keras's
    Embedding) is fused only with integer work of the same type, so that it keeps its exact type
    (a comparison of integers fuses anywhere: precision assignment types its constants by its operands)."""
    return node.dtype if is_integer_type(node.dtype) and not node.given_type else None


@dataclass(frozen=True)
class FuseElementwise:
    name: str = "fuse_elementwise"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        nodes = list(kernel.nodes)
        changed = True
        while changed:
            changed = False
            users: dict[str, list[ir.Node]] = {}
            for n in nodes:
                for i in set(n.inputs):
                    users.setdefault(i, []).append(n)
            for producer in nodes:
                readers = users.get(producer.name, [])
                if not isinstance(producer, ir.Elementwise) or len(readers) != 1 or producer.name in kernel.outputs:
                    continue
                if producer.given_type:  # a QONNX Quant's rounding is stored, not lost inside another expression
                    continue
                consumer = readers[0]
                if not isinstance(consumer, ir.Elementwise) or consumer.inputs.count(producer.name) != 1:
                    continue
                if _integer_kind(producer) != _integer_kind(consumer) and not isinstance(producer.dtype, BoolType):
                    continue
                position = consumer.inputs.index(producer.name)
                if consumer.in_dims[position] != tuple(range(len(consumer.shape))) or producer.shape != consumer.shape:
                    continue
                fused = fuse_pair(producer, consumer)
                nodes = [fused if n is consumer else n for n in nodes if n is not producer]
                changed = True
                break
        return kernel.replace(nodes=tuple(nodes))
