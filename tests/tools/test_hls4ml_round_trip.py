"""Issue 18's round-trip tier: fpgalab's configuration -> hls4ml -> ``predict`` equals ``simulate``, and
hls4ml's configuration -> fpgalab -> ``hls4ml_config()`` gives the configuration back.

For each case a design is compiled at ap_fixed<16,6> with an io type and strategy (resource with a
reuse factor above 1); ``design.hls4ml_config()`` is given to hls4ml 1.3.0's
``convert_from_keras_model``, its C simulation is built with g++, and its ``predict`` on 1,000
inputs must equal ``design.simulate`` exactly. The matrix covers the Keras example models
(``jet_mlp``, ``lenet5``, ``digits_mlp``, ``mobilenet_v1_small``, ``mnist_softmax`` rebuilt as the Keras
layer it is) and small models for Conv1D, Conv2D, depthwise and separable convolutions, pooling,
BatchNormalization, ReLU/LeakyReLU/ELU/sigmoid/tanh tables and softmax, each in both io types (the
layers' strategy alternating) except ``mnist_softmax`` and ``mobilenet_v1_small``; both strategies run
on dense, Conv1D, Conv2D and depthwise layers. Cases hls4ml 1.3.0 itself cannot convert or simulate
skip and say why. Each hls4ml build is one g++ compilation (4-50 s): the file took 4 min 37 s on
two shared cores (``pytest tests/tools/test_hls4ml_round_trip.py``; ``make test-tools`` installs hls4ml).

``chain_8`` is not in the matrix: it is a TensorFlow function, and hls4ml converts Keras models.
Layer names: see ``_small_model``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import fpgalab

pytestmark = [pytest.mark.tools, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PRECISION = "ap_fixed<16,6>"
SAMPLES = 1000


def _examples():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from examples import models  # noqa: PLC0415

    return models


def _sequential(name, shape, body, seed=7):
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape), *body], name=name)
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # BatchNormalization statistics that are not the identity
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            stats = (rng.uniform(0.5, 1.5, n), rng.normal(0, 0.2, n), rng.normal(0, 0.2, n), rng.uniform(0.5, 2, n))
            layer.set_weights([s.astype(np.float32) for s in stats])
    return model


def _example_model(name):
    """An example model and 1,000 inputs spread like its example input."""
    import keras  # noqa: PLC0415

    models = _examples()
    rng = np.random.default_rng(3)
    if name == "mnist_softmax":  # the TensorFlow function softmax(x @ W + b) as the Keras layer it is
        example = models.mnist_softmax()
        w, b = (np.asarray(v) for v in example.fn.weights)
        model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax", name="fc")])
        model.get_layer("fc").set_weights([w, b])
        return model, rng.uniform(0.0, 1.0, size=(SAMPLES, 784)).astype(np.float32)
    example = models.get(name)
    shape = example.args[0].shape[1:]
    if name == "digits_mlp":
        x = models.digits_data()[0][:SAMPLES]
    elif name == "jet_mlp":
        x = rng.normal(size=(SAMPLES, *shape))
    else:
        x = rng.uniform(0.0, 1.0, size=(SAMPLES, *shape))
    return example.fn, np.asarray(x, dtype=np.float32)


def _small_model(kind):
    """Small models. No layer is called i, n, p, u or t: hls4ml 1.3.0's Keras 3 converter starts its set of
    used names as ``set('input')``, the set of those letters (``UniqueName``, converters/keras_v3_to_hls.py),
    so such a layer is ``p_0`` in hls4ml (``test_a_layer_called_p_is_hls4ml_s_p_0``)."""
    import keras  # noqa: PLC0415

    layers = keras.layers
    dense = {
        "relu": layers.ReLU(name="a"),
        "leaky_relu": layers.LeakyReLU(negative_slope=0.2, name="a"),
        "elu": layers.ELU(name="a"),
        "sigmoid": layers.Activation("sigmoid", name="a"),
        "tanh": layers.Activation("tanh", name="a"),
        "softmax": layers.Activation("softmax", name="a"),
    }
    if kind in dense:
        shape, body = (6,), [layers.Dense(8, name="d"), dense[kind]]
    else:
        shape, body = {
            "conv1d_maxpool": (
                (16, 2),
                [layers.Conv1D(4, 3, name="c"), layers.MaxPooling1D(2, name="pool"), layers.Flatten(name="f")],
            ),
            "conv2d_avgpool": ((8, 8, 2), [layers.Conv2D(4, 3, name="c"), layers.AveragePooling2D(2, name="pool")]),
            "depthwise": ((8, 8, 3), [layers.DepthwiseConv2D(3, name="dw")]),
            "separable": ((8, 8, 3), [layers.SeparableConv2D(4, 3, name="sep")]),
            "batchnorm": ((6,), [layers.Dense(8, name="d"), layers.BatchNormalization(name="bn")]),
        }[kind]
    model = _sequential(kind, shape, body)
    x = np.random.default_rng(0).normal(scale=2.0, size=(SAMPLES, *shape)).astype(np.float32)
    return model, x


def _model(name):
    if name in ("jet_mlp", "lenet5", "digits_mlp", "mnist_softmax", "mobilenet_v1_small"):
        return _example_model(name)
    return _small_model(name)


# (model, io, strategy, reuse). Resource reuse factors divide the layers' n_in * n_out as hls4ml requires.
CASES = [
    ("jet_mlp", "parallel", "latency", 1),
    ("jet_mlp", "stream", "resource", 4),
    ("digits_mlp", "parallel", "resource", 2),
    ("digits_mlp", "stream", "latency", 1),
    ("mnist_softmax", "parallel", "latency", 1),
    ("lenet5", "stream", "latency", 1),
    ("lenet5", "parallel", "resource", 2),
    ("mobilenet_v1_small", "stream", "latency", 1),
    ("conv1d_maxpool", "parallel", "latency", 1),
    ("conv1d_maxpool", "stream", "resource", 2),
    ("conv2d_avgpool", "parallel", "resource", 2),
    ("conv2d_avgpool", "stream", "latency", 1),
    ("depthwise", "parallel", "latency", 1),
    ("depthwise", "stream", "latency", 1),
    ("depthwise", "parallel", "resource", 3),
    ("depthwise", "stream", "resource", 3),
    ("separable", "parallel", "latency", 1),
    ("separable", "stream", "latency", 1),
    ("batchnorm", "parallel", "latency", 1),
    ("batchnorm", "stream", "resource", 2),
    ("relu", "stream", "latency", 1),
    ("relu", "parallel", "resource", 2),
    ("leaky_relu", "parallel", "latency", 1),
    ("leaky_relu", "stream", "resource", 2),
    ("elu", "parallel", "latency", 1),
    ("elu", "stream", "resource", 2),
    ("sigmoid", "parallel", "latency", 1),
    ("sigmoid", "stream", "resource", 4),
    ("tanh", "stream", "latency", 1),
    ("tanh", "parallel", "resource", 4),
    ("softmax", "parallel", "resource", 2),
    ("softmax", "stream", "latency", 1),
]

# hls4ml 1.3.0's own failures to convert a Keras 3 layer: (exception, what it says, why)
CONVERSION_FAILURES = (
    (
        AttributeError,
        "'SeparableConv2D' object has no attribute 'kernel'",
        "hls4ml 1.3.0 cannot convert Keras 3's SeparableConv2D: its parser reads the layer's `kernel`, "
        "which Keras 3's SeparableConv2D does not have (it has depthwise_kernel and pointwise_kernel)",
    ),
    (
        AssertionError,
        "Only ReLU with max_value=None or inf is supported",
        "hls4ml 1.3.0's Keras 3 ReLU handler (converters/keras_v3/core.py) refuses ReLU(max_value=6), "
        "MobileNet's ReLU6",
    ),
)

# Cases hls4ml's C simulation aborts on (an assert in its nnet_utils headers kills the process)
C_SIMULATION_ABORTS = {
    ("depthwise", "parallel", "resource"): "hls4ml 1.3.0's io_parallel DepthwiseConv2D has no resource strategy: "
    "nnet_sepconv2d.h asserts 'Resource strategy for DepthwiseConv2D is not supported.' (io_stream has one)",
}


def _convert(hls4ml, model, config, folder):
    """hls4ml's model from fpgalab's configuration; hls4ml 1.3.0's own conversion failures skip."""
    try:
        return hls4ml.converters.convert_from_keras_model(model, output_dir=str(folder), **config)
    except (AttributeError, AssertionError) as error:
        for kind, says, why in CONVERSION_FAILURES:
            if isinstance(error, kind) and says in str(error):
                pytest.skip(f"{why}: {error}")
        raise


