"""Resizing captured from real TensorFlow: every resize path (UpSampling2D bilinear,
tf.image.resize bilinear and nearest, keras.layers.Resizing) is an HLO gather of a window per
output pixel at constant start indices, then a batched dot with constant weights. The gather is
data movement: its index map, computed at compile time, is checked here against XLA's own gather,
and the float32 designs match TensorFlow."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import relative_error
from tensorflow.compiler.tf2xla.python import xla

import fpgalab
from fpgalab.frontend.tf.gather import gather_positions
from fpgalab.ir import nodes as ir
from tests.unit.test_gather_positions import CONFIGS

try:
    from tensorflow.compiler.xla import xla_data_pb2
except ImportError:  # newer TensorFlow keeps XLA's protos under local_xla
    from local_xla.xla import xla_data_pb2

pytestmark = pytest.mark.tf

X = np.random.default_rng(6).uniform(-1, 1, (3, 4, 5, 3)).astype(np.float32)

CASES = {
    "upsampling_bilinear_2": lambda a: keras.layers.UpSampling2D(2, interpolation="bilinear")(a),
    "upsampling_bilinear_2x3": lambda a: keras.layers.UpSampling2D((2, 3), interpolation="bilinear")(a),
    "resize_bilinear_up": lambda a: tf.image.resize(a, (8, 10), method="bilinear"),
    "resize_bilinear_odd": lambda a: tf.image.resize(a, (7, 6), method="bilinear"),
    "resize_bilinear_down": lambda a: tf.image.resize(a, (3, 2), method="bilinear", antialias=False),
    "resize_nearest_up": lambda a: tf.image.resize(a, (9, 11), method="nearest"),
    "resize_nearest_down": lambda a: tf.image.resize(a, (2, 3), method="nearest"),
    "keras_resizing": lambda a: keras.layers.Resizing(6, 8)(a),
    "keras_resizing_nearest": lambda a: keras.layers.Resizing(3, 7, interpolation="nearest")(a),
    "keras_resizing_cropped": lambda a: keras.layers.Resizing(5, 5, crop_to_aspect_ratio=True)(a),
    "resize_bilinear_align_corners": lambda a: tf.compat.v1.image.resize_bilinear(a, (7, 9), align_corners=True),
}
# antialias=True, "bicubic" and "area" are not compiled by XLA in this TensorFlow: nothing to capture


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_positions_match_xla_gather(name):
    shape, indices, offset_dims, collapsed, mapped, vector_dim, sizes = CONFIGS[name]
    dims = {
        "offset_dims": offset_dims,
        "collapsed_slice_dims": collapsed,
        "start_index_map": mapped,
        "index_vector_dim": vector_dim,
        "slice_sizes": sizes,
    }
    numbers = xla_data_pb2.GatherDimensionNumbers(
        offset_dims=offset_dims, collapsed_slice_dims=collapsed, start_index_map=mapped, index_vector_dim=vector_dim
    )
    positions = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)  # exact in float32
    gather = tf.function(lambda a, i: xla.gather(a, i, numbers, list(sizes), False), jit_compile=True)
    expected = gather(positions, indices.astype(np.int32)).numpy()
    np.testing.assert_array_equal(gather_positions(shape, indices, dims), expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_resize_float32_matches_tensorflow(name):
    fn = CASES[name]
    design = fpgalab.compile(fn, X[:1], precision="float32")
    assert any(isinstance(n, ir.Lookup) for n in design.kernel.nodes)  # the window gather, as data movement
    assert relative_error(design.simulate(X), fn(X).numpy()) <= 1e-5


@pytest.mark.parametrize("name", ["upsampling_bilinear_2", "resize_nearest_down"])
def test_resize_fixed_point_stays_near_float(name):
    fn = CASES[name]
    design = fpgalab.compile(fn, X[:1], precision="ap_fixed<18,6>")
    assert np.max(np.abs(design.simulate(X) - fn(X).numpy())) < 2e-3


def conv_upsample_conv():
    keras.utils.set_random_seed(7)
    return keras.Sequential(
        [
            keras.Input((4, 5, 3)),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.UpSampling2D(2, interpolation="bilinear"),
            keras.layers.Conv2D(2, 3),
        ]
    )


def test_conv_upsampling_conv_model_matches_tensorflow():
    model = conv_upsample_conv()
    design = fpgalab.compile(model, X[:1], precision="float32")
    assert relative_error(design.simulate(X), model(X).numpy()) <= 1e-5
    fixed = fpgalab.compile(model, X[:1])
    assert np.max(np.abs(fixed.simulate(X) - model(X).numpy())) < 0.05
    report = fixed.report()
    assert report.cycles > 0 and report.resources.lut > 0


@pytest.mark.parametrize("io", ["parallel", "stream"])
def test_hls4ml_arrangements_name_the_interpolation_they_have_no_layer_for(io):
    design = fpgalab.compile(CASES["upsampling_bilinear_2"], X[:1], io=io)
    with pytest.raises(ValueError, match="batched dot .* has no hls4ml layer; compile it with io='layered'"):
        design.report()
