"""The example models build, run in TensorFlow, compile through XLA, and are deterministic."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples import models  # noqa: E402

pytestmark = pytest.mark.tf

OUTPUT_SHAPES = {
    "vecmul_8": (8,),
    "vecmul_64": (64,),
    "dense_8": (1, 8),
    "dense_64": (1, 64),
    "softmax_8": (1, 8),
    "softmax_64": (1, 64),
    "conv2d_8": (1, 8, 8, 2),
    "conv2d_64": (1, 64, 64, 2),
    "maxpool_8": (1, 2, 2, 1),
    "maxpool_32": (1, 10, 10, 1),
    "chain_8": (8,),
    "mnist_softmax": (1, 10),
    "digits_mlp": (1, 10),
    "jet_mlp": (1, 5),
    "lenet5": (1, 10),
    "mobilenet_v1_small": (1, 10),
    "mobilenet_v1": (1, 1000),
}
SOFTMAX_OUTPUTS = {"softmax_8", "softmax_64", "mnist_softmax", "digits_mlp", "jet_mlp", "lenet5"}
SOFTMAX_OUTPUTS |= {"mobilenet_v1_small", "mobilenet_v1"}

SLOW = {"mobilenet_v1"}
NAMES = [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in models.EXAMPLES]


def run(example):
    if example.kind == "keras":
        return np.asarray(example.fn(*example.args, training=False))
    return np.asarray(example.fn(*example.args))


def jitted(example):
    import tensorflow as tf

    if example.kind == "keras":
        model = example.fn
        return tf.function(lambda *xs: model(*xs, training=False), jit_compile=True)
    return tf.function(example.fn, jit_compile=True)


def test_registry_covers_expected_examples():
    assert set(models.EXAMPLES) == set(OUTPUT_SHAPES)
    assert len(models.LEFLOW_NAMES) == 12 and set(models.LEFLOW_NAMES) <= set(models.EXAMPLES)


def test_import_does_not_import_tensorflow():
    code = "import sys; from examples import models; assert 'tensorflow' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_get_unknown_name():
    with pytest.raises(KeyError, match="unknown example"):
        models.get("nope")


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_and_compiles(name):
    example = models.get(name)
    assert example.name == name
    assert example.kind in ("function", "keras")
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in example.args)

    out = run(example)
    assert out.shape == OUTPUT_SHAPES[name]
    assert np.all(np.isfinite(out))
    if name in SOFTMAX_OUTPUTS:
        np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-5)

    hlo = jitted(example).experimental_get_compiler_ir(*example.args)(stage="hlo")
    assert hlo.startswith("HloModule") and "ENTRY" in hlo


@pytest.mark.parametrize("name", NAMES)
def test_two_builds_are_identical(name):
    a, b = models.get(name), models.get(name)
    for x, y in zip(a.args, b.args, strict=True):
        np.testing.assert_array_equal(x, y)
    wa, wb = models.weights(a), models.weights(b)
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(run(a), run(b))


DIGEST = """
import hashlib, numpy as np
from examples import models

def digest(name):
    example = models.get(name)
    h = hashlib.sha256()
    for array in (*example.args, *models.weights(example)):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()
"""


@pytest.mark.parametrize("name", ["conv2d_8", "mnist_softmax", "jet_mlp", "lenet5", "mobilenet_v1_small"])
def test_other_process_builds_identical_weights(name):
    code = DIGEST + f"print(digest({name!r}))"
    here = {}
    exec(DIGEST, here)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == here["digest"](name)


def test_weights_of_function_examples():
    assert [w.shape for w in models.weights(models.get("mnist_softmax"))] == [(784, 10), (10,)]
    assert [w.shape for w in models.weights(models.get("conv2d_8"))] == [(3, 3, 1, 2)]
    assert models.weights(models.get("vecmul_8")) == []


def test_leflow_benchmarks():
    names = [e.name for e in models.leflow_benchmarks()]
    assert names == list(models.LEFLOW_NAMES)


def test_digits_data_split():
    x_train, x_test, y_train, y_test = models.digits_data()
    assert x_train.shape == (1347, 64) and x_test.shape == (450, 64)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert len(y_train) == 1347 and len(y_test) == 450
    assert sorted(np.unique(y_test)) == list(range(10))


def test_digits_mlp_accuracy():
    example = models.get("digits_mlp")
    assert [layer.name for layer in example.fn.layers] == ["dense_1", "dense_2", "dense_3"]
    assert models.digits_accuracy(example.fn) >= 0.93


def test_mobilenet_small_structure():
    import keras

    model = models.get("mobilenet_v1_small").fn
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"DepthwiseConv2D", "BatchNormalization", "ReLU", "Conv2D"} <= kinds
    assert model.input_shape == (None, 128, 128, 3)
    bn = next(layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    assert not np.allclose(bn.moving_variance.numpy(), 1.0)  # seeded statistics, not the defaults
