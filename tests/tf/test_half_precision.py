"""Models with float16 or bfloat16 weights, or a mixed_float16 policy: weights read in their own type (issue 12, item 2)."""

from __future__ import annotations

import numpy as np
import pytest

import fpgalab

pytestmark = pytest.mark.tf

keras = pytest.importorskip("keras")


def _model(policy: str):
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(3)
        return keras.Sequential(
            [
                keras.Input((8,)),
                keras.layers.Dense(6, activation="relu", name="hidden"),
                keras.layers.Dense(3, name="out"),
            ]
        )
    finally:
        keras.config.set_dtype_policy("float32")


def _float32_of(model, x):
    """The model computed in float32 from its weights as stored (what the float32 design should give)."""
    hidden, out = (layer.get_weights() for layer in model.layers)
    h = np.maximum(x @ hidden[0].astype(np.float32) + hidden[1].astype(np.float32), 0)
    return h @ out[0].astype(np.float32) + out[1].astype(np.float32)


@pytest.mark.parametrize("policy", ["float16", "bfloat16", "mixed_float16"])
def test_half_precision_model_compiles_and_simulates(policy):
    model = _model(policy)
    x = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32)
    design = fpgalab.compile(model, x[:1], precision="float32")
    out = design.simulate(x)
    np.testing.assert_allclose(out, _float32_of(model, x), rtol=1e-5, atol=1e-5)
    tolerance = 0.05 if policy == "bfloat16" else 0.01  # TensorFlow computes in the half type itself
    assert np.max(np.abs(out - np.asarray(model(x), np.float32))) < tolerance
    fixed = fpgalab.compile(model, x[:1])  # the default ap_fixed<16,6>
    assert fixed.accuracy(x).max_abs_error < 0.05
