"""Example models for fpgalab's tests, benchmarks and notebooks.

Every example is built lazily by a function in ``EXAMPLES``; importing this module does not
import TensorFlow.  Everything is deterministic: building an example twice (in one process or
in two) gives bit-identical weights and example inputs.

    from examples import models
    ex = models.get("conv2d_8")      # Example(name, fn, args, description, kind)
    ex.fn(*ex.args)                  # run it eagerly

``kind`` is ``"function"`` (a plain Python function of tensors whose weights are captured eager
``tf.constant`` values) or ``"keras"`` (a ``keras.Model``; call it as ``fn(x, training=False)``).

Retrain the shipped digits MLP weights with ``python examples/models.py --train-digits``.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
DIGITS_WEIGHTS = DATA_DIR / "digits_mlp.npz"
DIGITS_LAYERS = ("dense_1", "dense_2", "dense_3")


@dataclass(frozen=True)
class Example:
    name: str
    fn: Any  # plain function of tensors, tf.function or keras.Model
    args: tuple[np.ndarray, ...]  # float32 example inputs
    description: str
    kind: str  # "function" or "keras"


def weights(example: Example) -> list[np.ndarray]:
    """The example's weights as NumPy arrays (Keras: ``get_weights()``; functions: the captured
    ``tf.constant`` values, listed by the builder in ``fn.weights``, in order of use)."""
    if example.kind == "keras":
        return [np.asarray(w) for w in example.fn.get_weights()]
    return [np.asarray(w) for w in getattr(example.fn, "weights", ())]


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def _glorot(rng: np.random.Generator, fan_in: int, fan_out: int, shape=None) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    shape = shape or (fan_in, fan_out)
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def _function(name: str, fn: Callable, args: tuple, description: str, weights=()) -> Example:
    fn.weights = tuple(weights)
    args = tuple(np.ascontiguousarray(a, dtype=np.float32) for a in args)
    return Example(name, fn, args, description, "function")


# --- LeFlow benchmark set (Noronha et al., 2018): float32, batch 1 ------------------------


def vecmul(n: int, seed: int = 0) -> Example:
    rng = np.random.default_rng(seed)

    def fn(a, b):
        return a * b

    args = (_normal(rng, n), _normal(rng, n))
    return _function(f"vecmul_{n}", fn, args, f"elementwise product of two [{n}] vectors")


def dense(n: int, seed: int = 0) -> Example:
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    w = tf.constant(_normal(rng, 1, n))

    def fn(x):
        return tf.matmul(x, w)

    x = _normal(rng, 1, 1)
    return _function(f"dense_{n}", fn, (x,), f"[1,1] input times a [1,{n}] weight matrix", (w,))


def softmax(n: int, seed: int = 0) -> Example:
    import tensorflow as tf

    rng = np.random.default_rng(seed)

    def fn(x):
        return tf.nn.softmax(x)

    return _function(f"softmax_{n}", fn, (_normal(rng, 1, n),), f"tf.nn.softmax of a [1,{n}] input")


def conv2d(n: int, seed: int = 0) -> Example:
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    w = tf.constant(_normal(rng, 3, 3, 1, 2))

    def fn(x):
        return tf.nn.conv2d(x, w, strides=1, padding="SAME")

    return _function(
        f"conv2d_{n}", fn, (_normal(rng, 1, n, n, 1),), f"3x3x1x2 conv, stride 1, SAME, on 1x{n}x{n}x1", (w,)
    )


def maxpool(n: int, seed: int = 0) -> Example:
    import tensorflow as tf

    rng = np.random.default_rng(seed)

    def fn(x):
        return tf.nn.max_pool2d(x, ksize=3, strides=3, padding="VALID")

    return _function(f"maxpool_{n}", fn, (_normal(rng, 1, n, n, 1),), f"3x3 max pool, stride 3, VALID, on 1x{n}x{n}x1")


def chain_8(seed: int = 0) -> Example:
    import tensorflow as tf

    rng = np.random.default_rng(seed)

    def fn(x):
        return tf.sigmoid(tf.nn.relu(tf.exp(tf.tanh(x))))

    return _function("chain_8", fn, (_normal(rng, 8),), "sigmoid(relu(exp(tanh(x)))) on [8]")


def mnist_softmax(seed: int = 0) -> Example:
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    w = tf.constant(_normal(rng, 784, 10, scale=0.05))
    b = tf.constant(_normal(rng, 10, scale=0.1))

    def fn(x):
        return tf.nn.softmax(tf.matmul(x, w) + b)

    x = rng.uniform(0.0, 1.0, size=(1, 784)).astype(np.float32)
    description = "softmax regression softmax(x @ W + b), 784x10, random W, b"
    return _function("mnist_softmax", fn, (x,), description, (w, b))


# --- Keras models -------------------------------------------------------------------------


def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits, pixels scaled to [0, 1], fixed stratified 75/25 split:
    (x_train, x_test, y_train, y_test); x is float32 [n, 64], y is int64 [n]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    return tuple(train_test_split(x, y, test_size=0.25, random_state=0, stratify=y))


DIGITS_L2 = 1e-3  # weight decay of the shipped digits MLP


def _digits_model(l2: float = 0.0):
    """The digits MLP; ``l2`` adds weight decay while training (it keeps activations and logits
    within the range of ap_fixed<16,6>, as FPGA-minded training does; inference is unchanged)."""
    import keras

    layers = keras.layers
    decay = {"kernel_regularizer": keras.regularizers.L2(l2)} if l2 else {}
    return keras.Sequential(
        [
            keras.Input((64,), name="pixels"),
            layers.Dense(32, activation="relu", name="dense_1", **decay),
            layers.Dense(16, activation="relu", name="dense_2", **decay),
            layers.Dense(10, activation="softmax", name="dense_3", **decay),
        ],
        name="digits_mlp",
    )


def train_digits_mlp(seed: int = 0, epochs: int = 60) -> tuple[dict[str, np.ndarray], dict]:
    """Train the digits MLP from scratch, deterministically.  Returns ({"dense_1/kernel": ...,
    "dense_1/bias": ..., ...}, keras history dict)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    x_train, x_test, y_train, y_test = digits_data()
    model = _digits_model(l2=DIGITS_L2)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_data=(x_test, y_test), verbose=0)
    params = {}
    for name in DIGITS_LAYERS:
        kernel, bias = model.get_layer(name).get_weights()
        params[f"{name}/kernel"], params[f"{name}/bias"] = kernel, bias
    return params, history.history


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like np.savez, but with fixed zip timestamps so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def digits_accuracy(model) -> float:
    """Float test accuracy of a digits model on the fixed test split."""
    _, x_test, _, y_test = digits_data()
    probs = np.asarray(model(x_test, training=False))
    return float(np.mean(probs.argmax(axis=1) == y_test))


