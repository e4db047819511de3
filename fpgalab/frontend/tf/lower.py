"""Lower fpgalab's HLO graph to the loop-nest IR (float32 types; precision is a later pass).

Values whose inputs are all known at compile time (weights, their transposes and reshapes,
broadcast constants) are folded by running the simulator's float32 row for the node, so the
kernel keeps only the work the hardware does. Broadcasts feeding elementwise ops become index
maps (``Elementwise.in_dims``) instead of copies; scalar constants become ``Const`` leaves.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Buffer, GraphBuilder, Known, Tuple, View, eliminate_dead_code, layer_of, sanitize
from fpgalab.frontend.tf import converts, gather, loops, ordering  # noqa: F401 - they register their rules
from fpgalab.frontend.tf.counters import COUNTER_READERS, Counter, Opaque, Unusable, counter_arithmetic
from fpgalab.frontend.tf.functions import expanded_ops
from fpgalab.frontend.tf.hlo import Computation, Instruction, Module
from fpgalab.frontend.tf.opcodes import FLOAT_TYPES, INTEGER_OPS, INTEGER_TYPES, SUPPORTED_OPS
from fpgalab.frontend.tf.rules import RULES, hlo_type
from fpgalab.ir import nodes as ir


class Lowering(GraphBuilder):
    """Walks the entry computation once, building nodes and constants."""

    def __init__(
        self,
        module: Module,
        bindings: dict[int, np.ndarray],
        n_inputs: int,
        input_names: list[str],
        weight_names: dict[int, str],
        layer_names: frozenset[str],
        layer_scopes: dict | None = None,
    ):
        super().__init__(layer_names, layer_scopes)
        self.module = module
        self.bindings = bindings
        self.n_inputs = n_inputs
        self.input_names = input_names
        self.weight_names = weight_names
        self.loop_body = None  # the while body being lowered (frontend.tf.loops), if any

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
                self.inputs.append(
                    ir.Input(
                        name,
                        p.shape.dims,
                        hlo_type(p.shape.dtype),
                        op_name=p.op_name,
                        integer=p.shape.dtype in INTEGER_TYPES,
                    )
                )
                env[p.id] = Buffer(name, p.shape.dims)
            else:
                if number not in self.bindings:
                    raise CompileError(
                        f"HLO parameter {number} ({p.name}) has no bound value: fpgalab could not find the "
                        "captured tensor or variable it stands for"
                    )
                env[p.id] = Known(
                    np.asarray(self.bindings[number], dtype=np.float32).reshape(p.shape.dims),
                    self.weight_names.get(number, f"weight_{number}"),
                )
        result = self.run(entry, env)
        outputs = result.items if isinstance(result, Tuple) else (result,)
        names = []
        for k, out in enumerate(outputs):
            if isinstance(out, Unusable):
                raise CompileError(out.message)
            if isinstance(out, Tuple):
                raise CompileError("nested tuple outputs are not supported; return a flat tuple of tensors")
            if self.known(out) is not None:
                raise CompileError(
                    f"output {k} does not depend on the inputs (it is a constant the function computes without "
                    "them); an accelerator has nothing to compute for it: return tensors computed from the inputs"
                )
            names.append(self.buffer(out, f"output_{k}").name)
        kernel = ir.Kernel(
            sanitize(self.module.name),
            tuple(self.inputs),
            tuple(self.constants.values()),
            tuple(self.nodes),
            tuple(names),
        )
        kernel = eliminate_dead_code(kernel)
        if not kernel.nodes:
            raise CompileError(
                "the function returns its inputs unchanged: there is no computation for hardware to do "
                "(fpgalab designs need at least one operation on the inputs)"
            )
        return kernel

    def _check_input(self, p: Instruction):
        if p.shape.dtype not in FLOAT_TYPES + tuple(INTEGER_TYPES):
            raise CompileError(
                f"input {p.attrs['parameter_number']} has element type {p.shape.dtype}; fpgalab takes "
                f"floating-point inputs (converted to the design's precision) and integer inputs "
                f"({', '.join(INTEGER_TYPES)})"
            )
        if p.shape.dynamic:
            raise CompileError("input shapes must be static; give example inputs with fixed dimensions")

    def run(self, comp: Computation, env: dict[int, object]):
        by_id = comp.by_id()
        expanded = expanded_ops(comp)
        for ins in _topological(comp):
            if ins.id in env:
                continue
            group = expanded.get(ins.id)
            if group is None:
                env[ins.id] = self.instruction(ins, [env[o] for o in ins.operands], by_id)
            elif ins.id == group.output:  # the TF op's whole expansion as the function it computes
                env[ins.id] = group.build(self, ins, env[group.input])
        return env[comp.root]

    def instruction(self, ins: Instruction, args: list, by_id) -> object:
        op = ins.opcode
        if op not in SUPPORTED_OPS:
            raise CompileError(
                f"unsupported HLO op '{op}' (from TensorFlow op '{ins.op_name or ins.name}', type '{ins.op_type or '?'}'). "
                f"fpgalab lowers these HLO ops: {', '.join(SUPPORTED_OPS)}. Rewrite the function without it, "
                "or compute that part outside the accelerator."
            )
        if ins.shape.dynamic:
            raise CompileError(f"'{op}' ({ins.op_name or ins.name}) has a dynamic shape; fpgalab needs static shapes")
        for arg in args:
            if isinstance(arg, Unusable):
                raise CompileError(arg.message)
        if op not in COUNTER_READERS and any(isinstance(a, (Counter, Opaque)) for a in args):
            return counter_arithmetic(ins, args)
        integer = ins.shape.dtype in INTEGER_TYPES
        if integer and op not in INTEGER_OPS and not all(self.known(a) is not None for a in args):
            raise CompileError(
                f"'{op}' ({ins.op_name or ins.name}) computes {ins.shape.dtype} values at run time; fpgalab "
                f"computes integer tensors only with these HLO ops: {', '.join(INTEGER_OPS)} "
                "(float tensors take every supported op)"
            )
        result = RULES[op](self, ins, args)
        compile_time = isinstance(result, (Known, Counter, Opaque)) or (
            isinstance(result, View) and isinstance(result.source, Known)
        )
        if ins.shape.dtype not in FLOAT_TYPES + ("pred", "tuple") + tuple(INTEGER_TYPES) and not compile_time:
            raise CompileError(
                f"'{op}' ({ins.op_name or ins.name}) computes {ins.shape.dtype} values at run time; "
                "fpgalab designs compute on floating-point, integer and predicate tensors only"
            )
        return result

    def call(self, comp_name: str, args: list):
        comp = self.module.computations[comp_name]
        env = {p.id: args[p.attrs["parameter_number"]] for p in comp.parameters()}
        return self.run(comp, env)

    def common(self, ins: Instruction) -> dict:
        return {"layer": layer_of(ins.op_name, self.layer_names, self.layer_scopes), "op_name": ins.op_name or ins.name}


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


def lower_module(
    module: Module,
    bindings: dict[int, np.ndarray],
    n_inputs: int,
    input_names=None,
    weight_names=None,
    layer_names=frozenset(),
    name: str = "",
    layer_scopes=None,
) -> ir.Kernel:
    """HLO module + values of its non-input parameters → IR kernel (all float32). ``layer_scopes``:
    the name scope capture gave each Keras layer -> the layer's name."""
    kernel = Lowering(
        module,
        bindings,
        n_inputs,
        list(input_names or []),
        dict(weight_names or {}),
        frozenset(layer_names),
        layer_scopes,
    ).lower()
    return kernel.replace(name=sanitize(name)) if name else kernel
