"""fpgalab.sparsify on a Keras MLP trained here on scikit-learn's digits: resources fall as sparsity
rises (io_parallel drops the multipliers of zero weights), each method reaches its sparsity, a loss
budget holds on the data it was measured on, the pruned Keras clone computes what the design's float
simulation does, and the sparsified design's HLS C++ builds with g++ and matches the simulator."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import fpgalab

pytestmark = pytest.mark.tf

METHODS = ("global", "std", "scan")


@pytest.fixture(scope="module")
def digits():
    """A 64-32-16-10 MLP trained 25 epochs on 1200 digits; the other 597 are the calibration data."""
    keras = pytest.importorskip("keras")
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(32, activation="relu", name="fc1"),
            keras.layers.Dense(16, activation="relu", name="fc2"),
            keras.layers.Dense(10, name="out"),
        ]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:1200], y[:1200], epochs=25, batch_size=32, verbose=0)
    design = fpgalab.compile(model, x[:1], io="parallel")
    return model, design, (x[1200:], y[1200:])


@pytest.mark.parametrize("method", METHODS)
def test_dsp_and_lut_never_rise_as_sparsity_rises(digits, method):
    _, design, data = digits
    resources = []
    for target in (0.0, 0.3, 0.6, 0.9):
        result = fpgalab.sparsify(design, method=method, target=target, data=data)
        assert result.sparsity == pytest.approx(target, abs=2e-3)
        resources.append(result.design.report().resources)
    dsp = [r.dsp for r in resources]
    lut = [r.lut for r in resources]
    assert dsp == sorted(dsp, reverse=True) and lut == sorted(lut, reverse=True), (dsp, lut)
    assert dsp[-1] < dsp[0] / 4 and lut[-1] < lut[0] / 4


@pytest.mark.parametrize("method", METHODS)
def test_each_method_reaches_its_sparsity_and_prunes_the_keras_clone_alike(digits, method):
    model, _, data = digits
    result = fpgalab.sparsify(model, method=method, target=0.7, data=data, io="parallel")
    assert result.sparsity == pytest.approx(0.7, abs=1e-3)
    assert [row["layer"] for row in result.rows()] == ["fc1", "fc2", "out"]
    pruned = result.model
    assert pruned is not model
    for row in result.layers:
        kernel, bias = pruned.get_layer(row.layer).get_weights()
        original_kernel, original_bias = model.get_layer(row.layer).get_weights()
        assert np.count_nonzero(kernel) == row.kept
        np.testing.assert_array_equal(kernel, np.where(np.abs(original_kernel) <= row.threshold, 0, original_kernel))
        np.testing.assert_array_equal(bias, original_bias)  # biases are never pruned
    x = data[0][:50]
    want = np.asarray(pruned(x))
    got = result.design.simulate(x, float_reference=True)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.count_nonzero(model.get_layer("fc1").get_weights()[0]) == 64 * 32  # the model given is untouched


@pytest.mark.parametrize("method", METHODS)
def test_a_loss_budget_holds_on_the_data(digits, method):
    _, design, data = digits
    result = fpgalab.sparsify(design, method=method, target={"loss": 0.02}, data=data)
    before, after = result.accuracy_before, result.accuracy_after
    assert set(before) == {"top1", "top5"}
    assert after["top1"] >= before["top1"] - 0.02 and after["top5"] >= before["top5"] - 0.02
    outputs = result.design.simulate(data[0])
    assert np.mean(np.argmax(outputs, axis=1) == data[1]) >= before["top1"] - 0.02 - 1e-9
    assert result.sparsity > 0.1
    assert result.seconds < 20, result.table()
    capped = fpgalab.sparsify(design, method=method, target={"loss": 0.02, "sparsity": 0.1}, data=data)
    assert capped.sparsity <= 0.1 + 1e-3


def test_the_table_says_per_layer_what_was_kept_and_what_it_cost(digits):
    _, design, data = digits
    result = fpgalab.sparsify(design, method="scan", target=0.8, data=data)
    rows = result.rows()
    assert {"layer", "weights", "kept", "sparsity", "threshold", "std_multiple", "effect", "scan"} <= set(rows[0])
    assert sum(r["weights"] for r in rows) == 64 * 32 + 32 * 16 + 16 * 10
    assert sum(r["kept"] for r in rows) == round(0.2 * sum(r["weights"] for r in rows))
    assert set(rows[0]["scan"]) == {0.3, 0.5, 0.7, 0.8, 0.9, 0.95}
    text = result.table()
    assert "method scan" in text and "fc1" in text and "total" in text
    no_data = fpgalab.sparsify(design, method="std", target={"fc1": 0.5})
    assert no_data.accuracy_before is None and [r.effect for r in no_data.layers] == [None, None, None]
    assert [r.sparsity for r in no_data.layers] == [0.5, 0.0, 0.0]


def test_bad_arguments_say_what_is_allowed(digits):
    model, design, data = digits
    with pytest.raises(ValueError, match=r"target sparsity must be in \[0, 1\), got 1\.5"):
        fpgalab.sparsify(design, target=1.5)
    with pytest.raises(ValueError, match=r"accuracy-loss budget is measured on labelled data: give data=\(x, y\)"):
        fpgalab.sparsify(design, target={"loss": 0.01})
    with pytest.raises(ValueError, match="its own options"):
        fpgalab.sparsify(design, target=0.5, io="stream")
    with pytest.raises(ValueError, match="example inputs"):
        fpgalab.sparsify(model, target=0.5)
    with pytest.raises(ValueError, match="data must be a pair"):
        fpgalab.sparsify(design, target=0.5, data=data[0])
    with pytest.raises(ValueError, match="needs the labels y"):
        fpgalab.sparsify(design, method="scan", target=0.5, data=(data[0], None))
    with pytest.raises(ValueError, match="go with method 'std'"):  # before the model is compiled
        fpgalab.sparsify(model, method="scan", target={"fc1": 0.5}, data=data)
    with pytest.raises(ValueError, match=r"not layers with weights in this design; the layers are \['fc1'"):
        fpgalab.sparsify(design, method="std", target={"fc3": 0.5})


@pytest.mark.tools
def test_sparsified_design_hls_cpp_builds_and_matches_the_simulator(digits, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_hls_cpp import _csim  # noqa: PLC0415

    _, design, data = digits
    result = fpgalab.sparsify(design, method="std", target=0.9, data=data)
    kernel = _csim(result.design, tmp_path / "hls")
    assert "#pragma HLS" in kernel


def test_convolutions_nested_models_and_batch_norm_map_onto_the_keras_clone():
    """Conv2D, DepthwiseConv2D inside a nested Sequential and a Dense are pruned in the clone as in the
    design; the batch normalisation between them keeps its constants."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    block = keras.Sequential(
        [keras.Input((6, 6, 4)), keras.layers.DepthwiseConv2D(3, name="dw"), keras.layers.Conv2D(8, 1, name="pw")],
        name="block",
    )
    inputs = keras.Input((8, 8, 2))
    h = keras.layers.Conv2D(4, 3, name="conv1")(inputs)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = block(keras.layers.ReLU()(h))
    model = keras.Model(inputs, keras.layers.Dense(5, name="head")(keras.layers.Flatten()(h)))
    rng = np.random.default_rng(0)
    bn = [rng.uniform(0.5, 2, 4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.5, 2, 4)]
    model.get_layer("bn").set_weights(bn)
    x = rng.normal(size=(20, 8, 8, 2)).astype(np.float32)
    result = fpgalab.sparsify(model, x[:1], method="global", target=0.5)
    assert [row.layer for row in result.layers] == ["conv1", "dw", "pw", "head"]
    assert result.sparsity == pytest.approx(0.5) and len({row.threshold for row in result.layers}) == 1
    np.testing.assert_allclose(result.design.simulate(x, float_reference=True), np.asarray(result.model(x)), atol=1e-5)
    for got, want in zip(result.model.get_layer("bn").get_weights(), bn):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    kept = np.count_nonzero(result.model.get_layer("block").get_layer("dw").get_weights()[0])
    assert kept == next(row.kept for row in result.layers if row.layer == "dw")


