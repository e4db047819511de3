"""Overflow inside a layer is counted and reported, and a softmax's defaults hold its class count (issue 12, item 3)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fpgalab
from fpgalab.ir import nodes as ir

pytestmark = pytest.mark.tf

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def _classifier(classes: int, seed: int = 0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [keras.Input((16,)), keras.layers.Dense(classes, name="logits"), keras.layers.Softmax(name="softmax")]
    )


def _batch(samples: int, features: int = 16, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(samples, features)).astype(np.float32)


def _simulate_quietly(design, x):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = design.simulate(x)
    return out, [str(w.message) for w in caught]


@pytest.mark.parametrize("classes", [10, 100, 1000])
def test_default_softmax_holds_its_classes(classes):
    """A softmax over many classes at the default precision sums without wrapping and reads 1/sum."""
    model = _classifier(classes)
    design = fpgalab.compile(model, np.zeros((1, 16), np.float32))
    sums = [n for n in design.kernel.nodes if isinstance(n, ir.Reduce) and n.kind == "sum"]
    assert len(sums) == 1
    assert sums[0].dtype.max_value >= classes  # the sum of `classes` exponentials of at most ~1 fits
    assert design.options.tables["reciprocal"].hi > classes
    x = _batch(300)
    out, messages = _simulate_quietly(design, x)
    assert not [m for m in messages if "overflowed" in m]
    reference = model(x).numpy()
    error = np.abs(out - reference)
    assert np.max(error) < 0.03 and np.mean(error) < 0.003  # the reciprocal table's step (1/16) bounds it
    report = design.accuracy(x)
    assert report.overflows == ()
    assert report.top1_agreement >= 0.9


def test_layer_accum_for_the_softmax_sum_is_kept_and_its_overflow_named():
    """The user's `accum` for the softmax layer types its sum; when too narrow, the count says so and how to fix it."""
    model = _classifier(100)
    design = fpgalab.compile(
        model,
        np.zeros((1, 16), np.float32),
        precision={"default": "ap_fixed<16,6>", "softmax": {"accum": "ap_fixed<16,6>"}},
    )
    total = next(n for n in design.kernel.nodes if isinstance(n, ir.Reduce) and n.kind == "sum")
    assert str(total.acc) == "ap_fixed<16,6>"
    x = _batch(200)
    _, messages = _simulate_quietly(design, x)
    overflow_messages = [m for m in messages if "overflowed" in m]
    assert len(overflow_messages) == 1  # one warning per design
    assert "softmax" in overflow_messages[0] and "the sum (ap_fixed<16,6>) wrapped" in overflow_messages[0]
    report = design.accuracy(x)
    found = {(o.layer, o.role): o for o in report.overflows}
    worst = found[("softmax", "sum")]
    # The sum of 100 exponentials of x - max(x), each in (0, 1], passes 32 exactly where float says so.
    logits = model.layers[0](x).numpy()
    float_sums = np.exp(logits - logits.max(axis=1, keepdims=True)).sum(axis=1)
    expected = int(np.sum(float_sums >= 32))
    assert abs(worst.samples - expected) <= 2  # table entries differ from exp by < 1 %: borderline samples only
    assert worst.total == 200
    assert "'softmax': {'accum': 'ap_fixed<" in worst.fix
    assert any("overflow in the last simulation: softmax" in w for w in design.report().warnings)
    assert "warning: overflow in the last simulation" in design.report().table()
    assert "overflow: softmax" in report.summary()


@pytest.mark.parametrize(("overflow_mode", "word"), [("AP_WRAP", "wrapped"), ("AP_SAT", "saturated")])
def test_dense_result_overflow_counted_per_sample(overflow_mode, word):
    """A layer built to overflow: y = 10 x at ap_fixed<8,3> (range [-4, 4)) overflows exactly where |10 x| >= 4."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, name="gain")])
    model.layers[0].set_weights([np.array([[10.0]], np.float32)])
    kind = f"ap_fixed<8,3,AP_TRN,{overflow_mode}>"
    design = fpgalab.compile(
        model, np.zeros((1, 1), np.float32), precision={"default": kind, "weight": "ap_fixed<8,5>", "accum": kind}
    )
    x = np.linspace(-1, 1, 101, dtype=np.float32)[:, None]
    out, messages = _simulate_quietly(design, x)
    assert len([m for m in messages if "overflowed" in m]) == 1
    quantized_x = np.floor(x.astype(np.float64) * 32) / 32  # the input in ap_fixed<8,3>: 5 fraction bits
    exact = 10 * quantized_x
    outside = (exact > 4 - 1 / 32) | (exact < -4)
    report = design.accuracy(x)
    (gain,) = [o for o in report.overflows if o.layer == "gain"]
    assert gain.samples == int(outside.sum())
    assert gain.mode == word
    assert "ap_fixed<10,5" in gain.fix  # |10 x| <= 10 needs 5 integer bits with the sign
    if overflow_mode == "AP_SAT":
        assert np.all(np.abs(out[outside[:, 0]]) >= 4 - 1 / 32)


def test_table_input_beyond_its_range_is_counted():
    """x / y with y far above the reciprocal table's range reads its last entry: counted as a table overflow."""

    def ratio(x, y):
        return x / y

    design = fpgalab.compile(
        ratio, np.ones((1, 4), np.float32), np.ones((1, 4), np.float32), precision="ap_fixed<24,12>"
    )
    x = np.ones((10, 4), np.float32)
    y = np.full((10, 4), 2.0, np.float32)
    y[:3, 1] = 500.0  # three samples divide by more than the table's 64
    report = design.accuracy((x, y))
    tables = [o for o in report.overflows if o.role == "table input"]
    assert len(tables) == 1 and tables[0].samples == 3
    assert "tables={'reciprocal'" in tables[0].fix


