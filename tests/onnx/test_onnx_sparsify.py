"""fpgalab.sparsify on an ONNX model: the pruned ModelProto runs in onnxruntime and computes what the
sparsified design's float simulation does; only the MatMul weights lose values, never the biases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import numpy_helper  # noqa: E402

import fpgalab  # noqa: E402

MODEL = Path(__file__).resolve().parents[1] / "data" / "onnx" / "three_layer_keras.onnx"
WEIGHTS = ("W", "W1", "W2", "W3")  # the four MatMuls' initializers; B, B1, B2, B3 are the biases


def _run(model, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: row[None]})[0] for row in x])


def _initializers(model) -> dict[str, np.ndarray]:
    return {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}


def test_pruned_onnx_model_runs_in_onnxruntime_and_equals_the_design():
    original = onnx.load(str(MODEL))
    result = fpgalab.sparsify(original, method="std", target=0.6)
    pruned = result.model
    assert isinstance(pruned, onnx.ModelProto) and pruned is not original
    before, after = _initializers(original), _initializers(pruned)
    zeros = sum(int(np.sum(after[name] == 0)) for name in WEIGHTS)
    total = sum(after[name].size for name in WEIGHTS)
    assert zeros / total == pytest.approx(result.sparsity) and result.sparsity == pytest.approx(0.6, abs=1e-3)
    for name in before:
        if name not in WEIGHTS:
            np.testing.assert_array_equal(after[name], before[name])
    assert np.count_nonzero(_initializers(original)["W"]) == before["W"].size  # the model given is untouched
    x = np.random.default_rng(0).uniform(-1, 1, size=(40, 16)).astype(np.float32)
    np.testing.assert_allclose(result.design.simulate(x, float_reference=True), _run(pruned, x), rtol=1e-5, atol=1e-6)
    assert not np.allclose(_run(pruned, x), _run(original, x), atol=1e-3)


def test_onnx_scan_within_a_loss_budget_on_the_models_own_labels():
    original = onnx.load(str(MODEL))
    x = np.random.default_rng(1).uniform(-1, 1, size=(300, 16)).astype(np.float32)
    y = _run(original, x).argmax(axis=1)
    result = fpgalab.sparsify(original, method="scan", target={"top1": 0.05}, data=(x, y))
    assert result.accuracy_after["top1"] >= result.accuracy_before["top1"] - 0.05
    assert result.sparsity > 0.2
    agreement = np.mean(_run(result.model, x).argmax(axis=1) == y)
    assert agreement >= 0.9
