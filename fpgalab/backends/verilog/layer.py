"""One layer's FSM and datapath in Verilog, cycle for cycle the schedule of ``fpgalab.schedule``.

The FSM walks the layer's timeline exactly as ``layer_schedule`` counts it: IDLE sees
``start`` (cycle 0); each sequential loop iteration spends one header cycle (HDR) then its body;
the innermost body (BODY) lasts ``1 + (P-1)*II + D`` cycles when pipelined (an entry cycle, an
iteration issued every II cycles, the last finishing D cycles later) or D cycles when not; the
epilogue window (EPI, E cycles) follows the reductions when the epilogue is not inside the
pipeline; DONE asserts ``done``. An issued iteration reads every unrolled copy's operands (the
address from the loop counters), its data arrive R cycles later (R = the slowest read latency)
and the datapath combines them in that cycle: the accumulators of the spatial copies take the
reduction copies one by one (``acc = acc_type(acc + term)``, exactly the simulator's order), and
the epilogue (rounding into the output type, fused elementwise nodes) writes each output, in
the arrival cycle when inside the pipeline, else in the last EPI cycle. The datapath finishes
within D cycles (checked: D >= R + 1), so the cycle count is the schedule's. A read whose row is
read from data (an embedding's table, ``prog.IRead``) is issued when its id leaves its memory,
with the loop counters of its other indices delayed as long; R then counts both reads.
"""

from __future__ import annotations

import math

from fpgalab.backends import fixplan as fp
from fpgalab.backends import program as prog
from fpgalab.backends.datapath import ExprValues, Value
from fpgalab.backends.verilog.ops import VerilogOps, Wire
from fpgalab.backends.verilog.reads import LayerReads, _args, bits_for  # noqa: F401 - bits_for: verilog.py's import
from fpgalab.ir.types import FixedType


