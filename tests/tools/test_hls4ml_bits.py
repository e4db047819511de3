"""tables='hls4ml': fpgalab's simulator computes hls4ml 1.3.0's bits, and its backends the simulator's.

Each model is of a kind hls4ml's own tests use, at ap_fixed<16,6>, compiled with io="parallel"
(whose default is hls4ml's table semantics). ``design.compare_hls4ml`` builds hls4ml's model at the
design's types, compiles its C simulation with g++ and traces every layer on 1000 inputs: every
traced layer must be bit-identical. In fpgalab's own mode the softmax is nearer the float model.
The LLVM module, the g++-built HLS C++ and the Verilog (Verilator) of hls4ml-mode designs equal the simulator.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import fpgalab
from fpgalab.backends import emit
from fpgalab.backends.llvm.jit import LlvmKernel
from fpgalab.backends.stimulus import test_inputs as make_inputs
from fpgalab.sim.functional import run_kernel

pytestmark = [pytest.mark.tools, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
AP_TYPES = ROOT / ".cache" / "ap_types"


def _model(kind: str):
    import keras  # noqa: PLC0415

    layers = keras.layers
    kinds = {
        "sigmoid": ((6,), [layers.Dense(8, name="d"), layers.Activation("sigmoid", name="a")]),
        "tanh": ((6,), [layers.Dense(8, name="d"), layers.Activation("tanh", name="a")]),
        "softmax": ((6,), [layers.Dense(5, name="d"), layers.Activation("softmax", name="a")]),
        "elu": ((6,), [layers.Dense(8, name="d"), layers.ELU(name="a")]),
        "elu_activation": ((6,), [layers.Dense(8, name="d"), layers.Activation("elu", name="a")]),
        "avgpool": ((6, 6, 2), [layers.Conv2D(3, 3, name="c"), layers.AveragePooling2D(2, name="p")]),
        "dense_bn_relu": (
            (6,),
            [layers.Dense(8, name="d"), layers.BatchNormalization(name="bn"), layers.Activation("relu", name="r")],
        ),
        "conv_bn_maxpool_dense": (
            (6, 6, 2),
            [
                layers.Conv2D(3, 3, name="c"),
                layers.BatchNormalization(name="bn"),
                layers.MaxPooling2D(2, name="m"),
                layers.Flatten(name="f"),
                layers.Dense(4, name="d"),
            ],
        ),
    }
    shape, body = kinds[kind]
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input(shape), *body], name=kind)
    for layer in model.layers:  # BatchNormalization statistics that are not the identity
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma * 1.5, beta + 0.25, mean + 0.1, var * 2.0])
    x = np.random.default_rng(0).normal(scale=2.0, size=(1000,) + shape).astype(np.float32)
    return model, x


KINDS = ["sigmoid", "tanh", "softmax", "elu", "elu_activation", "avgpool", "dense_bn_relu", "conv_bn_maxpool_dense"]


NARROW = "ap_fixed<8,3>"  # softmax tables cut to 128 and 256 entries, exponentials finer than the result
CASES = [(kind, "parallel", "ap_fixed<16,6>") for kind in KINDS] + [
    ("softmax", "stream", "ap_fixed<16,6>"),
    ("avgpool", "stream", "ap_fixed<16,6>"),
    ("conv_bn_maxpool_dense", "stream", "ap_fixed<16,6>"),
    ("softmax", "parallel", NARROW),
    ("sigmoid", "parallel", NARROW),
    ("elu", "parallel", NARROW),
    ("avgpool", "parallel", NARROW),
]


@pytest.mark.parametrize("kind, io, precision", CASES)
def test_hls4ml_mode_is_bit_identical_to_hls4ml(hls4ml, kind, io, precision, tmp_path):
    model, x = _model(kind)
    design = fpgalab.compile(model, x[:1], precision=precision, io=io)
    assert design.options.table_style == "hls4ml"
    report = design.compare_hls4ml(x, model=model, output_dir=str(tmp_path / "hls4ml_prj"))
    print(report)
    assert report.layers, "no hls4ml layer was matched with a fpgalab layer"
    assert report.identical, str(report)
    assert report.first_difference is None
    assert report.float_error["fpgalab (tables='hls4ml')"] == report.float_error["hls4ml"]


def test_a_layer_s_activation_argument_is_traced_as_hls4ml_splits_it(hls4ml, tmp_path):
    """Dense(activation=...) is two hls4ml layers, ``fc1`` (linear) and ``fc1_relu``; compare_hls4ml
    takes the Keras model compile kept and compares each part with its own."""
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="fc1"),
            keras.layers.Dense(4, activation="softmax", name="out"),
        ]
    )
    x = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    design = fpgalab.compile(model, x[:1], precision="ap_fixed<16,6>", io="parallel")
    report = design.compare_hls4ml(x, output_dir=str(tmp_path / "prj"))
    assert {m.layer for m in report.layers} == {"fc1", "fc1_relu", "out", "out_softmax"}, str(report)
    assert report.identical, str(report)


def test_fpgalab_softmax_is_nearer_the_float_model(hls4ml, tmp_path):
    model, x = _model("softmax")
    ours = fpgalab.compile(model, x[:1], precision="ap_fixed<16,6>", io="parallel", tables="fpgalab")
    report = ours.compare_hls4ml(x, model=model, output_dir=str(tmp_path / "prj"))
    print(report)
    own, peer = report.float_error["fpgalab (tables='fpgalab')"], report.float_error["hls4ml"]
    assert own < peer
    assert report.float_error["fpgalab (tables='hls4ml')"] == peer  # the twin in hls4ml's mode: hls4ml's bits
    assert not report.identical  # the tables differ, and the report says so
    assert report.first_difference.layer == "a"
    assert any("tables='fpgalab'" in note for note in report.notes)


def _llvm_equals_simulator(design):
    inputs = make_inputs(design, 64)
    got = LlvmKernel(design).run_outputs(inputs)
    want = run_kernel(design.kernel, inputs, design._context())
    for name, array in got.items():
        assert np.array_equal(array, np.broadcast_to(want[name].array, array.shape)), f"{design.name}/{name}"


def _csim_equals_simulator(design, folder: Path):
    if not (AP_TYPES / "ap_fixed.h").exists():
        pytest.skip("ap_types headers missing: run `make setup` (scripts/fetch_ap_types.py)")
    project = emit(design, "hls", folder)
    result = subprocess.run(
        ["make", "-s", "-C", str(project), "csim", f"AP_TYPES={AP_TYPES}"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS" in result.stdout


@pytest.mark.parametrize(
    "kind, precision",
    [(kind, "ap_fixed<16,6>") for kind in ("sigmoid", "tanh", "softmax", "elu", "avgpool", "dense_bn_relu")]
    + [("softmax", NARROW)],
)
@pytest.mark.parametrize("io", ["layered", "parallel"])
def test_hls4ml_mode_backends_equal_the_simulator(kind, precision, io, tmp_path):
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed (apt-get install g++)")
    model, x = _model(kind)
    design = fpgalab.compile(model, x[:1], precision=precision, io=io, tables="hls4ml")
    _llvm_equals_simulator(design)
    _csim_equals_simulator(design, tmp_path / "prj")


@pytest.mark.parametrize(
    "kind, precision",
    [("sigmoid", "ap_fixed<16,6>"), ("softmax", NARROW), ("elu", "ap_fixed<16,6>"), ("avgpool", "ap_fixed<16,6>")],
)
def test_hls4ml_mode_verilog_equals_the_simulator(kind, precision):
    from fpgalab.verify.tools import ToolMissing  # noqa: PLC0415
    from fpgalab.verify.verilator import find_verilator, run_verilator  # noqa: PLC0415

    try:
        find_verilator()
    except ToolMissing as missing:
        pytest.skip(str(missing))
    model, x = _model(kind)
    design = fpgalab.compile(model, x[:1], precision=precision, tables="hls4ml")
    result = run_verilator(design, samples=2)
    assert result.mismatches == 0, f"{result.mismatches} output words differ from the simulator"
