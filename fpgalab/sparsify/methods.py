"""The magnitude rules of ``fpgalab.sparsify``, as NumPy functions on ``{layer: weights}``.

Every rule gives each layer a threshold ``t >= 0``; pruning zeroes every weight with ``|w| <= t``
(``t = 0`` changes nothing: only weights that are zero already meet it). Because the rule only
looks at values, the same thresholds prune the same weights wherever those values are stored (the
IR constant, the Keras variable, the ONNX initializer), whatever their layout.

* ``global_thresholds``: one threshold over the magnitudes of all layers together.
* ``std_thresholds``: each layer's threshold is ``scale`` times the standard deviation of its own
  weights, so a layer of small weights loses as large a share as a layer of large ones.
* ``layer_thresholds``: each layer's own magnitude quantile for a sparsity of its own (the levels of
  the sensitivity scan, and per-layer sparsity targets).
"""

from __future__ import annotations

import numpy as np


def magnitudes(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each layer's weight magnitudes as one flat float64 array."""
    return {layer: np.abs(np.asarray(w, dtype=np.float64)).ravel() for layer, w in weights.items()}


def quantile_threshold(values: np.ndarray, sparsity: float, presorted: bool = False) -> float:
    """The smallest ``t`` such that ``values <= t`` holds for at least ``round(sparsity * n)`` values
    (``presorted``: ``values`` is a flat ascending array already)."""
    if not presorted:
        values = np.sort(np.asarray(values, dtype=np.float64).ravel())
    count = int(round(sparsity * values.size))
    return float(values[count - 1]) if count > 0 else 0.0


def global_thresholds(weights: dict[str, np.ndarray], sparsity: float) -> dict[str, float]:
    """Method "global": one magnitude threshold over every layer's weights, pruning ``sparsity`` of them all."""
    pooled = np.concatenate(list(magnitudes(weights).values())) if weights else np.zeros(0)
    threshold = quantile_threshold(pooled, sparsity)
    return {layer: threshold for layer in weights}


def layer_std(weights: dict[str, np.ndarray]) -> dict[str, float]:
    """The standard deviation of each layer's weights."""
    return {layer: float(np.std(np.asarray(w, dtype=np.float64))) for layer, w in weights.items()}


def std_thresholds(weights: dict[str, np.ndarray], scale: float) -> dict[str, float]:
    """Method "std": each layer's threshold is ``scale`` times its own weights' standard deviation."""
    return {layer: scale * std for layer, std in layer_std(weights).items()}


def std_scale_for_sparsity(weights: dict[str, np.ndarray], sparsity: float) -> float:
    """The ``scale`` for which ``std_thresholds`` prunes ``sparsity`` of all weights.

    Pruning ``|w| <= scale * std`` is pruning ``|w| / std <= scale``: a global threshold on the
    magnitudes measured in each layer's own standard deviations (a layer whose weights are all equal
    has no spread; its weights are measured as 0 or infinitely many deviations)."""
    scaled = []
    for layer, values in magnitudes(weights).items():
        std = float(np.std(np.asarray(weights[layer], dtype=np.float64)))
        scaled.append(values / std if std > 0 else np.where(values > 0, np.inf, 0.0))
    pooled = np.concatenate(scaled) if scaled else np.zeros(0)
    scale = quantile_threshold(pooled, sparsity)
    if not np.isfinite(scale):
        raise ValueError(
            f"sparsity {sparsity:g} would prune the weights of a layer whose weights are all equal (no spread): "
            "method 'std' cannot reach it; use method 'global'"
        )
    return scale


def layer_thresholds(weights: dict[str, np.ndarray], sparsities: dict[str, float]) -> dict[str, float]:
    """Each layer's own magnitude threshold for its own sparsity (0 for a layer not named)."""
    found = magnitudes(weights)
    return {layer: quantile_threshold(found[layer], sparsities.get(layer, 0.0)) for layer in weights}


def prune(weights: dict[str, np.ndarray], thresholds: dict[str, float]) -> dict[str, np.ndarray]:
    """The weights with every ``|w| <= threshold`` of their layer set to zero (same dtype and shape)."""
    out = {}
    for layer, w in weights.items():
        w = np.asarray(w)
        out[layer] = np.where(np.abs(w) <= thresholds.get(layer, 0.0), np.zeros_like(w), w)
    return out


def sparsity_of(weights: dict[str, np.ndarray]) -> float:
    """The share of all weights that are zero."""
    total = sum(int(np.size(w)) for w in weights.values())
    zeros = sum(int(np.size(w) - np.count_nonzero(w)) for w in weights.values())
    return zeros / total if total else 0.0