def digits_lenet():
    """A LeNet-5-like Keras CNN for the 8x8 digits (untrained): conv 3x3 (6) - pool - conv 3x3 (16) -
    dense 120 - 84 - 10, the network of the stale-weight training study (bench/run_stale_weights.py)."""
    import keras  # noqa: PLC0415

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(6, 3, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(16, 3, activation="relu", name="conv2"),
            layers.Flatten(name="flatten"),
            layers.Dense(120, activation="relu", name="fc1"),
            layers.Dense(84, activation="relu", name="fc2"),
            layers.Dense(10, name="fc3"),
        ],
        name="lenet_digits",
    )


def digits_mlp() -> Example:
    model = _digits_model()
    with np.load(DIGITS_WEIGHTS) as params:
        for name in DIGITS_LAYERS:
            model.get_layer(name).set_weights([params[f"{name}/kernel"], params[f"{name}/bias"]])
    x = digits_data()[1][:1]  # the first test image
    return Example("digits_mlp", model, (x,), "sklearn 8x8 digits MLP 64-32-16-10 (relu, softmax), trained", "keras")


def jet_mlp(seed: int = 0) -> Example:
    """hls4ml's jet-tagging MLP 16-64-32-32-5, random glorot weights and small random biases."""
    import keras

    layers = keras.layers
    sizes = (16, 64, 32, 32, 5)
    stack: list = [keras.Input((16,), name="features")]
    for i, units in enumerate(sizes[1:], start=1):
        last = i == len(sizes) - 1
        stack.append(layers.Dense(units, name="output" if last else f"fc{i}"))
        stack.append(layers.Activation("softmax" if last else "relu", name="softmax" if last else f"relu{i}"))
    model = keras.Sequential(stack, name="jet_mlp")
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            fan_in, fan_out = layer.kernel.shape
            layer.set_weights([_glorot(rng, fan_in, fan_out), rng.uniform(-0.1, 0.1, fan_out).astype(np.float32)])
    x = _normal(rng, 1, 16)
    return Example("jet_mlp", model, (x,), "hls4ml jet-tagging MLP 16-64-32-32-5, random weights", "keras")


