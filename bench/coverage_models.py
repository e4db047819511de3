"""The models a newcomer brings, for ``bench/coverage.py``: small Keras models and TF functions.

Each entry is ``name -> () -> (callable, example inputs)``; the callable is a Keras model or a
plain TF function. They are built on demand (seeded), so the script can report one that fails to
build as well as one that fails to compile.
"""

from __future__ import annotations

import numpy as np

RNG = np.random.default_rng(7)


def _x(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def _seq(input_shape, *layers):
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(1)
    return keras.Sequential([keras.Input(input_shape), *layers])


def _keras(input_shape, make_layers, x=None):
    """A Sequential model of ``make_layers(keras.layers)``."""

    def build():
        import keras  # noqa: PLC0415

        model = _seq(input_shape, *make_layers(keras.layers))
        return model, [x if x is not None else _x(1, *input_shape)]

    return build


def _activation(name):
    return _keras((8,), lambda L: [L.Dense(12), L.Activation(name), L.Dense(4)])


def _tf(make_fn, *shapes, low=-2.0, high=2.0):
    def build():
        import tensorflow as tf  # noqa: PLC0415

        return make_fn(tf), [_x(*shape, low=low, high=high) for shape in shapes]

    return build


def _gelu_tanh(x):
    import keras  # noqa: PLC0415

    return keras.activations.gelu(x, approximate=True)


def _functional_residual():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(1)
    inputs = keras.Input((8, 8, 3))
    a = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    b = keras.layers.Conv2D(4, 1)(inputs)
    merged = keras.layers.Add()([a, b])
    both = keras.layers.Concatenate()([merged, keras.layers.Multiply()([a, b])])
    out = keras.layers.Dense(5, activation="softmax")(keras.layers.GlobalAveragePooling2D()(both))
    return keras.Model(inputs, out), [_x(1, 8, 8, 3)]


def _embedding():
    import keras  # noqa: PLC0415

    model = _seq(
        (6,),
        keras.layers.Embedding(20, 4),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(3),
    )
    return model, [RNG.integers(0, 20, (1, 6)).astype(np.int32)]


def _mobilenet_v2():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(1)
    model = keras.applications.MobileNetV2(alpha=0.35, input_shape=(32, 32, 3), weights=None, classes=10)
    return model, [_x(1, 32, 32, 3, low=0.0, high=1.0)]


def _half(policy_or_dtype):
    def build():
        import keras  # noqa: PLC0415

        keras.utils.set_random_seed(1)
        if policy_or_dtype == "mixed_float16":
            layers = [keras.layers.Dense(8, activation="relu", dtype="mixed_float16"), keras.layers.Dense(3)]
        else:
            layers = [keras.layers.Dense(8, activation="relu", dtype=policy_or_dtype), keras.layers.Dense(3)]
        return keras.Sequential([keras.Input((6,)), *layers]), [_x(1, 6)]

    return build


MODELS = {
    "mlp_relu": _keras((16,), lambda L: [L.Dense(32, activation="relu"), L.Dense(5)]),
    "mlp_softmax_10": _keras((16,), lambda L: [L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")]),
    "mlp_softmax_100": _keras((16,), lambda L: [L.Dense(100, activation="softmax")]),
    "dense_batchnorm_dropout": _keras(
        (10,), lambda L: [L.Dense(16), L.BatchNormalization(), L.ReLU(), L.Dropout(0.2), L.Dense(3)]
    ),
    "lenet_like": _keras(
        (16, 16, 1),
        lambda L: [
            L.Conv2D(4, 3, activation="relu"),
            L.MaxPooling2D(),
            L.Conv2D(8, 3, activation="relu"),
            L.Flatten(),
            L.Dense(10, activation="softmax"),
        ],
    ),
    "conv_same_stride2": _keras((9, 9, 2), lambda L: [L.Conv2D(4, 3, strides=2, padding="same"), L.Flatten()]),
    "depthwise_separable": _keras(
        (8, 8, 4), lambda L: [L.DepthwiseConv2D(3, padding="same"), L.SeparableConv2D(6, 3), L.GlobalMaxPooling2D()]
    ),
    "conv1d_gap": _keras((20, 3), lambda L: [L.Conv1D(6, 5, activation="relu"), L.GlobalAveragePooling1D()]),
    "avgpool_zeropad_crop": _keras(
        (10, 10, 2), lambda L: [L.ZeroPadding2D(1), L.AveragePooling2D(2), L.Cropping2D(1), L.Flatten()]
    ),
    "reshape_permute": _keras((4, 6), lambda L: [L.Reshape((6, 4)), L.Permute((2, 1)), L.Flatten(), L.Dense(3)]),
    "layernorm": _keras((6, 8), lambda L: [L.LayerNormalization(), L.Flatten(), L.Dense(2)]),
    "functional_residual": _functional_residual,
    "upsampling_nearest": _keras((4, 4, 2), lambda L: [L.UpSampling2D(2), L.Conv2D(2, 3)]),
    "upsampling_bilinear": _keras((4, 5, 2), lambda L: [L.UpSampling2D(2, interpolation="bilinear")]),
    "conv2d_transpose": _keras(
        (6, 6, 3), lambda L: [L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")]
    ),
    "conv1d_transpose": _keras((8, 2), lambda L: [L.Conv1DTranspose(3, 4, strides=2)]),
    "simple_rnn": _keras((7, 3), lambda L: [L.SimpleRNN(5), L.Dense(2)]),
    "lstm": _keras((6, 3), lambda L: [L.LSTM(4), L.Dense(2)]),
    "gru_sequences": _keras((6, 3), lambda L: [L.GRU(4, return_sequences=True)]),
    "lstm_unrolled": _keras((6, 3), lambda L: [L.LSTM(4, unroll=True), L.Dense(2)]),
    "lstm_go_backwards": _keras((6, 3), lambda L: [L.LSTM(4, go_backwards=True)]),
    "bidirectional_gru": _keras((6, 3), lambda L: [L.Bidirectional(L.GRU(3)), L.Dense(2)]),
    "embedding": _embedding,
    "mobilenet_v2_035": _mobilenet_v2,
    "float16_weights": _half("float16"),
    "bfloat16_weights": _half("bfloat16"),
    "mixed_float16": _half("mixed_float16"),
    **{
        f"activation_{name}": _activation(name)
        for name in (
            "relu",
            "relu6",
            "leaky_relu",
            "elu",
            "selu",
            "gelu",
            "softplus",
            "softsign",
            "silu",
            "hard_sigmoid",
            "tanh",
            "sigmoid",
            "exponential",
            "log_softmax",
            "mish",
        )
    },
    "gelu_tanh": _keras((8,), lambda L: [L.Dense(8), L.Activation(_gelu_tanh)]),
    "tf_matmul_bias_relu": _tf(lambda tf: lambda a: tf.nn.relu(tf.matmul(a, tf.ones((4, 3))) + 0.5), (2, 4)),
    "tf_reduce_mean_variance": _tf(lambda tf: lambda a: tf.math.reduce_variance(a, 1) + tf.reduce_mean(a, 1), (3, 5)),
    "tf_pow_floor_round_ceil": _tf(
        lambda tf: lambda a: tf.pow(a, 3.0) + tf.floor(a) + tf.round(a) + tf.math.ceil(a), (2, 6)
    ),
    "tf_log_expm1": _tf(lambda tf: lambda a: tf.math.log(a) + tf.math.expm1(a - 2.0), (2, 6), low=0.5, high=3.0),
    "tf_argmax": _tf(lambda tf: lambda a: tf.argmax(a, axis=1), (3, 7)),
    "tf_top_k": _tf(lambda tf: lambda a: tf.math.top_k(a, k=2).values, (3, 7)),
    "tf_sort": _tf(lambda tf: lambda a: tf.sort(a, axis=-1), (2, 6)),
    "tf_gather_constant": _tf(lambda tf: lambda a: tf.gather(a, [3, 0, 1], axis=1) * 2.0, (2, 5)),
    "tf_einsum": _tf(lambda tf: lambda a, b: tf.einsum("bij,bjk->bik", a, b), (2, 3, 4), (2, 4, 5)),
    "tf_cumsum": _tf(lambda tf: lambda a: tf.cumsum(a, axis=1), (2, 6)),
    "tf_resize_bilinear": _tf(lambda tf: lambda a: tf.image.resize(a, (8, 10), method="bilinear"), (1, 4, 5, 2)),
}
