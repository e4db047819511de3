"""Text form of a kernel, for the Code view, golden tests and debugging."""

from __future__ import annotations

from . import nodes as ir
from .loops import kernel_shapes, loop_nest


def _shape(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def format_expr(expr) -> str:
    if isinstance(expr, ir.Arg):
        return f"%{expr.index}"
    if isinstance(expr, ir.Const):
        return f"{expr.value:g}"
    return f"{expr.op}({', '.join(format_expr(a) for a in expr.args)})"


_SKIP = {"name", "inputs", "shape", "dtype", "layer", "op_name", "expr", "acc"}


def _attributes(node: ir.Node) -> str:
    parts = []
    for key, value in vars(node).items():
        if key in _SKIP or value in ((), None, "") or (key == "in_dims" and isinstance(node, ir.Elementwise)):
            continue
        parts.append(f"{key}={value}")
    if isinstance(node, ir.Elementwise):
        parts.insert(0, format_expr(node.expr))
        if any(d != tuple(range(len(node.shape))) for d in node.in_dims):
            parts.append(f"in_dims={node.in_dims}")
    if hasattr(node, "acc") and not isinstance(node, (ir.Pool, ir.Reduce)) or getattr(node, "kind", "") == "sum":
        parts.append(f"acc={node.acc}")
    return " ".join(parts)


def format_kernel(kernel: ir.Kernel, loops: bool = True) -> str:
    shapes = kernel_shapes(kernel)
    args = ", ".join(f"{i.name}: {i.dtype}{_shape(i.shape)}" for i in kernel.inputs)
    lines = [f"kernel {kernel.name}({args}) -> ({', '.join(kernel.outputs)})"]
    for c in kernel.constants:
        lines.append(f"  rom {c.name}: {c.dtype}{_shape(c.shape)}  # {c.role}")
    for node in kernel.nodes:
        kind = type(node).__name__.lower()
        attributes = _attributes(node)
        lines.append(f"  {node.name}: {node.dtype}{_shape(node.shape)} = {kind}({', '.join(node.inputs)})"
                     + (f" {attributes}" if attributes else "") + (f"  # {node.layer}" if node.layer else ""))
        if loops:
            nest = loop_nest(node, shapes)
            if nest:
                lines.append("      loops " + " ".join(f"{lp.name}{'*' if lp.kind == 'reduce' else ''}:{lp.trip}"
                                                      for lp in nest))
    return "\n".join(lines)
