"""The kernel as hls4ml sees a network: a list of layers (dense, convolution, activation, softmax ...).

hls4ml's architectures are built layer by layer from Keras layers. The IR keeps the Keras layer of
every node (``Node.layer``), so consecutive nodes of one layer form one hls4ml layer: a Dense is its
dot (bias folded in) and, when the Keras layer had one, its activation; a Softmax is the four nodes
XLA makes of it (max, exp of the difference, sum, divide); an Activation is an elementwise node.
Each layer here carries what the architecture models need: sizes, types, the weights as integer
mantissas of their type, and the reuse factor the user gave it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes
from fpgalab.ir.types import FixedType
from fpgalab.sim.fixed import from_float

RELU_OPS = ("max", "min", "clamp", "select")
TABLE_FUNCTIONS = tuple(op for op in ir.TABLE_OPS if op != "div")  # one table read each; div: 1/x


@dataclass(frozen=True)
class NetLayer:
    """One hls4ml layer: its IR nodes, sizes and types."""

    name: str  # the IR node that writes the layer's output
    layer: str  # the Keras layer
    kind: str  # dense | conv | depthwise | softmax | relu | table | elementwise | pool | reshape
    nodes: tuple[str, ...]
    n_in: int = 0  # inputs per output (dense n_in; conv window x channels per group)
    n_out: int = 0  # outputs per pixel (dense n_out; conv filters)
    pixels: int = 1  # output positions (1 for a dense layer)
    elements: int = 0  # output elements
    in_bits: int = 16
    weight_bits: int = 16
    accum_bits: int = 16
    out_bits: int = 16
    weights: np.ndarray | None = field(default=None, repr=False, compare=False)  # mantissas, [n_in, n_out]
    weight_name: str = ""  # the constant holding them
    exact_zeros: int = 0  # weights that are exactly zero as given (pruned), which hls4ml counts

    @property
    def multiplier_limit(self) -> int:
        """hls4ml's ALLOCATION limit on multiplies: ``DIV_ROUNDUP(n_in * n_out, RF) - n_zeros / RF``
        (``DenseConfigTemplate``, hls4ml/backends/vivado/passes/core_templates.py)."""
        return max(1, math.ceil(self.n_in * self.n_out / self.reuse) - self.exact_zeros // self.reuse)

    reuse: int = 1  # the reuse factor given (requested for the Latency strategy)
    reuse_valid: int = 1  # the closest valid one (hls4ml's rule), what the Resource strategy uses
    activation: str = ""  # relu | table | "" for a dense/conv with its activation inside the Keras layer
    tables: int = 0  # function-table reads per output (softmax: exp and 1/sum; sigmoid/tanh: 1)


def _bits(dtype, where: str) -> int:
    if not isinstance(dtype, FixedType):
        raise ValueError(
            f"hls4ml's architectures model fixed-point designs; {where} is {dtype}. "
            "Give a precision such as 'ap_fixed<16,6>', or use io='layered' for float32"
        )
    return dtype.width


def _ops(expr) -> set:
    if isinstance(expr, ir.Op):
        return {expr.op}.union(*(_ops(a) for a in expr.args))
    return set()


def _mantissas(const: ir.Constant) -> np.ndarray:
    _bits(const.dtype, f"weight {const.name}")
    return np.asarray(from_float(np.asarray(const.value, dtype=np.float64), const.dtype), dtype=np.int64)


def _weight_layer(node, kernel: ir.Kernel, shapes: dict, types: dict, constants: dict) -> dict:
    weights = constants.get(node.inputs[1])
    if isinstance(node, ir.Dot) and node.lhs_batch:
        raise ValueError(
            f"layer {node.layer or node.name}: a batched dot (weights of its own for each position, as a "
            "resize's interpolation) has no hls4ml layer; compile it with io='layered'"
        )
    if weights is None:
        raise ValueError(
            f"layer {node.layer or node.name}: hls4ml's architectures need constant weights "
            "(a dense or convolution whose kernel is a model parameter)"
        )
    array = _mantissas(weights)
    out = shapes[node.name]
    if isinstance(node, ir.Dot):
        contract = [d for d in range(array.ndim) if d in node.rhs_contract]
        free = [d for d in range(array.ndim) if d not in node.rhs_contract and d not in node.rhs_batch]
        n_in = math.prod(array.shape[d] for d in contract)
        n_out = math.prod(array.shape[d] for d in free)
        matrix = np.transpose(array, contract + free).reshape(n_in, n_out)
        kind, pixels = "dense", max(1, math.prod(out) // max(1, n_out))
    else:
        groups = node.groups
        n_in = math.prod(array.shape[:-1])  # window x channels per group
        n_out = array.shape[-1]
        matrix = array.reshape(n_in, n_out)
        kind = "depthwise" if groups > 1 and groups == shapes[node.inputs[0]][-1] else "conv"
        pixels = math.prod(out[1:-1]) if len(out) > 2 else 1
    directives = node.directives
    return dict(
        weight_name=weights.name,
        kind=kind,
        n_in=n_in,
        n_out=n_out,
        pixels=pixels,
        weights=matrix,
        in_bits=_bits(types[node.inputs[0]], f"the input of {node.layer or node.name}"),
        weight_bits=_bits(weights.dtype, f"weight {weights.name}"),
        accum_bits=_bits(node.acc, f"the accumulator of {node.layer or node.name}"),
        reuse=directives.reuse_requested or directives.reuse or 1,
        reuse_valid=directives.reuse or 1,
        exact_zeros=int(np.count_nonzero(np.asarray(weights.value) == 0)),
    )


def _elementwise_kind(nodes) -> tuple[str, int]:
    ops = set().union(*(_ops(n.expr) for n in nodes if isinstance(n, ir.Elementwise)))
    tables = len(ops & set(TABLE_FUNCTIONS)) + ("div" in ops)
    if tables:
        return "table", tables
    if ops <= set(RELU_OPS) | {"convert"}:
        return "relu", 0
    return "elementwise", 0


def _split(nodes: list) -> list[list]:
    """The nodes of one Keras layer that holds several weight layers (a transposed convolution's
    phase convolutions, then the copies that interleave their outputs) as one hls4ml layer per
    convolution or dot and per data movement, each with the elementwise nodes that follow it."""
    if sum(isinstance(n, (ir.Dot, ir.Conv)) for n in nodes) < 2:
        return [nodes]
    parts: list[list] = [[]]
    for node in nodes:
        starts = isinstance(node, (ir.Dot, ir.Conv, *ir.DATA_MOVEMENT)) and not isinstance(node, ir.Reshape)
        if starts and any(not isinstance(n, (ir.Elementwise, ir.Reshape)) for n in parts[-1]):
            parts.append([])
        parts[-1].append(node)
    return parts


def network_layers(kernel: ir.Kernel) -> list[NetLayer]:
    """The kernel's nodes grouped into hls4ml layers, in order."""
    shapes = kernel_shapes(kernel)
    types = {name: spec.dtype for name, spec in kernel.buffers().items()}
    constants = {c.name: c for c in kernel.constants}
    groups: list[list] = []
    for node in kernel.nodes:
        if isinstance(node, ir.Loop):
            raise CompileError(
                f"layer '{node.layer or node.name}' is a recurrent loop ({node.trips} steps of one cell); "
                "fpgalab models hls4ml's io_parallel and io_stream architectures without loops: use "
                "io='layered' (the default), or build the layer with unroll=True"
            )
        key = node.layer or node.name
        if groups and (groups[-1][0].layer or groups[-1][0].name) == key:
            groups[-1].append(node)
        else:
            groups.append([node])
    groups = [part for nodes in groups for part in _split(nodes)]
    layers = []
    for nodes in groups:
        main = next((n for n in nodes if isinstance(n, (ir.Dot, ir.Conv))), None)
        rest = [n for n in nodes if n is not main] if main is not None else []
        if main is not None and _is_softmax(rest):  # Dense(activation="softmax"): two hls4ml layers
            position = nodes.index(main) + 1
            layers.append(_layer(nodes[:position], kernel, shapes, types, constants))
            layers.append(_layer(nodes[position:], kernel, shapes, types, constants))
        else:
            layers.append(_layer(nodes, kernel, shapes, types, constants))
    return layers


