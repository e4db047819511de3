"""HLO ``while`` with a static trip count, lowered to one ``ir.Loop`` whose body is built once.

XLA gives a loop as a state tuple, a condition computation and a body computation. For Keras's
recurrent layers (``unroll=False``) the state holds integer counters, the weights and the input
sequence (passed through unchanged), the carried states (h, and c for an LSTM) and the output
sequence, written with ``dynamic-update-slice`` at the step counter; the input is read with
``dynamic-slice`` at the counter.

Here the integer scalars of the state are run through the condition and the body at compile time
(``counters.integer_run``): this gives the trip count, and tells which counters step by one (``Counter``:
an index t + offset inside the body) and which stay constant. The float leaves of the state are
sorted by what the body does with them: passed through (invariants: read as they are outside),
or carried (a body input whose next value the body computes). The body is then lowered once,
into a kernel of its own; ``dynamic-slice`` of an outside buffer at a counter becomes a per-step
body input, and ``dynamic-update-slice`` of a carried buffer at a counter a stacked output.
"""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Buffer, Known, Tuple, View, eliminate_dead_code
from fpgalab.frontend.tf.counters import MAX_TRIPS, Counter, Opaque, Stacked, Unusable, integer_run, scalar_int
from fpgalab.frontend.tf.rules import rule
from fpgalab.ir import nodes as ir


def _leaves(shape, path=()):
    """Paths to the array leaves of a (nested) tuple shape, with their shapes."""
    if shape.dtype == "tuple":
        return [leaf for k, e in enumerate(shape.elements) for leaf in _leaves(e, path + (k,))]
    return [(path, shape)]


def _at(value, path):
    for k in path:
        value = value.items[k] if isinstance(value, Tuple) else value[k]
    return value


def _build(shape, leaf, path=()):
    """A nested value of ``shape`` with ``leaf(path, shape)`` at each array leaf (ints: nested tuples)."""
    if shape.dtype == "tuple":
        return tuple(_build(e, leaf, path + (k,)) for k, e in enumerate(shape.elements))
    return leaf(path, shape)


def _as_tuple(value):
    return Tuple(tuple(_as_tuple(v) for v in value)) if isinstance(value, tuple) else value


def _condition_and_body(lw, ins):
    """The names of the while's condition and body (the condition is the one returning a pred)."""
    first = lw.module.computations[ins.called[0]]
    root = first.by_id()[first.root]
    return (ins.called[0], ins.called[1]) if root.shape.dtype == "pred" else (ins.called[1], ins.called[0])


def _counters(lw, ins, init, where):
    """Run the integer state through the loop: trip count, and each integer leaf's form in the body."""
    cond, body = _condition_and_body(lw, ins)
    shape = ins.shape

    def start(path, leaf_shape):
        if not scalar_int(leaf_shape):
            return None
        known = lw.known(_at(init, path))
        return None if known is None else int(np.asarray(known.array).reshape(-1)[0])

    state = _build(shape, start)
    history = [state]
    while True:
        go = integer_run(lw.module, cond, state)
        if go is None:
            raise CompileError(
                f"{where}: the loop's condition depends on values computed at run time; fpgalab takes loops "
                "whose trip count is known when compiling (a counter compared with a constant)"
            )
        if not go:
            break
        if len(history) > MAX_TRIPS:
            raise CompileError(f"{where}: the loop runs more than {MAX_TRIPS} times; fpgalab takes at most that")
        state = integer_run(lw.module, body, state)
        history.append(state)
    trips = len(history) - 1
    forms = {}
    for path, leaf_shape in _leaves(shape):
        if not scalar_int(leaf_shape):
            continue
        values = [_at(h, path) for h in history]
        if None in values:
            raise CompileError(f"{where}: an integer of the loop state is computed at run time; fpgalab cannot")
        if all(v == values[0] for v in values):
            forms[path] = Known(np.float32(values[0]).reshape(()))
        elif all(v == values[0] + t for t, v in enumerate(values)):
            forms[path] = Counter(values[0])
        else:
            forms[path] = None  # neither constant nor a step counter: an error if the body reads it
    return trips, forms, {p: _at(history[-1], p) for p in forms}


