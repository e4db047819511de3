"""Fold BatchNormalization (and any per-channel scale and shift) into the dense or convolution before it.

Keras's inference-mode BatchNormalization lowers to ``y = x * scale + shift`` per output channel,
two elementwise nodes after the layer. When a Dense or convolution layer is followed by a chain of
such per-channel affine steps (``add``, ``sub`` or ``mul`` of a constant indexed by the output
channel, each the only reader of the one before), the chain is one affine map ``y = a * x + b``
and the layer computes it directly: its kernel is scaled by ``a`` along the output channel and ``b``
becomes its bias (``FoldBias`` then starts the accumulator at it). This is hls4ml's
``FuseBatchNormalization`` (hls4ml/model/optimizer/passes/bn_fuse.py), done here whenever a chain
has a scale; a chain of shifts only is left to ``FoldBias``. The folded constants are rounded to
the weight type later, as hls4ml's folded weights are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.passes.fold_bias import reorder

AFFINE_OPS = ("add", "sub", "mul")


def _output_axis(node: ir.Node, kernel_const: ir.Constant) -> int | None:
    """The kernel axis that indexes the layer's output channel (its last output dimension)."""
    if isinstance(node, ir.Conv):
        return kernel_const.value.ndim - 1
    rhs_free = [d for d in range(kernel_const.value.ndim) if d not in node.rhs_contract and d not in node.rhs_batch]
    return rhs_free[0] if len(rhs_free) == 1 else None


def _kernel_constant(node: ir.Node, constants: dict) -> ir.Constant | None:
    if not isinstance(node, (ir.Dot, ir.Conv)) or len(node.inputs) != 2 or node.inputs[1] not in constants:
        return None
    if constants[node.inputs[1]].given_type:  # quantized weights stay the integers they are
        return None
    return constants[node.inputs[1]]


def _affine_step(node: ir.Node, previous: str, channels: int, constants: dict):
    """(op, per-channel values) if ``node`` is ``previous op c`` with c per output channel, else None."""
    if not isinstance(node, ir.Elementwise) or not isinstance(node.expr, ir.Op) or node.expr.op not in AFFINE_OPS:
        return None
    last = len(node.shape) - 1
    if previous not in node.inputs or node.in_dims[node.inputs.index(previous)] != tuple(range(last + 1)):
        return None
    x, other = node.expr.args
    if node.expr.op != "sub" and isinstance(other, ir.Arg) and node.inputs[other.index] == previous:
        x, other = other, x  # add and mul commute
    if not (isinstance(x, ir.Arg) and node.inputs[x.index] == previous):
        return None
    if isinstance(other, ir.Const):
        return node.expr.op, np.full(channels, float(other.value))
    if not isinstance(other, ir.Arg):
        return None
    name = node.inputs[other.index]
    if name not in constants or node.in_dims[other.index] != (last,):
        return None
    values = np.asarray(constants[name].value, dtype=np.float64).reshape(-1)
    return (node.expr.op, values) if values.size == channels else None


@dataclass(frozen=True)
class FoldBatchNorm:
    name: str = "fold_batchnorm"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        constants = {c.name: c for c in kernel.constants}
        users = kernel.users()
        replaced: dict[str, ir.Node] = {}
        dropped: set[str] = set()
        new_constants: list[ir.Constant] = []
        for node in kernel.nodes:
            weights = _kernel_constant(node, constants)
            axis = None if weights is None else _output_axis(node, weights)
            if axis is None or node.name in kernel.outputs:
                continue
            channels = weights.value.shape[axis]
            scale, shift = np.ones(channels), np.zeros(channels)
            chain, current = [], node
            while len(users.get(current.name, [])) == 1 and current.name not in kernel.outputs:
                step = _affine_step(users[current.name][0], current.name, channels, constants)
                if step is None:
                    break
                op, values = step
                if op == "mul":
                    scale, shift = scale * values, shift * values
                else:
                    shift = shift + values if op == "add" else shift - values
                current = users[current.name][0]
                chain.append((current, op))
            if not any(op == "mul" for _, op in chain):
                continue
            last = chain[-1][0]
            shape = [1] * weights.value.ndim
            shape[axis] = channels
            folded = (np.asarray(weights.value, dtype=np.float64) * scale.reshape(shape)).astype(np.float32)
            kernel_name, bias_name = f"{weights.name}_bn", f"{last.name}_bias"
            new_constants += [
                ir.Constant(kernel_name, folded.shape, folded, role=weights.role, op_name=weights.op_name),
                ir.Constant(bias_name, (channels,), shift.astype(np.float32), role="bias", op_name=last.op_name),
            ]
            fields = {"bias_dims": (len(node.shape) - 1,)} if isinstance(node, ir.Dot) else {}
            replaced[last.name] = node.replace(
                name=last.name, inputs=(node.inputs[0], kernel_name, bias_name), **fields
            )
            dropped |= {node.name} | {n.name for n, _ in chain[:-1]}
        if not replaced:
            return kernel
        used = {name for n in kernel.nodes if n.name not in dropped for name in replaced.get(n.name, n).inputs}
        used |= set(kernel.outputs)
        kept = tuple(c for c in kernel.constants if c.name in used) + tuple(new_constants)
        nodes = tuple(replaced.get(n.name, n) for n in kernel.nodes if n.name not in dropped)
        folded_kernel = kernel.replace(constants=kept)
        return folded_kernel.replace(nodes=reorder(nodes, folded_kernel))
