"""Every supported HLO op, captured from real TensorFlow: float32 designs match TF to 1e-5."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import relative_error

import fpgalab
from fpgalab.frontend.tf.opcodes import SUPPORTED_OPS

pytestmark = pytest.mark.tf

RNG = np.random.default_rng(3)


def _x(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


W44 = tf.constant(_x(4, 4))
K33 = tf.constant(_x(3, 3, 2, 3))
DW = tf.constant(_x(3, 3, 4, 2))
TIES = np.array(
    [[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.25, 0.75], [3.5, -3.5, 1.0, -1.0, 0.0, 2.25, -2.75, 4.5]], np.float32
)
ELU_LAYER = keras.layers.ELU(alpha=0.7)
SOFTPLUS_LAYER = keras.layers.Activation("softplus")
keras.utils.set_random_seed(3)
RNN = keras.Sequential([keras.Input((4, 3)), keras.layers.SimpleRNN(3, return_sequences=True)])  # while, dynamic slices

CASES = {
    "add_sub_mul_div": (lambda a, b: (a + b) * (a - b) / (tf.abs(b) + 1.0), [_x(2, 5), _x(2, 5)]),
    "max_min_neg": (lambda a, b: tf.maximum(a, b) - tf.minimum(-a, b), [_x(3, 4), _x(3, 4)]),
    "exp_tanh_sigmoid": (lambda a: tf.exp(a) + tf.tanh(a) + tf.sigmoid(a), [_x(6)]),
    "sqrt_rsqrt": (lambda a: tf.sqrt(a) + tf.math.rsqrt(a), [_x(6, low=0.5, high=4.0)]),
    "compare_select": (lambda a, b: tf.where(a > b, a, 2.0 * b), [_x(8), _x(8)]),
    "clamp_relu6": (lambda a: tf.nn.relu6(a * 4.0) + tf.clip_by_value(a, -0.5, 0.5), [_x(2, 8)]),
    "transpose_reshape": (lambda a: tf.reshape(tf.transpose(a, [1, 0, 2]), [4, 6]) * 2.0, [_x(2, 4, 3)]),
    "slice_concat": (lambda a: tf.concat([a[:, 1:3] * 2.0, a[:, ::2]], axis=1), [_x(3, 6)]),
    "pad": (lambda a: tf.pad(a * 1.5, [[1, 2], [0, 1]], constant_values=0.25), [_x(2, 3)]),
    "reverse": (lambda a: tf.reverse(a, [0, 2]) * 2.0 + a, [_x(2, 5, 3)]),
    "broadcast_bias": (lambda a: a + tf.constant([1.0, -2.0, 0.5]), [_x(4, 3)]),
    "dot": (lambda a: tf.matmul(a, W44), [_x(2, 4)]),
    "dot_transposed": (lambda a: tf.matmul(W44, a, transpose_b=True), [_x(3, 4)]),
    "batched_dot": (lambda a, b: tf.einsum("bij,bjk->bik", a, b), [_x(2, 3, 4), _x(2, 4, 5)]),
    "conv_same_stride2": (lambda a: tf.nn.conv2d(a, K33, 2, "SAME"), [_x(1, 7, 7, 2)]),
    "conv_dilated": (lambda a: tf.nn.conv2d(a, K33, 1, "VALID", dilations=2), [_x(1, 9, 9, 2)]),
    "depthwise": (lambda a: tf.nn.depthwise_conv2d(a, DW, [1, 1, 1, 1], "SAME"), [_x(1, 6, 6, 4)]),
    "conv_transpose_stride2": (lambda a: tf.nn.conv2d_transpose(a, K33, (1, 9, 9, 2), 2, "VALID"), [_x(1, 4, 4, 3)]),
    "max_pool_same": (lambda a: tf.nn.max_pool2d(a, 3, 2, "SAME"), [_x(1, 7, 7, 2)]),
    "avg_pool_same": (lambda a: tf.nn.avg_pool2d(a, 3, 2, "SAME"), [_x(1, 7, 7, 2)]),
    "reduce_sum_max_min": (
        lambda a: tf.reduce_sum(a, [1, 2]) + tf.reduce_max(a, [0, 2])[:3] - tf.reduce_min(a, 2)[:, 0],
        [_x(3, 4, 5)],
    ),
    "mean": (lambda a: tf.reduce_mean(a, axis=[1, 2]), [_x(1, 4, 4, 3)]),
    "softmax_tuple": (lambda a: (tf.nn.softmax(a), a * 2.0), [_x(2, 10)]),
    "gather_constant_indices": (lambda a: tf.gather(a, [3, 0, 1], axis=1) * 2.0, [_x(2, 5)]),
    "argmax_sort_top_k": (
        lambda a: (tf.cast(tf.argmax(a, -1), tf.float32), tf.sort(a), tf.math.top_k(a, 2).values),
        [_x(2, 6)],
    ),
    # elementwise functions (tables) and the Keras activations built from them
    "expm1": (lambda a: tf.math.expm1(a), [_x(3, 8)]),
    "log": (lambda a: tf.math.log(a), [_x(3, 8, low=0.5, high=6.0)]),
    "log1p": (lambda a: tf.math.log1p(a), [_x(3, 8, low=-0.5, high=6.0)]),
    "erf": (lambda a: tf.math.erf(a), [_x(3, 8, low=-3.0, high=3.0)]),
    "elu": (lambda a: keras.activations.elu(a), [_x(3, 8, low=-4.0, high=4.0)]),
    "elu_layer": (lambda a: ELU_LAYER(a), [_x(3, 8, low=-4.0, high=4.0)]),
    "selu": (lambda a: keras.activations.selu(a), [_x(3, 8, low=-4.0, high=4.0)]),
    "softplus": (lambda a: keras.activations.softplus(a), [_x(3, 8, low=-6.0, high=6.0)]),
    "softplus_layer": (lambda a: SOFTPLUS_LAYER(a), [_x(3, 8, low=-6.0, high=6.0)]),
    "gelu_exact": (lambda a: keras.activations.gelu(a), [_x(3, 8, low=-4.0, high=4.0)]),
    "gelu_tanh": (lambda a: keras.activations.gelu(a, approximate=True), [_x(3, 8, low=-4.0, high=4.0)]),
    "log_softmax": (lambda a: keras.activations.log_softmax(a), [_x(2, 10)]),
    "mish_log_sigmoid_celu": (
        lambda a: keras.activations.mish(a) + keras.activations.log_sigmoid(a) + keras.activations.celu(a),
        [_x(3, 8, low=-4.0, high=4.0)],
    ),
    "tf_log_softmax": (lambda a: tf.nn.log_softmax(a), [_x(2, 10)]),
    # power: multiplies, sqrt, reciprocal, or exp(y log x)
    "pow_constant": (
        lambda a: tf.pow(a, 3.0) + tf.pow(a, 0.5) - tf.pow(a, -1.0) + tf.pow(a, 1.5) + tf.pow(a, -0.5),
        [_x(3, 8, low=1.0, high=2.0)],
    ),
    "pow_tensor": (lambda a, b: tf.pow(a, b), [_x(3, 8, low=0.5, high=2.0), _x(3, 8, low=-1.0, high=1.0)]),
    "square": (lambda a: tf.square(a) + tf.pow(a, 2.0), [_x(3, 8)]),
    # exact rounding: TF's round is half to even
    "floor_round_ceil": (lambda a: tf.floor(a) + 4.0 * tf.round(a) + 16.0 * tf.math.ceil(a), [TIES]),
    "while_recurrent": (RNN, [_x(1, 4, 3)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_design_matches_tensorflow(name):
    fn, args = CASES[name]
    design = fpgalab.compile(fn, *args, precision="float32")
    expected = fn(*[tf.constant(a) for a in args])
    got = design.simulate(*args)
    if isinstance(expected, tuple):
        for g, e in zip(got, expected):
            assert relative_error(g, e.numpy()) <= 1e-5
    else:
        assert relative_error(got, expected.numpy()) <= 1e-5


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixed_point_design_stays_near_float(name):
    fn, args = CASES[name]
    design = fpgalab.compile(fn, *args, precision="ap_fixed<24,10>")
    expected = fn(*[tf.constant(a) for a in args])
    got = design.simulate(*args)
    pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
    for g, e in pairs:
        assert np.max(np.abs(g - e.numpy())) < 0.1  # table look-ups of 1024 entries bound the error


def test_the_cases_cover_every_supported_op():
    seen = set()
    for fn, args in CASES.values():
        design = fpgalab.compile(fn, *args, precision="float32")
        tuple_shape = r"\((?:[^()]|\([^()]*\))*\)"  # a tuple shape, with tuples inside (a while's state)
        seen.update(re.findall(rf"=\s+(?:{tuple_shape}|\S+)\s+([a-z][\w-]*)\(", design.hlo_text))
    missing = set(SUPPORTED_OPS) - seen - {"bitcast", "call", "fusion", "copy"}
    assert not missing, f"no test case produces {sorted(missing)}"
