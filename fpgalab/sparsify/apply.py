"""The weights a design multiplies by, and the design rebuilt with some of them zeroed."""

from __future__ import annotations

import dataclasses

import numpy as np

from fpgalab.design import Design, build_design
from fpgalab.errors import CompileError
from fpgalab.ir import nodes as ir


@dataclasses.dataclass(frozen=True)
class LayerWeights:
    """The weight constants of each layer's Dot and Conv nodes (their kernels: never biases or
    batch-normalisation constants), keyed by layer name, in the order the layers run."""

    constants: dict[str, tuple[str, ...]]  # layer -> names of its kernel constants
    values: dict[str, np.ndarray]  # constant name -> its float values

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(self.constants)

    def by_layer(self) -> dict[str, np.ndarray]:
        """Each layer's weights as one flat array (all its kernels together)."""
        return {
            layer: np.concatenate([self.values[name].ravel() for name in names])
            for layer, names in self.constants.items()
        }

    def count(self, layer: str) -> int:
        return sum(int(self.values[name].size) for name in self.constants[layer])

    def pruned(self, thresholds: dict[str, float]) -> dict[str, np.ndarray]:
        """Constant name -> values with ``|w| <= threshold`` of its layer zeroed."""
        out = {}
        for layer, names in self.constants.items():
            limit = thresholds.get(layer, 0.0)
            for name in names:
                w = self.values[name]
                out[name] = np.where(np.abs(w) <= limit, np.zeros_like(w), w)
        return out


def _kernel_input(node, constants: dict) -> str | None:
    """The weight constant a Dot or Conv multiplies by: its second operand (the first for a Dot whose
    left operand is the constant), when that is a constant the design owns."""
    for name in node.inputs[1::-1] if isinstance(node, ir.Dot) else node.inputs[1:2]:
        constant = constants.get(name)
        if constant is not None and constant.role == "weight":
            return name
    return None


def layer_weights(kernel: ir.Kernel) -> LayerWeights:
    """The kernels of the Dot and Conv layers of a float kernel."""
    constants = {c.name: c for c in kernel.constants}
    found: dict[str, list[str]] = {}
    for node in kernel.nodes:
        if not isinstance(node, (ir.Dot, ir.Conv)):
            continue
        name = _kernel_input(node, constants)
        if name is None:
            continue
        layer = node.layer or node.name
        names = found.setdefault(layer, [])
        if name not in names:
            names.append(name)
    if not found:
        raise CompileError(
            f"{kernel.name} has no Dense, MatMul or convolution layer with constant weights: nothing to sparsify"
        )
    values = {name: np.asarray(constants[name].value, dtype=np.float32) for names in found.values() for name in names}
    return LayerWeights({layer: tuple(names) for layer, names in found.items()}, values)


def with_weights(design: Design, values: dict[str, np.ndarray], reference=None) -> Design:
    """``design`` rebuilt (every pass, same options) from its float kernel with constants replaced by ``values``."""
    constants = {c.name: c for c in design.float_kernel.constants}
    for name, value in values.items():
        if name not in constants:
            raise KeyError(f"{design.name} has no constant {name!r}")
        if tuple(np.shape(value)) != tuple(constants[name].shape):
            raise ValueError(f"constant {name} has shape {constants[name].shape}, not {np.shape(value)}")
    kernel = design.float_kernel.replace(
        constants=tuple(
            dataclasses.replace(c, value=np.asarray(values[c.name], dtype=np.float32)) if c.name in values else c
            for c in design.float_kernel.constants
        )
    )
    return build_design(design.name, kernel, design.options, design.example_shapes, "", (), reference)
