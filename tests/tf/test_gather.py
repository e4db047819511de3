"""gather captured from real TensorFlow (issue 12, item 2): Keras's Embedding and tf.gather with
ids at run time become a ROM read addressed by the id (clamped like XLA); constant indices into a
run-time tensor become slices and a concatenation."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import relative_error

import fpgalab
from fpgalab.errors import CompileError
from fpgalab.ir import nodes as ir

pytestmark = pytest.mark.tf

TABLE = np.random.default_rng(2).uniform(-1, 1, (10, 3)).astype(np.float32)
IDS = np.array([[1, 3, 5, 2], [0, 9, -2, 7]], np.int32)  # Keras wraps -2 to 8


def _embedding_model(head: str):
    keras.utils.set_random_seed(4)
    layers = [keras.Input((4,), dtype="int32"), keras.layers.Embedding(10, 3)]
    layers.append(keras.layers.GlobalAveragePooling1D() if head == "pool" else keras.layers.Flatten())
    return keras.Sequential(layers + [keras.layers.Dense(2)])


@pytest.mark.parametrize("head", ["pool", "flatten"])
def test_keras_embedding_float32_matches_tensorflow(head):
    model = _embedding_model(head)
    design = fpgalab.compile(model, IDS[:1], precision="float32")
    assert sum(isinstance(n, ir.Lookup) for n in design.kernel.nodes) == 1
    assert relative_error(design.simulate(IDS), model(IDS).numpy()) <= 1e-5


def test_out_of_range_ids_read_the_nearest_row_as_xla_does():
    model = _embedding_model("pool")
    design = fpgalab.compile(model, IDS[:1], precision="float32")
    outside = np.array([[1, 3, 5, 12], [0, -15, -2, 7]], np.int32)
    jitted = tf.function(lambda i: model(i), jit_compile=True)(outside).numpy()
    assert relative_error(design.simulate(outside), jitted) <= 1e-5


def test_keras_embedding_fixed_point_reads_the_quantized_table():
    model = _embedding_model("flatten")
    design = fpgalab.compile(model, IDS[:1], precision="ap_fixed<16,6>")
    lookup = next(n for n in design.kernel.nodes if isinstance(n, ir.Lookup))
    table = design.kernel.buffers()[lookup.inputs[0]]
    assert lookup.dtype == table.dtype == design.options.precision.default.weight
    assert str(design.kernel.inputs[0].dtype) == "ap_int<32>"
    assert np.max(np.abs(design.simulate(IDS) - model(IDS).numpy())) < 0.02
    report = design.report()
    assert report.resources.lut > 0 and report.cycles > 0


def test_gather_of_a_constant_table_with_run_time_ids():
    def pick(ids):
        return tf.gather(tf.constant(TABLE), ids) * 2.0

    ids = np.array([[4, 0, 9]], np.int32)
    design = fpgalab.compile(pick, ids, precision="float32")
    np.testing.assert_array_equal(design.simulate(ids), pick(ids).numpy())


def test_gather_along_the_last_axis_of_a_constant_table():
    def pick(ids):
        return tf.gather(tf.constant(TABLE.T), ids, axis=1) + 1.0

    ids = np.array([[4, 0, 9, 9]], np.int32)
    design = fpgalab.compile(pick, ids, precision="float32")
    np.testing.assert_array_equal(design.simulate(ids), pick(ids).numpy())


@pytest.mark.parametrize("indices,axis", [([2, 0, 1], 1), ([3, 4, 5, 0, 0], 1), ([1, 0], 0)])
def test_constant_indices_are_slices_and_a_concatenation(indices, axis):
    def pick(x):
        return tf.gather(x, indices, axis=axis) * 1.5

    x = np.random.default_rng(1).uniform(-1, 1, (2, 6)).astype(np.float32)
    design = fpgalab.compile(pick, x, precision="float32")
    kinds = {type(n).__name__ for n in design.kernel.nodes}
    assert "Lookup" not in kinds and kinds <= {"Slice", "Concat", "Elementwise"}
    np.testing.assert_array_equal(design.simulate(x), pick(x).numpy())


def test_run_time_ids_into_a_run_time_tensor_are_refused():
    with pytest.raises(CompileError, match="only pick rows of a constant table"):
        fpgalab.compile(
            lambda x, ids: tf.gather(x * 2.0, ids, axis=1),
            np.ones((2, 6), np.float32),
            np.array([1, 0], np.int32),
        )


def test_gathers_of_several_index_dimensions_are_refused():
    with pytest.raises(CompileError, match="along one axis"):
        fpgalab.compile(lambda ids: tf.gather_nd(tf.constant(TABLE), ids), np.array([[1, 2], [3, 0]], np.int32))


@pytest.mark.parametrize("ids_dtype", [np.int32, np.float32])
def test_embedding_behind_a_float_keras_input_takes_whole_numbers(ids_dtype):
    """``keras.Input((n,))`` is float32: Keras casts the ids to int32 before the Embedding. Integer ids
    make a round trip int -> float -> int, float ids make the input itself an integer input; either way
    the hardware takes ap_int ids, so a vocabulary of 100 works at the default ap_fixed<16,6>."""
    keras.utils.set_random_seed(5)
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Embedding(100, 4), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    ids = np.random.default_rng(2).integers(0, 100, (8, 6)).astype(ids_dtype)
    assert relative_error(fpgalab.compile(model, ids[:1], precision="float32").simulate(ids), model(ids)) <= 1e-6
    design = fpgalab.compile(model, ids[:1])
    assert design.kernel.inputs[0].integer and design.kernel.inputs[0].dtype.width == 32
    assert relative_error(design.simulate(ids), model(ids)) < 0.05  # the table and Dense at ap_fixed<16,6>


def test_a_float_input_also_read_as_a_float_keeps_its_cast_refused():
    with pytest.raises(CompileError, match="converting float values to integers"):
        fpgalab.compile(lambda x: tf.cast(tf.cast(x, tf.int32), tf.float32) + x, np.ones((1, 4), np.float32))
