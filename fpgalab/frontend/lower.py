"""Lower fpgalab's HLO graph to the loop-nest IR (float32 types; precision is a later pass).

Values whose inputs are all known at compile time (weights, their transposes and reshapes,
broadcast constants) are folded by running the simulator's float32 row for the node, so the
kernel keeps only the work the hardware does. Broadcasts feeding elementwise ops become index
maps (``Elementwise.in_dims``) instead of copies; scalar constants become ``Const`` leaves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import CompileError
from ..ir import nodes as ir
from .hlo import Computation, Instruction, Module

SUPPORTED_OPS = (
    "parameter", "constant", "broadcast", "reshape", "bitcast", "transpose", "slice", "concatenate", "pad",
    "convert", "add", "subtract", "multiply", "divide", "maximum", "minimum", "negate", "abs", "exponential",
    "tanh", "logistic", "rsqrt", "sqrt", "compare", "select", "clamp", "dot", "convolution", "reduce",
    "reduce-window", "tuple", "get-tuple-element", "call", "fusion", "copy")

_UNARY = {"negate": "neg", "abs": "abs", "exponential": "exp", "tanh": "tanh", "logistic": "logistic",
          "rsqrt": "rsqrt", "sqrt": "sqrt", "convert": "convert", "copy": "convert"}
_BINARY = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div", "maximum": "max", "minimum": "min"}
_COMPARE = {"EQ": "cmp_eq", "NE": "cmp_ne", "LT": "cmp_lt", "LE": "cmp_le", "GT": "cmp_gt", "GE": "cmp_ge"}
_REDUCERS = {"add": "sum", "maximum": "max", "minimum": "min"}
_FLOAT_TYPES = ("f32", "f16", "bf16", "f64")


# ---- values during lowering ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Known:
    """A compile-time value (float32 array); ``name`` names its ROM if it becomes one."""
    array: np.ndarray
    name: str = ""


@dataclass(frozen=True)
class _Buffer:
    """A run-time buffer of the kernel."""
    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class _View:
    """``source`` broadcast to ``shape``; ``dims`` gives the output dimension of each source dimension."""
    source: object  # _Known | _Buffer
    dims: tuple[int, ...]
    shape: tuple[int, ...]


@dataclass(frozen=True)
class _Tuple:
    items: tuple


def _sanitize(name: str) -> str:
    text = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_") or "v"
    return "v_" + text if text[0].isdigit() else text


def layer_of(op_name: str, layer_names: frozenset[str]) -> str:
    """The Keras layer (or TF name scope) an HLO op came from, for per-layer options and reports."""
    parts = [p for p in op_name.split("/") if p]
    for part in parts:
        if part in layer_names:
            return part
        base = re.sub(r"_\d+$", "", part)
        if base in layer_names:
            return base
    if len(parts) >= 2:
        return "/".join(parts[1:-1]) if len(parts) > 2 and layer_names else "/".join(parts[:-1])
    return parts[0] if parts else ""


class Lowering:
    """Walks the entry computation once, building nodes and constants."""

    def __init__(self, module: Module, bindings: dict[int, np.ndarray], n_inputs: int,
                 input_names: list[str], weight_names: dict[int, str], layer_names: frozenset[str]):
        self.module = module
        self.bindings = bindings
        self.n_inputs = n_inputs
        self.input_names = input_names
        self.weight_names = weight_names
        self.layer_names = layer_names
        self.inputs: list[ir.Input] = []
        self.constants: dict[str, ir.Constant] = {}
        self.nodes: list[ir.Node] = []
        self.produced: dict[str, ir.Node] = {}
        self.used_names: set[str] = set()
        self.rom_of: dict[int, tuple] = {}  # id of a known value -> (value, its ROM buffer)

    # -- naming and bookkeeping
    def fresh(self, base: str) -> str:
        name, k = _sanitize(base), 1
        while name in self.used_names:
            k += 1
            name = f"{_sanitize(base)}_{k}"
        self.used_names.add(name)
        return name

    def add_node(self, node: ir.Node) -> _Buffer:
        self.nodes.append(node)
        self.produced[node.name] = node
        return _Buffer(node.name, node.shape)

    def constant(self, array: np.ndarray, base: str, op_name: str = "") -> _Buffer:
        name = self.fresh(base)
        value = np.asarray(array, dtype=np.float32)
        self.constants[name] = ir.Constant(name, value.shape, value, op_name=op_name)
        return _Buffer(name, value.shape)

    def buffer(self, value, base: str, op_name: str = "") -> _Buffer:
        """Materialise a value as a buffer (constants become ROMs, views become Broadcast nodes)."""
        if isinstance(value, _Buffer):
            return value
        if isinstance(value, _Known):
            if id(value) not in self.rom_of:
                self.rom_of[id(value)] = (value, self.constant(value.array, value.name or base, op_name))
            return self.rom_of[id(value)][1]
        if isinstance(value, _View):
            if isinstance(value.source, _Known):
                return self.constant(self.known(value).array, base, op_name)
            node = ir.Broadcast(self.fresh(base), (value.source.name,), value.shape, dims=value.dims, op_name=op_name,
                                layer=layer_of(op_name, self.layer_names))
            return self.add_node(node)
        raise CompileError(f"a tuple cannot be used as an array operand here ({base})")

    @staticmethod
    def known(value) -> _Known | None:
        if isinstance(value, _Known):
            return value
        if isinstance(value, _View) and isinstance(value.source, _Known):
            from ..sim.functional import broadcast_in_dims  # noqa: PLC0415
            return _Known(broadcast_in_dims(value.source.array, value.dims, value.shape).astype(np.float32))
        return None

    def fold_or_add(self, node: ir.Node, operand_values: list) -> object:
        """Evaluate a node now when all its inputs are compile-time values, else add it to the kernel."""
        knowns = [self.known(v) for v in operand_values]
        if all(k is not None for k in knowns):
            from ..sim.functional import evaluate_float  # noqa: PLC0415 - the simulator's float32 rows
            arrays = [k.array[None] for k in knowns]
            return _Known(np.asarray(evaluate_float(node, arrays)[0], dtype=np.float32), node.name)
        return self.add_node(node)

    # -- the walk
    def lower(self) -> ir.Kernel:
        entry = self.module.entry_computation
        params = entry.parameters()
        env: dict[int, object] = {}
        for p in params:
            number = p.attrs["parameter_number"]
            if number < self.n_inputs:
                self._check_input(p)
                name = self.fresh(self.input_names[number] if number < len(self.input_names) else f"input_{number}")
                self.inputs.append(ir.Input(name, p.shape.dims, op_name=p.op_name))
                env[p.id] = _Buffer(name, p.shape.dims)
            else:
                if number not in self.bindings:
                    raise CompileError(f"HLO parameter {number} ({p.name}) has no bound value: fpgalab could not find the "
                                       "captured tensor or variable it stands for")
                env[p.id] = _Known(np.asarray(self.bindings[number], dtype=np.float32).reshape(p.shape.dims),
                                   self.weight_names.get(number, f"weight_{number}"))
        result = self.run(entry, env)
        outputs = result.items if isinstance(result, _Tuple) else (result,)
        names = []
        for k, out in enumerate(outputs):
            if isinstance(out, _Tuple):
                raise CompileError("nested tuple outputs are not supported; return a flat tuple of tensors")
            names.append(self.buffer(out, f"output_{k}").name)
        kernel = ir.Kernel(_sanitize(self.module.name), tuple(self.inputs), tuple(self.constants.values()),
                           tuple(self.nodes), tuple(names))
        return eliminate_dead_code(kernel)

    def _check_input(self, p: Instruction):
        if p.shape.dtype not in _FLOAT_TYPES:
            raise CompileError(f"input {p.attrs['parameter_number']} has element type {p.shape.dtype}; fpgalab takes "
                               "floating-point inputs only (float32), which it converts to the design's precision")
        if p.shape.dynamic:
            raise CompileError("input shapes must be static; give example inputs with fixed dimensions")

    def run(self, comp: Computation, env: dict[int, object]):
        by_id = comp.by_id()
        for ins in _topological(comp):
            if ins.id in env:
                continue
            env[ins.id] = self.instruction(ins, [env[o] for o in ins.operands], by_id)
        return env[comp.root]

    def instruction(self, ins: Instruction, args: list, by_id) -> object:
        op = ins.opcode
        if op not in SUPPORTED_OPS:
            raise CompileError(
                f"unsupported HLO op '{op}' (from TensorFlow op '{ins.op_name or ins.name}', type '{ins.op_type or '?'}'). "
                f"fpgalab lowers these HLO ops: {', '.join(SUPPORTED_OPS)}. Rewrite the function without it, "
                "or compute that part outside the accelerator.")
        if ins.shape.dynamic:
            raise CompileError(f"'{op}' ({ins.op_name or ins.name}) has a dynamic shape; fpgalab needs static shapes")
        from . import lower_ops  # noqa: PLC0415 - the per-opcode rules
        result = lower_ops.RULES[op](self, ins, args)
        if ins.shape.dtype not in _FLOAT_TYPES + ("pred", "tuple") and not isinstance(result, _Known):
            raise CompileError(f"'{op}' ({ins.op_name or ins.name}) computes {ins.shape.dtype} values at run time; "
                               "fpgalab designs compute on floating-point tensors only (integer tensors and indices "
                               "are supported only as compile-time constants)")
        return result

    def call(self, comp_name: str, args: list):
        comp = self.module.computations[comp_name]
        env = {p.id: args[p.attrs["parameter_number"]] for p in comp.parameters()}
        return self.run(comp, env)

    def common(self, ins: Instruction) -> dict:
        return {"layer": layer_of(ins.op_name, self.layer_names), "op_name": ins.op_name or ins.name}


def _topological(comp: Computation) -> list[Instruction]:
    by_id = comp.by_id()
    order, seen = [], set()
    for start in [i.id for i in comp.instructions]:
        stack = [(start, False)]
        while stack:
            ident, expanded = stack.pop()
            if expanded:
                order.append(by_id[ident])
                continue
            if ident in seen:
                continue
            seen.add(ident)
            stack.append((ident, True))
            stack.extend((o, False) for o in reversed(by_id[ident].operands) if o not in seen)
    return order


def eliminate_dead_code(kernel: ir.Kernel) -> ir.Kernel:
    """Drop nodes and constants that no output depends on."""
    live = set(kernel.outputs)
    nodes = []
    for node in reversed(kernel.nodes):
        if node.name in live:
            nodes.append(node)
            live.update(node.inputs)
    nodes.reverse()
    constants = tuple(c for c in kernel.constants if c.name in live)
    return kernel.replace(nodes=tuple(nodes), constants=constants)


def lower_module(module: Module, bindings: dict[int, np.ndarray], n_inputs: int, input_names=None,
                 weight_names=None, layer_names=frozenset(), name: str = "") -> ir.Kernel:
    """HLO module + values of its non-input parameters → IR kernel (all float32)."""
    kernel = Lowering(module, bindings, n_inputs, list(input_names or []), dict(weight_names or {}),
                      frozenset(layer_names)).lower()
    return kernel.replace(name=_sanitize(name)) if name else kernel
