"""The loop-nest HLS IR: a kernel is a list of layer nodes over named on-chip buffers.

Every node is a frozen dataclass with one output buffer (``name``, ``shape``, ``dtype``) and the
names of the buffers it reads (``inputs``). Its loop nest (``fpgalab.ir.loops.loop_nest``) is
fixed by its class and shape: output loops, then reduction loops. Change a node with
``dataclasses.replace``; the simulator, the estimator and each backend keep one table row per
node class.

Node classes, and the HLO ops they come from:
    Elementwise  add subtract multiply divide maximum minimum negate abs exponential tanh logistic
                 rsqrt sqrt exponential-minus-one log log-plus-one erf floor ceil round-nearest-even
                 power (as multiplies or tables) compare select clamp convert (and fused chains of them)
    Dot          dot                       (acc += lhs * rhs, starting at the bias)
    Conv         convolution               (NHWC input, HWIO kernel, groups for depthwise; a transposed
                                            convolution is stride^n of them, frontend/tf/conv_transpose.py)
    Pool         reduce-window             (max / min / sum window, strides, padding)
    Reduce       reduce                    (sum / max / min over dimensions)
    Transpose, Reshape, Broadcast, Slice, Pad, Concat, Reverse    data movement (Reverse: HLO reverse)
    Loop         while                     (a counted loop: one body kernel run ``trips`` times)
    Lookup       gather                    (a ROM read addressed by run-time ids: Embedding; or a
                                            run-time tensor read at constant positions: resizes)

HLS directives (set by the passes in ``fpgalab.passes``, read by ``fpgalab.schedule``):
``Node.directives`` holds a layer's loop directives (unroll, pipeline, fusion into its producer);
``Kernel.buffer_specs`` holds per-buffer directives (partition, storage, dataflow channel) and
``Kernel.dataflow`` says whether layers run concurrently. The defaults are what Vitis HLS does
without pragmas (innermost loop pipelined at II=1, perfect nests flattened, no partitioning,
automatic storage, no dataflow).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from fpgalab.ir.directives import (  # noqa: F401 - part of the IR's vocabulary: ir.Directives, ir.BufferSpec
    CHANNEL_KINDS,
    DEFAULT_DIRECTIVES,
    FLATTEN_MODES,
    PARTITION_KINDS,
    STORAGE_KINDS,
    BufferSpec,
    Directives,
    PartitionSpec,
)
from fpgalab.ir.types import FLOAT32, NumType

# ---- elementwise expressions ----------------------------------------------------------------------

UNARY_OPS = (
    "neg",
    "abs",
    "exp",
    "tanh",
    "logistic",
    "rsqrt",
    "sqrt",
    "expm1",
    "log",
    "log1p",
    "erf",
    "floor",
    "ceil",
    "round",
    "convert",
)
BINARY_OPS = ("add", "sub", "mul", "div", "max", "min", "cmp_eq", "cmp_ne", "cmp_lt", "cmp_le", "cmp_gt", "cmp_ge")
TERNARY_OPS = ("select", "clamp")
ELEMENTWISE_OPS = UNARY_OPS + BINARY_OPS + TERNARY_OPS
TABLE_OPS = {
    "exp": "exp",
    "tanh": "tanh",
    "logistic": "sigmoid",
    "rsqrt": "rsqrt",
    "sqrt": "sqrt",
    "expm1": "expm1",
    "log": "log",
    "log1p": "log1p",
    "erf": "erf",
    "div": "reciprocal",
}
# Exact rules on the fixed-point bits, no table: to an integer toward -inf, toward +inf, and to the
# nearest integer with ties to even (TensorFlow's round, HLO round-nearest-even).
ROUNDING_OPS = ("floor", "ceil", "round")


@dataclass(frozen=True)
class Arg:
    """The node's ``index``-th input buffer, read at the output index (through ``Elementwise.in_dims``)."""

    index: int


@dataclass(frozen=True)
class Const:
    """A scalar constant folded into the expression (relu's 0, a scale), held in ``dtype``."""

    value: float
    dtype: NumType = FLOAT32


@dataclass(frozen=True)
class Op:
    """One operation; its result is converted to ``dtype`` as an HLS assignment would."""

    op: str
    args: tuple
    dtype: NumType = FLOAT32