def _passes_through(comp, path) -> bool:
    """Whether the body returns leaf ``path`` of its parameter unchanged."""
    by_id = comp.by_id()
    ins = by_id[comp.root]
    for depth, k in enumerate(path):
        while ins.opcode in ("reshape", "copy", "bitcast") and ins.shape.dtype != "tuple":
            ins = by_id[ins.operands[0]]
        if ins.opcode != "tuple":
            return _is_parameter_path(by_id, ins, path[:depth])
        ins = by_id[ins.operands[k]]
    return _is_parameter_path(by_id, ins, path)


def _is_parameter_path(by_id, ins, path) -> bool:
    """Whether ``ins`` is the parameter's element at ``path`` (through get-tuple-element and copies)."""
    steps = []
    while True:
        if ins.opcode in ("reshape", "copy", "bitcast"):
            ins = by_id[ins.operands[0]]
        elif ins.opcode == "get-tuple-element":
            steps.append(ins.attrs["tuple_index"])
            ins = by_id[ins.operands[0]]
        else:
            break
    return ins.opcode == "parameter" and tuple(reversed(steps)) == tuple(path)


@rule("while")
def _while(lw, ins, args):
    where = f"'while' ({ins.op_name or ins.name})"
    init = args[0]
    trips, forms, finals = _counters(lw, ins, init, where)
    _, body_name = _condition_and_body(lw, ins)
    body_comp = lw.module.computations[body_name]
    leaves = [(p, s) for p, s in _leaves(ins.shape) if not scalar_int(s)]
    invariant = {p for p, _ in leaves if _passes_through(body_comp, p)}
    carried = [(p, s) for p, s in leaves if p not in invariant]
    if trips == 0 or not carried:
        return _as_tuple(_build(ins.shape, lambda p, s: forms.get(p) if scalar_int(s) else _at(init, p)))
    loop = _BodyLowering(lw, ins, where, trips)
    states = {p: loop.state_input(_at(init, p), s.dims) for p, s in carried}

    def bind(path, leaf_shape):
        if scalar_int(leaf_shape):
            return forms[path] if forms[path] is not None else Opaque()
        return states[path] if path in states else _at(init, path)

    result = loop.lower(body_name, _as_tuple(_build(ins.shape, bind)))
    nexts = {p: _at(result, p) for p, _ in carried}

    def output(path, leaf_shape):
        if scalar_int(leaf_shape):
            return Known(np.float32(finals[path]).reshape(()))
        if path in invariant:
            return _at(init, path)
        try:
            return loop.node_for(path, states, nexts, carried)
        except CompileError as err:  # raised again only if something reads this output
            return Unusable(str(err))

    return _as_tuple(_build(ins.shape, output))


