"""Lowering real captured HLO modules (tests/data/) to the IR, without TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CASES, case, relative_error

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import layer_of
from fpgalab.frontend.tf.hlo import Computation, Instruction, Module, Shape, module_from_json, module_to_json
from fpgalab.frontend.tf.lower import lower_module
from fpgalab.frontend.tf.opcodes import SUPPORTED_OPS
from fpgalab.ir import nodes as ir
from fpgalab.ir.verify import verify_kernel
from fpgalab.sim.functional import run_kernel
from fpgalab.sim.values import to_float


@pytest.mark.parametrize("name", CASES)
def test_float_simulation_matches_tensorflow(name):
    c = case(name)
    kernel = verify_kernel(c.float_kernel())
    outputs = run_kernel(kernel, c.samples)
    for out_name, reference in zip(kernel.outputs, c.references):
        got = to_float(outputs[out_name])
        assert got.shape == reference.shape
        assert relative_error(got, reference) <= 1e-5


@pytest.mark.parametrize("name", CASES)
def test_float_design_matches_tensorflow_after_passes(name):
    c = case(name)
    design = c.design(precision="float32")
    assert relative_error(design.simulate(*c.examples), c.example_output) <= 1e-5


def test_lenet5_lowers_to_the_layers_a_designer_expects():
    kernel = case("lenet5").design().kernel
    kinds = [type(n).__name__ for n in kernel.nodes]
    assert kinds.count("Conv") == 2 and kinds.count("Dot") == 3 and kinds.count("Pool") == 2
    convs = [n for n in kernel.nodes if isinstance(n, ir.Conv)]
    assert all(len(n.inputs) == 3 for n in convs), "the bias add is folded into each convolution"
    assert [n.layer for n in convs] == ["conv1", "conv2"]
    roles = {c.name: c.role for c in kernel.constants}
    assert sorted(set(roles.values())) == ["bias", "weight"]
    assert all(c.dtype.width == 16 for c in kernel.constants)


def test_mobilenet_depthwise_convolutions_use_groups():
    kernel = case("mobilenet_v1_small").float_kernel()
    depthwise = [n for n in kernel.nodes if isinstance(n, ir.Conv) and n.groups > 1]
    assert len(depthwise) == 13
    assert all(n.groups == n.shape[-1] for n in depthwise)
    assert any(n.strides == (2, 2) for n in depthwise)


def test_weights_are_constants_named_after_their_variables():
    kernel = case("digits_mlp").float_kernel()
    names = {c.name for c in kernel.constants}
    assert "digits_mlp_dense_1_kernel" in names and "digits_mlp_dense_3_bias" in names
    assert [i.name for i in kernel.inputs] == ["pixels"]


def test_module_json_round_trip():
    module = case("lenet5").module
    again = module_from_json(module_to_json(module))
    assert again.entry == module.entry
    ops = [i.opcode for i in again.entry_computation.instructions]
    assert ops == [i.opcode for i in module.entry_computation.instructions]


def test_layer_names_resolve_keras_suffixes():
    layers = frozenset({"conv1", "fc1", "dense_1"})
    assert layer_of("lenet5_1/conv1_1/convolution", layers) == "conv1"
    assert layer_of("sequential_1/dense_1/MatMul", layers) == "dense_1"
    assert layer_of("Softmax", frozenset()) == "Softmax"
    assert layer_of("block/inner/MatMul", frozenset()) == "block/inner"


def _module_with(opcode: str) -> Module:
    f32 = Shape("f32", (4,))
    instructions = (
        Instruction(1, "x", "parameter", f32, (), {"parameter_number": 0}),
        Instruction(2, "odd.1", opcode, f32, (1,), {}, op_type="Sort", op_name="model/sort_layer/Sort"),
    )
    return Module("m", "main", {"main": Computation("main", instructions, 2)})


def test_unsupported_op_names_op_tf_op_and_the_supported_list():
    with pytest.raises(CompileError) as info:
        lower_module(_module_with("fft"), {}, 1)
    message = str(info.value)
    assert "'fft'" in message and "model/sort_layer/Sort" in message
    for op in ("convolution", "reduce-window", "dot"):
        assert op in message


def test_float_to_integer_casts_are_rejected_unless_they_read_an_input():
    """A cast of a computed float is refused; a float input read only through integer casts (Keras's
    Embedding behind a float keras.Input) becomes an integer input, truncated as the cast truncates."""
    s32, f32 = Shape("s32", (4,)), Shape("f32", (4,))
    computed = (
        Instruction(1, "x", "parameter", f32, (), {"parameter_number": 0}),
        Instruction(2, "twice", "add", f32, (1, 1), {}),
        Instruction(3, "c", "convert", s32, (2,), {}, op_name="Cast"),
    )
    module = Module("m", "main", {"main": Computation("main", computed, 3)})
    with pytest.raises(CompileError, match="float values to integers"):
        lower_module(module, {}, 1)
    direct = (
        Instruction(1, "x", "parameter", f32, (), {"parameter_number": 0}),
        Instruction(2, "c", "convert", s32, (1,), {}, op_name="Cast"),
        Instruction(3, "twice", "add", s32, (2, 2), {}),
    )
    kernel = lower_module(Module("m", "main", {"main": Computation("main", direct, 3)}), {}, 1)
    (spec,) = kernel.inputs
    assert spec.integer and spec.dtype.width == 32 and spec.dtype.quant == "AP_TRN_ZERO"


def test_integer_inputs_become_ap_int_and_convert_exactly():
    s32, f32 = Shape("s32", (4,)), Shape("f32", (4,))
    instructions = (
        Instruction(1, "ids", "parameter", s32, (), {"parameter_number": 0}),
        Instruction(2, "c", "convert", f32, (1,), {}, op_name="Cast"),
        Instruction(3, "e", "exponential", f32, (2,), {}),
    )
    module = Module("m", "main", {"main": Computation("main", instructions, 3)})
    kernel = lower_module(module, {}, 1)
    assert str(kernel.inputs[0].dtype) == "ap_int<32>"
    assert [n.expr.op for n in kernel.nodes] == ["convert", "exp"]


def test_integer_arithmetic_outside_the_integer_ops_is_rejected():
    s32 = Shape("s32", (4,))
    instructions = (
        Instruction(1, "ids", "parameter", s32, (), {"parameter_number": 0}),
        Instruction(2, "d", "divide", s32, (1, 1), {}),
    )
    module = Module("m", "main", {"main": Computation("main", instructions, 2)})
    with pytest.raises(CompileError, match="integer tensors only with these HLO ops"):
        lower_module(module, {}, 1)


def test_every_supported_op_has_a_lowering_rule():
    from fpgalab.frontend.tf.rules import RULES

    assert set(SUPPORTED_OPS) == set(RULES)


def test_dead_code_and_unused_weights_are_dropped():
    kernel = case("softmax_8").float_kernel()
    used = {i for n in kernel.nodes for i in n.inputs} | set(kernel.outputs)
    assert all(c.name in used for c in kernel.constants)
    assert all(n.name in used for n in kernel.nodes)
    assert np.isfinite(run_kernel(kernel, case("softmax_8").samples)[kernel.outputs[0]].array).all()


def test_variadic_reductions_other_than_argmax_are_refused():
    f32, s32 = Shape("f32", ()), Shape("s32", ())
    pair = Shape("tuple", (), (Shape("f32", (1,)), Shape("s32", (1,))))
    reducer = Computation(
        "pair_sum",
        (
            Instruction(11, "a", "parameter", f32, (), {"parameter_number": 0}),
            Instruction(12, "i", "parameter", s32, (), {"parameter_number": 1}),
            Instruction(13, "b", "parameter", f32, (), {"parameter_number": 2}),
            Instruction(14, "j", "parameter", s32, (), {"parameter_number": 3}),
            Instruction(15, "s", "add", f32, (11, 13), {}),
            Instruction(16, "t", "add", s32, (12, 14), {}),
            Instruction(17, "r", "tuple", Shape("tuple", (), (f32, s32)), (15, 16), {}),
        ),
        17,
    )
    entry = Computation(
        "main",
        (
            Instruction(1, "x", "parameter", Shape("f32", (1, 4)), (), {"parameter_number": 0}),
            Instruction(2, "n", "iota", Shape("s32", (1, 4)), (), {"dimensions": (1,)}),
            Instruction(3, "z", "constant", f32, (), {"literal": np.zeros(())}),
            Instruction(4, "k", "constant", s32, (), {"literal": np.zeros((), np.int32)}),
            Instruction(5, "r", "reduce", pair, (1, 2, 3, 4), {"dimensions": (1,)}, called=("pair_sum",)),
            Instruction(6, "g", "get-tuple-element", Shape("s32", (1,)), (5,), {"tuple_index": 1}),
        ),
        6,
    )
    module = Module("m", "main", {"main": entry, "pair_sum": reducer})
    with pytest.raises(CompileError, match="it takes TensorFlow's argmax/argmin"):
        lower_module(module, {}, 1)
