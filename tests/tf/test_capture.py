"""Capture from real TensorFlow and Keras: kinds of functions, weights, accuracy, bad input."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import DATA, relative_error

import fpgalab
from examples import models
from fpgalab.frontend.tf.hlo import module_from_json, module_from_proto

pytestmark = pytest.mark.tf


@pytest.mark.parametrize("name", [n for n in models.EXAMPLES if n != "mobilenet_v1"])
def test_every_example_matches_tensorflow_in_float32(name):
    example = models.get(name)
    design = fpgalab.compile(example.fn, *example.args, precision="float32")
    expected = example.fn(*example.args) if example.kind == "function" else example.fn(example.args[0], training=False)
    assert relative_error(design.simulate(*example.args), np.asarray(expected)) <= 1e-5


@pytest.mark.slow
def test_mobilenet_v1_matches_tensorflow_in_float32():
    example = models.get("mobilenet_v1")
    design = fpgalab.compile(example.fn, *example.args, precision="float32")
    expected = example.fn(example.args[0], training=False)
    assert relative_error(design.simulate(*example.args), np.asarray(expected)) <= 1e-5


def test_digits_mlp_keeps_top1_within_one_point_at_ap_fixed_16_6():
    example = models.get("digits_mlp")
    _, x_test, _, y_test = models.digits_data()
    report = fpgalab.compile(example.fn, *example.args, precision="ap_fixed<16,6>").accuracy(x_test, y_test)
    assert report.samples == len(y_test) and report.reference == "tensorflow"
    assert report.float_accuracy >= 0.95
    assert report.accuracy >= report.float_accuracy - 0.01
    assert [e.layer for e in report.per_layer] == ["dense_1", "dense_2", "dense_3"]
    assert report.per_layer[0].max_abs_error < report.per_layer[-1].max_abs_error + 1.0


def test_accuracy_report_is_stable_across_runs():
    example = models.get("digits_mlp")
    _, x_test, _, y_test = models.digits_data()
    first = fpgalab.compile(example.fn, *example.args).accuracy(x_test, y_test)
    second = fpgalab.compile(example.fn, *example.args).accuracy(x_test, y_test)
    assert first == second


def test_plain_function_tf_function_and_kernel_decorator_agree():
    w = tf.constant(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4)

    def plain(a):
        return tf.nn.relu(tf.matmul(a, w))

    decorated = fpgalab.kernel(input_signature=[(2, 4)], precision="ap_fixed<12,4>")(plain)
    outputs = [
        fpgalab.compile(plain, x, precision="ap_fixed<12,4>").simulate(x),
        fpgalab.compile(tf.function(plain), x, precision="ap_fixed<12,4>").simulate(x),
        fpgalab.compile(decorated).simulate(x),
    ]
    assert outputs[0].shape == (2, 3)
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(outputs[0], outputs[2])
    assert np.allclose(decorated(x), plain(x))  # the decorated function still runs as TensorFlow


def test_keras_weights_are_bound_and_owned_by_the_design():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="head")])
    x = np.ones((1, 5), np.float32)
    design = fpgalab.compile(model, x, precision="float32")
    before = design.simulate(x)
    model.get_layer("head").kernel.assign(np.zeros((5, 3), np.float32))
    np.testing.assert_array_equal(design.simulate(x), before)  # the design kept its own copy
    assert relative_error(before, model(x).numpy() * 0 + before) == 0
    assert any("head" in c.name for c in design.kernel.constants)


def test_simulate_takes_a_batch_and_the_reference_agrees():
    example = models.get("lenet5")
    design = fpgalab.compile(example.fn, *example.args)
    batch = np.random.default_rng(0).uniform(0, 1, (5, 28, 28, 1)).astype(np.float32)
    out = design.simulate(batch)
    assert out.shape == (5, 10)
    np.testing.assert_array_equal(out[2], design.simulate(batch[2:3])[0])
    report = design.accuracy(batch)
    assert report.samples == 5 and report.top1_agreement is not None


def test_serialized_proto_decodes_to_the_stored_module():
    proto = (DATA / "lenet5.hlo.pb").read_bytes()
    stored = module_from_json((DATA / "lenet5.hlo.json").read_text())
    decoded = module_from_proto(proto)
    assert [i.opcode for i in decoded.entry_computation.instructions] == [
        i.opcode for i in stored.entry_computation.instructions
    ]


def test_design_json_round_trip_keeps_outputs():
    example = models.get("lenet5")
    design = fpgalab.compile(example.fn, *example.args)
    again = fpgalab.Design.from_json(design.to_json())
    np.testing.assert_array_equal(again.simulate(*example.args), design.simulate(*example.args))
    assert "pickle" not in design.to_json()[:200]


# ---- bad input gets a clear error and loses nothing --------------------------------------------------


def _raises(match, fn, *args, error=fpgalab.CompileError, **options):
    with pytest.raises(error, match=match) as info:
        fpgalab.compile(fn, *args, **options)
    assert "Traceback" not in str(info.value)
    return str(info.value)


def test_unsupported_op_names_the_op_and_tf_op():
    message = _raises("unsupported HLO op", lambda a: tf.math.atan2(a, a + 1.0), np.zeros(8, np.float32))
    assert "'atan2'" in message and "Atan2" in message and "convolution" in message


def test_boolean_and_string_inputs_are_refused():
    _raises("dtype bool", lambda a: a, np.array([True, False]))
    _raises("string", lambda a: a, "hello")


def test_mismatched_example_inputs():
    _raises("cannot be called with the example inputs", lambda a, b: a + b, np.zeros(3, np.float32))


def test_python_control_flow_on_tensor_values():
    def branchy(a):
        total = 0.0
        for _ in range(int(tf.reduce_sum(a).numpy())):
            total += a
        return total

    _raises("could not compile", branchy, np.ones(3, np.float32))


def test_data_dependent_shapes_are_refused():
    _raises(
        "s32 values at run time|could not compile|dynamic", lambda a: tf.boolean_mask(a, a > 0), np.ones(4, np.float32)
    )


def test_malformed_precision_and_unknown_options_are_value_errors():
    fn, x = (lambda a: a * 2.0), np.ones(3, np.float32)
    _raises("malformed precision", fn, x, error=ValueError, precision="ap_fixed<16>")
    _raises("unknown quantization mode", fn, x, error=ValueError, precision="ap_fixed<16,6,AP_ROUND>")
    _raises("device", fn, x, error=ValueError, device="xc9nothing")
    _raises("clock_mhz", fn, x, error=ValueError, clock_mhz=-5)
    _raises("names no layer", fn, x, error=ValueError, precision={"default": "ap_fixed<8,3>", "dense_9": "float32"})


def test_failed_compile_leaves_earlier_designs_intact():
    example = models.get("dense_8")
    design = fpgalab.compile(example.fn, *example.args)
    before = design.simulate(*example.args)
    with pytest.raises(fpgalab.CompileError):
        fpgalab.compile(lambda a: tf.cast(a * 2.0, tf.int32) + 1, np.zeros(8, np.float32))  # a computed float cast
    np.testing.assert_array_equal(design.simulate(*example.args), before)
    assert fpgalab.compile(example.fn, *example.args).simulate(*example.args).shape == before.shape


def test_accuracy_warns_about_layers_that_overflow_their_type():
    example = models.get("digits_mlp")
    _, x_test, _, y_test = models.digits_data()
    narrow = fpgalab.compile(example.fn, *example.args, precision="ap_fixed<8,3>").accuracy(x_test, y_test)
    assert narrow.overflowing_layers, "logits beyond ±4 must be flagged at ap_fixed<8,3>"
    assert "overflows its type" in narrow.summary()
    wide = fpgalab.compile(example.fn, *example.args, precision="ap_fixed<16,6>").accuracy(x_test, y_test)
    assert not wide.overflowing_layers