Expr = Arg | Const | Op


def expr_ops(expr) -> list[Op]:
    """The operations of an expression, operands before users."""
    if isinstance(expr, Op):
        return [o for a in expr.args for o in expr_ops(a)] + [expr]
    return []


# ---- buffers that are not produced by a node ------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """A kernel argument streamed in from the host (one sample per invocation).

    ``integer``: the host sends whole numbers (token ids, indices); in fixed point the input is an
    ``ap_int``/``ap_uint`` of its element type's width, in float32 designs float32 holds them."""

    name: str
    shape: tuple[int, ...]
    dtype: NumType = FLOAT32
    op_name: str = ""
    integer: bool = False


@dataclass(frozen=True)
class Constant:
    """Weights, biases and other values the design owns: a ROM (float values, quantized to ``dtype``)."""

    name: str
    shape: tuple[int, ...]
    value: np.ndarray = field(hash=False, compare=False, repr=False)
    dtype: NumType = FLOAT32
    role: str = "weight"  # weight | bias | constant
    op_name: str = ""
    given_type: bool = False  # ``dtype`` is the model's own (a QONNX Quant on the weights): precision keeps it


# ---- HLS directives (fpgalab.ir.directives) -------------------------------------------------------

# ---- layer nodes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    inputs: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: NumType = FLOAT32
    layer: str = ""  # Keras layer or TF name scope the node came from (for overrides and reports)
    op_name: str = ""  # TensorFlow op_name from the HLO metadata
    directives: Directives = DEFAULT_DIRECTIVES  # HLS loop directives (see Directives)
    given_type: bool = False  # ``dtype`` is the model's own (a QONNX Quant): precision assignment keeps it

    def replace(self, **changes):
        return replace(self, **changes)


@dataclass(frozen=True)
class Elementwise(Node):
    """out[i] = expr(inputs[k][i projected through in_dims[k]]).

    ``in_dims[k]`` maps each dimension of input k to an output dimension (HLO broadcast
    ``dimensions``): a bias of shape [F] read by a [N,H,W,F] node has in_dims (3,).
    """

    expr: Expr = Arg(0)
    in_dims: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class Dot(Node):
    """General dot product; inputs are (lhs, rhs) or (lhs, rhs, bias).

    Output dimensions are batch, lhs free, rhs free (HLO order). With a bias, its dims map to
    output dims by ``bias_dims``; the accumulator of type ``acc`` starts at the bias.
    """

    lhs_contract: tuple[int, ...] = ()
    rhs_contract: tuple[int, ...] = ()
    lhs_batch: tuple[int, ...] = ()
    rhs_batch: tuple[int, ...] = ()
    bias_dims: tuple[int, ...] = ()
    acc: NumType = FLOAT32


@dataclass(frozen=True)
class Conv(Node):
    """Convolution over channels-last input [N, *spatial, C] with kernel [*window, C/groups, F].

    ``padding`` is (low, high) per spatial dimension; ``groups`` == C gives a depthwise
    convolution. Inputs are (input, kernel) or (input, kernel, bias[F]).
    """

    strides: tuple[int, ...] = ()
    padding: tuple[tuple[int, int], ...] = ()
    dilation: tuple[int, ...] = ()
    groups: int = 1
    acc: NumType = FLOAT32


@dataclass(frozen=True)
class Pool(Node):
    """Reduce-window over every dimension: ``kind`` max, min or sum (average pooling is sum then scale)."""

    kind: str = "max"
    window: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()
    padding: tuple[tuple[int, int], ...] = ()
    init: float = 0.0
    acc: NumType = FLOAT32


@dataclass(frozen=True)
class Reduce(Node):
    """Reduction of the input over ``dims`` (``kind`` sum, max or min), starting at ``init``."""

    kind: str = "sum"
    dims: tuple[int, ...] = ()
    init: float = 0.0
    acc: NumType = FLOAT32


@dataclass(frozen=True)
class Transpose(Node):
    perm: tuple[int, ...] = ()


@dataclass(frozen=True)
class Reshape(Node):
    """Row-major reshape: the same memory read with another shape (free in hardware)."""


@dataclass(frozen=True)
class Broadcast(Node):
    dims: tuple[int, ...] = ()  # output dimension of each input dimension


