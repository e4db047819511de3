"""The scheduled design: for every layer its loops (trip, unroll, role), II, pipeline depth,
operators and memory accesses; for every buffer its banks, storage, ports and dataflow channel.

Hardware model (what a generator builds and what the timing simulator counts)
---------------------------------------------------------------------------
Each layer is one clocked FSM with ``ap_start``/``ap_done``; an elementwise node fused into its
producer (``Directives.fused_into``) runs in the producer's FSM and a reshape is a free alias.
Cycles are counted inclusively: a layer seeing ``ap_start`` in cycle 0 spends cycle 0 leaving
IDLE, cycles 1..T in its loops and asserts ``ap_done`` in cycle T+1, so it occupies

    L = T + 2                                            (layer latency, cycles)

and the next layer started by it sees ``ap_start`` in cycle L. Loops with trip 1 do not exist.
Loop i has trip t_i, unroll u_i (u_i divides t_i) and N_i = t_i / u_i iterations. Pipelining
loop p fully unrolls the loops inside it and flattens it with the loops of ``[f..p]`` (see
``Directives.flatten``) into one pipelined loop of P = prod(N_i, i in f..p) iterations:

    T_pipe = 1 + (P - 1) * II + D                         (1 entry cycle, then one start every II)
    T_seq(loop, B) = N * (1 + B)                          (1 header cycle + body B per iteration)

Sequential loops (outside the pipeline, or all loops when not pipelined) wrap the pipelined loop
(or, when not pipelined, the body of one iteration, B = D) from the inside out. The epilogue E
(rounding into the output type, fused elementwise ops, the write: ``E = convert + fused + 1``)
runs once per output element: inside the pipeline depth when the pipelined loop spans output
elements (it contains a spatial loop, or the node has no reduction), otherwise as E extra cycles
in the body of the innermost sequential spatial loop, after the reduction loops.

Depth D = read + core + tree + acc (+ E when inside) + (memory II - 1):
    read  the slowest read latency of the buffers read (BRAM/URAM ``latency.bram_read``,
          LUTRAM 1, registers 0)
    core  the multiply of a MAC (DSP ``fixed_mul`` or 1 in LUTs; ``float_mul``), or the
          critical path of an elementwise expression
    tree  ceil(log2(R)) adder (or comparator) levels for R unrolled reduction terms
    acc   the accumulator's add (``fixed_add`` / ``float_add``), or compare for max/min

Achieved II = max(target II, recurrence II, memory II):
    recurrence  the accumulator's latency when the innermost pipelined loop is a reduction loop
                (consecutive iterations update the same accumulator, distance 1)
    memory      max over buffers of ceil(distinct elements in the busiest bank per iteration /
                ports per bank); ports: BRAM, URAM, LUTRAM 2 (true dual port), registers unlimited

A design without dataflow runs its layers one after another: latency = sum of L, interval =
latency. With dataflow, ``fpgalab.schedule.timing`` overlaps them through their channels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from fpgalab.ir import nodes as ir
from fpgalab.schedule.operators import Latencies, OperatorUse

LAYER_OVERHEAD = 2  # the IDLE cycle seeing ap_start and the DONE cycle asserting ap_done
DEFAULT_FIFO_DEPTH = 2  # Vitis HLS default depth of dataflow FIFOs (config_dataflow -fifo_depth)
DEFAULT_PIPO_DEPTH = 2  # ping-pong: two buffers
PORTS = {"bram": 2, "uram": 2, "lutram": 2, "reg": 0}


@dataclass(frozen=True)
class LoopSchedule:
    name: str
    trip: int
    kind: str  # spatial | reduce
    unroll: int
    role: str  # sequential | pipelined | unrolled

    @property
    def iterations(self) -> int:
        return self.trip // self.unroll


@dataclass(frozen=True)
class BufferAccess:
    """A layer's use of one buffer in one iteration of its (pipelined) body."""

    buffer: str
    mode: str  # read | write
    elements: int  # distinct elements per iteration
    per_bank: int  # distinct elements of the busiest bank
    cycles: int  # ceil(per_bank / ports): the II this buffer allows (1 for registers)


