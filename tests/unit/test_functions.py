"""Elementwise functions without TensorFlow: floor, ceil and round on the bits against an exact
reference; the new tables' overflow counting (and a select's untaken branch not counted); power
and TF's expanded Erfc and Softplus lowered from hand-written HLO; fused intermediates too wide
for the simulator typed by the precision pass; their operators in the schedule."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sim_rows import F, q, types, values_of

from fpgalab.frontend.tf.hlo import Computation, Instruction, Module, Shape
from fpgalab.frontend.tf.lower import lower_module
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL, FixedType
from fpgalab.options import parse_precision
from fpgalab.parts import load_device
from fpgalab.passes.quantize import AssignPrecision
from fpgalab.schedule.operators import Latencies, expression_ops
from fpgalab.sim import fixed, tables
from fpgalab.sim.elementwise import evaluate_expr
from fpgalab.sim.functional import run_kernel
from fpgalab.sim.values import SimContext, SimValue, to_exact, to_float

QUICK = settings(max_examples=60, deadline=None)
T16 = FixedType(16, 6)


def _round_half_even(x: Fraction) -> int:
    floor = math.floor(x)
    rem = x - floor
    return floor + (rem > Fraction(1, 2) or (rem == Fraction(1, 2) and floor % 2 == 1))


REFERENCE = {"floor": math.floor, "ceil": math.ceil, "round": _round_half_even}


def _unary_kernel(op: str, t_in, t_out, shape) -> ir.Kernel:
    node = ir.Elementwise("y", ("x",), shape, t_out, expr=ir.Op(op, (ir.Arg(0),), t_out), in_dims=((0,),))
    return ir.Kernel("k", (ir.Input("x", shape, t_in),), (), (node,), ("y",))


@QUICK
@given(st.data())
@pytest.mark.parametrize("op", ["floor", "ceil", "round"])
def test_rounding_rows_are_exact(op, data):
    t_in, t_out = data.draw(types()), data.draw(types())
    values = values_of(data.draw, t_in, (6,))
    out = run_kernel(_unary_kernel(op, t_in, t_out, (6,)), [values[None].astype(np.float32)], SimContext())
    got = to_exact(out["y"])[0]
    for value, result in zip(values, got):
        assert F(result) == q(Fraction(REFERENCE[op](F(value))), t_out), (op, t_in, t_out, value)


def test_round_is_half_to_even_and_float_rows_match_numpy():
    ties = np.array([[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.75, 3.25]], np.float32)
    for precision in (T16, FixedType(12, 8, False, "AP_TRN", "AP_SAT")):
        kernel = _unary_kernel("round", FixedType(8, 4), precision, (8,))
        got = to_exact(run_kernel(kernel, [ties], SimContext())["y"])[0]
        expected = np.rint(ties[0]) if precision.signed else np.maximum(np.rint(ties[0]), 0)
        assert np.array_equal(got, expected)
    for op, reference in (("floor", np.floor), ("ceil", np.ceil), ("round", np.rint)):
        expr = ir.Op(op, (ir.Arg(0),))
        value = evaluate_expr(expr, [SimValue(ties, ir.FLOAT32)], SimContext())
        assert np.array_equal(to_float(value), reference(ties))


def _table_overflows(function: str, values) -> list:
    seen = []
    token = fixed.COUNTER.set(lambda mask, bits, kind: seen.append(int(np.count_nonzero(mask))))
    try:
        spec = tables.DEFAULT_TABLES[function]
        tables.table_index(np.asarray(values) * 1024, 10, spec)
    finally:
        fixed.COUNTER.reset(token)
    return seen


def test_new_tables_count_inputs_beyond_their_range():
    assert _table_overflows("log", [-1.0, 0.5, 20.0]) == [2]  # below the domain and above the range
    assert _table_overflows("log1p", [-2.0, 0.5, 20.0]) == [2]
    assert _table_overflows("expm1", [-20.0, 0.5, 9.0]) == [1]  # flat at -1 below: only above counts
    assert _table_overflows("erf", [-20.0, 0.5, 20.0]) == []  # flat at +-1 on both sides


def test_a_select_counts_overflows_of_the_branch_it_takes_only():
    x = SimValue(fixed.from_float(np.array([[10.0, -10.0, 9.0, -1.0]]), T16), T16)
    expm1 = ir.Op("expm1", (ir.Arg(0),), T16)
    elu = ir.Op("select", (ir.Op("cmp_gt", (ir.Arg(0), ir.Const(0.0, T16)), BOOL), ir.Arg(0), expm1), T16)
    for expr, expected in ((expm1, 2), (elu, 0)):
        seen = []
        token = fixed.COUNTER.set(lambda mask, bits, kind, seen=seen: seen.append(int(np.count_nonzero(mask))))
        try:
            evaluate_expr(expr, [x], SimContext())
        finally:
            fixed.COUNTER.reset(token)
        assert sum(seen) == expected


# ---- lowering ---------------------------------------------------------------------------------------


def _lower(instructions, root, inputs=1) -> ir.Kernel:
    return lower_module(Module("m", "main", {"main": Computation("main", tuple(instructions), root)}), {}, inputs)


F4, SCALAR = Shape("f32", (4,)), Shape("f32", ())


def _power_kernel(exponent) -> ir.Kernel:
    return _lower(
        [
            Instruction(1, "x", "parameter", F4, (), {"parameter_number": 0}),
            Instruction(2, "c", "constant", SCALAR, (), {"literal": exponent}),
            Instruction(3, "b", "broadcast", F4, (2,), {"dimensions": ()}),
            Instruction(4, "p", "power", F4, (1, 3), {}, op_name="Pow"),
        ],
        4,
    )


def _ops(kernel) -> list[str]:
    return [o.op for n in kernel.nodes for o in ir.expr_ops(n.expr)]


@pytest.mark.parametrize(
    "exponent,ops",
    [
        (3.0, ["mul", "mul"]),
        (4.0, ["mul", "mul"]),
        (0.5, ["sqrt"]),
        (-0.5, ["rsqrt"]),
        (-2.0, ["mul", "div"]),
        (1.5, ["log", "mul", "exp"]),
    ],
)
def test_power_by_a_constant(exponent, ops):
    kernel = _power_kernel(exponent)
    assert sorted(_ops(kernel)) == sorted(ops)
    x = np.array([[0.5, 1.0, 1.5, 3.0]], np.float32)
    got = to_float(run_kernel(kernel, [x], SimContext())[kernel.outputs[0]])
    assert np.allclose(got, x**exponent, rtol=1e-6)


def test_power_by_a_tensor_is_exp_of_y_log_x():
    kernel = _lower(
        [
            Instruction(1, "x", "parameter", F4, (), {"parameter_number": 0}),
            Instruction(2, "y", "parameter", F4, (), {"parameter_number": 1}),
            Instruction(3, "p", "power", F4, (1, 2), {}, op_name="Pow"),
        ],
        3,
        inputs=2,
    )
    assert sorted(_ops(kernel)) == ["exp", "log", "mul"]
    x, y = np.array([[0.5, 1.0, 2.0, 3.0]], np.float32), np.array([[2.0, -1.0, 0.5, 1.5]], np.float32)
    got = to_float(run_kernel(kernel, [x, y], SimContext())[kernel.outputs[0]])
    assert np.allclose(got, x**y, rtol=1e-6)


def _tagged(ident, name, opcode, shape, operands, attrs=None, op_type="Erfc"):
    return Instruction(ident, name, opcode, shape, operands, attrs or {}, op_type=op_type, op_name=f"Gelu/{op_type}")


def test_an_expanded_erfc_is_one_minus_erf():
    """The bridge's polynomial (here a stand-in of three tagged instructions) becomes ``1 - erf(x)``."""
    kernel = _lower(
        [
            Instruction(1, "x", "parameter", F4, (), {"parameter_number": 0}),
            _tagged(2, "Erfc.1", "abs", F4, (1,)),
            _tagged(3, "Erfc.2", "constant", SCALAR, (), {"literal": 2.0}),
            _tagged(4, "Erfc.3", "broadcast", F4, (3,), {"dimensions": ()}),
            _tagged(5, "Erfc.4", "multiply", F4, (2, 4)),
            Instruction(6, "out", "negate", F4, (5,)),
        ],
        6,
    )
    assert sorted(_ops(kernel)) == ["erf", "neg", "sub"]
    x = np.array([[-2.0, -0.5, 0.25, 1.5]], np.float32)
    got = to_float(run_kernel(kernel, [x], SimContext())[kernel.outputs[0]])
    assert np.allclose(got, [-math.erfc(v) for v in x[0]], rtol=1e-6)


