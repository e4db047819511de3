"""LLVM IR backend: one function per design over plain arrays, built with llvmlite, JIT-run with MCJIT.

The function ``void @<kernel>(in0*, ..., out0*, ...)`` takes each input and output as a plain
array of its element words (fixed point: the mantissa in an int8/16/32/64, sign- or
zero-extended; float32: float); weights and tables are internal constant arrays and
intermediate buffers internal globals, as LeFlow made of XLA's buffers. Each loop carries
``llvm.loop`` metadata in the form LLVM-based HLS tools read: ``llvm.loop.unroll.count`` /
``llvm.loop.unroll.full`` for unrolled loops, ``llvm.loop.pipeline.initiationinterval`` for
the pipelined loop and ``llvm.loop.pipeline.disable`` for a loop left sequential, plus the
loop's name (``fpgalab.loop``).

``LlvmKernel(design).run(inputs)`` compiles the module with MCJIT (loop metadata left out:
it would make LLVM unroll for the CPU) and runs it sample by sample: the "C simulation".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from llvmlite import ir as ll

from fpgalab.backends import fixplan as fp
from fpgalab.backends import program as prog
from fpgalab.backends.datapath import Value, table_words
from fpgalab.backends.llvm.metadata import loop_metadata
from fpgalab.backends.llvm.recurrent import LoopBuilder
from fpgalab.backends.llvm.values import F32, I1, LlvmOps, LlvmValues, clamped_row, memory_type, word_value
from fpgalab.backends.naming import Namer
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType, FloatType
from fpgalab.sim.fixed import from_float

I32, I64 = ll.IntType(32), ll.IntType(64)
LANE = "%lane"  # the lane variable in a statement's loop environment


class KernelBuilder:
    """Builds the module of one design."""

    def __init__(self, design, metadata: bool = True, lanes: int = 1):
        self.design, self.kernel, self.metadata = design, design.kernel, metadata
        self.lanes = lanes  # samples per call (see ``lane_loop``); the exported module has 1
        self.ctx = prog.TypeContext(dict(design.options.tables), design.options.table_type)
        self.programs = prog.kernel_programs(self.kernel, self.ctx.tables, self.ctx.table_type, loops=True)
        self.constants = {c.name: c for c in self.kernel.constants}  # with each loop body's (LoopBuilder)
        self.step_env: dict = {}  # the step variable t while a loop's body is built
        self.types = {name: buf.dtype for name, buf in self.kernel.buffers().items()}
        self.shapes = {name: tuple(buf.shape) for name, buf in self.kernel.buffers().items()}
        self.storage = prog.storage_buffers(self.kernel)
        self.names = Namer()
        self.module = ll.Module(name=self.names(self.kernel.name, "kernel"))
        self.inputs = [i.name for i in self.kernel.inputs]
        self.outputs = [o for o in dict.fromkeys(self.storage[o] for o in self.kernel.outputs) if o not in self.inputs]
        arguments = [ll.PointerType(memory_type(self.types[n])) for n in self.inputs + self.outputs]
        if lanes > 1:  # intermediate buffers in memory the caller gives, so that threads do not share them
            arguments.append(ll.PointerType(ll.IntType(8)))
        self.function = ll.Function(self.module, ll.FunctionType(ll.VoidType(), arguments), self.module.name)
        self.scratch_bytes = 0
        self.pointers = {}
        for arg, name in zip(self.function.args, self.inputs + self.outputs):
            arg.name = self.names(name, "buf")
            self.pointers[name] = arg
        self.builder = ll.IRBuilder(self.function.append_basic_block("entry"))
        self.tables: dict = {}
        self.declared: dict = {}
        self.loop_ids = 0
        self.produced = {n.name for n in self.kernel.nodes}

    # ---- module-level objects
    def buffer(self, name: str):
        """A pointer to the first element of storage buffer ``name``."""
        if name not in self.pointers:
            dtype, size = self.types[name], int(np.prod(self.shapes[name], dtype=np.int64))
            if self.lanes > 1 and name not in self.constants:
                self.pointers[name] = self.scratch_buffer(memory_type(dtype), size * self.lanes)
                return self.pointers[name]
            array = ll.ArrayType(memory_type(dtype), size)
            glob = ll.GlobalVariable(self.module, array, self.names(name, "buf"))
            glob.linkage = "internal"
            constant = self.constants.get(name)
            if constant is not None:
                glob.global_constant = True
                glob.initializer = ll.Constant(array, self.constant_words(constant))
            else:
                glob.initializer = ll.Constant(array, None)
            self.pointers[name] = glob.gep([ll.Constant(I32, 0), ll.Constant(I32, 0)])
        return self.pointers[name]

    def scratch_buffer(self, word, size: int):
        """A pointer to ``size`` words of ``word`` in the scratch argument, 64-byte aligned."""
        offset = self.scratch_bytes
        word_bytes = 4 if isinstance(word, ll.FloatType) else word.width // 8
        self.scratch_bytes += -(-size * word_bytes // 64) * 64
        with self.builder.goto_entry_block():
            start = self.builder.gep(self.function.args[-1], [ll.Constant(I64, offset)])
            return self.builder.bitcast(start, ll.PointerType(word))

    @staticmethod
    def constant_words(constant) -> list:
        values = np.asarray(constant.value, dtype=np.float32).reshape(-1)
        if isinstance(constant.dtype, FixedType):
            return [int(m) for m in from_float(values, constant.dtype)]
        if isinstance(constant.dtype, FloatType):
            return [float(v) for v in values]
        return [int(v != 0) for v in values]

    def table_global(self, function: str, spec, out_type: FixedType):
        key = (function, spec, out_type)
        if key not in self.tables:
            word = memory_type(out_type)
            array = ll.ArrayType(word, spec.size)
            glob = ll.GlobalVariable(self.module, array, self.names(f"table_{function}", "table"))
            glob.linkage, glob.global_constant = "internal", True
            glob.initializer = ll.Constant(array, table_words(function, spec, out_type))
            self.tables[key] = glob
        return self.tables[key]

    def int_ops(self) -> LlvmOps:
        return LlvmOps(self.builder)

    def table_lookup(self, function: str, spec, out_type: FixedType, index):
        rom = self.table_global(function, spec, out_type)
        b = self.builder
        word = b.load(b.gep(rom, [ll.Constant(I32, 0), b.zext(index, I64)]))
        return b.trunc(word, ll.IntType(out_type.width)) if out_type.width < word.type.width else word

    def intrinsic(self, name: str):
        if name not in self.declared:
            self.declared[name] = self.module.declare_intrinsic(name.rsplit(".", 1)[0], [F32])
        return self.declared[name]

    def libm(self, name: str):
        if name not in self.declared:
            self.declared[name] = ll.Function(self.module, ll.FunctionType(F32, [F32]), name)
        return self.declared[name]

    # ---- indices and memory
    def index(self, expr, env: dict):
        b = self.builder
        if isinstance(expr, prog.ILit):
            return ll.Constant(I32, expr.value)
        if isinstance(expr, prog.IVar):
            return env[expr.name]
        if isinstance(expr, prog.IRead):  # a table row read from data (an Embedding's id)
            return clamped_row(self.builder, self.values, expr)
        if isinstance(expr, prog.IAdd):
            total = self.index(expr.terms[0], env)
            for term in expr.terms[1:]:
                total = b.add(total, self.index(term, env))
            return total
        if isinstance(expr, prog.IMul):
            return b.mul(self.index(expr.arg, env), ll.Constant(I32, expr.factor))
        if isinstance(expr, prog.IDiv):
            return b.sdiv(self.index(expr.arg, env), ll.Constant(I32, expr.divisor))
        return b.srem(self.index(expr.arg, env), ll.Constant(I32, expr.divisor))

    def flat(self, buffer: str, index: tuple, env: dict):
        shape = self.shapes[buffer]
        flat = prog.ILit(0)
        stride = 1
        for d in reversed(range(len(shape))):
            flat = prog.i_add(flat, prog.i_mul(index[d], stride))
            stride *= int(shape[d])
        return self.index(flat, env)

    def read_valid(self, read: prog.Read, env=None):
        env = env if env is not None else self.env
        b, valid = self.builder, ll.Constant(I1, 1)
        for ix, size in read.guards:
            value = self.index(ix, env)
            inside = b.and_(
                b.icmp_signed(">=", value, ll.Constant(I32, 0)), b.icmp_signed("<", value, ll.Constant(I32, size))
            )
            valid = b.and_(valid, inside)
        return valid

    def load(self, read: prog.Read, values: LlvmValues) -> Value:
        b, env = self.builder, self.env
        flat = self.flat(read.buffer, read.index, env)
        valid = self.read_valid(read, env) if read.guards else None
        if valid is not None:
            flat = b.select(valid, flat, ll.Constant(I32, 0))
        word = b.load(self.element(read.buffer, flat))
        dtype = self.types[read.buffer]
        value = word_value(word, dtype, values.ops)
        if read.fill is None:
            return value
        value = values.convert(value, read.fill.dtype)
        fill = values.literal(read.fill.value, read.fill.dtype)
        if isinstance(read.fill.dtype, FixedType):
            chosen = fp.choose(values.ops, valid, value.payload, fill.payload)
            return Value(fp.to_type(values.ops, chosen, read.fill.dtype), read.fill.dtype)
        return Value(b.select(valid, value.payload, fill.payload), read.fill.dtype)

    def store(self, buffer: str, index: tuple, value: Value, ops) -> None:
        b = self.builder
        flat = self.flat(buffer, index, self.env)
        dtype = self.types[buffer]
        word_type = memory_type(dtype)
        if isinstance(dtype, FixedType):
            bits = fp.quantize(ops, value.payload, dtype)  # already of dtype: the same bits
            word = b.sext(bits, word_type) if dtype.signed else b.zext(bits, word_type)
            word = bits if dtype.width == word_type.width else word
        elif isinstance(dtype, FloatType):
            word = value.payload
        else:
            word = b.zext(value.payload, word_type)
        b.store(word, self.element(buffer, flat))

    def element(self, buffer: str, flat):
        """A pointer to element ``flat`` of ``buffer`` (of the current lane, for a buffer of samples)."""
        b = self.builder
        if self.lanes > 1 and buffer not in self.constants:
            flat = b.add(b.mul(flat, ll.Constant(I32, self.lanes)), self.env[LANE])
        return b.gep(self.buffer(buffer), [b.sext(flat, I64)])

    def lane_loop(self, label: str, statement) -> None:
        """Run ``statement`` once per lane: with ``lanes`` > 1 the module computes that many samples at
        once, each buffer of samples laid out element-major (``[element][lane]``), so that LLVM
        vectorises every statement across samples; weights and tables stay single."""
        if self.lanes == 1:
            statement()
            return

        def body(lane):
            self.env[LANE] = lane
            statement()

        self.counted_loop(label, self.lanes, body)

    # ---- loops
    def counted_loop(self, label: str, trip: int, body, metadata=None) -> None:
        """``for (v = 0; v < trip; v++) body(v)`` as a do-while (trip >= 2)."""
        b = self.builder
        before = b.block
        header = self.function.append_basic_block(f"{label}.loop")
        after = self.function.append_basic_block(f"{label}.end")
        b.branch(header)
        b.position_at_end(header)
        variable = b.phi(I32, label)
        variable.add_incoming(ll.Constant(I32, 0), before)
        body(variable)
        following = b.add(variable, ll.Constant(I32, 1))
        branch = b.cbranch(b.icmp_signed("<", following, ll.Constant(I32, trip)), header, after)
        if metadata is not None:
            branch.set_metadata("llvm.loop", metadata)
        variable.add_incoming(following, b.block)
        b.position_at_end(after)

    def layer(self, program: prog.LayerProgram, layer_schedule=None, directives=None) -> None:
        """Build one layer; ``layer_schedule`` and ``directives`` default to the design's for it
        (a loop's body layers and its copies pass their own, or None: no loop directives)."""
        if directives is None and program.name in self.produced:
            layer_schedule, directives = (
                self.design.schedule.layer(program.name),
                self.kernel.node(program.name).directives,
            )
        directives = directives or ir.DEFAULT_DIRECTIVES
        scheduled = layer_schedule.loops if self.metadata and layer_schedule is not None else ()  # only for metadata
        loops = {lp.name: lp for lp in scheduled}
        pipelined = [lp.name for lp in scheduled if lp.role == "pipelined"]
        ii = directives.ii
        self.env = dict(self.step_env)
        values = LlvmValues(self, program, lambda k: self.load(program.reads[k], values))
        self.values = values  # a row chosen by a value read (``row``) reads it through them
        acc_slot = None
        if program.acc_kind:
            with self.builder.goto_entry_block():
                acc_type = program.acc_type
                word = F32 if isinstance(acc_type, FloatType) else ll.IntType(acc_type.width)
                slot_type = word if self.lanes == 1 else ll.ArrayType(word, self.lanes)
                acc_slot = self.builder.alloca(slot_type, name=self.names.fresh(f"acc_{program.name}"))

        def acc_pointer():
            if self.lanes == 1:
                return acc_slot
            return self.builder.gep(acc_slot, [ll.Constant(I32, 0), self.env[LANE]])

        def acc_value() -> Value:
            word = self.builder.load(acc_pointer())
            if isinstance(program.acc_type, FixedType):
                return Value(fp.from_bits(values.ops, word, program.acc_type), program.acc_type)
            return Value(word, program.acc_type)

        def acc_store(value: Value):
            if isinstance(program.acc_type, FixedType):
                self.builder.store(fp.quantize(values.ops, value.payload, program.acc_type), acc_pointer())
            else:
                self.builder.store(value.payload, acc_pointer())

        def epilogue():
            values.acc = acc_value() if program.acc_kind else None
            previous = None
            for expr, dtype in program.epilogue:
                values.prev = previous
                previous = values.convert(values.value(expr), dtype)
            self.store(program.output, program.out_index, previous, values.ops)

        def accumulate():
            acc, step = acc_value(), values.value(program.step)
            kind = program.acc_kind
            if isinstance(program.acc_type, FloatType):
                combined = Value(
                    values.float_operation(
                        "add" if kind in ("mac", "sum") else kind,
                        [acc.payload, values.convert(step, program.acc_type).payload],
                    ),
                    program.acc_type,
                )
            elif kind in ("max", "min"):
                combined = Value(fp.maximum(values.ops, acc.payload, values.fixed(step), kind), program.acc_type)
            else:
                combined = Value(fp.add(values.ops, acc.payload, values.fixed(step)), program.acc_type)
            acc_store(combined)

        label = self.names(program.name, "layer")

        def level(depth: int):
            if depth == len(program.spatial) and program.acc_kind:
                self.lane_loop(
                    f"{label}.init", lambda: acc_store(values.convert(values.value(program.init), program.acc_type))
                )
            if depth == len(program.loops):
                if program.acc_kind:
                    self.lane_loop(f"{label}.mac", accumulate)
                    if not program.reduction:
                        self.lane_loop(f"{label}.out", epilogue)
                else:
                    self.lane_loop(f"{label}.out", epilogue)
                return
            loop = program.loops[depth]
            metadata = None
            if self.metadata:
                scheduled = loops.get(loop.name)
                self.loop_ids += 1
                metadata = loop_metadata(
                    self.module,
                    f"{self.names(program.name, 'layer')}.{loop.name}#{self.loop_ids}",
                    scheduled,
                    bool(pipelined) and loop.name == pipelined[-1],
                    ii,
                    scheduled is not None and scheduled.role == "sequential" and not directives.pipeline,
                )

            def body(variable):
                self.env[loop.name] = variable
                level(depth + 1)

            self.counted_loop(f"{label}.{loop.name}", loop.trip, body, metadata)
            if depth == len(program.spatial) and program.acc_kind and program.reduction:
                self.lane_loop(f"{label}.out", epilogue)

        level(0)

    def build(self) -> ll.Module:
        for program in self.programs:
            if isinstance(program, prog.LoopProgram):
                LoopBuilder(self, program.node).build()
            else:
                self.layer(program)
        self.builder.ret_void()
        return self.module


def build_module(design, metadata: bool = True) -> ll.Module:
    return KernelBuilder(design, metadata).build()


_INITIALISED = False


def initialise():
    """Set llvmlite up for the host CPU, once per process."""
    global _INITIALISED
    if not _INITIALISED:
        import llvmlite.binding as llvm  # noqa: PLC0415

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        _INITIALISED = True


def write_module(design, folder: Path) -> dict:
    """Write ``<kernel>.ll`` (with loop metadata) into ``folder``."""
    import llvmlite.binding as llvm  # noqa: PLC0415

    initialise()
    module = build_module(design, metadata=True)
    text = str(module)
    llvm.parse_assembly(text).verify()
    path = folder / f"{module.name}.ll"
    path.write_text(text)
    return {path.name: len(text)}
