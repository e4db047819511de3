"""The operators one iteration of a layer's loop body uses, their widths and latencies.

A row per node class (``CORE_OPERATORS``) lists what one *output element* of the node needs per
reduction step; ``fpgalab.schedule`` multiplies by the unrolled copies. Every operator is
instantiated once per copy (no sharing across II slots), so the counts are what a generator
must build and what the estimator prices.

Latencies come from the device library (``Device.latency``, quoted at ``clock.reference_mhz``)
scaled to the chosen clock: an operator of ``n`` cycles at the reference clock takes
``max(1, ceil(n * clock / reference))`` cycles (the combinational delay is the same, the
period changes; Xilinx PG060 lists fewer floating-point stages at lower clocks). The BRAM read
latency is structural (address and output registers, UG573) and is not scaled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BoolType, FixedType, FloatType, NumType
from fpgalab.sim.elementwise import natural_type

WRITE_CYCLES = 1  # the store of a result into its buffer (a registered write port)
CONVERT_CYCLES = 1  # rounding and saturation of an accumulator into the output type
TABLE_INDEX_CYCLES = 1  # subtract, shift and clamp that turn a value into a table address
LUT_MULTIPLY_CYCLES = 1  # a multiply small enough for fabric LUTs, registered once

READ_LATENCY = {"reg": 0, "lutram": 1}  # bram and uram: device.latency.bram_read


@dataclass(frozen=True)
class OperatorUse:
    """``count`` parallel instances of ``kind`` on operands of ``widths`` bits (result ``out`` bits).

    ``stage`` is where it sits: core (the multiply or compare of each reduction step), tree (the
    adder tree of an unrolled reduction), acc (the accumulator update), epilogue (rounding into
    the output type), or the name of a fused elementwise node. ``table`` is (entries, width) of
    a look-up ROM for table operators.
    """

    kind: str
    widths: tuple[int, ...]
    out: int
    count: int
    latency: int
    stage: str
    float: bool = False
    table: tuple[int, int] = ()


def bits(dtype: NumType) -> int:
    return dtype.bits if isinstance(dtype, (FixedType, BoolType)) else 32


def scaled(cycles: int, clock_mhz: float, device) -> int:
    """Cycles of an operator at ``clock_mhz`` given its latency at the device's reference clock."""
    if cycles <= 0:
        return 0
    return max(1, math.ceil(cycles * clock_mhz / device.clock.reference_mhz - 1e-9))


def read_latency(storage: str, device) -> int:
    return READ_LATENCY.get(storage, device.latency.bram_read)


class Latencies:
    """Operator latencies of one device at one clock."""

    def __init__(self, device, clock_mhz: float):
        self.device, self.clock = device, clock_mhz
        lat = device.latency
        self.table = {name: scaled(getattr(lat, name), clock_mhz, device) for name in lat.__dataclass_fields__}

    def of(self, kind: str, widths: tuple[int, ...], is_float: bool) -> int:
        t = self.table
        if is_float:
            return {
                "add": t["float_add"],
                "mul": t["float_mul"],
                "div": t["float_div"],
                "exp": t["float_exp"],
                "sqrt": t["float_sqrt"],
                "cmp": t["float_cmp"],
                "minmax": t["float_cmp"] + 1,
                "convert": t["float_to_int"],
                "round": t["float_to_int"],
                "neg": 1,
                "abs": 1,
                "mux": 1,
            }.get(kind, t["float_add"])
        if kind == "mul":
            w1, w2 = (widths + (1, 1))[:2]
            return t["fixed_mul"] if self.device.multiply_uses_dsp(int(w1), int(w2)) else LUT_MULTIPLY_CYCLES
        if kind == "table":
            return TABLE_INDEX_CYCLES + t["bram_read"]
        if kind == "convert":
            return CONVERT_CYCLES
        return t["fixed_add"]  # add, sub, neg, abs, cmp, minmax, mux


# ---- the reduction (core) operators of each node class ----------------------------------------------


def _mac(node, operand_types, latencies) -> tuple[list, str, NumType]:
    """Dot and Conv: one multiply per step; the accumulator adds (type ``acc``)."""
    a, b = operand_types[0], operand_types[1]
    is_float = isinstance(node.acc, FloatType)
    widths = (bits(a), bits(b))
    product = sum(widths) if not is_float else 32
    mul = OperatorUse("mul", widths, product, 1, latencies.of("mul", widths, is_float), "core", is_float)
    return [mul], "add", node.acc