@pytest.mark.parametrize("name, io, strategy, reuse", CASES)
def test_fpgalab_configuration_in_hls4ml_predicts_the_simulated_bits(hls4ml, name, io, strategy, reuse, tmp_path):
    if (name, io, strategy) in C_SIMULATION_ABORTS:
        pytest.skip(C_SIMULATION_ABORTS[name, io, strategy])
    model, x = _model(name)
    design = fpgalab.compile(model, x[:1], io=io, strategy=strategy, reuse=reuse, precision=PRECISION)
    config = design.hls4ml_config()
    assert config["io_type"] == f"io_{io}"
    assert config["hls_config"]["Model"]["Strategy"].lower() == strategy
    hls_model = _convert(hls4ml, model, config, tmp_path / "prj")
    hls_model.compile()
    theirs = np.asarray(hls_model.predict(np.ascontiguousarray(x)), dtype=np.float64).reshape(SAMPLES, -1)
    ours = np.asarray(design.simulate(x), dtype=np.float64).reshape(SAMPLES, -1)
    differ = ours != theirs
    assert not differ.any(), (
        f"{differ.mean():.2%} of the outputs differ; first at {tuple(np.argwhere(differ)[0])}\n"
        + str(design.compare_hls4ml(x[:200], model=model, output_dir=str(tmp_path / "trace")))
    )


