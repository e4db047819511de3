"""QONNX models: Quant, BipolarQuant and Trunc set the arithmetic, bit for bit as qonnx's executor.

Every tensor a Quant-family node produces from run-time data is compared with
``qonnx.core.onnx_exec.execute_onnx`` on the same inputs: equal bit for bit in the fixed-point
design (the default ``auto`` precision between the Quants) and in a float32 design. The models
are the public ones in tests/data/qonnx/ (see its README) and small ones built here with
``onnx.helper`` in QONNX's domain, covering 1- to 8-bit, signed and unsigned, narrow range, every
rounding mode, zero points, per-channel weight scales, Trunc (versions 1 and 2) and BipolarQuant.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("qonnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from qonnx.core.modelwrapper import ModelWrapper  # noqa: E402
from qonnx.core.onnx_exec import execute_onnx  # noqa: E402
from qonnx.transformation.infer_shapes import InferShapes  # noqa: E402

import fpgalab  # noqa: E402
from fpgalab.backends.llvm.jit import LlvmKernel  # noqa: E402
from fpgalab.errors import CompileError  # noqa: E402
from fpgalab.frontend.lowering import sanitize  # noqa: E402
from fpgalab.ir.types import FixedType  # noqa: E402
from fpgalab.sim.functional import run_kernel  # noqa: E402
from fpgalab.sim.values import to_float  # noqa: E402

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "qonnx"
POWER_OF_TWO = ["bnn_model_fc_1layer", "q_TFC_1W2A", "q_TFC_2W2A", "q_qkeras_jettagging"]
QUANT_OPS = ("Quant", "BipolarQuant", "Trunc")
DOMAIN = "qonnx.custom_op.general"


# ---- building QONNX graphs ------------------------------------------------------------------


class Graph:
    def __init__(self):
        self.nodes, self.weights = [], {}

    def const(self, name, value):
        self.weights[name] = np.asarray(value, dtype=np.float32)
        return name

    def quant(self, x, out, scale, bits, signed=1, narrow=0, mode="ROUND", zeropt=0.0):
        s, z, b = (self.const(f"{out}_{k}", v) for k, v in (("scale", scale), ("zeropt", zeropt), ("bits", bits)))
        attrs = {"signed": signed, "narrow": narrow, "rounding_mode": mode}
        self.nodes.append(helper.make_node("Quant", [x, s, z, b], [out], name=out, domain=DOMAIN, **attrs))
        return out

    def op(self, op_type, inputs, out, **attrs):
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def model(self, shape, outputs, version=1):
        graph = helper.make_graph(
            self.nodes,
            "qonnx_test",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
            [numpy_helper.from_array(a, n) for n, a in self.weights.items()],
        )
        opsets = [helper.make_opsetid("", 13), helper.make_opsetid(DOMAIN, version)]
        built = helper.make_model(graph, opset_imports=opsets)
        built.ir_version = 8
        return built


def _cnn():
    """Conv with 4-bit weights at per-channel power-of-two scales, ReLU, 4-bit unsigned activations,
    MaxPool, a Gemm with 8-bit weights and an 8-bit signed narrow output rounded half up."""
    rng = np.random.default_rng(0)
    g = Graph()
    q = g.quant("x", "q_in", 2.0**-4, 8)
    w = g.const("w", rng.normal(0, 0.5, (4, 2, 3, 3)))
    wq = g.quant(w, "w_q", (2.0 ** -np.array([3, 2, 4, 3])).reshape(4, 1, 1, 1), 4, narrow=1)
    c = g.op("Conv", [q, wq], "conv", pads=[1, 1, 1, 1])
    r = g.op("Relu", [c], "relu")
    a = g.quant(r, "q_act", 2.0**-3, 4, signed=0)
    p = g.op("MaxPool", [a], "pool", kernel_shape=[2, 2], strides=[2, 2])
    f = g.op("Flatten", [p], "flat")
    w2 = g.quant(g.const("w2", rng.normal(0, 0.3, (5, 64))), "w2_q", 2.0**-6, 8)
    b2 = g.quant(g.const("b2", rng.normal(0, 0.3, (5,))), "b2_q", 2.0**-6, 8)
    y = g.op("Gemm", [f, w2, b2], "fc", transB=1)
    out = g.quant(y, "q_out", 2.0**-2, 8, narrow=1, mode="HALF_UP")
    return g.model([1, 2, 8, 8], [out])


def _rounding():
    """One MatMul read by Quants of every rounding mode, width 2..8, signed or not, narrow or not,
    with zero points; and a 1-bit signed Quant (bipolar) and a BipolarQuant."""
    rng = np.random.default_rng(1)
    g = Graph()
    q = g.quant("x", "q_in", 2.0**-5, 8)
    w = g.quant(g.const("w", rng.normal(0, 0.4, (6, 8))), "w_q", 2.0**-4, 5)
    y = g.op("MatMul", [q, w], "mm")
    outputs = []
    cases = [
        ("CEIL", 3, 1, 0, 0.0),
        ("FLOOR", 4, 0, 0, 0.0),
        ("UP", 5, 1, 1, 0.0),
        ("DOWN", 6, 1, 0, 0.0),
        ("HALF_UP", 2, 0, 1, 0.0),
        ("HALF_DOWN", 7, 1, 1, 0.0),
        ("HALF_EVEN", 8, 0, 0, 0.0),
        ("ROUND", 5, 0, 0, 3.0),
        ("FLOOR", 6, 1, 0, -2.0),
    ]
    for k, (mode, bits, signed, narrow, zeropt) in enumerate(cases):
        outputs.append(g.quant(y, f"q{k}_{mode.lower()}", 2.0 ** -(k % 4), bits, signed, narrow, mode, zeropt))
    outputs.append(g.quant(y, "q_bipolar", 0.5, 1))
    s = g.const("bp_scale", 0.25)
    g.nodes.append(helper.make_node("BipolarQuant", [y, s], ["bp"], name="bp", domain=DOMAIN))
    return g.model([1, 6], outputs + ["bp"])


def _trunc(version):
    """QONNX's truncating average pool: a 4-bit Quant, AveragePool 2x2, times 4, Trunc to 4 bits."""
    g = Graph()
    q = g.quant("x", "q_in", 2.0**-2, 4, signed=0)
    p = g.op("AveragePool", [q], "pool", kernel_shape=[2, 2], strides=[2, 2])
    m = g.op("Mul", [p, g.const("four", 4.0)], "sum")
    names = [m, g.const("t_scale", 2.0**-2), g.const("t_zero", 0.0), g.const("t_in", 6.0)]
    attrs = {"rounding_mode": "FLOOR"}
    if version == 2:
        names.append(g.const("t_out_scale", 1.0))
        attrs.update(signed=0, narrow=0)
    names.append(g.const("t_out", 4.0))
    g.nodes.append(helper.make_node("Trunc", names, ["trunc"], name="trunc", domain=DOMAIN, **attrs))
    return g.model([1, 3, 4, 4], ["trunc"], version)


