"""How far the hardware's outputs are from float: the report behind ``Design.accuracy``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType
from fpgalab.sim.overflow import Overflow, overflow_warning
from fpgalab.sim.values import to_exact


@dataclass(frozen=True)
class LayerError:
    layer: str
    node: str
    max_abs_error: float
    mean_abs_error: float
    max_rel_error: float  # max |hw - float| / max |float| over the layer's output
    overflow: float = 0.0  # share of the float values outside the range of the layer's result type
    float_range: tuple[float, float] = (0.0, 0.0)  # smallest and largest float value the layer produced


@dataclass(frozen=True)
class AccuracyReport:
    samples: int
    reference: str  # "tensorflow", "onnxruntime" (an ONNX model) or "float32 simulation"
    max_abs_error: float
    mean_abs_error: float
    max_rel_error: float  # normalised by the largest reference magnitude
    top1_agreement: float | None  # share of samples whose argmax equals the reference's
    accuracy: float | None  # hardware top-1 against labels, when given
    float_accuracy: float | None  # reference top-1 against labels, when given
    per_layer: tuple[LayerError, ...]
    overflows: tuple[Overflow, ...] = ()  # every wrap, saturation and table clamp the hardware run applied

    @property
    def overflowing_layers(self) -> tuple[LayerError, ...]:
        """Layers whose float values leave the range of their fixed-point type (they wrap or saturate)."""
        return tuple(e for e in self.per_layer if e.overflow > 0)

    def summary(self) -> str:
        parts = [
            f"{self.samples} samples vs {self.reference}: max |err| {self.max_abs_error:.3g}, "
            f"mean |err| {self.mean_abs_error:.3g}"
        ]
        if self.top1_agreement is not None:
            parts.append(f"top-1 agreement {100 * self.top1_agreement:.1f}%")
        if self.accuracy is not None:
            parts.append(f"accuracy {100 * self.accuracy:.1f}% (float {100 * self.float_accuracy:.1f}%)")
        for layer in self.overflowing_layers:
            parts.append(
                f"warning: {layer.layer} overflows its type on {100 * layer.overflow:.2g}% of values "
                f"(float range {layer.float_range[0]:.3g} to {layer.float_range[1]:.3g})"
            )
        for overflow in self.overflows:
            parts.append(f"overflow: {overflow.describe()}")
        return ", ".join(parts)


def _errors(hw: np.ndarray, ref: np.ndarray) -> tuple[float, float, float]:
    diff = np.abs(hw.astype(np.float64) - ref.astype(np.float64))
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    max_abs = float(np.max(diff)) if diff.size else 0.0
    return max_abs, float(np.mean(diff)) if diff.size else 0.0, (max_abs / scale if scale > 0 else max_abs)


def _overflow(values: np.ndarray, dtype) -> float:
    """Share of values outside a fixed-point type's range (0 for float types)."""
    if not isinstance(dtype, FixedType) or values.size == 0:
        return 0.0
    return float(np.mean((values > dtype.max_value) | (values < dtype.min_value)))


def _labels(y, samples: int) -> np.ndarray:
    labels = np.asarray(y)
    if labels.ndim >= 2 and labels.shape[-1] > 1:
        labels = np.argmax(labels.reshape(samples, -1), axis=-1)
    labels = labels.reshape(-1)
    if labels.shape[0] != samples:
        raise ValueError(f"{labels.shape[0]} labels for {samples} samples")
    return labels.astype(np.int64)


def _top1_agreement(hw: np.ndarray, ref: np.ndarray) -> tuple[float, np.ndarray]:
    """Share of samples whose reference class is the hardware's unique largest output.

    A tie counts as a disagreement: hardware that outputs the same value for several classes
    (a saturated or wrapped softmax gives all of them the same) has not told them apart, even
    where ``argmax`` happens to pick the reference's class as the first of the tie.
    """
    ref_top = np.argmax(ref, axis=1)
    best = hw[np.arange(hw.shape[0]), ref_top]
    ties = np.sum(hw >= best[:, None], axis=1)
    return float(np.mean(ties == 1)), ref_top


def compare_outputs(
    kernel: ir.Kernel,
    hardware: dict,
    twin: dict,
    reference: list[np.ndarray],
    source: str,
    y,
    samples: int,
    overflows: tuple = (),
) -> AccuracyReport:
    """Build the report from every buffer of the hardware run and of its float32 twin."""
    out_name = kernel.outputs[0]
    hw = np.broadcast_to(to_exact(hardware[out_name]), (samples,) + tuple(kernel.buffers()[out_name].shape))
    ref = np.broadcast_to(reference[0].reshape((samples,) + hw.shape[1:]), hw.shape)
    max_abs, mean_abs, max_rel = _errors(hw, ref)
    for name, ref_other in zip(kernel.outputs[1:], reference[1:]):
        other = to_exact(hardware[name])
        errors = _errors(other, ref_other.reshape(other.shape))
        max_abs, max_rel = max(max_abs, errors[0]), max(max_rel, errors[2])
    agreement = accuracy = float_accuracy = None
    flat_hw, flat_ref = hw.reshape(samples, -1), ref.reshape(samples, -1)
    if flat_hw.shape[1] > 1:
        hw_top = np.argmax(flat_hw, axis=1)
        agreement, ref_top = _top1_agreement(flat_hw, flat_ref)
        if y is not None:
            labels = _labels(y, samples)
            classes = flat_hw.shape[1]
            if labels.size and (labels.min() < 0 or labels.max() >= classes):
                raise ValueError(
                    f"labels must be class ids 0..{classes - 1} (the model has {classes} outputs), "
                    f"got values from {labels.min()} to {labels.max()}"
                )
            accuracy = float(np.mean(hw_top == labels))
            float_accuracy = float(np.mean(ref_top == labels))
    per_layer = []
    last_of_layer: dict[str, str] = {}
    for node in kernel.nodes:
        last_of_layer[node.layer or node.name] = node.name
    nodes = {n.name: n for n in kernel.nodes}
    for layer, name in last_of_layer.items():
        float_values = to_exact(twin[name])
        errors = _errors(to_exact(hardware[name]), float_values)
        per_layer.append(
            LayerError(
                layer,
                name,
                *errors,
                _overflow(float_values, nodes[name].dtype),
                (float(np.min(float_values)), float(np.max(float_values))),
            )
        )
    return AccuracyReport(
        samples,
        source,
        max_abs,
        mean_abs,
        max_rel,
        agreement,
        accuracy,
        float_accuracy,
        tuple(per_layer),
        tuple(overflows),
    )


def check_calibration(design, calibration) -> None:
    """Warn when a calibration batch shows a type that cannot hold its range (``compile(..., calibration=x)``)."""
    batches = tuple(calibration) if isinstance(calibration, (tuple, list)) else (calibration,)
    try:
        found = design.overflows(*batches)
    except ValueError as error:
        raise ValueError(f"calibration must be a batch of inputs like the example inputs: {error}") from None
    message = overflow_warning(found, f"{design.name}: the calibration batch overflows the design's types")
    if message:
        warnings.warn(message, stacklevel=3)
