"""Text form of a kernel, for the Code view, golden tests and debugging."""

from __future__ import annotations

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes, loop_nest


def _shape(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def format_expr(expr) -> str:
    if isinstance(expr, ir.Arg):
        return f"%{expr.index}"
    if isinstance(expr, ir.Const):
        return f"{expr.value:g}"
    return f"{expr.op}({', '.join(format_expr(a) for a in expr.args)})"


_SKIP = {"name", "inputs", "shape", "dtype", "layer", "op_name", "expr", "acc", "directives"}


def format_directives(directives: ir.Directives) -> str:
    """The directives that differ from Vitis defaults, as pragma-like text ("" when none)."""
    if directives.fused_into:
        return f"fused into {directives.fused_into}"
    parts = []
    if not directives.pipeline:
        parts.append("pipeline off")
    else:
        if directives.ii != 1 or directives.pipeline_loop:
            parts.append(
                f"pipeline{' ' + directives.pipeline_loop if directives.pipeline_loop else ''} ii={directives.ii}"
            )
        if directives.flatten != "auto":
            parts.append(f"flatten={directives.flatten}")
    parts += [f"unroll {loop}={factor}" for loop, factor in directives.unroll if factor != 1]
    return ", ".join(parts)


def format_buffer_spec(spec: ir.BufferSpec) -> str:
    parts = []
    partition = [
        f"{d}:{p.kind}" + (f"/{p.factor}" if p.kind in ("cyclic", "block") else "")
        for d, p in enumerate(spec.partition)
        if p.kind != "none"
    ]
    if partition:
        parts.append(("reshape " if spec.reshape else "partition ") + " ".join(partition))
    if spec.storage != "auto":
        parts.append(f"storage={spec.storage}")
    if spec.channel != "auto":
        parts.append(f"channel={spec.channel}")
    if spec.depth:
        parts.append(f"depth={spec.depth}")
    return ", ".join(parts)


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
    lines = [
        f"kernel {kernel.name}({args}) -> ({', '.join(kernel.outputs)})" + ("  # dataflow" if kernel.dataflow else "")
    ]
    for c in kernel.constants:
        lines.append(f"  rom {c.name}: {c.dtype}{_shape(c.shape)}  # {c.role}")
    for node in kernel.nodes:
        kind = type(node).__name__.lower()
        attributes = _attributes(node)
        lines.append(
            f"  {node.name}: {node.dtype}{_shape(node.shape)} = {kind}({', '.join(node.inputs)})"
            + (f" {attributes}" if attributes else "")
            + (f"  # {node.layer}" if node.layer else "")
        )
        directives = format_directives(node.directives)
        if directives:
            lines.append(f"      #pragma {directives}")
        if loops:
            nest = loop_nest(node, shapes)
            if nest:
                lines.append(
                    "      loops " + " ".join(f"{lp.name}{'*' if lp.kind == 'reduce' else ''}:{lp.trip}" for lp in nest)
                )
        if isinstance(node, ir.Loop):  # the body, built once, indented under its loop
            lines += ["      " + line for line in format_kernel(node.body, loops).splitlines()]
    for spec in kernel.buffer_specs:
        text = format_buffer_spec(spec)
        if text:
            lines.append(f"  buffer {spec.name}: {text}")
    return "\n".join(lines)