class _BodyLowering:
    """Lowers a while body once into a kernel of its own, then makes one ``ir.Loop`` per used output."""

    def __init__(self, lw, ins, where, trips):
        self.lw, self.ins, self.where, self.trips = lw, ins, where, trips
        self.inputs: list[ir.Input] = []
        self.init_names: list[str] = []
        self.steps: list[tuple[str, int, int]] = []  # (outside buffer, axis, offset) per step input
        self.step_names: list[str] = []
        self.outer_nodes = lw.nodes
        self.nodes: list[ir.Node] = []
        self.loops: dict = {}

    def state_input(self, start, dims):
        start_buffer = self.outside(lambda: self.lw.buffer(start, self.ins.name + "_start", self.ins.op_name))
        name = self.lw.fresh(self.ins.name + "_state")
        self.inputs.append(ir.Input(name, tuple(dims)))
        self.init_names.append(start_buffer.name)
        return Buffer(name, tuple(dims))

    def outside(self, make):
        """Run ``make`` with the outside kernel's node list (a value materialised before the loop)."""
        lw = self.lw
        inner, lw.nodes = lw.nodes, self.outer_nodes
        try:
            return make()
        finally:
            lw.nodes = inner

    def step_input(self, value, axis: int, offset: int, shape):
        source = self.outside(lambda: self.lw.buffer(value, self.ins.name + "_seq", self.ins.op_name))
        if offset < 0 or offset + self.trips > source.shape[axis]:
            raise CompileError(
                f"{self.where}: the loop reads index t{offset:+d} of a dimension of size {source.shape[axis]} "
                f"for t < {self.trips}, outside the buffer"
            )
        for k, step in enumerate(self.steps):
            if step == (source.name, axis, offset):
                return Buffer(self.step_names[k], tuple(shape))
        name = self.lw.fresh(source.name + "_t")
        self.steps.append((source.name, axis, offset))
        self.step_names.append(name)
        self.lw.inputs.append(ir.Input(name, tuple(shape)))  # so reshapes inside the body find its shape
        return Buffer(name, tuple(shape))

    def lower(self, body_name, argument):
        lw = self.lw
        saved_body, saved_inputs = lw.loop_body, lw.inputs
        lw.nodes, lw.inputs, lw.loop_body = [], list(saved_inputs) + self.inputs, self
        try:
            result = lw.call(body_name, [argument])
        finally:
            self.nodes, lw.nodes, lw.inputs, lw.loop_body = lw.nodes, self.outer_nodes, saved_inputs, saved_body
        return result

    def node_for(self, path, states, nexts, carried):
        if path in self.loops:
            return self.loops[path]
        lw = self.lw
        keep = [k for k, (p, _) in enumerate(carried) if not isinstance(nexts[p], Stacked)]  # true states
        for p, _ in carried:
            if isinstance(nexts[p], Stacked) and nexts[p].state != states[p].name:
                raise CompileError(f"{self.where}: a carried buffer is written into another one; not supported")
        outputs = [self._body_buffer(nexts[carried[k][0]], k).name for k in keep]
        carried_count = len(outputs)
        chosen = nexts[path]
        if isinstance(chosen, Stacked):
            if chosen.offset != 0 or states[path].shape[chosen.axis] != self.trips:
                raise CompileError(
                    f"{self.where}: the loop writes only part of a sequence buffer (from index {chosen.offset}, "
                    f"{self.trips} steps, size {states[path].shape[chosen.axis]}); fpgalab takes loops that write "
                    "every index once"
                )
            outputs.append(self._body_buffer(chosen.value, carried_count).name)
            stack_axis, result = chosen.axis, carried_count
        else:
            stack_axis, result = -1, keep.index([p for p, _ in carried].index(path))
        shape = states[path].shape
        node = self._make_loop(keep, outputs, result, stack_axis, shape)
        self.loops[path] = lw.add_node(node)
        return self.loops[path]

    def _body_buffer(self, value, k):
        if isinstance(value, (Known, View)):
            inner, self.lw.nodes = self.lw.nodes, self.nodes
            try:
                return self.lw.buffer(value, f"{self.ins.name}_next{k}", self.ins.op_name)
            finally:
                self.lw.nodes = inner
        if isinstance(value, (Stacked, Tuple)) or not isinstance(value, Buffer):
            raise CompileError(f"{self.where}: a carried value of this loop has a form fpgalab cannot build")
        return value

    def _make_loop(self, keep, outputs, result, stack_axis, shape):
        lw = self.lw
        step_inputs = [ir.Input(name, self._step_shape(k)) for k, name in enumerate(self.step_names)]
        body_inputs = [self.inputs[k] for k in keep] + step_inputs
        known_names = {i.name for i in body_inputs} | {n.name for n in self.nodes}
        wholes = []
        for node in self.nodes:
            for name in node.inputs:
                if name not in known_names and name not in lw.constants and name not in wholes:
                    wholes.append(name)
        shapes = {b.name: tuple(b.shape) for b in list(lw.inputs) + list(self.outer_nodes)}
        body_inputs += [ir.Input(name, shapes[name]) for name in wholes]
        used = {name for node in self.nodes for name in node.inputs}
        constants = tuple(lw.constants[name] for name in sorted(used) if name in lw.constants)
        body = ir.Kernel(
            lw.fresh(self.ins.name + "_body"), tuple(body_inputs), constants, tuple(self.nodes), tuple(outputs)
        )
        body = eliminate_dead_code(body)
        return ir.Loop(
            lw.fresh(self.ins.name),
            tuple(self.init_names[k] for k in keep) + tuple(s[0] for s in self.steps) + tuple(wholes),
            tuple(shape),
            **lw.common(self.ins),
            trips=self.trips,
            body=body,
            carried=len(keep),
            step_axes=tuple(s[1] for s in self.steps) + (-1,) * len(wholes),
            step_offsets=tuple(s[2] for s in self.steps) + (0,) * len(wholes),
            result=result,
            stack_axis=stack_axis,
        )

    def _step_shape(self, k):
        name, axis, _ = self.steps[k]
        shapes = {b.name: tuple(b.shape) for b in list(self.lw.inputs) + list(self.outer_nodes)}
        shapes.update({c.name: tuple(c.shape) for c in self.lw.constants.values()})
        shape = list(shapes[name])
        shape[axis] = 1
        return tuple(shape)