BUILT = {"cnn_4bit": _cnn, "rounding_modes": _rounding, "trunc_v1": lambda: _trunc(1), "trunc_v2": lambda: _trunc(2)}


def _model(name):
    if name in BUILT:
        return BUILT[name]()
    return onnx.load(str(PUBLIC / f"{name}.onnx"))


def _inputs(design, samples, seed=0):
    dtype = design.kernel.inputs[0].dtype
    x = np.random.default_rng(seed).uniform(-3, 3, size=(samples,) + design.example_shapes[0]).astype(np.float32)
    if isinstance(dtype, FixedType):  # on the input type's grid: the hardware's input is that type
        x = np.round(x * 2.0**dtype.frac) / 2.0**dtype.frac
    return x.astype(np.float32)


def _qonnx_tensors(model, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wrapper = ModelWrapper(model).transform(InferShapes())
    name = wrapper.graph.input[0].name
    produced = [n for n in wrapper.graph.node if n.op_type in QUANT_OPS and wrapper.get_initializer(n.input[0]) is None]
    runs = [execute_onnx(wrapper, {name: sample}, return_full_exec_context=True) for sample in x]
    return {n.name: np.stack([r[n.output[0]] for r in runs]) for n in produced}


def _assert_quant_tensors_equal(design, model, x):
    expected = _qonnx_tensors(model, x)
    assert expected, "the model has no Quant node on run-time data"
    ours = run_kernel(design.kernel, [x], design._context(), keep=True)
    for node, want in expected.items():
        made = [n.name for n in design.kernel.nodes if n.op_name == node]  # a Quant lowered to several nodes
        got = ours[made[-1] if made else sanitize(node)]  # merged into its producer: the Quant's name
        got = np.asarray(to_float(got) if hasattr(got, "dtype") and hasattr(got, "array") else got, np.float64)
        got = got.reshape(want.shape)
        mismatches = int(np.sum(got != want))
        assert mismatches == 0, f"{node}: {mismatches} of {want.size} values differ from qonnx"


NAMES = POWER_OF_TWO + sorted(BUILT)


@pytest.mark.parametrize("name", NAMES)
def test_fixed_point_design_equals_qonnx_bit_for_bit(name):
    model = _model(name)
    design = fpgalab.compile(model)
    _assert_quant_tensors_equal(design, model, _inputs(design, 40))


@pytest.mark.parametrize("name", NAMES)
def test_float32_design_equals_qonnx_bit_for_bit(name):
    """In a float32 design only the Quants are fixed point: every other layer computes as qonnx does."""
    model = _model(name)
    design = fpgalab.compile(model, precision="float32")
    _assert_quant_tensors_equal(design, model, _inputs(design, 20, seed=3))


@pytest.mark.parametrize("name", NAMES)
def test_llvm_engine_equals_the_simulator(name):
    design = fpgalab.compile(_model(name))
    x = _inputs(design, 16, seed=5)
    got = LlvmKernel(design).run_outputs([x])
    want = run_kernel(design.kernel, [x], design._context())
    for output, array in got.items():
        assert np.array_equal(array, np.broadcast_to(want[output].array, array.shape)), output


@pytest.mark.tools
@pytest.mark.parametrize("name", ["cnn_4bit", "rounding_modes", "q_qkeras_jettagging"])
def test_hls_csim_equals_the_simulator(name, tmp_path):
    """The exported Vitis HLS project of a QONNX design, compiled with g++, reproduces the simulator's bits."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_hls_cpp import _csim  # noqa: PLC0415

    assert "#pragma HLS" in _csim(fpgalab.compile(_model(name)), tmp_path / "hls")


@pytest.mark.tools
@pytest.mark.parametrize("name", ["bnn_model_fc_1layer", "rounding_modes", "trunc_v2"])
def test_verilog_under_verilator_equals_the_simulator(name):
    """The Verilog of a QONNX design (every rounding mode's conversion, saturation, a Trunc) under Verilator."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_verilog import _check  # noqa: PLC0415

    _check(fpgalab.compile(_model(name), dataflow=False))


def test_quant_types_are_the_models_own():
    design = fpgalab.compile(_model("cnn_4bit"))
    nodes = {n.name: n for n in design.kernel.nodes}
    assert str(nodes["q_act"].dtype) == "ap_ufixed<4,1,AP_RND_CONV,AP_SAT>"
    assert str(nodes["q_out"].dtype) == "ap_fixed<8,6,AP_RND_INF,AP_SAT_SYM>"
    weights = {c.name: c for c in design.kernel.constants}
    conv_weights = next(c for name, c in weights.items() if name.startswith("w_q"))
    assert str(conv_weights.dtype) == "ap_fixed<6,2>"  # 4-bit integers at scales 2**-2 .. 2**-4
    values = conv_weights.value * 16
    assert np.array_equal(values, np.round(values))


def test_resources_follow_the_models_bit_widths():
    """The same MLP quantized to 2 and to 8 bits: the 2-bit design needs fewer LUTs, FFs and DSPs."""

    def mlp(bits):
        rng = np.random.default_rng(7)
        g = Graph()
        q = g.quant("x", "q_in", 2.0 ** -(bits - 2), bits)
        w1 = g.quant(g.const("w1", rng.normal(0, 0.5, (32, 32))), "w1_q", 2.0 ** -(bits - 2), bits)
        h = g.quant(g.op("Relu", [g.op("MatMul", [q, w1], "fc1")], "relu"), "q_h", 2.0 ** -(bits - 2), bits, 0)
        w2 = g.quant(g.const("w2", rng.normal(0, 0.5, (32, 10))), "w2_q", 2.0 ** -(bits - 2), bits)
        return g.model([1, 32], [g.op("MatMul", [h, w2], "fc2")])

    narrow, wide = (fpgalab.compile(mlp(b), parallelism=8).resources.total for b in (2, 8))
    assert narrow.lut < wide.lut and narrow.ff < wide.ff and narrow.dsp <= wide.dsp


def test_non_power_of_two_scales_are_a_multiply():
    """The keyword-spotting MLP's scales are not powers of two: the integer Quant is exact, then a multiply."""
    model = _model("q_kwsmlp_w3a3")
    design = fpgalab.compile(model)
    kinds = {str(n.dtype) for n in design.kernel.nodes if n.given_type}
    assert kinds == {"ap_fixed<8,8,AP_RND_CONV,AP_SAT_SYM>", "ap_ufixed<3,3,AP_RND_CONV,AP_SAT>"}
    x = _inputs(design, 4)
    want = design.reference(x)[0]
    got = design.simulate(x)
    assert np.max(np.abs(got - want.reshape(got.shape))) <= 1e-3 * np.max(np.abs(want))


def _error(model) -> str:
    with pytest.raises(CompileError) as info:
        fpgalab.compile(model)
    return str(info.value)


def test_clear_errors():
    g = Graph()
    g.quant("x", "q", 0.5, 4, mode="SIDEWAYS")
    assert "rounding_mode 'SIDEWAYS'" in _error(g.model([1, 4], ["q"])) and "HALF_EVEN" in _error(
        g.model([1, 4], ["q"])
    )
    g = Graph()
    g.quant("x", "q", 0.5, 0)
    assert "bit width must be one whole number from 1 to 64" in _error(g.model([1, 4], ["q"]))
    g = Graph()
    g.nodes.append(helper.make_node("FloatQuant", ["x"], ["y"], name="fq", domain=DOMAIN))
    message = _error(g.model([1, 4], ["y"]))
    assert "FloatQuant" in message and "Quant, BipolarQuant, Trunc" in message


def test_accuracy_is_against_qonnx_and_a_quants_clip_is_no_overflow():
    """A QONNX model's reference is qonnx's executor; a Quant saturating is its own clip, not an overflow."""
    design = fpgalab.compile(PUBLIC / "q_qkeras_jettagging.onnx")
    x = _inputs(design, 12, seed=2)
    report = design.accuracy(x)
    assert report.reference == "qonnx"
    assert report.top1_agreement == 1.0
    assert not [o for o in report.overflows if o.node.startswith("Quant")]
    hidden = run_kernel(design.kernel, [x], design._context(), keep=True)["Quant_8"]
    assert np.max(to_float(hidden)) == 63 / 64  # the Quant did clip: ap_ufixed<6,0>'s largest value