def lenet5(seed: int = 0) -> Example:
    import keras

    layers = keras.layers
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            layers.Conv2D(6, 5, activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(16, 5, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(120, activation="relu", name="fc1"),
            layers.Dense(84, activation="relu", name="fc2"),
            layers.Dense(10, activation="softmax", name="fc3"),
        ],
        name="lenet5",
    )
    x = np.random.default_rng(seed).uniform(0.0, 1.0, size=(1, 28, 28, 1)).astype(np.float32)
    return Example("lenet5", model, (x,), "LeNet-5 on 28x28x1, random weights", "keras")


def _mobilenet(name: str, alpha: float, size: int, classes: int, seed: int, description: str) -> Example:
    """keras.applications.MobileNet with weights=None (nothing is downloaded), seeded random
    weights, and seeded random BatchNorm statistics so inference-mode BatchNorm is not a no-op."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.applications.MobileNet(input_shape=(size, size, 3), alpha=alpha, weights=None, classes=classes)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            gamma = rng.uniform(0.5, 1.5, n)
            beta = rng.normal(0.0, 0.1, n)
            mean = rng.normal(0.0, 0.1, n)
            var = rng.uniform(0.5, 1.5, n)
            layer.set_weights([a.astype(np.float32) for a in (gamma, beta, mean, var)])
    x = rng.uniform(-1.0, 1.0, size=(1, size, size, 3)).astype(np.float32)
    return Example(name, model, (x,), description, "keras")


def mobilenet_v1(seed: int = 0) -> Example:
    return _mobilenet("mobilenet_v1", 1.0, 224, 1000, seed, "MobileNetV1 alpha 1.0, 224x224x3, 1000 classes, random")


def mobilenet_v1_small(seed: int = 0) -> Example:
    return _mobilenet(
        "mobilenet_v1_small", 0.25, 128, 10, seed, "MobileNetV1 alpha 0.25, 128x128x3, 10 classes, random"
    )


# --- registry -----------------------------------------------------------------------------

LEFLOW_NAMES = (
    "vecmul_8", "vecmul_64", "dense_8", "dense_64", "softmax_8", "softmax_64",
    "conv2d_8", "conv2d_64", "maxpool_8", "maxpool_32", "chain_8", "mnist_softmax",
)  # fmt: skip

EXAMPLES: dict[str, Callable[[], Example]] = {
    "vecmul_8": lambda: vecmul(8),
    "vecmul_64": lambda: vecmul(64),
    "dense_8": lambda: dense(8),
    "dense_64": lambda: dense(64),
    "softmax_8": lambda: softmax(8),
    "softmax_64": lambda: softmax(64),
    "conv2d_8": lambda: conv2d(8),
    "conv2d_64": lambda: conv2d(64),
    "maxpool_8": lambda: maxpool(8),
    "maxpool_32": lambda: maxpool(32),
    "chain_8": chain_8,
    "mnist_softmax": mnist_softmax,
    "digits_mlp": digits_mlp,
    "jet_mlp": jet_mlp,
    "lenet5": lenet5,
    "mobilenet_v1_small": mobilenet_v1_small,
    "mobilenet_v1": mobilenet_v1,
}


def get(name: str) -> Example:
    """Build the example called ``name`` (see ``EXAMPLES``)."""
    try:
        builder = EXAMPLES[name]
    except KeyError:
        raise KeyError(f"unknown example {name!r}; known: {', '.join(EXAMPLES)}") from None
    return builder()


def leflow_benchmarks() -> list[Example]:
    """The twelve LeFlow benchmarks, in the paper's order."""
    return [get(name) for name in LEFLOW_NAMES]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-digits", action="store_true", help=f"retrain and rewrite {DIGITS_WEIGHTS}")
    parser.add_argument("--seed", type=int, default=0)
    opts = parser.parse_args(argv)
    if not opts.train_digits:
        parser.print_help()
        return
    params, history = train_digits_mlp(seed=opts.seed)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    save_npz(DIGITS_WEIGHTS, params)
    print(f"wrote {DIGITS_WEIGHTS}: final val accuracy {history['val_accuracy'][-1]:.4f}")
    print(f"float test accuracy of the shipped model: {digits_accuracy(digits_mlp().fn):.4f}")


if __name__ == "__main__":
    main()