class LayerRtl(LayerReads):
    def __init__(self, name: str, program: prog.LayerProgram, layer, memories: dict, ctx, tables, outer=None):
        """``outer``: index variables set outside the layer (a loop layer's step ``t``), name ->
        (Verilog expression, number of values)."""
        self.name, self.program, self.layer, self.memories, self.ctx = name, program, layer, memories, ctx
        self.outer = dict(outer or {})
        self.tables = tables  # shared ROMs of look-up tables: (function, spec, type) -> Verilog array name
        self.ops = VerilogOps(f"{name}_t")
        self.lines: list[str] = []
        self.shared_reads: dict = {}  # (buffer, index code, guards) -> (word, valid) of a read already issued
        self.exclusive: dict = {}  # buffer -> whether its reads share one port per bank (``crossbar``)
        loops = {lp.name: lp for lp in layer.loops}
        self.loops = [loops[lp.name] for lp in program.loops]
        self.seq = [lp for lp in self.loops if lp.role == "sequential"]
        self.region = [lp for lp in self.loops if lp.role == "pipelined"]
        self.unrolled = [lp for lp in self.loops if lp.unroll > 1]
        self.rows: dict = {}  # (row index, copy) -> the clamped row wire of a table read addressed by data
        self.early: dict = {}  # read key (``read_key``) -> the read's word as it leaves its memory
        self.latency = max([memories[r.buffer].latency + self.issue_delay(r) for r in program.reads], default=0)
        self.check_timing()

    # ---- timing --------------------------------------------------------------------------------
    def check_timing(self) -> None:
        layer = self.layer
        self.trip = math.prod(lp.iterations for lp in self.region) if layer.pipelined else 1
        self.body = 1 + (self.trip - 1) * layer.ii + layer.depth if layer.pipelined else layer.depth
        self.epi_level = None  # index into seq, -1 = after every loop, None = inside the pipeline
        if not layer.epilogue_in_pipeline:
            spatial = [k for k, lp in enumerate(self.seq) if lp.kind == "spatial"]
            self.epi_level = spatial[-1] if spatial else -1
        total = self.body
        for k in reversed(range(len(self.seq))):
            if self.epi_level == k:
                total += layer.epilogue
            total = self.seq[k].iterations * (1 + total)
        if self.epi_level == -1:
            total += layer.epilogue
        if total + 2 != layer.cycles:
            raise NotImplementedError(
                f"layer {layer.name}: the RTL timeline gives {total + 2} cycles but the schedule "
                f"says {layer.cycles} ({layer.formula}); the Verilog backend is out of date"
            )
        if layer.depth < self.latency + 1:
            raise NotImplementedError(
                f"layer {layer.name}: depth {layer.depth} is shorter than its reads ({self.latency} cycles) plus one"
            )

    # ---- helpers -------------------------------------------------------------------------------
    def reg(self, width: int, name: str) -> str:
        self.lines.append(f"reg [{width - 1}:0] {name};")
        return name

    def wire(self, width: int, name: str, expr: str, signed: bool = False) -> str:
        self.lines.append(f"wire {'signed ' if signed else ''}[{width - 1}:0] {name} = {expr};")
        return name

    def delayed(self, name: str, width: int, expr: str, cycles: int | None = None) -> str:
        """``expr`` seen R cycles later (the arrival of the data read with it), or ``cycles`` later."""
        current = self.wire(width, f"{name}_0", expr)
        for k in range(1, (self.latency if cycles is None else cycles) + 1):
            nxt = self.reg(width, f"{name}_{k}")
            self.lines.append(f"always @(posedge clk) {nxt} <= {current};")
            current = nxt
        return current

    # ---- control -------------------------------------------------------------------------------
    def control(self) -> None:
        n, S = self.name, len(self.seq)
        states = {"IDLE": 0, "DONE": 1, **{f"HDR{k}": 2 + k for k in range(S)}, "BODY": 2 + S, "EPI": 3 + S}
        self.state_bits = bits_for(len(states))
        self.states = {key: f"{self.state_bits}'d{v}" for key, v in states.items()}
        self.reg(self.state_bits, f"{n}_state")
        width = bits_for(max(self.body, self.layer.epilogue) + 1)
        self.reg(width, f"{n}_cnt")
        for lp in self.seq + self.region:
            self.reg(bits_for(lp.iterations), f"{n}_c_{lp.name}")
        ii = max(1, self.layer.ii)
        self.reg(bits_for(ii), f"{n}_phase")
        state, cnt = f"{n}_state", f"{n}_cnt"
        last_issue = 1 + (self.trip - 1) * ii
        if self.layer.pipelined:
            issue = f"{state} == {self.states['BODY']} && {cnt} >= 1 && {cnt} <= {last_issue} && {n}_phase == 0"
        else:
            issue = f"{state} == {self.states['BODY']} && {cnt} == 0"
        self.issue = self.wire(1, f"{n}_issue", issue)
        self.wire(1, f"{n}_done", f"{state} == {self.states['DONE']}")
        self.wire(1, f"{n}_busy", f"{state} != {self.states['IDLE']}")
        self.epi_write = self.wire(
            1, f"{n}_epi_write", f"{state} == {self.states['EPI']} && {cnt} == {max(0, self.layer.epilogue - 1)}"
        )
        out = ["always @(posedge clk) begin", f"  if (rst) {state} <= {self.states['IDLE']};", "  else begin"]
        out += [f"    case ({state})", f"      {self.states['IDLE']}: if ({n}_start) begin"]
        out += ["        " + line for line in self.enter(0)] + ["      end"]
        for k in range(S):
            out += (
                [f"      {self.states[f'HDR{k}']}: begin"] + ["        " + x for x in self.enter(k + 1)] + ["      end"]
            )
        out += [f"      {self.states['BODY']}: begin"]
        if self.region:
            out += self.region_update(ii)
        out += [f"        if ({cnt} == {self.body - 1}) begin"]
        out += ["          " + line for line in self.after_inner(S - 1)]
        out += [f"        end else {cnt} <= {cnt} + 1;", "      end"]
        out += [f"      {self.states['EPI']}: begin", f"        if ({cnt} == {max(0, self.layer.epilogue - 1)}) begin"]
        after = (
            self.next_iteration(self.epi_level)
            if self.epi_level is not None and self.epi_level >= 0
            else [f"{state} <= {self.states['DONE']};"]
        )
        out += ["          " + line for line in after]
        out += [f"        end else {cnt} <= {cnt} + 1;", "      end"]
        out += [f"      default: {state} <= {self.states['IDLE']};", "    endcase", "  end", "end"]
        self.lines += out

    def enter(self, level: int) -> list[str]:
        n = self.name
        if level < len(self.seq):
            return [f"{n}_c_{self.seq[level].name} <= 0;", f"{n}_state <= {self.states[f'HDR{level}']};"]
        resets = [f"{n}_c_{lp.name} <= 0;" for lp in self.region]
        return resets + [f"{n}_cnt <= 0;", f"{n}_phase <= 0;", f"{n}_state <= {self.states['BODY']};"]

    def after_inner(self, level: int) -> list[str]:
        n = self.name
        if self.epi_level is not None and level == self.epi_level:
            return [f"{n}_cnt <= 0;", f"{n}_state <= {self.states['EPI']};"]
        if level < 0:
            return [f"{n}_state <= {self.states['DONE']};"]
        return self.next_iteration(level)

    def next_iteration(self, level: int) -> list[str]:
        n, lp = self.name, self.seq[level]
        counter = f"{n}_c_{lp.name}"
        lines = [
            f"if ({counter} != {lp.iterations - 1}) begin",
            f"  {counter} <= {counter} + 1;",
            f"  {n}_state <= {self.states[f'HDR{level}']};",
            "end else begin",
        ]
        return lines + ["  " + x for x in self.after_inner(level - 1)] + ["end"]

    def region_update(self, ii: int) -> list[str]:
        n = self.name
        lines = [
            f"        if ({n}_cnt >= 1) {n}_phase <= ({n}_phase == {ii - 1}) ? 0 : {n}_phase + 1;",
            f"        if ({n}_issue) begin",
        ]
        carry = ""
        for lp in reversed(self.region):
            counter = f"{n}_c_{lp.name}"
            condition = f"if ({carry[:-4]}) " if carry else ""
            lines.append(f"          {condition}{counter} <= ({counter} == {lp.iterations - 1}) ? 0 : {counter} + 1;")
            carry += f"{counter} == {lp.iterations - 1} && "
        return lines + ["        end"]

    def read_value(self, k: int, word: str, valid: str | None, values: ExprValues) -> Value:
        read = self.program.reads[k]
        dtype = self.ctx.buffer_types[read.buffer]
        signed_word = self.ops.declare(dtype.width, word)  # memory words are unsigned; arithmetic is signed
        value = Value(fp.from_bits(self.ops, signed_word, dtype), dtype)
        if read.fill is None:
            return value
        value = values.convert(value, read.fill.dtype)
        fill = values.literal(read.fill.value, read.fill.dtype)
        chosen = fp.choose(self.ops, Wire(valid, 1), value.payload, fill.payload)
        return Value(fp.to_type(self.ops, chosen, read.fill.dtype), read.fill.dtype)

    # ---- module-level hooks used by ExprValues
    def int_ops(self):
        return self.ops

    def table_lookup(self, function, spec, out_type, index: Wire) -> Wire:
        rom = self.tables(function, spec, out_type)
        return self.ops.declare(out_type.width, f"{rom}[{index.name}[{bits_for(spec.size) - 1}:0]]")

    def read_valid(self, read):
        return Wire(self.current_valid[self.program.reads.index(read)] or "1'b1", 1)

    # ---- the arrival-cycle datapath ------------------------------------------------------------
    def datapath(self) -> None:
        program, n = self.program, self.name
        step_reads = _args(program.step) if program.step is not None else set()
        other_reads = [k for k in range(len(program.reads)) if k not in step_reads]
        reductions = [lp for lp in self.seq + self.region if lp.kind == "reduce" and lp.iterations > 1]
        first = " && ".join(f"{n}_c_{lp.name} == 0" for lp in reductions) or "1'b1"
        last = " && ".join(f"{n}_c_{lp.name} == {lp.iterations - 1}" for lp in reductions) or "1'b1"
        arrive = self.delayed(f"{n}_arrive", 1, self.issue)
        arrive_first = self.delayed(f"{n}_first", 1, first)
        arrive_last = self.delayed(f"{n}_last", 1, last)
        out_memory = self.memories[program.output]
        inside = self.layer.epilogue_in_pipeline
        for s, scopy in enumerate(self.copies("spatial")):
            tag = f"{n}_s{s}"
            words = {k: self.issue_read(k, program.reads[k], scopy, f"{tag}_r{k}") for k in other_reads}
            step_words = [
                {k: self.issue_read(k, program.reads[k], {**scopy, **rcopy}, f"{tag}_q{q}_r{k}") for k in step_reads}
                for q, rcopy in enumerate(self.copies("reduce"))
            ]
            acc = None
            if program.acc_kind:
                acc = self.accumulate(tag, words, step_words, arrive, arrive_first)
            if inside:
                bits = self.epilogue(words, acc[0] if acc else None)
                self.write(tag, scopy, f"{arrive} && {arrive_last}", bits, out_memory, delay=True)
            else:
                captured = {}
                for k, (word, valid) in words.items():
                    width = self.memories[program.reads[k].buffer].width
                    word_reg = self.reg(width, f"{tag}_cap{k}")
                    valid_reg = self.reg(1, f"{tag}_capok{k}") if valid else None
                    self.lines.append(
                        f"always @(posedge clk) if ({arrive} && {arrive_last}) begin {word_reg} <= {word};"
                        + (f" {valid_reg} <= {valid};" if valid else "")
                        + " end"
                    )
                    captured[k] = (word_reg, valid_reg)
                bits = self.epilogue(captured, acc[1] if acc else None)
                self.write(tag, scopy, self.epi_write, bits, out_memory, delay=False)

    def evaluator(self, words: dict) -> ExprValues:
        values = ExprValues(self, self.program, None)
        values.read_value = lambda k: self.read_value(k, words[k][0], words[k][1], values)
        self.current_valid = {k: v for k, (_, v) in words.items()}
        return values

    def accumulate(self, tag, words, step_words, arrive, arrive_first):
        """(value after this arrival, register) of one spatial copy's accumulator."""
        program = self.program
        acc_type = program.acc_type
        if not isinstance(acc_type, FixedType):
            raise NotImplementedError("the Verilog backend builds fixed-point designs only (float32 needs FP cores)")
        init_values = self.evaluator(words)
        init = init_values.convert(init_values.value(program.init), acc_type)
        register = self.reg(acc_type.width, f"{tag}_acc")
        held = fp.from_bits(self.ops, self.ops.declare(acc_type.width, register), acc_type)
        start = fp.choose(self.ops, Wire(arrive_first, 1), init.payload, held)
        current = fp.to_type(self.ops, start, acc_type)
        for q_words in step_words:
            values = self.evaluator({**words, **q_words})
            step = values.value(program.step)
            term = values.fixed(step)
            if program.acc_kind in ("max", "min"):
                combined = fp.maximum(self.ops, current, term, program.acc_kind)
            else:
                combined = fp.add(self.ops, current, term)
            current = fp.to_type(self.ops, combined, acc_type)
        bits = fp.quantize(self.ops, current, acc_type)
        self.lines.append(f"always @(posedge clk) if ({arrive}) {register} <= {bits.name};")
        return Value(current, acc_type), Value(held, acc_type)

    def epilogue(self, words, acc: Value | None) -> Wire:
        values = self.evaluator(words)
        values.acc, previous = acc, None
        for expr, dtype in self.program.epilogue:
            values.prev = previous
            previous = values.convert(values.value(expr), dtype)
        if not isinstance(previous.dtype, FixedType):
            raise NotImplementedError("the Verilog backend builds fixed-point designs only")
        return fp.quantize(self.ops, previous.payload, previous.dtype)

    def write(self, tag, scopy, enable, bits: Wire, memory, delay: bool) -> None:
        env = self.env_code(scopy)
        index = [
            self.wire(32, f"{tag}_o{d}", self.index_code(ix, env), signed=True)
            for d, ix in enumerate(self.program.out_index)
        ]
        bank_code, offset_code = self.full(memory.bank_offset_verilog(index), f"{tag}_w")
        offset = f"{offset_code}[{memory.address_width - 1}:0]"
        banks = self.static_banks(prog.Read(self.program.output, self.program.out_index), memory, scopy)
        bank_bits = bits_for(memory.banks)
        if delay:
            offset = self.delayed(f"{tag}_wa", memory.address_width, offset)
            bank = self.delayed(f"{tag}_wb", bank_bits, f"{bank_code}[{bank_bits - 1}:0]") if len(banks) > 1 else None
        else:
            offset = self.wire(memory.address_width, f"{tag}_wa", offset)
            bank = self.wire(bank_bits, f"{tag}_wb", f"{bank_code}[{bank_bits - 1}:0]") if len(banks) > 1 else None
        for b in banks:
            condition = enable if bank is None else f"{enable} && {bank} == {b}"
            memory.add_write(b, condition, offset, bits.name, self.name)

    def verilog(self) -> list[str]:
        """Control, datapath and the wires of its arithmetic."""
        self.control()
        self.datapath()
        return (
            [f"// ---- {self.layer.name} ({', '.join(self.program.nodes)}): {self.layer.formula}"]
            + self.lines
            + self.ops.lines
        )