def _window(node, operand_types, latencies) -> tuple[list, str, NumType]:
    """Pool and Reduce: the step is the accumulate itself (max/min: compare and select; sum: add)."""
    return [], ("add" if node.kind == "sum" else "minmax"), node.acc


CORE_OPERATORS = {ir.Dot: _mac, ir.Conv: _mac, ir.Pool: _window, ir.Reduce: _window}


def accumulate_ops(
    kind: str, acc: NumType, steps_per_iteration: int, iterations: int, has_init: bool, latencies
) -> tuple[list[OperatorUse], int, int]:
    """Tree and accumulator operators of one output element; returns (ops, tree latency, acc latency).

    ``steps_per_iteration`` reduction terms arrive per iteration (the unrolled reduction loops): a
    balanced tree of ``steps - 1`` operators of ``ceil(log2(steps))`` levels combines them, then one
    accumulator operator adds the running value when the reduction spans several iterations or
    starts from a bias.
    """
    is_float = isinstance(acc, FloatType)
    width = bits(acc)
    one = latencies.of(kind, (width, width), is_float)
    ops = []
    tree_levels = math.ceil(math.log2(steps_per_iteration)) if steps_per_iteration > 1 else 0
    if steps_per_iteration > 1:
        ops.append(OperatorUse(kind, (width, width), width, steps_per_iteration - 1, one, "tree", is_float))
    accumulate = iterations > 1 or has_init
    if accumulate:
        ops.append(OperatorUse(kind, (width, width), width, 1, one, "acc", is_float))
    return ops, tree_levels * one, one if accumulate else 0


def conversion_ops(source: NumType, target: NumType, stage: str, latencies) -> tuple[list[OperatorUse], int]:
    """Operators assigning a ``source`` value to ``target`` (one element) and their latency.

    Fixed to fixed: dropping fraction bits with AP_TRN and dropping integer bits with AP_WRAP
    are wiring; rounding modes add an adder of the target width, saturation modes two
    comparators and a 3-way mux (Vitis HLS ap_fixed quantization/overflow logic, UG1399
    "Arbitrary Precision Fixed-Point Data Types"). Float to or from fixed is a converter.
    """
    if source == target:
        return [], 0
    if isinstance(source, FloatType) and isinstance(target, FloatType):
        return [], 0
    if isinstance(source, FloatType) or isinstance(target, FloatType):
        op = OperatorUse("convert", (bits(source),), bits(target), 1, latencies.of("convert", (), True), stage, True)
        return [op], op.latency
    if not (isinstance(source, FixedType) and isinstance(target, FixedType)):
        return [], 0
    ops = []
    if target.quant != "AP_TRN" and target.frac < source.frac:
        ops.append(OperatorUse("round", (bits(target),), bits(target), 1, CONVERT_CYCLES, stage))
    if target.overflow != "AP_WRAP" and source.integer > target.integer:
        ops.append(OperatorUse("saturate", (bits(source),), bits(target), 1, CONVERT_CYCLES, stage))
    return ops, (CONVERT_CYCLES if ops else 0)


def rounding_ops(op: str, source: NumType, result: NumType, stage: str) -> tuple[list[OperatorUse], int]:
    """floor, ceil or round of a fixed-point value: floor drops the fraction bits (wiring, as an
    AP_TRN assignment); ceil adds ``1 - ulp`` before dropping them and round adds the
    round-half-even increment (AP_RND_CONV): one adder of the result's width, as a rounding
    assignment (UG1399 "Quantization Modes"). A value without fraction bits is already an integer."""
    if op == "floor" or not isinstance(source, FixedType) or source.frac <= 0:
        return [], 0
    return [OperatorUse("round", (bits(result),), bits(result), 1, CONVERT_CYCLES, stage)], CONVERT_CYCLES


# ---- elementwise expressions ----------------------------------------------------------------------------

_KIND = {
    "add": "add",
    "sub": "add",
    "neg": "neg",
    "abs": "abs",
    "mul": "mul",
    "max": "minmax",
    "min": "minmax",
    "clamp": "minmax",
    "select": "mux",
    "convert": "convert",
    "exp": "exp",
    "tanh": "exp",
    "logistic": "exp",
    "sqrt": "sqrt",
    "rsqrt": "sqrt",
    "expm1": "exp",
    "log": "exp",
    "log1p": "exp",
    "erf": "exp",
    "floor": "round",
    "ceil": "round",
    "round": "round",
    "div": "div",
}


