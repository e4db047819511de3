"""bench/run_onnx.py's LeNet-5 ONNX graph is the Keras LeNet-5 of examples/models.py, weights and all."""

from __future__ import annotations

import pytest

pytest.importorskip("onnx")
pytestmark = pytest.mark.tf


def test_bench_lenet5_onnx_graph_equals_the_keras_model():
    from bench.run_onnx import check_against_keras, lenet5_onnx
    from examples import models

    keras_model = models.get("lenet5").fn
    model = lenet5_onnx(keras_model)
    assert [n.op_type for n in model.graph.node].count("Conv") == 2
    assert check_against_keras(model, keras_model) <= 1e-5