def test_the_result_shows_resources_and_latency_before_and_after(digits):
    _, design, data = digits
    result = fpgalab.sparsify(design, method="global", target=0.7, data=data)
    before, after = result.resources_before, result.resources_after
    report = design.report()
    assert before["dsp"] == report.resources.dsp and before["cycles"] == report.cycles
    assert after["dsp"] == result.design.report().resources.dsp < before["dsp"]
    assert after["lut"] < before["lut"]
    assert f"DSP {before['dsp']:,.0f} -> {after['dsp']:,.0f}" in result.table()


@pytest.mark.tools
def test_sparsified_mixed_precision_design_hls_cpp_builds_and_matches_the_simulator(digits, tmp_path):
    """Pruned, then narrowed by the precision search: the HLS C++ still builds and matches bit for bit."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_hls_cpp import _csim  # noqa: PLC0415

    _, design, data = digits
    pruned = fpgalab.sparsify(design, method="scan", target={"loss": 0.01}, data=data)
    searched = fpgalab.search_precision(pruned.design, data=data, loss=0.02)
    zeros = [c for c in searched.design.kernel.constants if c.role == "weight" and np.any(c.value == 0)]
    assert zeros and len({str(c.dtype) for c in searched.design.kernel.constants if c.role == "weight"}) > 1
    assert "#pragma HLS" in _csim(searched.design, tmp_path / "hls")