def test_an_expanded_softplus_keeps_its_tables_in_range():
    kernel = _lower(
        [
            Instruction(1, "x", "parameter", F4, (), {"parameter_number": 0}),
            _tagged(2, "Softplus.1", "exponential", F4, (1,), op_type="Softplus"),
            _tagged(3, "Softplus.2", "log-plus-one", F4, (2,), op_type="Softplus"),
        ],
        3,
    )
    assert sorted(_ops(kernel)) == ["abs", "add", "exp", "log1p", "max", "neg"]
    x = np.array([[-12.0, -0.5, 3.0, 12.0]], np.float32)
    got = to_float(run_kernel(kernel, [x], SimContext())[kernel.outputs[0]])
    assert np.allclose(got, np.log1p(np.exp(x.astype(np.float64))), rtol=1e-6)


def test_a_tagged_group_with_two_inputs_is_lowered_as_written():
    kernel = _lower(
        [
            Instruction(1, "x", "parameter", F4, (), {"parameter_number": 0}),
            Instruction(2, "y", "parameter", F4, (), {"parameter_number": 1}),
            _tagged(3, "Erfc.1", "multiply", F4, (1, 2)),
        ],
        3,
        inputs=2,
    )
    assert _ops(kernel) == ["mul"]


# ---- precision and schedule -----------------------------------------------------------------------------