def test_log_and_expm1_tables_count_inputs_out_of_range_and_elu_does_not():
    """log of values beyond its table (and of negatives), expm1 of large values: table overflows;
    ELU computes expm1 of large positive inputs too but throws it away, so nothing is counted."""
    x = np.full((10, 4), 0.5, np.float32)
    x[:2, 0] = 20.0  # beyond log's [0, 16) and expm1's [-8, 8)
    x[2, 1] = -3.0  # below log's domain
    for fn, samples in (
        (lambda a: tf.math.log(a), 3),
        (lambda a: tf.math.expm1(a), 2),
        (lambda a: keras.activations.elu(a), 0),
    ):
        design = fpgalab.compile(fn, x[:1], precision="ap_fixed<24,12>")
        tables = [o for o in design.accuracy(x).overflows if o.role == "table input"]
        assert sum(o.samples for o in tables) == samples
        if samples:
            assert "tables={'" in tables[0].fix


def test_weight_that_does_not_fit_its_type_is_named():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, name="gain")])
    model.layers[0].set_weights([np.array([[10.0]], np.float32)])
    design = fpgalab.compile(model, np.zeros((1, 1), np.float32), precision="ap_fixed<8,3>")
    weights = [o for o in design.overflows(np.zeros((5, 1), np.float32)) if o.role == "weight"]
    assert len(weights) == 1 and weights[0].layer == "gain" and weights[0].samples == 5
    assert "precision={'weight': 'ap_fixed<10,5>'}" in weights[0].fix


def test_no_overflow_no_warning():
    model = _classifier(8)
    design = fpgalab.compile(model, np.zeros((1, 16), np.float32))
    _, messages = _simulate_quietly(design, _batch(50) * 0.1)
    assert not [m for m in messages if "overflowed" in m]


def test_calibration_batch_warns_at_compile_time():
    """compile(..., calibration=x) runs x once and warns where a type cannot hold its range; clean data is quiet."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, name="gain")])
    model.layers[0].set_weights([np.array([[10.0]], np.float32)])
    x = np.linspace(-1, 1, 101, dtype=np.float32)[:, None]
    precision = {"default": "ap_fixed<8,3>", "weight": "ap_fixed<8,5>"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        design = fpgalab.compile(model, np.zeros((1, 1), np.float32), precision=precision, calibration=x)
        fpgalab.compile(model, np.zeros((1, 1), np.float32), precision=precision, calibration=x * 0.3)
    messages = [str(w.message) for w in caught if "calibration batch" in str(w.message)]
    assert len(messages) == 1 and "gain" in messages[0] and "wrapped" in messages[0]
    assert [(o.layer, o.role) for o in design.overflows(x)] == [("gain", "result")]
    assert design.overflows(x * 0.3) == ()
    with pytest.raises(ValueError, match="calibration must be a batch"):
        fpgalab.compile(model, np.zeros((1, 1), np.float32), calibration=np.zeros((4, 7), np.float32))


def test_a_mean_sums_in_a_wider_type_than_its_result():
    """GlobalAveragePooling2D over 8x8 pixels of about 10: the sum (640) passes ap_fixed<16,6>'s range
    though the mean fits; the sum is the layer's accumulator and grows by log2(64) = 6 integer bits."""
    model = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.GlobalAveragePooling2D()])
    x = np.random.default_rng(1).uniform(8.0, 12.0, (16, 8, 8, 2)).astype(np.float32)
    design = fpgalab.compile(model, x[:1])
    (total,) = [n for n in design.kernel.nodes if isinstance(n, ir.Reduce)]
    assert (total.dtype.width, total.dtype.integer) == (22, 12)
    assert design.overflows(x) == ()  # and the constant 64 of the division is no overflow either
    assert np.max(np.abs(design.simulate(x) - model(x).numpy())) < 2**-8