def _is_softmax(nodes) -> bool:
    kinds = {n.kind for n in nodes if isinstance(n, ir.Reduce)}
    return {"max", "sum"} <= kinds


def _layer(nodes, kernel: ir.Kernel, shapes: dict, types: dict, constants: dict) -> NetLayer:
    last = nodes[-1]
    fields = dict(
        name=last.name,
        layer=nodes[0].layer or nodes[0].name,
        nodes=tuple(n.name for n in nodes),
        elements=math.prod(shapes[last.name]),
        out_bits=_bits(types[last.name], f"{last.name}"),
    )
    main = next((n for n in nodes if isinstance(n, (ir.Dot, ir.Conv))), None)
    if main is not None:
        fields.update(_weight_layer(main, kernel, shapes, types, constants))
        rest = [n for n in nodes if n is not main]
        fields["activation"] = _elementwise_kind(rest)[0] if rest else ""
    elif _is_softmax(nodes):
        width = shapes[nodes[0].inputs[0]][-1]
        fields.update(
            kind="softmax",
            n_in=width,
            n_out=width,
            tables=2,
            in_bits=_bits(types[nodes[0].inputs[0]], f"the input of {fields['layer']}"),
        )
    elif any(isinstance(n, ir.Pool) for n in nodes):
        pool = next(n for n in nodes if isinstance(n, ir.Pool))
        fields.update(
            kind="pool",
            n_in=math.prod(pool.window),
            pixels=math.prod(shapes[pool.name][1:-1]) or 1,
            n_out=shapes[pool.name][-1],
            in_bits=_bits(types[pool.inputs[0]], pool.name),
        )
    elif all(isinstance(n, (ir.Reshape, ir.Transpose)) for n in nodes):
        fields.update(kind="reshape")
    elif any(isinstance(n, (*ir.DATA_MOVEMENT, ir.Lookup)) for n in nodes):  # pad, concat, slice, lookup
        mover = next(n for n in nodes if isinstance(n, (*ir.DATA_MOVEMENT, ir.Lookup)))
        fields.update(
            kind=type(mover).__name__.lower(),
            n_in=1,
            n_out=1,
            in_bits=_bits(types[nodes[0].inputs[0]], f"the input of {fields['layer']}"),
        )
    else:
        kind, tables = _elementwise_kind(nodes)
        fields.update(
            kind=kind,
            tables=tables,
            n_in=1,
            n_out=1,
            in_bits=_bits(types[nodes[0].inputs[0]], f"the input of {fields['layer']}"),
        )
    return NetLayer(**fields)


