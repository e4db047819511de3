"""The new ONNX op families in fixed point: each model's design (ap_fixed<18,8>) run by the LLVM engine
gives the numpy simulator's bits; in float32 each equals onnxruntime (relative error <= 1e-5)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402
from test_onnx_ops import check, model, weights  # noqa: E402

import fpgalab  # noqa: E402
from fpgalab.backends.llvm.jit import LlvmKernel  # noqa: E402
from fpgalab.backends.stimulus import test_inputs as make_inputs  # noqa: E402
from fpgalab.sim.functional import run_kernel  # noqa: E402

I64 = np.int64


def chain(ops, shape, init=None, opset=13):
    """A model applying ``ops`` (op, extra inputs, attributes) one after another to ``x``."""
    nodes, last = [], "x"
    for k, (op, extra, attrs) in enumerate(ops):
        out = "y" if k == len(ops) - 1 else f"t{k}"
        nodes.append(helper.make_node(op, [last, *extra], [out], name=f"{op.lower()}{k}", **attrs))
        last = out
    return model(nodes, {"x": list(shape)}, None, init or {}, opset=opset)


MODELS = {
    "activations": lambda: chain(
        [("HardSwish", [], {}), ("Mish", [], {}), ("Gelu", [], {}), ("Celu", [], {"alpha": 0.5}), ("Sign", [], {})],
        (1, 3, 6), opset=20,
    ),
    "variadic": lambda: model(
        [helper.make_node("Mean", ["x", "c", "x"], ["m"], name="mean"), helper.make_node("Max", ["m", "x", "d"], ["y"], name="max")],
        {"x": [1, 2, 5]}, None, {"c": weights(5), "d": weights(2, 1)},
    ),
    "rearrange": lambda: chain(
        [("Expand", ["shape"], {}), ("Tile", ["reps"], {}), ("DepthToSpace", [], {"blocksize": 2}), ("Abs", [], {})],
        (1, 4, 1, 3), {"shape": np.array([1, 4, 2, 3], I64), "reps": np.array([1, 2, 1, 1], I64)},
    ),
    "reductions": lambda: model(
        [
            helper.make_node("ReduceL2", ["x"], ["a"], name="l2", axes=[2]),
            helper.make_node("ReduceLogSumExp", ["x"], ["b"], name="lse", axes=[2]),
            helper.make_node("ReduceProd", ["x"], ["c"], name="prod", axes=[2]),
            helper.make_node("Concat", ["a", "b", "c"], ["y"], name="cat", axis=2),
        ],
        {"x": [1, 3, 3]}, None,
    ),
    "normalization": lambda: chain(
        [("LayerNormalization", ["s", "b"], {"axis": -1}), ("InstanceNormalization", ["s2", "b2"], {})],
        (1, 2, 8), {"s": weights(8) + 1, "b": weights(8), "s2": weights(2) + 1, "b2": weights(2)}, opset=17,
    ),
    "ordering": lambda: model(
        [
            helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk", axis=-1),
            helper.make_node("ArgMax", ["x"], ["a"], name="argmax", axis=-1, keepdims=1),
            helper.make_node("Cast", ["i"], ["fi"], name="cast_i", to=TensorProto.FLOAT),
            helper.make_node("Cast", ["a"], ["fa"], name="cast_a", to=TensorProto.FLOAT),
            helper.make_node("Concat", ["v", "fi", "fa"], ["y"], name="cat", axis=-1),
        ],
        {"x": [2, 6]}, None, {"k": np.array([3], I64)},
    ),
    "resize": lambda: model(
        [
            helper.make_node("Resize", ["x", "", "s"], ["a"], name="bilinear", mode="linear"),
            helper.make_node("Resize", ["a", "", "s2"], ["y"], name="bicubic", mode="cubic", coordinate_transformation_mode="align_corners"),
        ],
        {"x": [1, 2, 3, 3]}, None, {"s": np.array([1, 1, 2, 2], np.float32), "s2": np.array([1, 1, 1.5, 0.5], np.float32)},
    ),
    "windows": lambda: chain(
        [("ConvTranspose", ["w"], {"strides": [2, 2], "dilations": [2, 1], "output_padding": [1, 0]}),
         ("MaxPool", [], {"kernel_shape": [2, 2], "dilations": [2, 2], "ceil_mode": 1}), ("LpPool", [], {"kernel_shape": [2, 2]})],
        (1, 2, 4, 4), {"w": weights(2, 3, 3, 2)},
    ),
    "average_pool_dilated": lambda: chain(
        [("AveragePool", [], {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [1, 1, 2, 2], "ceil_mode": 1})],
        (1, 2, 7, 7), opset=19,
    ),
    "data_movement": lambda: chain(
        [("Slice", ["s", "e", "a", "t"], {}), ("Pad", ["p"], {"mode": "reflect"}), ("GatherElements", ["i"], {"axis": 2})],
        (1, 3, 6),
        {"s": np.array([-1], I64), "e": np.array([-100], I64), "a": np.array([2], I64), "t": np.array([-2], I64),
         "p": np.array([0, 0, 1, 0, 1, 2], I64), "i": np.array([[[0, 5, 2]] * 4], I64)},
    ),
    "matmul_batched": lambda: model(
        [helper.make_node("MatMul", ["x", "x2"], ["y"], name="mm")], {"x": [2, 3, 4], "x2": [1, 4, 5]}, None
    ),
    "embedding": lambda: model(
        [helper.make_node("Cast", ["x"], ["i"], name="cast", to=TensorProto.INT64),
         helper.make_node("Gather", ["t", "i"], ["y"], name="embed")],
        {"x": [1, 4]}, None, {"t": weights(6, 3)},
    ),
    "masks_and_sums": lambda: chain(
        [("CumSum", ["axis"], {}), ("Trilu", [], {"upper": 0}), ("Hardmax", [], {"axis": -1}), ("Mul", ["k"], {})],
        (1, 4, 4), {"axis": np.array(2, I64), "k": weights(4, 4)}, opset=14,
    ),
    "einsum": lambda: model(
        [helper.make_node("Einsum", ["x", "x2"], ["y"], name="einsum", equation="bhqd,bhkd->bhqk")],
        {"x": [1, 2, 3, 4], "x2": [1, 2, 5, 4]}, None, opset=12,
    ),
    "logic_and_mod": lambda: model(
        [
            helper.make_node("Greater", ["x", "zero"], ["a"], name="positive"),
            helper.make_node("Not", ["a"], ["b"], name="not"),
            helper.make_node("Mod", ["x", "d"], ["m"], name="mod", fmod=1),
            helper.make_node("Where", ["b", "m", "x"], ["y"], name="where"),
        ],
        {"x": [1, 6]}, None, {"zero": np.float32(0), "d": np.float32(0.75)},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", MODELS)
def test_fixed_point_llvm_equals_simulator(name):
    built = MODELS[name]()
    design = fpgalab.compile(built, precision="ap_fixed<18,8>")
    inputs = make_inputs(design, 3)
    got = LlvmKernel(design).run_outputs(inputs)
    want = run_kernel(design.kernel, inputs, design._context())
    for output, array in got.items():
        assert np.array_equal(array, np.broadcast_to(want[output].array, array.shape)), output


@pytest.mark.parametrize("name", MODELS)
def test_float32_equals_onnxruntime(name):
    check(
        MODELS[name](), *[tuple(d.dim_value for d in i.type.tensor_type.shape.dim) for i in MODELS[name]().graph.input]
    )


@pytest.mark.tools
@pytest.mark.parametrize("name", MODELS)
def test_fixed_point_hls_csim(name, tmp_path):
    """The exported Vitis HLS project, compiled with g++, passes its testbench (the simulator's bits)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_hls_cpp import _csim  # noqa: PLC0415

    _csim(fpgalab.compile(MODELS[name](), precision="ap_fixed<18,8>"), tmp_path / "hls")


@pytest.mark.tools
@pytest.mark.parametrize("name", MODELS)
def test_fixed_point_rtl_equals_simulator(name):
    """The Verilog design under Verilator computes the simulator's bits in the schedule's cycles."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_verilog import _check  # noqa: PLC0415

    _check(fpgalab.compile(MODELS[name](), precision="ap_fixed<18,8>", dataflow=False))
