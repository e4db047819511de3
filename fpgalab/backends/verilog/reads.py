"""The reads of one layer's datapath: index arithmetic, banks, shared reads and read ports.

Part of ``fpgalab.backends.verilog.layer`` (``LayerRtl`` inherits ``LayerReads``). An issued
iteration reads, for every unrolled copy, each operand at its index (loop counters times their
unroll plus the copy's offset, as shifts and adds); copies addressing the same element share one
read; a read whose bank depends on the iteration addresses every bank it can reach and picks the
arriving word by its delayed bank. When the layer's reads of a buffer never reach the same bank
in one iteration (checked over every iteration), each bank has a single read port whose address
is chosen among the reads by their bank (``crossbar``), as the schedule counts ports.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from fpgalab.backends import program as prog
from fpgalab.backends.verilog.memory import const_div, const_mod, const_mul, sv
from fpgalab.ir import nodes as ir

MAX_STATIC_CHECK = 1 << 21
COPY = "#copy"  # the key of ``env_code``'s own copy (no loop has this name)  # iterations enumerated to prove a copy always reaches the same bank


def bits_for(count: int) -> int:
    return max(1, (max(1, count) - 1).bit_length())


def _args(expr) -> set[int]:
    if hasattr(expr, "args"):
        return set().union(*(_args(a) for a in expr.args)) if expr.args else set()
    if isinstance(expr, ir.Arg):
        return {expr.index}
    if isinstance(expr, prog.Valid):
        return {expr.index}
    return set()


class LayerReads:
    """Read issue of ``LayerRtl`` (uses its name, loops, memories, program, latency and wire helpers)."""

    def copies(self, kind: str) -> list[dict]:
        loops = [lp for lp in self.unrolled if lp.kind == kind]
        return [
            dict(zip([lp.name for lp in loops], combo))
            for combo in itertools.product(*[range(lp.unroll) for lp in loops])
        ]

    def variable(self, loop, offset: int) -> str:
        if loop.role == "unrolled" and loop.iterations == 1:
            return sv(offset)
        pad = 32 - bits_for(loop.iterations)  # index arithmetic is 32-bit signed: the counter zero-extended to it
        counter = f"$signed({{{{{pad}{{1'b0}}}}, {self.name}_c_{loop.name}}})"
        return f"({const_mul(counter, loop.unroll)} + {sv(offset)})" if loop.unroll > 1 else counter

    def env_code(self, copy: dict) -> dict:
        env = {name: code for name, (code, _) in self.outer.items()}  # the step t of a loop layer's copies
        env.update({lp.name: self.variable(lp, copy.get(lp.name, 0)) for lp in self.loops})
        env[COPY] = copy  # a row read from data (``prog.IRead``) issues its id read for this copy
        return env

    def env_values(self, copy: dict):
        """Every iteration's loop values (NumPy arrays) for one copy: proves banks static."""
        counted = [lp for lp in self.loops if not (lp.role == "unrolled" and lp.iterations == 1)]
        sizes = [lp.iterations for lp in counted] + [trips for _, trips in self.outer.values()]
        if math.prod(sizes) > MAX_STATIC_CHECK:
            return None
        grids = np.indices(sizes).reshape(len(sizes), -1) if sizes else np.zeros((0, 1), dtype=np.int64)
        env = {lp.name: grids[k] * lp.unroll + copy.get(lp.name, 0) for k, lp in enumerate(counted)}
        env.update({name: grids[len(counted) + k] for k, name in enumerate(self.outer)})
        for lp in self.loops:
            env.setdefault(lp.name, np.full(grids.shape[1], copy.get(lp.name, 0)))
        return env

    def index_code(self, expr, env: dict) -> str:
        if isinstance(expr, prog.ILit):
            return sv(expr.value)
        if isinstance(expr, prog.IRead):
            return self.row(expr, env[COPY])
        if isinstance(expr, prog.IVar):
            return env[expr.name]
        if isinstance(expr, prog.IAdd):
            return "(" + " + ".join(self.index_code(t, env) for t in expr.terms) + ")"
        if isinstance(expr, prog.IMul):
            return const_mul(self.index_code(expr.arg, env), expr.factor)
        if isinstance(expr, prog.IDiv):
            return const_div(self.index_code(expr.arg, env), expr.divisor)
        return const_mod(self.index_code(expr.arg, env), expr.divisor)

    def row(self, ix, copy: dict) -> str:
        """The table row an id names (``prog.IRead``): the id read for this copy, seen as it leaves
        its memory (before it waits for the slower reads), its integer part clamped to the table."""
        key = (ix, tuple(sorted(copy.items())))
        if key not in self.rows:
            read = self.program.reads[ix.read]
            tag = f"{self.name}_row{len(self.rows)}"
            self.issue_read(ix.read, read, copy, tag + "_id")
            word = self.early[self.read_key(read, self.env_code(copy))]
            dtype = self.ctx.buffer_types[read.buffer]
            value = self.wire(dtype.width, f"{tag}_v", word, signed=dtype.signed)
            whole = f"({value} >>> {dtype.frac})" if dtype.frac > 0 else value
            if dtype.signed:
                clamped = f"({whole} < 0 ? {sv(0)} : {whole} > {ix.limit - 1} ? {sv(ix.limit - 1)} : $signed({{1'b0, {whole}}}))"
            else:
                clamped = f"({whole} > {ix.limit - 1} ? {sv(ix.limit - 1)} : $signed({{1'b0, {whole}}}))"
            self.rows[key] = self.wire(32, f"{tag}_row", clamped, signed=True)
        return self.rows[key]

    def issue_read(self, k: int, read: prog.Read, copy: dict, tag: str) -> tuple[str, str | None]:
        """Read ``read`` for one copy: the arriving word (a wire) and its arriving validity (or None).

        Copies reading the same element (an index that does not depend on the loop they differ in,
        such as a convolution's input across filters) share one read, as they share the element
        in the schedule's count of distinct elements per iteration."""
        memory = self.memories[read.buffer]
        env = self.env_code(copy)
        key = self.read_key(read, env)
        if key in self.shared_reads:
            return self.shared_reads[key]
        self.shared_reads[key] = self._new_read(read, memory, env, copy, tag, key)
        return self.shared_reads[key]

    def read_key(self, read: prog.Read, env: dict) -> tuple:
        """What makes two reads one: the buffer, the index and the guards (as Verilog)."""
        return (
            read.buffer,
            tuple(self.index_code(ix, env) for ix in read.index),
            tuple((self.index_code(ix, env), size) for ix, size in read.guards),
        )

    def _new_read(self, read: prog.Read, memory, env: dict, copy: dict, tag: str, key) -> tuple[str, str | None]:
        issued = self.issue_delay(read)
        index = []
        for d, ix in enumerate(read.index):
            current = self.wire(
                32, f"{tag}_i{d}" if issued == 0 else f"{tag}_i{d}_0", self.index_code(ix, env), signed=True
            )
            if not prog.i_rows(ix):
                for step in range(1, issued + 1):  # the loop counters have moved on while the id was read
                    late = self.reg(32, f"{tag}_i{d}_{step}")
                    self.lines.append(f"always @(posedge clk) {late} <= {current};")
                    current = late
            index.append(f"$signed({current})" if issued and not prog.i_rows(ix) else current)
        valid = None
        if read.guards:
            conditions = []
            for ix, size in read.guards:
                code = self.index_code(ix, env)
                conditions.append(f"({code} >= {sv(0)} && {code} < {sv(size)})")
            valid = self.wire(1, f"{tag}_ok", " && ".join(conditions))
        bank_code, offset_code = self.full(memory.bank_offset_verilog(index), tag)
        offset = self.wire(
            memory.address_width,
            f"{tag}_a",
            f"{valid} ? {offset_code}[{memory.address_width - 1}:0] : {memory.address_width}'d0"
            if valid
            else f"{offset_code}[{memory.address_width - 1}:0]",
        )
        banks = self.static_banks(read, memory, copy)
        select = f"{self.name}_busy" + (f" && {valid}" if valid else "")
        shared = self.crossbar(read.buffer)
        if len(banks) == 1:
            data = self.wire_decl(memory.width, f"{tag}_q")
            memory.add_read(banks[0], self.name, select, offset, data, shared)
            word = data
        else:  # a bank known only at run time: address every bank it can reach, choose on arrival
            now = self.wire(bits_for(memory.banks), f"{tag}_bank_now", f"{bank_code}[{bits_for(memory.banks) - 1}:0]")
            bank = self.delayed(f"{tag}_bank", bits_for(memory.banks), now, memory.latency)  # with its data
            choices = []
            for b in banks:
                data = self.wire_decl(memory.width, f"{tag}_q{b}")
                memory.add_read(b, self.name, f"{select} && {now} == {b}" if shared else select, offset, data, shared)
                choices.append((b, data))
            expr = f"{memory.width}'d0"
            for b, data in reversed(choices):
                expr = f"({bank} == {b}) ? {data} : {expr}"
            word = self.wire(memory.width, f"{tag}_q", expr)
        self.early[key] = word
        for step in range(self.latency - memory.latency - issued):  # faster memories wait for the slowest read
            late = self.reg(memory.width, f"{tag}_late{step}")
            self.lines.append(f"always @(posedge clk) {late} <= {word};")
            word = late
        arrived_valid = self.delayed(f"{tag}_okd", 1, valid) if valid else None
        return word, arrived_valid

    def issue_delay(self, read: prog.Read) -> int:
        """Cycles after the issue that ``read``'s address is known: a row read from data waits for its id."""
        rows = [row for ix in read.index for row in prog.i_rows(ix)]
        return max((self.memories[self.program.reads[ix.read].buffer].latency for ix in rows), default=0)

    def crossbar(self, buffer: str) -> bool:
        """Whether the layer's distinct reads of ``buffer`` always reach distinct banks in an
        iteration (checked over every iteration): then each bank has one read port, its address
        chosen among the reads by their bank, as the schedule counts ports; else every read has
        a port on every bank it can reach."""
        if buffer not in self.exclusive and self.memories[buffer].banks == 1:
            self.exclusive[buffer] = False
        if buffer not in self.exclusive:
            memory, banks, seen = self.memories[buffer], [], set()
            for k, copy in self.read_sites():
                read = self.program.reads[k]
                if read.buffer != buffer:
                    continue
                env = self.env_code(copy)
                key = tuple(self.index_code(ix, env) for ix in read.index) + tuple(
                    self.index_code(ix, env) for ix, _ in read.guards
                )
                if key in seen:
                    continue
                seen.add(key)
                reached = self.bank_values(read, memory, copy)
                if reached is None:
                    banks = None
                    break
                banks.append(reached)
            self.exclusive[buffer] = memory.banks > 1 and banks is not None and memory.exclusive(banks)
        return self.exclusive[buffer]

    def read_sites(self):
        """(read, copy) of every read the datapath issues in one iteration."""
        step_reads = _args(self.program.step) if self.program.step is not None else set()
        for scopy in self.copies("spatial"):
            yield from ((k, scopy) for k in range(len(self.program.reads)) if k not in step_reads)
            yield from ((k, {**scopy, **rcopy}) for rcopy in self.copies("reduce") for k in sorted(step_reads))

    def full(self, codes: tuple[str, str], tag: str) -> tuple[str, str]:
        """Bank and offset expressions held in 32-bit wires (Verilog cannot part-select an expression)."""
        bank, offset = codes
        return self.wire(32, f"{tag}_bank32", bank, signed=True), self.wire(32, f"{tag}_off32", offset, signed=True)

    def wire_decl(self, width: int, name: str) -> str:
        self.lines.append(f"wire [{width - 1}:0] {name};")
        return name

    def static_banks(self, read, memory, copy) -> list[int]:
        if memory.banks == 1:
            return [0]
        banks = self.bank_values(read, memory, copy)
        if banks is None:
            return list(range(memory.banks))
        return sorted(set(banks[banks >= 0].tolist())) or [0]

    def bank_values(self, read, memory, copy):
        """The bank ``read`` reaches in every iteration for one copy (-1 where it reads nothing,
        outside the buffer), or None when there are too many iterations to enumerate."""
        env = self.env_values(copy)
        if env is None or any(prog.i_rows(ix) for ix in read.index):
            return None  # too many iterations, or a row known only at run time
        shape = next(iter(env.values())).shape if env else ()  # a read outside every loop: one iteration
        index = [np.broadcast_to(np.asarray(prog.i_eval(ix, env)), shape) for ix in read.index]
        ok = np.ones(shape, dtype=bool)
        for ix, size in read.guards:
            value = np.asarray(prog.i_eval(ix, env))
            ok &= (value >= 0) & (value < size)
        bank, _ = memory.bank_offset(index)
        return np.where(ok, np.broadcast_to(np.asarray(bank), shape), -1)