POOLING = ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")


def _edited(config, granularity, model):
    """hls4ml's configuration edited the way users do: reuse factors, precision strings, strategy.

    A pooling layer keeps ReuseFactor 1: hls4ml makes it the pooling loop's initiation interval, which
    fpgalab does not model, and ``compile`` says so (``test_pooling_reuse_factor_is_refused``)."""
    pooling = [layer.name for layer in model.layers if type(layer).__name__ in POOLING]
    config["Model"]["ReuseFactor"] = 1 if granularity == "model" and pooling else 2
    config["Model"]["Strategy"] = "Resource"
    config["Model"]["Precision"] = "fixed<12,4>" if granularity == "model" else config["Model"]["Precision"]
    if granularity == "model":
        return config
    if granularity == "type":
        for layer_type, settings in config["LayerType"].items():
            if layer_type in POOLING:
                settings["ReuseFactor"] = 1
            if isinstance(settings.get("Precision"), dict) and "result" in settings["Precision"]:
                settings["Precision"]["result"] = "ap_fixed<16,6,AP_RND_CONV,AP_SAT>"
        return config
    for name in pooling:
        config["LayerName"].setdefault(name, {})["ReuseFactor"] = 1
    first, *_ = (layer.name for layer in model.layers if layer.name in config["LayerName"])
    config["LayerName"][first]["ReuseFactor"] = 4
    config["LayerName"][first]["Precision"]["result"] = "ap_fixed<16,6,AP_RND_CONV,AP_SAT>"
    config["LayerName"][first]["Precision"]["weight"] = "fixed<12,4>"
    return config


@pytest.mark.parametrize("granularity", ["model", "type", "name"])
@pytest.mark.parametrize(
    "name, io", [("jet_mlp", "io_parallel"), ("conv2d_avgpool", "io_stream"), ("elu", "io_parallel")]
)
def test_hls4ml_configuration_through_fpgalab_comes_back(hls4ml, name, io, granularity):
    import copy  # noqa: PLC0415

    model, x = _model(name)
    config = _edited(hls4ml.utils.config_from_keras_model(model, granularity=granularity), granularity, model)
    given = copy.deepcopy(config)
    design = fpgalab.compile(model, x[:1], hls_config=config, io_type=io)
    out = design.hls4ml_config()
    assert out["hls_config"] == given
    assert out["io_type"] == io


def test_pooling_reuse_factor_is_refused(hls4ml):
    """hls4ml turns a pooling layer's ReuseFactor into its loop's initiation interval; fpgalab models
    ReuseFactor on dense and convolution layers only and refuses rather than estimate something else."""
    model, x = _model("conv2d_avgpool")
    config = hls4ml.utils.config_from_keras_model(model, granularity="model")
    config["Model"]["ReuseFactor"] = 2
    with pytest.raises(ValueError, match=r"layer 'pool' \(AveragePooling2D\): fpgalab models ReuseFactor on dense"):
        fpgalab.compile(model, x[:1], hls_config=config, io_type="io_stream")


def test_activation_param_other_than_auto_is_refused(hls4ml):
    """ELU's and LeakyReLU's ``param`` (their constant) is read as ``auto``, the type hls4ml infers for it."""
    model, x = _model("leaky_relu")
    config = hls4ml.utils.config_from_keras_model(model, granularity="name")
    config["LayerName"]["a"]["Precision"]["param"] = "fixed<8,1>"
    with pytest.raises(ValueError, match=r"\['a'\]\['Precision'\]\['param'\] = 'fixed<8,1>': fpgalab keeps"):
        fpgalab.compile(model, x[:1], hls_config=config, io_type="io_parallel")


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="hls4ml 1.3.0 renames a Keras 3 layer called i, n, p, u or t to <name>_0 (UniqueName starts from "
    "set('input'), the set of those letters); fpgalab names hls4ml's layers after the Keras layers and does not "
    "copy that quirk, so hls4ml's own configuration of such a model names a layer fpgalab does not know",
)
def test_a_layer_called_p_is_hls4ml_s_p_0(hls4ml):
    import keras  # noqa: PLC0415

    model = _sequential(
        "p", (8, 8, 2), [keras.layers.Conv2D(4, 3, name="c"), keras.layers.AveragePooling2D(2, name="p")]
    )
    config = hls4ml.utils.config_from_keras_model(model, granularity="name")
    assert "p_0" in config["LayerName"]
    fpgalab.compile(model, np.zeros((1, 8, 8, 2), np.float32), hls_config=config, io_type="io_stream")
