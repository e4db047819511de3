"""Structural checks of a kernel: every name defined once and before use, shapes consistent."""

from __future__ import annotations

import numpy as np

from fpgalab.ir import nodes as ir


class IRError(Exception):
    """The IR broke one of its invariants (a bug in a pass, never the user's fault)."""


def _expected_shape(node: ir.Node, shapes: dict) -> tuple[int, ...] | None:
    """The output shape a node's inputs imply, where it is simple to know."""
    if isinstance(node, ir.Transpose):
        return tuple(shapes[node.inputs[0]][p] for p in node.perm)
    if isinstance(node, ir.Reshape):
        if int(np.prod(shapes[node.inputs[0]], dtype=np.int64)) != int(np.prod(node.shape, dtype=np.int64)):
            raise IRError(f"{node.name}: reshape changes the element count")
        return tuple(node.shape)
    if isinstance(node, ir.Slice):
        return tuple(len(range(a, b, s)) for a, b, s in zip(node.starts, node.limits, node.strides))
    if isinstance(node, ir.Lookup):
        return tuple(shapes[node.inputs[1]]) + tuple(shapes[node.inputs[0]][1:])
    if isinstance(node, ir.Reverse):
        if any(not 0 <= d < len(node.shape) for d in node.dims):
            raise IRError(f"{node.name}: reverses dimensions {list(node.dims)} of a rank-{len(node.shape)} buffer")
        return tuple(shapes[node.inputs[0]])
    if isinstance(node, ir.Pad):
        return tuple(d + lo + hi for d, lo, hi in zip(shapes[node.inputs[0]], node.low, node.high))
    if isinstance(node, ir.Dot):
        lhs, rhs = shapes[node.inputs[0]], shapes[node.inputs[1]]
        if [lhs[d] for d in node.lhs_contract] != [rhs[d] for d in node.rhs_contract]:
            raise IRError(
                f"{node.name}: contracts {[lhs[d] for d in node.lhs_contract]} of {node.inputs[0]} "
                f"with {[rhs[d] for d in node.rhs_contract]} of {node.inputs[1]}"
            )
        free_l = [lhs[d] for d in range(len(lhs)) if d not in node.lhs_contract and d not in node.lhs_batch]
        free_r = [rhs[d] for d in range(len(rhs)) if d not in node.rhs_contract and d not in node.rhs_batch]
        return tuple([lhs[d] for d in node.lhs_batch] + free_l + free_r)
    if isinstance(node, ir.Conv):
        x, k = shapes[node.inputs[0]], shapes[node.inputs[1]]
        if len(k) != len(x) or x[-1] != k[-2] * node.groups:
            raise IRError(f"{node.name}: input {list(x)} does not fit kernel {list(k)} with {node.groups} group(s)")
        spatial = []
        for n, w, s, d, (lo, hi) in zip(
            x[1:-1], k[:-2], node.strides, node.dilation or (1,) * len(k[:-2]), node.padding
        ):
            spatial.append((n + lo + hi - (w - 1) * d - 1) // s + 1)
        return (x[0], *spatial, k[-1])
    return None


def verify_kernel(kernel: ir.Kernel) -> ir.Kernel:
    defined: dict[str, tuple[int, ...]] = {}
    for buf in (*kernel.inputs, *kernel.constants):
        if buf.name in defined:
            raise IRError(f"buffer {buf.name} is defined twice")
        defined[buf.name] = tuple(buf.shape)
    for node in kernel.nodes:
        if type(node) not in ir.NODE_CLASSES:
            raise IRError(f"{node.name}: unknown node class {type(node).__name__}")
        for name in node.inputs:
            if name not in defined:
                raise IRError(f"{node.name} reads {name} before it is defined")
        if node.name in defined:
            raise IRError(f"buffer {node.name} is defined twice")
        expected = _expected_shape(node, defined)
        if expected is not None and tuple(expected) != tuple(node.shape):
            raise IRError(f"{node.name}: shape {node.shape} but its inputs give {expected}")
        if isinstance(node, ir.Elementwise):
            if len(node.in_dims) != len(node.inputs):
                raise IRError(f"{node.name}: {len(node.inputs)} inputs but {len(node.in_dims)} index maps")
            for name, dims in zip(node.inputs, node.in_dims):
                source = defined[name]
                if len(dims) != len(source) or any(source[i] not in (1, node.shape[d]) for i, d in enumerate(dims)):
                    raise IRError(
                        f"{node.name}: input {name}{list(source)} does not map onto {list(node.shape)} by {dims}"
                    )
        if isinstance(node, ir.Loop):
            _verify_loop(node, defined)
        defined[node.name] = tuple(node.shape)
    for name in kernel.outputs:
        if name not in defined:
            raise IRError(f"output {name} is not defined")
    return kernel


def _verify_loop(node: ir.Loop, defined: dict) -> None:
    """A loop's body is a kernel of its own; its inputs line up with the loop's (see ``ir.Loop``)."""
    body = verify_kernel(node.body)
    if len(body.inputs) != len(node.inputs) or len(node.step_axes) != len(node.inputs) - node.carried:
        raise IRError(f"{node.name}: {len(node.inputs)} inputs, but the body takes {len(body.inputs)}")
    for k, (name, spec) in enumerate(zip(node.inputs, body.inputs)):
        shape = list(defined[name])
        if k >= node.carried and node.step_axes[k - node.carried] >= 0:
            shape[node.step_axes[k - node.carried]] = 1
        if tuple(shape) != tuple(spec.shape):
            raise IRError(f"{node.name}: input {name}{list(defined[name])} does not give body input {spec.name}")
    value = body.buffers()[body.outputs[node.result]].shape
    expected = list(value)
    if node.result >= node.carried:
        expected[node.stack_axis] = node.trips
    if tuple(expected) != tuple(node.shape):
        raise IRError(f"{node.name}: shape {node.shape} but its body gives {expected} over {node.trips} steps")
