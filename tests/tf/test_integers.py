"""Integer inputs (token ids, indices) captured from real TensorFlow: ap_int/ap_uint inputs, exact
integer arithmetic and exact conversions to the design's type (issue 12, item 2)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import fpgalab
from fpgalab.errors import CompileError
from fpgalab.ir.types import FixedType

pytestmark = pytest.mark.tf


def _wrap_and_scale(ids):
    """Keras's Embedding wraps negative ids (compare, add, select) before it gathers; then a cast."""
    wrapped = tf.where(ids < 0, ids + 10, ids)
    return tf.cast(wrapped * 3 - 1, tf.float32) * 0.25


IDS = np.array([[1, -3, 5, 7, 0, -1]])


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.int16])
def test_float32_design_matches_tensorflow(dtype):
    """In a float32 design integers are float32: exact while no integer operation wraps around."""
    ids = np.abs(IDS) + 1 if np.dtype(dtype).kind == "u" else IDS
    example = ids.astype(dtype)
    design = fpgalab.compile(_wrap_and_scale, example, precision="float32")
    assert design.kernel.inputs[0].integer
    np.testing.assert_array_equal(design.simulate(example), _wrap_and_scale(tf.constant(example)).numpy())


@pytest.mark.parametrize("dtype,width,signed", [(np.int32, 32, True), (np.int64, 32, True), (np.uint8, 8, False)])
def test_fixed_point_inputs_are_ap_int_of_the_element_type(dtype, width, signed):
    example = (np.abs(IDS) + 1).astype(dtype)
    design = fpgalab.compile(_wrap_and_scale, example, precision="ap_fixed<16,8>")
    assert design.kernel.inputs[0].dtype == FixedType(width, width, signed)
    integer_nodes = [n for n in design.kernel.nodes if n.dtype == FixedType(width, width, signed)]
    assert integer_nodes, "the wrap of negative ids stays in the ids' own type, as XLA computes it"
    # every value here is a multiple of 0.25 inside ap_fixed<16,8>: the design is exact
    np.testing.assert_array_equal(design.simulate(example), _wrap_and_scale(tf.constant(example)).numpy())


def test_unsigned_integers_wrap_as_tensorflow_does():
    example = np.array([[0, 1, 2, 200]], np.uint8)
    design = fpgalab.compile(_wrap_and_scale, example, precision="ap_fixed<16,8>")
    expected = _wrap_and_scale(tf.constant(example)).numpy()
    assert expected[0, 0] == 63.75  # 0 * 3 - 1 wraps to 255 in uint8
    with pytest.warns(UserWarning, match="wrapped"):  # the overflow count sees the wrap, as it would in hardware
        np.testing.assert_array_equal(design.simulate(example), expected)


def test_negative_ids_are_exact_in_fixed_point():
    example = IDS.astype(np.int32)
    design = fpgalab.compile(_wrap_and_scale, example, precision="ap_fixed<16,8>")
    np.testing.assert_array_equal(design.simulate(example), _wrap_and_scale(tf.constant(example)).numpy())


def test_the_input_role_narrows_an_integer_input():
    example = np.array([[1, 3, 5, 2]], np.int32)
    design = fpgalab.compile(
        lambda ids: tf.cast(ids, tf.float32) * 0.5,
        example,
        precision={"default": "ap_fixed<16,6>", "input": "ap_uint<4>"},
    )
    assert str(design.kernel.inputs[0].dtype) == "ap_uint<4>"
    np.testing.assert_array_equal(design.simulate(example), [[0.5, 1.5, 2.5, 1.0]])
    with pytest.warns(UserWarning, match="wrapped"):
        wrapped = design.simulate(np.array([[17, 3, 5, 2]], np.int32))
    assert wrapped[0, 0] == 0.5  # 17 wraps to 1 in four bits, as the hardware's input port would


def test_a_float_input_stays_in_the_input_role():
    design = fpgalab.compile(
        lambda ids, x: tf.cast(ids, tf.float32) * x,
        np.array([[1, 2]], np.int32),
        np.array([[0.5, 0.25]], np.float32),
        precision="ap_fixed<16,6>",
    )
    assert [str(i.dtype) for i in design.kernel.inputs] == ["ap_int<32>", "ap_fixed<16,6>"]
    np.testing.assert_array_equal(design.simulate(np.array([[3, 4]]), np.array([[0.5, 0.25]])), [[1.5, 1.0]])


def test_float_to_integer_casts_say_what_is_supported():
    with pytest.raises(CompileError, match="converting float values to integers"):
        fpgalab.compile(lambda x: tf.cast(x * 2.0, tf.int32) + 1, np.ones((1, 4), np.float32))


def test_a_float_input_cast_to_integers_is_an_integer_input():
    x = np.array([[1.7, -2.7, 3.0, 9.9]], np.float32)  # times 3 inside ap_fixed<16,6>
    fn = lambda v: tf.cast(tf.cast(v, tf.int32) * 3, tf.float32)  # noqa: E731
    design = fpgalab.compile(fn, x)
    assert design.kernel.inputs[0].integer
    assert np.array_equal(design.simulate(x), fn(tf.constant(x)).numpy())  # truncated toward zero, as TF casts


def test_integer_division_is_refused_with_the_integer_ops_listed():
    with pytest.raises(CompileError, match="integer tensors only with these HLO ops"):
        fpgalab.compile(lambda ids: tf.cast(ids // 3, tf.float32), np.ones((1, 4), np.int32))


def test_string_inputs_name_the_allowed_types():
    with pytest.raises(CompileError, match="integer inputs"):
        fpgalab.compile(lambda x: x, np.array([[True, False]]))