@dataclass(frozen=True)
class Slice(Node):
    starts: tuple[int, ...] = ()
    limits: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()


@dataclass(frozen=True)
class Pad(Node):
    low: tuple[int, ...] = ()
    high: tuple[int, ...] = ()
    value: float = 0.0


@dataclass(frozen=True)
class Concat(Node):
    axis: int = 0


@dataclass(frozen=True)
class Reverse(Node):
    """The input with each dimension in ``dims`` read backwards: out[.., i, ..] = in[.., n - 1 - i, ..] (HLO reverse)."""

    dims: tuple[int, ...] = ()


@dataclass(frozen=True)
class Loop(Node):
    """A counted loop (an HLO ``while`` with a static trip count): ``body`` runs ``trips`` times.

    ``body`` is a whole ``Kernel``, built once (a recurrent layer's cell) and run once per step,
    as hls4ml's "static" RNN layers reuse one cell. Its inputs, in order:

    - the first ``carried`` are loop-carried states: step 0 reads ``inputs[k]`` (the start value),
      step t+1 reads ``body.outputs[k]`` of step t, converted to the body input's type (the
      state register's type);
    - then one per remaining node input j: with ``step_axes[j] >= 0`` the body reads the slice of
      that buffer at index ``t + step_offsets[j]`` along that axis (size 1 there: x[t] of a
      sequence); with ``step_axes[j] == -1`` the whole buffer, the same at every step.

    The node's one output is ``body.outputs[result]``: its value after the last step when
    ``result < carried`` (a final state), else the value of every step stacked along
    ``stack_axis`` at index t (the sequence buffer; ``shape[stack_axis] == trips``).
    """

    trips: int = 1
    body: Kernel | None = None
    carried: int = 0
    step_axes: tuple[int, ...] = ()
    step_offsets: tuple[int, ...] = ()
    result: int = 0
    stack_axis: int = -1


@dataclass(frozen=True)
class Lookup(Node):
    """A ROM read addressed at run time: inputs (table, ids); ``out[i..., j...] = table[id, j...]``
    with ``id = ids[i...]`` clamped to ``0 .. rows-1`` (XLA clamps a gather's out-of-range start
    index the same way). Keras's Embedding: the table is a constant, the ids an integer input.
    A gather with constant start indices (every resize) is the other way round: the table is a
    run-time tensor, flattened, and the ids a constant ROM of the positions each output copies."""


NODE_CLASSES = (
    Elementwise,
    Dot,
    Conv,
    Pool,
    Reduce,
    Transpose,
    Reshape,
    Broadcast,
    Slice,
    Pad,
    Concat,
    Reverse,
    Loop,
    Lookup,
)
DATA_MOVEMENT = (Transpose, Reshape, Broadcast, Slice, Pad, Concat, Reverse)


@dataclass(frozen=True)
class Kernel:
    """A whole design: its inputs, constants (ROMs), nodes in topological order and outputs."""

    name: str
    inputs: tuple[Input, ...]
    constants: tuple[Constant, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]
    buffer_specs: tuple[BufferSpec, ...] = ()  # per-buffer HLS directives; a buffer not listed has the defaults
    dataflow: bool = False  # layers run concurrently, connected by FIFOs or ping-pong buffers

    def replace(self, **changes) -> Kernel:
        return replace(self, **changes)

    def buffer_spec(self, name: str) -> BufferSpec:
        """The directives of buffer ``name`` (defaults when none were set)."""
        for spec in self.buffer_specs:
            if spec.name == name:
                return spec
        return BufferSpec(name)

    def with_buffer_spec(self, spec: BufferSpec) -> Kernel:
        """This kernel with ``spec`` replacing the directives of its buffer."""
        others = [s for s in self.buffer_specs if s.name != spec.name]
        return self.replace(buffer_specs=tuple(sorted(others + [spec], key=lambda s: s.name)))

    def buffers(self) -> dict:
        """Every named buffer: inputs, constants and node outputs."""
        table: dict = {i.name: i for i in self.inputs}
        table.update({c.name: c for c in self.constants})
        table.update({n.name: n for n in self.nodes})
        return table

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def users(self) -> dict[str, list[Node]]:
        table: dict[str, list[Node]] = {}
        for n in self.nodes:
            for i in n.inputs:
                table.setdefault(i, []).append(n)
        return table
