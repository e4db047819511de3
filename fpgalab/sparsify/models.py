"""The user's model with the same weights pruned: a Keras clone, or a copy of an ONNX ``ModelProto``.

A design's kernel constant holds the values of one model weight, maybe in another layout (an ONNX
Gemm's transposed B, a channels-first convolution kernel): the weight is found among its layer's
weights as the one holding the same values, and pruned with the same threshold, which zeroes the
same values whatever the layout.
"""

from __future__ import annotations

import numpy as np

from fpgalab.sparsify.apply import LayerWeights


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    return a.size == b.size and np.array_equal(np.sort(a, axis=None), np.sort(b.astype(np.float32), axis=None))


def _pruned(value: np.ndarray, threshold: float) -> np.ndarray:
    return np.where(np.abs(value) <= threshold, np.zeros_like(value), value)


def _match(layer: str, constants, candidates: list[tuple[object, np.ndarray]], weights: LayerWeights) -> dict:
    """Constant name -> the candidate key holding its values (each candidate used once)."""
    found, used = {}, set()
    for name in constants:
        value = weights.values[name]
        key = next((k for k, v in candidates if k not in used and _same_values(value, np.asarray(v))), None)
        if key is None:
            raise LookupError(f"no weight of layer {layer!r} in the model holds the values of the design's {name}")
        found[name] = key
        used.add(key)
    return found


def _keras_layers(model) -> list:
    """Every layer of ``model``, nested models' layers included."""
    found, stack = [], list(getattr(model, "layers", ()))
    while stack:
        layer = stack.pop()
        found.append(layer)
        stack.extend(getattr(layer, "layers", ()))
    return found


def pruned_keras(model, weights: LayerWeights, thresholds: dict[str, float]):
    """A clone of the Keras ``model`` (``keras.models.clone_model``) with its weights pruned as the design's."""
    import keras  # noqa: PLC0415

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    by_name = {layer.name: layer for layer in _keras_layers(clone)}
    for layer, constants in weights.constants.items():
        target = by_name.get(layer)
        if target is None:
            raise LookupError(f"the model has no layer named {layer!r} (its layers: {sorted(by_name)})")
        values = target.get_weights()
        matched = _match(layer, constants, list(enumerate(values)), weights)
        for index in matched.values():
            values[index] = _pruned(values[index], thresholds.get(layer, 0.0))
        target.set_weights(values)
    return clone


def pruned_onnx(model, weights: LayerWeights, thresholds: dict[str, float]):
    """A copy of the ONNX ``model`` with the initializers its layers multiply by pruned as the design's."""
    import onnx  # noqa: PLC0415
    from onnx import numpy_helper  # noqa: PLC0415

    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    initializers = {init.name: init for init in copy.graph.initializer}
    nodes = {node.name or f"{node.op_type}_{k}": node for k, node in enumerate(copy.graph.node)}
    for layer, constants in weights.constants.items():
        node = nodes.get(layer)
        if node is None:
            raise LookupError(f"the ONNX graph has no node named {layer!r}")
        candidates = [(n, numpy_helper.to_array(initializers[n])) for n in node.input if n in initializers]
        for name in _match(layer, constants, candidates, weights).values():
            value = numpy_helper.to_array(initializers[name])
            initializers[name].CopyFrom(numpy_helper.from_array(_pruned(value, thresholds.get(layer, 0.0)), name))
    return copy
