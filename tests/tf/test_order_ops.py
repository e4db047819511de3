"""iota, argmax/argmin, sort, top_k, argsort and one_hot captured from real TensorFlow (issue 12,
item 2): float32 designs equal TensorFlow exactly (positions are integers, sorting moves values);
fixed-point designs give the same positions and the sorted values of the quantized inputs."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import fpgalab
from fpgalab.ir import nodes as ir

pytestmark = pytest.mark.tf


def _example():
    x = np.random.default_rng(11).uniform(-2, 2, (3, 8)).astype(np.float32)
    x[1, 2] = x[1, 5] = 1.75  # a tie: TensorFlow takes the first position, a stable sort keeps the order
    x[2, 0] = x[2, 7] = -1.5
    return x


CASES = {
    "argmax_last": lambda x: tf.argmax(x, axis=-1),
    "argmax_first": lambda x: tf.argmax(x, axis=0),
    "argmin_int32": lambda x: tf.argmin(x, axis=-1, output_type=tf.int32),
    "sort_ascending": lambda x: tf.sort(x, axis=-1),
    "sort_descending_axis0": lambda x: tf.sort(x, axis=0, direction="DESCENDING"),
    "top_k": lambda x: tf.math.top_k(x, k=3),
    "argsort": lambda x: tf.argsort(x, axis=-1, stable=True),
    "one_hot": lambda x: tf.one_hot(tf.argmax(x, -1), 8) * 2.0 + x[:, :1],
    "positions": lambda x: x * tf.cast(tf.range(8), tf.float32),
}


def _pairs(got, expected):
    if isinstance(expected, (tuple, list)):
        return list(zip(got, expected))
    return [(got, expected)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_design_equals_tensorflow(name):
    x = _example()
    design = fpgalab.compile(CASES[name], x, precision="float32")
    for got, want in _pairs(design.simulate(x), CASES[name](tf.constant(x))):
        np.testing.assert_array_equal(np.asarray(got, np.float64), want.numpy().astype(np.float64))


@pytest.mark.parametrize("name", ["argmax_last", "argmax_first", "argmin_int32", "argsort"])
def test_fixed_point_positions_equal_tensorflow_on_representable_values(name):
    x = np.round(_example() * 64) / 64  # values ap_fixed<16,6> holds exactly: the order is TensorFlow's
    design = fpgalab.compile(CASES[name], x, precision="ap_fixed<16,6>")
    np.testing.assert_array_equal(design.simulate(x), CASES[name](tf.constant(x)).numpy())


def test_fixed_point_top_k_is_exact_on_representable_values():
    x = np.round(_example() * 64) / 64
    design = fpgalab.compile(CASES["top_k"], x, precision="ap_fixed<16,6>")
    values, indices = design.simulate(x)
    expected = tf.math.top_k(x, k=3)
    np.testing.assert_array_equal(values, expected.values.numpy())
    np.testing.assert_array_equal(indices, expected.indices.numpy())


def test_argmax_is_two_comparator_trees_and_sort_a_rank_sort():
    x = _example()
    argmax = fpgalab.compile(CASES["argmax_last"], x).kernel
    assert [(type(n).__name__, getattr(n, "kind", "")) for n in argmax.nodes if isinstance(n, ir.Reduce)] == [
        ("Reduce", "max"),
        ("Reduce", "min"),
    ]
    sort = fpgalab.compile(CASES["sort_ascending"], x)
    pairwise = [n for n in sort.kernel.nodes if n.shape == (3, 8, 8)]
    assert pairwise, "every element compared with every other"
    report = sort.report()
    assert report.resources.lut > 0 and report.cycles > 0


def test_argmax_is_exact_when_the_values_are_wider_than_the_result_type():
    x = np.round(_example() * 256) / 256
    x[0] = [0.0, 0.5, 1.0, 1.5 + 1 / 4096, 1.5, -1.0, 0.25, 1.25]  # 1.5 + 2**-12 truncates to 1.5 in ap_fixed<16,6>
    design = fpgalab.compile(
        CASES["argmax_last"], x, precision={"default": "ap_fixed<16,6>", "input": "ap_fixed<20,8>"}
    )
    np.testing.assert_array_equal(design.simulate(x), CASES["argmax_last"](tf.constant(x)).numpy())
