"""Transposed convolutions (issue 12, item 2): Keras Conv2DTranspose and Conv1DTranspose and
tf.nn.conv2d_transpose, lowered as stride^n phase convolutions with no zero multiplies. Float32
designs match TensorFlow; fixed-point designs equal the g++ build of their HLS C++, the LLVM JIT
and Verilator bit for bit; an autoencoder-like model compiles, reports and emits every backend."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from conftest import relative_error

import fpgalab
from fpgalab.backends import emit
from fpgalab.ir import nodes as ir

pytestmark = pytest.mark.tf

keras = pytest.importorskip("keras")

AP_TYPES = Path(__file__).resolve().parents[2] / ".cache" / "ap_types"
RNG = np.random.default_rng(12)


def _layer(rank: int, strides: int, padding: str, use_bias: bool, kernel_size: int = 3, filters: int = 3):
    keras.utils.set_random_seed(strides * 10 + kernel_size)
    cls = keras.layers.Conv2DTranspose if rank == 2 else keras.layers.Conv1DTranspose
    layer = cls(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias)
    x = RNG.uniform(-1, 1, (1, 5, 4, 2) if rank == 2 else (1, 6, 2)).astype(np.float32)
    layer(x)
    if use_bias:
        layer.bias.assign(RNG.uniform(-1, 1, filters).astype(np.float32))
    return layer, x


LAYER_CASES = [
    (rank, strides, padding, bias)
    for rank in (1, 2)
    for strides in (1, 2)
    for padding in ("same", "valid")
    for bias in (True, False)
]


@pytest.mark.parametrize("rank,strides,padding,bias", LAYER_CASES)
def test_keras_transposed_convolution_matches_tensorflow(rank, strides, padding, bias):
    layer, x = _layer(rank, strides, padding, bias)
    design = fpgalab.compile(lambda t: layer(t), x, precision="float32")
    assert relative_error(design.simulate(x), layer(x).numpy()) <= 1e-5


@pytest.mark.parametrize("kernel_size,strides", [(2, 3), (4, 3), (5, 2), (1, 2)])
def test_kernels_not_a_multiple_of_the_stride(kernel_size, strides):
    """Phases with different tap counts, and (kernel 1 or 2, stride 3) phases no tap reaches."""
    layer, x = _layer(2, strides, "valid", True, kernel_size=kernel_size)
    design = fpgalab.compile(lambda t: layer(t), x, precision="float32")
    assert relative_error(design.simulate(x), layer(x).numpy()) <= 1e-5


@pytest.mark.parametrize("pad", [2, 4])
def test_explicit_padding_past_the_kernel_crops_the_input(pad):
    """Padding 4 with a 3x3 kernel gives HLO padding -2: the phases read a Slice of the input."""
    kernel = tf.constant(RNG.uniform(-1, 1, (3, 3, 4, 2)).astype(np.float32))
    x = RNG.uniform(-1, 1, (1, 5, 4, 2)).astype(np.float32)
    shape = (1, 4 * 2 + 3 - 2 * pad, 3 * 2 + 3 - 2 * pad, 4)

    def fn(t):
        return tf.nn.conv2d_transpose(t, kernel, shape, 2, [[0, 0], [pad, pad], [pad, pad], [0, 0]])

    design = fpgalab.compile(fn, x, precision="float32")
    assert any(isinstance(n, ir.Slice) for n in design.kernel.nodes)
    assert relative_error(design.simulate(x), fn(tf.constant(x)).numpy()) <= 1e-5


def test_depthwise_transposed_convolution_keeps_its_groups():
    kernel = tf.constant(RNG.uniform(-1, 1, (3, 3, 3, 1)).astype(np.float32))
    x = RNG.uniform(-1, 1, (1, 4, 4, 3)).astype(np.float32)

    def fn(t):
        return tf.nn.depthwise_conv2d_backprop_input((1, 8, 8, 3), kernel, t, [1, 2, 2, 1], "SAME")

    design = fpgalab.compile(fn, x, precision="float32")
    assert [n.groups for n in design.kernel.nodes if isinstance(n, ir.Conv)] == [3, 3, 3, 3]
    assert relative_error(design.simulate(x), fn(tf.constant(x)).numpy()) <= 1e-5


def test_conv3d_transpose_matches_tensorflow():
    keras.utils.set_random_seed(3)
    layer = keras.layers.Conv3DTranspose(2, 3, strides=(2, 1, 2), padding="same")
    x = RNG.uniform(-1, 1, (1, 3, 4, 3, 2)).astype(np.float32)
    design = fpgalab.compile(lambda t: layer(t), x, precision="float32")
    assert relative_error(design.simulate(x), layer(x).numpy()) <= 1e-5


def test_tf_nn_conv2d_transpose_with_an_explicit_output_shape():
    kernel = tf.constant(RNG.uniform(-1, 1, (3, 3, 4, 2)).astype(np.float32))  # [h, w, out, in]
    x = RNG.uniform(-1, 1, (1, 4, 5, 2)).astype(np.float32)

    def fn(t):
        return tf.nn.conv2d_transpose(t, kernel, (1, 8, 9, 4), strides=2, padding="SAME")

    design = fpgalab.compile(fn, x, precision="float32")
    assert relative_error(design.simulate(x), fn(tf.constant(x)).numpy()) <= 1e-5


def test_no_multiply_meets_an_inserted_zero():
    """Stride 2, kernel 3x3: the four phase convolutions hold 4 + 2 + 2 + 1 = 9 taps, the kernel's."""
    layer, x = _layer(2, 2, "same", True)
    design = fpgalab.compile(lambda t: layer(t), x, precision="float32")
    convs = [n for n in design.kernel.nodes if isinstance(n, ir.Conv)]
    shapes = design.kernel.buffers()
    taps = sum(int(np.prod(shapes[c.inputs[1]].shape[:2])) for c in convs)
    assert len(convs) == 4 and taps == 9
    assert all(c.strides == (1, 1) and c.shape[1:3] == (5, 4) for c in convs)