@dataclass(frozen=True)
class BufferSchedule:
    name: str
    shape: tuple[int, ...]
    dtype: str
    width: int  # bits per element
    role: str  # input | weight | bias | constant | activation | output
    partition: tuple[ir.PartitionSpec, ...]
    banks: int
    bank_depth: int  # elements per bank
    storage: str  # bram | uram | lutram | reg (resolved)
    ports: int  # per bank; 0 = unlimited (registers)
    read_latency: int
    writer: str  # layer (FSM) writing it, "" for inputs and constants
    readers: tuple[str, ...]  # layers reading it
    channel: str = "memory"  # memory | rom | pipo | fifo
    depth: int = 1  # ping-pong buffers, or FIFO depth in elements
    reshape: bool = False  # the banks side by side in one memory's words (ARRAY_RESHAPE)

    @property
    def memories(self) -> int:
        """Memories holding the buffer: one per bank, or one when the banks are reshaped into its words."""
        return 1 if self.reshape else self.banks

    @property
    def word_width(self) -> int:
        """Bits of one memory word: an element's, or every bank's element side by side when reshaped."""
        return self.width * self.banks if self.reshape else self.width

    @property
    def elements(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class LayerSchedule:
    name: str  # the FSM's node
    layer: str  # Keras layer / TF scope
    kind: str  # node class, lower case
    nodes: tuple[str, ...]  # IR nodes computed by this FSM (itself, then fused ones)
    output: str  # the buffer it writes
    loops: tuple[LoopSchedule, ...]
    pipelined: bool
    ii: int  # achieved II (0 when not pipelined)
    ii_target: int
    ii_recurrence: int
    ii_memory: int
    depth: int  # D
    epilogue: int  # E
    epilogue_in_pipeline: bool
    trip: int  # P: iterations of the pipelined loop (1 when not pipelined)
    copies: int  # parallel copies of the body per iteration
    operators: tuple[OperatorUse, ...]
    accesses: tuple[BufferAccess, ...]
    cycles: int  # L
    formula: str  # L as the formula above, with the numbers
    first_read: int = 1  # cycles after ap_start: first and last read, first and last write
    last_read: int = 1
    first_write: int = 1
    last_write: int = 1
    reuse: int = 0  # the reuse factor the layer was given (0: none); see fpgalab.passes.reuse
    reuse_requested: int = 0  # what the user asked for, where the closest valid factor was taken
    cell: tuple = ()  # an ir.Loop's body layers (LayerSchedules), run once per step (schedule.recurrence)
    copy_layers: tuple = ()  # an ir.Loop's copy layers (LayerSchedules, schedule.recurrence.step_copies' order)

    @property
    def ii_limit(self) -> str:
        if not self.pipelined:
            return "not pipelined"
        bound = max(self.ii_target, self.ii_recurrence, self.ii_memory)
        if bound == self.ii_target:
            return "target"
        return "recurrence" if bound == self.ii_recurrence else "memory ports"


@dataclass(frozen=True)
class Schedule:
    kernel: str
    device: str
    clock_mhz: float
    dataflow: bool
    layers: tuple[LayerSchedule, ...]
    buffers: tuple[BufferSchedule, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())
    # hls4ml's architectures ("parallel", "stream") fix the timing statically: the whole design's
    # latency and interval, and each layer's start cycle (fpgalab.schedule.io_parallel)
    architecture: str = "layered"
    latency: int = 0
    interval: int = 0
    starts: tuple[int, ...] = ()

    def layer(self, name: str) -> LayerSchedule:
        """The layer schedule named ``name``; else the first holding a node of that name or of that layer."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        for layer in self.layers:
            if name == layer.layer or name in layer.nodes:
                return layer
        raise KeyError(name)

    def buffer(self, name: str) -> BufferSchedule:
        for buf in self.buffers:
            if buf.name == name:
                return buf
        raise KeyError(name)

    @property
    def sequential_cycles(self) -> int:
        return sum(layer.cycles for layer in self.layers)


@dataclass
class SchedulingContext:
    """What scheduling one layer needs to know about the whole kernel."""

    kernel: ir.Kernel
    device: object
    latencies: Latencies
    tables: dict
    table_type: object
    shapes: dict
    types: dict
    aliases: dict  # reshape name -> its input
    buffers: dict = field(default_factory=dict)  # storage buffer name -> BufferSchedule


def storage_name(name: str, aliases: dict) -> str:
    """The buffer holding ``name``'s data (reshapes are aliases of their input)."""
    while name in aliases:
        name = aliases[name]
    return name
