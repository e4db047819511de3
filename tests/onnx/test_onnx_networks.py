"""Small networks as the exporters write them (torch.onnx.export's channels-first CNNs, tf2onnx's
channels-last graphs with their Transpose pairs, an autoencoder, a transformer MLP block, a 1-D conv
net, a depthwise-separable block, residual blocks, a self-attention head, a U-Net step), with random
weights: each compiles, and its float32 simulation equals onnxruntime (relative error <= 1e-5); in
fixed point, the LLVM engine and the Verilog design (Verilator) compute the simulator's bits. With
the public models of test_onnx_models.py these are the multi-op ONNX graphs the front end is tested on."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import helper  # noqa: E402
from test_onnx_ops import model, relative_error, run  # noqa: E402

import fpgalab  # noqa: E402
from fpgalab.backends.llvm.jit import LlvmKernel  # noqa: E402
from fpgalab.backends.stimulus import test_inputs as make_inputs  # noqa: E402
from fpgalab.sim.functional import run_kernel  # noqa: E402

RNG = np.random.default_rng(23)
I64 = np.int64


def w(*shape, scale=0.4):
    return (RNG.normal(size=shape) * scale).astype(np.float32)


def node(op, inputs, outputs, name, **attrs):
    return helper.make_node(op, inputs, [outputs] if isinstance(outputs, str) else outputs, name=name, **attrs)


class Net:
    """Nodes and initializers added layer by layer; each layer's output is named after the layer."""

    def __init__(self):
        self.nodes, self.init = [], {}

    def add(self, op, inputs, name, weights=None, **attrs):
        for key, array in (weights or {}).items():
            self.init[f"{name}_{key}"] = array
            inputs = [f"{name}_{key}" if i == key else i for i in inputs]
        self.nodes.append(node(op, inputs, name, name, **attrs))
        return name

    def conv(self, x, name, c_in, c_out, k, group=1, bias=True, **attrs):
        kernel = k if isinstance(k, tuple) else (k, k)
        weights = {"W": w(c_out, c_in // group, *kernel)}
        if bias:
            weights["B"] = w(c_out)
        return self.add("Conv", [x, *weights], name, weights, group=group, **attrs)

    def bn(self, x, name, c):
        weights = {"s": w(c) + 1, "b": w(c), "m": w(c), "v": np.abs(w(c)) + 0.5}
        return self.add("BatchNormalization", [x, *weights], name, weights)

    def gemm(self, x, name, n_in, n_out):
        return self.add("Gemm", [x, "W", "B"], name, {"W": w(n_out, n_in), "B": w(n_out)}, transB=1)

    def model(self, inputs, output, opset=13):
        self.nodes[-1].output[0] = "y"
        assert self.nodes[-1].name == output
        return model(self.nodes, inputs, None, self.init, opset=opset)


def pytorch_cnn():
    """Conv-BN-ReLU-MaxPool twice, Flatten, Linear-ReLU-Linear, Softmax (torch.onnx.export, NCHW)."""
    n = Net()
    x = n.add("Relu", [n.bn(n.conv("x", "conv1", 1, 4, 3, pads=[1, 1, 1, 1]), "bn1", 4)], "relu1")
    x = n.add("MaxPool", [x], "pool1", kernel_shape=[2, 2], strides=[2, 2])
    x = n.add("Relu", [n.bn(n.conv(x, "conv2", 4, 6, 3, bias=False), "bn2", 6)], "relu2")
    x = n.add("MaxPool", [x], "pool2", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    x = n.add("Flatten", [x], "flatten")
    x = n.add("Relu", [n.gemm(x, "fc1", 6 * 2 * 2, 10)], "relu3")
    n.add("Softmax", [n.gemm(x, "fc2", 10, 5)], "softmax", axis=1)
    return n.model({"x": [1, 1, 10, 10]}, "softmax"), (1, 1, 10, 10)


def tf2onnx_cnn():
    """tf2onnx of a Keras Conv2D stack on NHWC input: Transpose to NCHW, Convs, Transpose back, Reshape, MatMul."""
    n = Net()
    x = n.add("Transpose", ["x"], "to_nchw", perm=[0, 3, 1, 2])
    x = n.add("Relu", [n.conv(x, "conv1", 3, 4, 3, auto_pad="SAME_UPPER")], "relu1")
    x = n.add("Relu", [n.conv(x, "conv2", 4, 4, 3, strides=[2, 2], pads=[0, 0, 1, 1])], "relu2")
    x = n.add("Transpose", [x], "to_nhwc", perm=[0, 2, 3, 1])
    x = n.add("Reshape", [x, "shape"], "flatten", {"shape": np.array([-1, 4 * 4 * 4], I64)})
    x = n.add("MatMul", [x, "W"], "dense", {"W": w(64, 6)})
    n.add("Add", [x, "B"], "bias", {"B": w(6)})
    return n.model({"x": [1, 8, 8, 3]}, "bias"), (1, 8, 8, 3)


def autoencoder():
    """Strided Convs down, a ConvTranspose and a bilinear Resize up, a Conv and Sigmoid out."""
    n = Net()
    x = n.add("Relu", [n.conv("x", "enc1", 2, 4, 3, strides=[2, 2], pads=[1, 1, 1, 1])], "r1")
    x = n.add("Relu", [n.conv(x, "enc2", 4, 6, 3, strides=[2, 2], pads=[1, 1, 1, 1])], "r2")
    weights = {"W": w(6, 4, 2, 2), "B": w(4)}
    x = n.add("Relu", [n.add("ConvTranspose", [x, "W", "B"], "dec1", weights, strides=[2, 2])], "r3")
    x = n.add("Resize", [x, "", "scales"], "up", {"scales": np.array([1, 1, 2, 2], np.float32)}, mode="linear")
    n.add("Sigmoid", [n.conv(x, "out", 4, 2, 3, pads=[1, 1, 1, 1])], "sigmoid")
    return n.model({"x": [1, 2, 8, 8]}, "sigmoid"), (1, 2, 8, 8)


def transformer_mlp():
    """A pre-norm MLP block over tokens: LayerNorm, MatMul+Add, Gelu, MatMul+Add, residual, LayerNorm (opset 20)."""
    n = Net()
    h = n.add("LayerNormalization", ["x", "s", "b"], "ln1", {"s": w(8) + 1, "b": w(8)}, axis=-1)
    h = n.add("Add", [n.add("MatMul", [h, "W"], "fc1", {"W": w(8, 16)}), "B"], "fc1_bias", {"B": w(16)})
    h = n.add("Gelu", [h], "gelu")
    h = n.add("Add", [n.add("MatMul", [h, "W"], "fc2", {"W": w(16, 8)}), "B"], "fc2_bias", {"B": w(8)})
    h = n.add("Add", ["x", h], "residual")
    n.add("LayerNormalization", [h, "s", "b"], "ln2", {"s": w(8) + 1, "b": w(8)}, axis=-1)
    return n.model({"x": [1, 4, 8]}, "ln2", opset=20), (1, 4, 8)


def conv1d_net():
    """Conv1d-BN-ReLU-MaxPool1d, Conv1d-ReLU, GlobalAveragePool, Flatten, Linear."""
    n = Net()
    x = n.add("Relu", [n.bn(n.conv("x", "conv1", 2, 4, (5,), pads=[2, 2]), "bn1", 4)], "relu1")
    x = n.add("MaxPool", [x], "pool", kernel_shape=[2], strides=[2])
    x = n.add("Relu", [n.conv(x, "conv2", 4, 6, (3,), dilations=[2])], "relu2")
    x = n.add("Flatten", [n.add("GlobalAveragePool", [x], "gap")], "flatten")
    n.gemm(x, "fc", 6, 3)
    return n.model({"x": [1, 2, 24]}, "fc"), (1, 2, 24)


def depthwise_separable():
    """A MobileNet block: depthwise Conv-BN-ReLU6 (Clip), pointwise Conv-BN-HardSwish, pool, classifier."""
    n = Net()
    x = n.bn(n.conv("x", "dw", 4, 4, 3, group=4, bias=False, pads=[1, 1, 1, 1], strides=[2, 2]), "bn1", 4)
    x = n.add("Clip", [x, "lo", "hi"], "relu6", {"lo": np.array(0, np.float32), "hi": np.array(6, np.float32)})
    x = n.add("HardSwish", [n.bn(n.conv(x, "pw", 4, 8, 1, bias=False), "bn2", 8)], "hswish")
    x = n.add("Flatten", [n.add("GlobalAveragePool", [x], "gap")], "flatten")
    n.gemm(x, "fc", 8, 4)
    return n.model({"x": [1, 4, 8, 8]}, "fc", opset=14), (1, 4, 8, 8)


def residual_block():
    """A ResNet basic block with a projection shortcut, then MaxPool, Flatten, Gemm."""
    n = Net()
    stem = n.add("Relu", [n.bn(n.conv("x", "stem", 3, 4, 3, pads=[1, 1, 1, 1]), "bn0", 4)], "relu0")
    x = n.add("Relu", [n.bn(n.conv(stem, "conv1", 4, 4, 3, pads=[1, 1, 1, 1]), "bn1", 4)], "relu1")
    x = n.bn(n.conv(x, "conv2", 4, 4, 3, pads=[1, 1, 1, 1]), "bn2", 4)
    x = n.add("Relu", [n.add("Add", [x, stem], "add")], "relu2")
    x = n.add("MaxPool", [x], "pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    n.gemm(n.add("Flatten", [x], "flatten"), "fc", 4 * 3 * 3, 5)
    return n.model({"x": [1, 3, 6, 6]}, "fc"), (1, 3, 6, 6)


def attention_head():
    """One self-attention head on [1, T, D] tokens: batched MatMuls (N-D by N-D), scale, Softmax."""
    n = Net()
    q = n.add("MatMul", ["x", "W"], "q", {"W": w(8, 8)})
    k = n.add("MatMul", ["x", "W"], "k", {"W": w(8, 8)})
    v = n.add("MatMul", ["x", "W"], "v", {"W": w(8, 8)})
    kt = n.add("Transpose", [k], "kt", perm=[0, 2, 1])
    scores = n.add("Mul", [n.add("MatMul", [q, kt], "qk"), "scale"], "scaled", {"scale": np.float32(8**-0.5)})
    attention = n.add("Softmax", [scores], "softmax", axis=-1)
    n.add("MatMul", [attention, v], "context")
    return n.model({"x": [1, 5, 8]}, "context"), (1, 5, 8)


def unet_step():
    """A U-Net level: Conv down (MaxPool), Conv, nearest Upsample (Resize), Concat with the skip, Conv."""
    n = Net()
    skip = n.add("Relu", [n.conv("x", "enc", 2, 4, 3, pads=[1, 1, 1, 1])], "relu1")
    x = n.add("MaxPool", [skip], "down", kernel_shape=[2, 2], strides=[2, 2])
    x = n.add("Relu", [n.conv(x, "mid", 4, 4, 3, pads=[1, 1, 1, 1])], "relu2")
    x = n.add("Resize", [x, "", "scales"], "up", {"scales": np.array([1, 1, 2, 2], np.float32)}, mode="nearest")
    x = n.add("Concat", [x, skip], "cat", axis=1)
    n.conv(x, "dec", 8, 2, 1)
    return n.model({"x": [1, 2, 8, 8]}, "dec"), (1, 2, 8, 8)


def keras_mlp_with_reductions():
    """A tf2onnx-style MLP on features: MatMul+Add, ReLU, normalised by its L2 norm (ReduceL2, Div), MatMul."""
    n = Net()
    h = n.add(
        "Relu", [n.add("Add", [n.add("MatMul", ["x", "W"], "fc1", {"W": w(10, 12)}), "B"], "b1", {"B": w(12)})], "relu"
    )
    norm = n.add("ReduceL2", [h], "norm", axes=[1], keepdims=1)
    h = n.add("Div", [h, n.add("Add", [norm, "eps"], "eps_add", {"eps": np.float32(1e-3)})], "normalise")
    n.add("MatMul", [h, "W"], "fc2", {"W": w(12, 4)})
    return n.model({"x": [1, 10]}, "fc2", opset=13), (1, 10)


NETWORKS = {
    "pytorch_cnn": pytorch_cnn,
    "tf2onnx_cnn": tf2onnx_cnn,
    "autoencoder": autoencoder,
    "transformer_mlp": transformer_mlp,
    "conv1d_net": conv1d_net,
    "depthwise_separable": depthwise_separable,
    "residual_block": residual_block,
    "attention_head": attention_head,
    "unet_step": unet_step,
    "keras_mlp_with_reductions": keras_mlp_with_reductions,
}


@pytest.mark.parametrize("name", NETWORKS)
def test_network_float32_equals_onnxruntime(name):
    built, shape = NETWORKS[name]()
    x = np.random.default_rng(5).normal(size=shape).astype(np.float32)
    design = fpgalab.compile(built, precision="float32")
    assert relative_error(design.simulate(x), run(built, x)) <= 1e-5


@pytest.mark.parametrize("name", ["autoencoder", "transformer_mlp", "depthwise_separable", "attention_head"])
def test_network_fixed_point_llvm_equals_simulator(name):
    built, _ = NETWORKS[name]()
    design = fpgalab.compile(built, precision="ap_fixed<18,8>")
    inputs = make_inputs(design, 2)
    got = LlvmKernel(design).run_outputs(inputs)
    want = run_kernel(design.kernel, inputs, design._context())
    for output, array in got.items():
        assert np.array_equal(array, np.broadcast_to(want[output].array, array.shape)), output


@pytest.mark.tools
@pytest.mark.parametrize("name", NETWORKS)
def test_network_fixed_point_rtl_equals_simulator(name):
    """The Verilog design under Verilator computes the simulator's bits in the schedule's cycles."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_verilog import _check  # noqa: PLC0415

    built, _ = NETWORKS[name]()
    _check(fpgalab.compile(built, precision="ap_fixed<18,8>", dataflow=False))