def test_hls4ml_architectures_count_every_phase_convolution():
    """io_parallel and io_stream make each phase convolution an hls4ml layer of its own, so the
    estimate prices all their multipliers, not the first phase's only."""
    from fpgalab.schedule.network import network_layers

    layer, x = _layer(2, 2, "same", True)
    design = fpgalab.compile(lambda t: layer(t), x, io="parallel")
    kinds = [net.kind for net in network_layers(design.kernel)]
    assert kinds.count("conv") == 4 and kinds.count("concat") == 3
    assert sum(net.n_in * net.n_out for net in network_layers(design.kernel) if net.kind == "conv") == 9 * 2 * 3


def test_reverse_of_a_run_time_tensor_is_a_layer():
    x = RNG.uniform(-1, 1, (2, 5, 3)).astype(np.float32)
    design = fpgalab.compile(lambda t: tf.reverse(t, [1]) - t, x, precision="float32")
    assert any(isinstance(n, ir.Reverse) for n in design.kernel.nodes)
    assert np.array_equal(design.simulate(x), x[:, ::-1] - x)


@pytest.mark.parametrize("pad", [1, 3])  # 3: a negative HLO padding, the constant input cropped
def test_a_transposed_convolution_of_constants_folds(pad):
    kernel = tf.constant(RNG.uniform(-1, 1, (3, 3, 2, 2)).astype(np.float32))
    image = tf.constant(RNG.uniform(-1, 1, (1, 3, 3, 2)).astype(np.float32))
    x = RNG.uniform(-1, 1, (1, 8 - 2 * pad, 8 - 2 * pad, 2)).astype(np.float32)

    def fn(t):
        padding = [[0, 0], [pad, pad], [pad, pad], [0, 0]]
        return t + tf.nn.conv2d_transpose(image, kernel, (1, 8 - 2 * pad, 8 - 2 * pad, 2), 2, padding)

    design = fpgalab.compile(fn, x, precision="float32")
    assert [type(n) for n in design.kernel.nodes] == [ir.Elementwise]
    assert relative_error(design.simulate(x), fn(tf.constant(x)).numpy()) <= 1e-5


def test_a_kernel_computed_at_run_time_is_refused():
    x = RNG.uniform(-1, 1, (1, 4, 4, 2)).astype(np.float32)
    k = RNG.uniform(-1, 1, (3, 3, 3, 2)).astype(np.float32)
    with pytest.raises(fpgalab.CompileError, match="constant kernel"):
        fpgalab.compile(lambda t, w: tf.nn.conv2d_transpose(t, w, (1, 8, 8, 3), 2), x, k)


def _autoencoder(size: int, width: int):
    keras.utils.set_random_seed(size + width)
    return keras.Sequential(
        [
            keras.Input((size, size, 2)),
            keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu", name="encode"),
            keras.layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation="relu", name="decode"),
            keras.layers.UpSampling2D(2, name="upsample"),  # bilinear needs HLO gather and iota: not yet
            keras.layers.Conv2D(2, 1, name="project"),
        ]
    )


