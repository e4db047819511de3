"""A loop layer (``ir.Loop``) in Verilog: its copies and its cell's layers, run by a step counter.

The loop layer is a small controller over layers of its own, each an ordinary ``LayerRtl``
(its FSM and datapath, cycle for cycle its schedule) started the cycle after the one before it
is done, as the design's layers are:

    IDLE sees start                                          cycle 0
    start copies: start values -> state registers            S cycles
    for t = 0 .. T-1:                                        T times:
        header (t counted)                                       1 cycle
        x copies: slice t of each input sequence -> the cell     X
        the body kernel's layers (the cell)                      L_cell
        next copies: next values -> state registers;             C
        y copy: the step's value -> output[slice t]              Y
    out copy: the final state -> output                      F
    DONE                                                     1 cycle

which is the schedule's ``L = 2 + S + T * (1 + X + L_cell + C + Y) + F``
(``fpgalab.schedule.recurrence``). The cell's buffers (weights, state registers, its arrays)
are memories of the design like any other; the copies read and write them, and the loop's
buffers outside, at the step ``t`` (an index variable of the copy programs).
"""

from __future__ import annotations

from fpgalab.backends import program as prog
from fpgalab.backends.verilog.layer import LayerRtl
from fpgalab.backends.verilog.reads import bits_for
from fpgalab.ir import nodes as ir


class LoopRtl:
    def __init__(self, name: str, loop: prog.LoopProgram, layer, memories: dict, ctx, tables, storage, shapes, names):
        node = loop.node
        self.name, self.node, self.layer = name, node, layer
        if any(isinstance(inner, ir.Loop) for inner in node.body.nodes):
            raise NotImplementedError(
                f"layer {node.layer or node.name}: a loop inside a loop's cell is not built by the Verilog backend"
            )
        self.t_bits = bits_for(node.trips)
        pad = 32 - self.t_bits
        outer = {"t": (f"$signed({{{{{pad}{{1'b0}}}}, {name}_t}})", node.trips)}
        cell = {inner.name: inner for inner in layer.cell}
        moves = {inner.name: inner for inner in layer.copy_layers}

        def rtl(program, schedule) -> LayerRtl:
            return LayerRtl(names(f"l_{program.name}"), program, schedule, memories, ctx, tables, outer)

        phases: dict = {"start": [], "before": [], "after": [], "end": []}
        for copy, program in prog.step_copy_programs(node, storage, shapes):
            phases[copy.phase].append(rtl(program, moves[copy.name]))
        body = [rtl(p, cell[p.name]) for p in prog.kernel_programs(node.body, ctx.tables, ctx.table_type)]
        self.start, self.step, self.end = phases["start"], phases["before"] + body + phases["after"], phases["end"]
        if not self.step:
            raise NotImplementedError(f"layer {node.layer or node.name}: a loop whose steps do nothing")
        self.check_timing()

    def check_timing(self) -> None:
        def total(layers):
            return sum(inner.layer.cycles for inner in layers)

        cycles = 2 + total(self.start) + self.node.trips * (1 + total(self.step)) + total(self.end)
        if cycles != self.layer.cycles:
            raise NotImplementedError(
                f"layer {self.layer.name}: the RTL's loop gives {cycles} cycles but the schedule says "
                f"{self.layer.cycles} ({self.layer.formula}); the Verilog backend is out of date"
            )

    def verilog(self) -> list[str]:
        n, trips = self.name, self.node.trips
        last_t = f"{self.t_bits}'d{trips - 1}"
        step_end = f"{self.step[-1].name}_done"
        lines = [
            f"// ---- {self.layer.name}: a loop of {trips} steps, {self.layer.formula}",
            f"reg [{self.t_bits - 1}:0] {n}_t;",
            f"reg {n}_hdr;",
            f"reg {n}_done;",
            f"wire [0:0] {n}_last_step = {step_end} && {n}_t == {last_t};",
        ]
        starts = []

        def chain(layers, first: str) -> str:
            """Start each layer the cycle after ``first`` (a done), then after the one before; the last done."""
            previous = first
            for inner in layers:
                lines.append(f"reg {inner.name}_start;")
                lines.append(f"always @(posedge clk) {inner.name}_start <= rst ? 1'b0 : {previous};")
                starts.append(f"{inner.name}_start")
                previous = f"{inner.name}_done"
            return previous

        started = chain(self.start, f"{n}_start")
        lines.append(f"always @(posedge clk) {n}_hdr <= rst ? 1'b0 : {started} | ({step_end} && {n}_t != {last_t});")
        lines.append(
            f"always @(posedge clk) if ({n}_start) {n}_t <= 0; "
            f"else if ({step_end} && {n}_t != {last_t}) {n}_t <= {n}_t + 1;"
        )
        chain(self.step, f"{n}_hdr")
        finished = chain(self.end, f"{n}_last_step")
        lines.append(f"always @(posedge clk) {n}_done <= rst ? 1'b0 : {finished};")
        layers = self.start + self.step + self.end
        busy = " | ".join([f"{inner.name}_busy" for inner in layers] + starts + [f"{n}_hdr", f"{n}_done"])
        lines.append(f"wire [0:0] {n}_busy = {busy};")
        for inner in layers:
            lines += inner.verilog()
        return lines