def test_fused_products_stay_full_precision_up_to_64_bits_then_get_64_bits():
    """GELU's 0.044715 * x**3 at ap_fixed<16,6> is a 64-bit product: C++'s full precision. Two more
    factors of x (80-bit products) get 64 bits: each product's integer bits and the fraction bits left."""
    cube = ir.Op("mul", (ir.Arg(0), ir.Op("mul", (ir.Arg(0), ir.Arg(0)), None)), None)
    fifth = ir.Op("mul", (ir.Arg(0), ir.Op("mul", (ir.Arg(0), cube), None)), None)
    x = np.array([[-2.0, -0.5, 1.0, 1.5]], np.float32)
    for power, term, exponent in ((cube, 0, 3), (fifth, 1, 5)):
        expr = ir.Op("add", (ir.Arg(0), ir.Op("mul", (ir.Const(0.044715), power), None)), ir.FLOAT32)
        node = ir.Elementwise("y", ("x",), (4,), expr=expr, in_dims=((0,),))
        kernel = ir.Kernel("k", (ir.Input("x", (4,)),), (), (node,), ("y",))
        typed = AssignPrecision(parse_precision("ap_fixed<16,6>")).run(kernel)
        inner = typed.nodes[0].expr.args[1]
        if term == 0:
            assert inner.dtype is None and inner.args[1].dtype is None  # 64 bits: full precision
        else:
            # x**5 (80 bits: 30 integer, 50 fraction) and 0.044715 * x**5 (80 bits) each get 64 bits
            assert inner.args[1].dtype == FixedType(64, 30) and inner.dtype == FixedType(64, 36)
        got = to_exact(run_kernel(typed, [x], SimContext())["y"])[0]
        # the constant holds 10 fraction bits: its error (< 2**-10) grows with |x|**exponent (32 at x = -2)
        assert np.allclose(got, x[0] + 0.044715 * x[0] ** exponent, atol=2**-10 * 2**exponent + 2**-9)


def test_function_operators_in_the_schedule():
    latencies = Latencies(load_device("xcvu9p"), 200)
    context = SimContext()

    def kinds(op, operand=T16):
        ops, _path, _type = expression_ops(
            ir.Op(op, (ir.Arg(0),), T16), [operand], latencies, context.tables, context.table_type, "s"
        )
        return [o.kind for o in ops]

    for function in ("expm1", "log", "log1p", "erf"):
        assert kinds(function) == ["table"]
        assert kinds(function, ir.FLOAT32) == ["exp"]
    assert kinds("floor") == []  # dropping fraction bits is wiring
    assert kinds("ceil") == kinds("round") == ["round"]  # one adder
    assert kinds("round", FixedType(8, 8)) == []  # an integer type is rounded already
    assert kinds("round", ir.FLOAT32) == ["round"]
