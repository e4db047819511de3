"""Lowering rules for HLO's unary ops, ``convert`` above all: which conversions are free, which
become conversion nodes, and how a model's integer ids reach the hardware as integers."""

from __future__ import annotations

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Buffer
from fpgalab.frontend.tf.opcodes import INTEGER_TYPES, UNARY
from fpgalab.frontend.tf.rules import _where, elementwise, hlo_type, rule, value_type
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType, is_integer_type


@rule(*UNARY)
def _unary(lw, ins, args):
    if ins.opcode == "convert" and lw.known(args[0]) is None:
        return _convert(lw, ins, args)
    return elementwise(lw, ins, UNARY[ins.opcode], args)


def _convert(lw, ins, args):
    """A run-time ``convert``. Float to float is nothing to do (the design has one float or fixed
    type); an integer or predicate to float becomes an exact conversion node (into the design's
    type); an integer widened is nothing to do, narrowed it wraps as XLA's does. Float to integer
    (a cast that truncates) of a design input makes that input an integer input (Keras's Embedding
    on a float ``keras.Input`` casts its ids: the host sends whole numbers, ``_integer_input``);
    of anything else it is refused."""
    source, target = value_type(lw, args[0]), hlo_type(ins.shape.dtype)
    if isinstance(target, type(ir.FLOAT32)) and isinstance(source, type(ir.FLOAT32)):
        return args[0]
    if is_integer_type(target):
        if isinstance(source, type(ir.FLOAT32)) and _integer_input(lw, args[0], target):
            return args[0]
        round_trip = _integer_before_float(lw, args[0], target)  # Keras: int ids -> float Input -> int
        if round_trip is not None:
            return round_trip
        if isinstance(source, type(ir.FLOAT32)):
            raise CompileError(
                f"{_where(ins)}: converting float values to integers (tf.cast to an integer type) is not "
                "supported; integer tensors must come from the inputs, iota, argmax or comparisons"
            )
        if is_integer_type(source) and _widens(source, target):
            return args[0]
    return elementwise(lw, ins, "convert", args)


def _integer_input(lw, value, target) -> bool:
    """Make the design input ``value`` reads an integer input of type ``target`` (True), if it is one.

    The host then sends whole numbers; TF's cast truncates toward zero, and so does converting a
    sample to the input's type (AP_TRN_ZERO). Every other reader of the input reads it as the cast
    gives it, so an input also used as a float value is refused at its cast."""
    if not isinstance(value, Buffer):
        return False
    name = value.name
    while isinstance(lw.produced.get(name), ir.Reshape):  # the ids through a reshape
        name = lw.produced[name].inputs[0]
    entry = lw.module.entry_computation
    for k, spec in enumerate(lw.inputs):
        if spec.name != name or spec.integer:
            continue
        if any(u.opcode != "convert" or u.shape.dtype not in INTEGER_TYPES for u in _readers(entry, k)):
            return False  # also read as a float value: the cast stays refused
        dtype = FixedType(target.width, target.width, target.signed, "AP_TRN_ZERO")
        lw.inputs[k] = ir.Input(spec.name, spec.shape, dtype, op_name=spec.op_name, integer=True)
        return True
    return False


def _readers(entry, k: int) -> list:
    """The instructions that read the entry's parameter ``k``, through reshapes and bitcasts."""
    ids, readers = {entry.parameters()[k].id}, []
    for ins in entry.instructions:  # operands come before their users
        if ids & set(ins.operands):
            if ins.opcode in ("reshape", "bitcast", "copy"):
                ids.add(ins.id)
            else:
                readers.append(ins)
    return readers


def _integer_before_float(lw, value, target):
    """The integer a float value was converted from, when converting back to ``target`` gives it
    exactly (an integer ``target`` holds every value of), else None."""
    producer = lw.produced.get(value.name) if isinstance(value, Buffer) else None
    if not isinstance(producer, ir.Elementwise) or producer.expr != ir.Op("convert", (ir.Arg(0),), ir.FLOAT32):
        return None
    source = lw.produced[producer.inputs[0]].dtype if producer.inputs[0] in lw.produced else None
    source = source or next((i.dtype for i in lw.inputs if i.name == producer.inputs[0]), None)
    if not is_integer_type(source) or not (source == target or _widens(source, target)):
        return None
    return Buffer(producer.inputs[0], value.shape)


def _widens(source, target) -> bool:
    """Whether every value of integer type ``source`` is one of ``target``."""
    if source.signed == target.signed:
        return target.width >= source.width
    return target.signed and target.width > source.width
