"""ONNX Einsum onto the IR's ``Dot``, ``Reduce``, ``Transpose`` and ``Elementwise`` nodes.

The equation's operands are taken left to right, two at a time. A label only one operand has and
nothing later needs is summed away first (a ``Reduce``); of the two operands' common labels, those
still needed are batch dimensions and the others are contracted -- one ``Dot`` (or, with nothing to
contract, a broadcast multiply) whose result is ordered batch, left free, right free; a ``Transpose``
gives the output's order. ``...`` stands for the same leading dimensions in every operand. A label
repeated within one operand (a diagonal or trace) is refused.
"""

from __future__ import annotations

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import View
from fpgalab.frontend.onnx.reductions import reduce_node
from fpgalab.frontend.onnx.rules import rule, shape_of, transpose
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir

ELLIPSIS_LABELS = "0123456789"  # labels no equation uses, for the dimensions ``...`` covers


def parse(site, equation: str, shapes) -> tuple[list[str], str]:
    """Each operand's labels and the output's, with ``...`` spelled out as digit labels."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise CompileError(
            f"{site.where()}: equation {equation!r} names {len(terms)} operands, the node has {len(shapes)}"
        )
    spans = [len(shape) - len(term.replace("...", "")) for term, shape in zip(terms, shapes)]
    widest = max([s for t, s in zip(terms, spans) if "..." in t], default=0)
    fill = ELLIPSIS_LABELS[:widest]
    labels = []
    for term, span in zip(terms, spans):
        spelled = term.replace("...", fill[widest - span :]) if "..." in term else term
        if len(spelled) != len(shapes[len(labels)]):
            raise CompileError(f"{site.where()}: {term!r} does not label the {len(shapes[len(labels)])} dimensions")
        if len(set(spelled)) != len(spelled):
            raise CompileError(f"{site.where()}: {term!r} repeats a label (a diagonal or trace); not supported")
        labels.append(spelled)
    if arrow:
        output = output.replace("...", fill)
    else:  # implicit: the ellipsis, then every label used once, in alphabetical order
        counts = "".join(labels)
        output = fill + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in fill))
    return labels, output


def _sum_away(lw, site, value, labels: str, keep: set) -> tuple[object, str]:
    gone = tuple(k for k, c in enumerate(labels) if c not in keep)
    if not gone:
        return value, labels
    return reduce_node(lw, site, value, "sum", gone), "".join(c for c in labels if c in keep)


def _order(lw, site, value, labels: str, wanted: str):
    return transpose(lw, site, value, tuple(labels.index(c) for c in wanted))


def _pair(lw, site, lhs, left: str, rhs, right: str, needed: set):
    batch = "".join(c for c in left if c in right and c in needed)
    contract = "".join(c for c in left if c in right and c not in needed)
    left_free = "".join(c for c in left if c not in right)
    right_free = "".join(c for c in right if c not in left)
    sizes = dict(zip(left, shape_of(lhs)))
    for c, n in zip(right, shape_of(rhs)):
        if sizes.setdefault(c, n) != n:
            raise CompileError(f"{site.where()}: label {c!r} has sizes {sizes[c]} and {n}")
    result = batch + left_free + right_free
    shape = tuple(sizes[c] for c in result)
    if not contract:  # an outer product over the batch: a broadcast multiply
        a = View(
            _order(lw, site, lhs, left, batch + left_free), tuple(result.index(c) for c in batch + left_free), shape
        )
        b = View(
            _order(lw, site, rhs, right, batch + right_free), tuple(result.index(c) for c in batch + right_free), shape
        )
        return elementwise(lw, site.at(shape), "mul", [a, b]), result
    buffers = [lw.buffer(v, f"{site.name}_in{k}", site.op_name) for k, v in enumerate((lhs, rhs))]
    node = ir.Dot(
        lw.fresh(site.name), tuple(b.name for b in buffers), shape, **lw.common(site),
        lhs_contract=tuple(left.index(c) for c in contract), rhs_contract=tuple(right.index(c) for c in contract),
        lhs_batch=tuple(left.index(c) for c in batch), rhs_batch=tuple(right.index(c) for c in batch),
    )  # fmt: skip
    return lw.fold_or_add(node, [lhs, rhs]), result


@rule("Einsum")
def _einsum(lw, site, args):
    labels, output = parse(site, str(site.attr("equation", "")), [shape_of(a) for a in args])
    value, current = args[0], labels[0]
    for k in range(len(args)):
        later = set(output).union(*labels[k + 1 :])
        if k == 0:
            value, current = _sum_away(lw, site, value, current, later | set(labels[1] if len(labels) > 1 else ""))
            continue
        other, other_labels = _sum_away(lw, site, args[k], labels[k], later | set(current))
        value, current = _pair(lw, site, value, current, other, other_labels, later)
    if set(current) != set(output):
        raise CompileError(f"{site.where()}: output labels {output!r} are not the operands' {current!r}")
    return _order(lw, site, value, current, output)