def test_autoencoder_compiles_simulates_reports_and_emits(tmp_path):
    model = _autoencoder(8, 4)
    x = RNG.uniform(-1, 1, (16, 8, 8, 2)).astype(np.float32)
    assert relative_error(fpgalab.compile(model, x[:1], precision="float32").simulate(x), model(x).numpy()) <= 1e-5
    design = fpgalab.compile(model, x[:1], precision="ap_fixed<18,8>")
    assert design.accuracy(x).max_abs_error < 0.02
    report = design.report()
    decode = [layer for layer in report.per_layer if layer.layer == "decode"]
    assert sum(layer.cycles for layer in decode) > 0 and sum(layer.resources.dsp for layer in decode) >= 1
    assert report.fits
    bigger = fpgalab.compile(
        _autoencoder(16, 8), RNG.uniform(-1, 1, (1, 16, 16, 2)).astype(np.float32), precision="ap_fixed<18,8>"
    )
    bigger = bigger.report()
    assert 4 * report.cycles < bigger.cycles < 64 * report.cycles  # 4x the pixels, 2x to 4x the channels
    for name in ("encode", "decode", "upsample", "project"):
        small, large = (sum(m.cycles for m in r.per_layer if m.layer == name) for r in (report, bigger))
        assert 4 * small < large
    assert bigger.resources.bram > report.resources.bram  # the larger buffers move from LUTRAM to block RAM
    assert bigger.resources.dsp == report.resources.dsp == 6  # one pipelined MAC per convolution, 4 phases
    for backend in ("hls", "llvm", "verilog"):
        folder = emit(design, backend, tmp_path / backend)
        assert any(folder.iterdir())


@pytest.mark.tools
def test_autoencoder_rtl_equals_simulator():
    from fpgalab.verify.tools import ToolMissing
    from fpgalab.verify.verilator import find_verilator, run_verilator

    try:
        find_verilator()
    except ToolMissing as missing:
        pytest.skip(str(missing))
    x = RNG.uniform(-1, 1, (1, 8, 8, 2)).astype(np.float32)
    design = fpgalab.compile(_autoencoder(8, 4), x, precision="ap_fixed<18,8>", dataflow=False)
    result = run_verilator(design, samples=2)
    assert result.mismatches == 0, f"{result.mismatches} output words differ from the simulator"
    assert result.cycles == design.schedule.sequential_cycles == design.timing.latency


# ---- the backends, bit for bit ----------------------------------------------------------------------


def _fixed_design(rank: int, padding: str, **options):
    if rank == 0:  # a Reverse layer: tf.reverse of the input
        x = RNG.uniform(-1, 1, (1, 2, 5, 3)).astype(np.float32)
        return fpgalab.compile(lambda t: tf.reverse(t, [1, 3]) - 0.5 * t, x, precision="ap_fixed<16,6>", **options)
    layer, x = _layer(rank, 2, padding, True)
    return fpgalab.compile(lambda t: layer(t), x, precision="ap_fixed<16,6>", **options)


@pytest.mark.tools
@pytest.mark.parametrize("io", ["", "parallel", "stream"])
@pytest.mark.parametrize("rank,padding", [(2, "same"), (1, "valid"), (0, "")])
def test_hls_csim_equals_simulator(tmp_path, rank, padding, io):
    """fpgalab's layered design and hls4ml's io_parallel and io_stream arrangements of it."""
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed (apt-get install g++)")
    if not (AP_TYPES / "ap_fixed.h").exists():
        pytest.skip("ap_types headers missing: run `make setup` (scripts/fetch_ap_types.py)")
    project = emit(_fixed_design(rank, padding, **({"io": io} if io else {})), "hls", tmp_path / "prj")
    result = subprocess.run(
        ["make", "-s", "-C", str(project), "csim", f"AP_TYPES={AP_TYPES}"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS" in result.stdout


@pytest.mark.parametrize("rank,padding", [(2, "valid"), (1, "same"), (0, "")])
def test_llvm_equals_simulator(rank, padding):
    from fpgalab.backends.llvm.jit import LlvmKernel
    from fpgalab.backends.stimulus import test_inputs
    from fpgalab.sim.functional import run_kernel

    design = _fixed_design(rank, padding)
    inputs = test_inputs(design, 3)
    want = run_kernel(design.kernel, inputs, design._context())
    for name, array in LlvmKernel(design).run_outputs(inputs).items():
        assert np.array_equal(array, np.broadcast_to(want[name].array, array.shape)), name


@pytest.mark.tools
@pytest.mark.parametrize("options", [{}, {"parallelism": 4, "partition": "auto"}])
@pytest.mark.parametrize("rank,padding", [(2, "same"), (1, "valid"), (0, "")])
def test_rtl_equals_simulator(rank, padding, options):
    from fpgalab.verify.tools import ToolMissing
    from fpgalab.verify.verilator import find_verilator, run_verilator

    try:
        find_verilator()
    except ToolMissing as missing:
        pytest.skip(str(missing))
    design = _fixed_design(rank, padding, dataflow=False, **options)
    result = run_verilator(design, samples=2)
    assert result.mismatches == 0, f"{result.mismatches} output words differ from the simulator"
    assert result.cycles == design.schedule.sequential_cycles == design.timing.latency