# ---- io_stream: how each layer runs as a process over a stream of pixels


def window_geometry(kernel: ir.Kernel, node, shapes: dict) -> list[tuple[int, int, int, int]]:
    """Per spatial dimension of a convolution's or pooling's input: (window span, stride, low
    padding, size with padding). The process walks the padded input, pixel by pixel."""
    spatial = shapes[node.inputs[0]][1:-1]
    if isinstance(node, ir.Conv):
        window = tuple(shapes[node.inputs[1]][: len(spatial)])
        strides, dilation, padding = node.strides, node.dilation or (1,) * len(spatial), node.padding
    else:
        window, strides = node.window[1:-1], node.strides[1:-1]
        dilation, padding = (1,) * len(spatial), node.padding[1:-1]
    spans = [(w - 1) * d + 1 for w, d in zip(window, dilation)]
    sizes = [n + lo + hi for n, (lo, hi) in zip(spatial, padding)]
    return [(span, s, lo, size) for span, s, (lo, _), size in zip(spans, strides, padding, sizes)]


def _slides_over_pixels(node, shape) -> bool:
    """Whether a convolution's or pooling's window moves over the pixels of one sample only: a
    batch of 1 in front, at least one spatial dimension, and (pooling) no window, stride or padding
    along the batch or the channels. Anything else is a frame process, which reads the whole tensor."""
    if len(shape) < 3 or shape[0] != 1:
        return False
    if isinstance(node, ir.Pool):
        ends = (0, len(shape) - 1)
        return all(node.window[d] == 1 and node.strides[d] == 1 and tuple(node.padding[d]) == (0, 0) for d in ends)
    return True


def process_kind(layer: NetLayer, kernel: ir.Kernel, shapes: dict) -> str:
    """How hls4ml's io_stream runs ``layer``: "window" (a convolution or pooling over a stream of
    pixels, with line buffers), "pixelwise" (an elementwise layer of one input: a word in, a word
    out) or "frame" (the words read into an array, computed, written: dense, softmax, the rest)."""
    nodes = [kernel.node(name) for name in layer.nodes]
    constants = {c.name for c in kernel.constants}
    aliases = {n.name for n in kernel.nodes if isinstance(n, ir.Reshape)}
    own = set(layer.nodes)
    external = {i for n in nodes for i in n.inputs if i not in own and i not in constants}
    if layer.kind in ("conv", "depthwise", "pool") and len(external) == 1:
        main = nodes[0]
        source = main.inputs[0]
        slides = isinstance(main, (ir.Conv, ir.Pool)) and _slides_over_pixels(main, shapes[source])
        if slides and source not in aliases:
            return "window"
    if len(external) == 1 and all(isinstance(n, ir.Elementwise) for n in nodes):
        source = next(iter(external))
        same = all(tuple(shapes[n.name]) == tuple(shapes[source]) for n in nodes)
        identity = all(
            dims == tuple(range(len(n.shape)))
            for n in nodes
            for i, dims in zip(n.inputs, n.in_dims)
            if i not in constants
        )
        if same and identity and source not in aliases:
            return "pixelwise"
    return "frame"


def stream_words(shape) -> tuple[int, int]:
    """(words, values per word) of a streamed tensor: the last dimension is a word (hls4ml's pixel
    with all its channels) and every other dimension counts words, the first one included. A
    leading batch of 1 adds no word; a leading dimension of more than 1 is not a batch of samples
    but more words of the one sample the design computes. A vector is one word, a scalar a word of one."""
    shape = tuple(int(size) for size in shape)
    if not shape:
        return 1, 1
    return math.prod(shape[:-1]), shape[-1]