class _Context:
    def __init__(self, table_type):
        self.table_type = table_type


def expression_ops(
    expr, operand_types, latencies, tables: dict, table_type: NumType, stage: str
) -> tuple[list[OperatorUse], int, NumType]:
    """Operators of an elementwise expression (one output element), its critical path and result type."""

    if isinstance(expr, ir.Arg):
        return [], 0, operand_types[expr.index]
    if isinstance(expr, ir.Const):
        return [], 0, expr.dtype
    ops, path, arg_types = [], 0, []
    for arg in expr.args:
        arg_ops, arg_path, arg_type = expression_ops(arg, operand_types, latencies, tables, table_type, stage)
        ops += arg_ops
        path = max(path, arg_path)
        arg_types.append(arg_type)
    result = expr.dtype
    if result is None:
        fixed_args = [t for t in arg_types if not isinstance(t, FloatType)]
        result = (
            arg_types[0]
            if len(fixed_args) < len(arg_types) or expr.op == "convert"
            else natural_type(expr.op, fixed_args, _Context(table_type))
        )
    is_float = isinstance(result, FloatType) or any(isinstance(t, FloatType) for t in arg_types)
    widths = tuple(bits(t) for t in arg_types)
    op = expr.op
    if op.startswith("cmp_"):
        kind = "cmp"
    else:
        kind = _KIND[op]
    if not is_float and op in ir.TABLE_OPS:
        spec = tables[ir.TABLE_OPS[op]]
        table = OperatorUse(
            "table",
            widths[:1],
            bits(table_type),
            1,
            latencies.of("table", widths, False),
            stage,
            table=(spec.size, bits(table_type)),
        )
        new = [table]
        latency = table.latency
        if op == "div":  # a / b = a * table(1/b); a divisor constant needs no table
            if isinstance(expr.args[1], ir.Const):
                new, latency = [], 0
            mul_widths = (widths[0], bits(table_type))
            mul = OperatorUse("mul", mul_widths, bits(result), 1, latencies.of("mul", mul_widths, False), stage)
            new.append(mul)
            latency += mul.latency
        return ops + new, path + latency, result
    if kind == "convert":
        new, latency = conversion_ops(arg_types[0], result, stage, latencies)
        return ops + new, path + latency, result
    if kind == "round" and not is_float:
        new, latency = rounding_ops(op, arg_types[0], result, stage)
        return ops + new, path + latency, result
    if kind == "mux" or (kind == "minmax" and op == "clamp"):
        count = 2 if op == "clamp" else 1
    else:
        count = 1
    latency = latencies.of(kind, widths, is_float) * (count if op == "clamp" else 1)
    ops.append(OperatorUse(kind, widths, bits(result), count, latency, stage, is_float))
    return ops, path + latency, result


def lookup_ops(id_type: NumType, rows: int, copies: int, table_read: int, latencies) -> tuple[list[OperatorUse], int]:
    """A table read addressed by an id (Keras's Embedding): the id is clamped to ``0 .. rows-1``
    (two comparators and their muxes on the id's width, as XLA clamps a gather's index), then
    it addresses the ROM. Returns the operators and the path after the id is read: the clamp, then
    the table's read latency (the ROM's own LUT/BRAM cost is the constant's storage)."""
    width = bits(id_type)
    is_float = isinstance(id_type, FloatType)
    clamp = latencies.of("minmax", (width, width), is_float) * 2
    ops = [OperatorUse("minmax", (width, width), max(1, (rows - 1).bit_length()), 2 * copies, clamp, "core", is_float)]
    if is_float:
        ops.append(OperatorUse("convert", (32,), width, copies, latencies.of("convert", (), True), "core", True))
        clamp += ops[-1].latency
    return ops, clamp + table_read


def positional_read_ops(width: int, banks: int, copies: int, table_read: int) -> tuple[list[OperatorUse], int]:
    """A run-time tensor read at constant positions (the gather of a resize): the positions come from
    a ROM (its LUT/BRAM cost is the constant's storage) and are inside the tensor by construction, so
    there is no clamp. The address reaches the tensor's memory; when the tensor is spread over
    several banks (partitioned, or held in registers), each read picks its word out of the banks'
    outputs with a ``banks``-way multiplexer. Returns the operators and the path after the position
    is read: the tensor's read latency (a multiplexer is combinational, as the Pad's and Concat's)."""
    if banks <= 1:
        return [], table_read
    return [OperatorUse("mux", (width,) * banks, width, copies, 0, "core")], table_read
