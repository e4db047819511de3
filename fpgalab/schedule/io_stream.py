"""hls4ml's io_stream architecture: each layer a dataflow process over a stream of pixels.

Every tensor travels as words, one per pixel with all its channels (HLS4ML_FACTS.md sections 1,
4 and 5), every dimension but the last counting words (a tensor of shape (3, 6) is 3 words of 6);
a process is an hls4ml layer's nodes with the elementwise ones fused into them (a reshape is
none). The processes run concurrently under DATAFLOW and ``fpgalab.backends.hls.stream`` writes
them. Per process, from the mechanisms:

* **window** (convolution, pooling): one input pixel per II (the reuse factor for a convolution,
  1 for pooling) over the padded input, plus the depth of one window's computation (the products
  and adder tree of ``io_parallel``, chained at the clock): ``pixels x II + depth``. Its first
  output needs the window's rows: ``((span_h - 1) x W + span_w) x II + depth``.
* **pixelwise** (activations): ``words + 2`` (read, compute, write pipelined at II=1).
* **frame** (dense, softmax, the rest): its input words read at II=1, the layer computed (dense and
  softmax unrolled and chained as in ``io_parallel``; others one element per cycle), its output
  words written: ``in_words + compute + out_words``.

The design's interval is the slowest process's cycles plus one (the dataflow restart); its latency
follows the first input through the chain: a process starts when each producer has written its
first word and ends no earlier than its producers' ends plus its own tail (what it does after its
last input word). Source of the per-pixel figures: the csynth reports of hls4ml's SVHN CNN (io_stream,
bench/hls_reports): conv1 1027 cycles on a 32x32 input, ReLU 902 on 900 pixels, pooling 903 on 900.
"""

from __future__ import annotations

import math
from dataclasses import replace

from fpgalab.costs.delays import delays_for, effective_period
from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes
from fpgalab.parts import load_device
from fpgalab.schedule.chaining import Step, chain
from fpgalab.schedule.io_parallel import (
    _elementwise_operators,
    _levels,
    _softmax_steps,
    _weight_layer,
    softmax_operators,
)
from fpgalab.schedule.loops import fusion_chains
from fpgalab.schedule.model import LayerSchedule, Schedule
from fpgalab.schedule.network import network_layers, process_kind, stream_words, window_geometry
from fpgalab.schedule.operators import OperatorUse

PIXELWISE_OVERHEAD = 2  # read and write around the pipelined pixel loop (SVHN ReLU: 902 cycles on 900 pixels)


def _process(layer, members, kernel, shapes, device, d, period, strategy):
    """(kind, cycles, first output, tail, interval, operators, formula) of one process: ``layer``
    computing the nodes ``members`` (its own and those fused into them)."""
    kind = process_kind(layer, kernel, shapes)
    nodes = [kernel.node(n) for n in layer.nodes]
    out_words, out_width = stream_words(shapes[_storage(kernel, members[-1])])
    operators, compute_latency = (), 0
    if layer.kind in ("dense", "conv", "depthwise"):
        compute_latency, _, _, _, operators, _ = _weight_layer(_one_pixel(layer, shapes), device, d, period, strategy)
        operators += _elementwise_operators(layer.activation, _one_pixel(layer, shapes), 0)
    elif layer.kind == "softmax":
        compute_latency = chain(_softmax_steps(layer, d), period).latency
        operators = softmax_operators(layer)
    elif layer.kind == "pool":
        compute_latency = chain([Step(d.compare + d.select)] * _levels(layer.n_in), period).latency
        operators = (
            OperatorUse("compare", (layer.in_bits,), layer.in_bits, layer.n_out * max(0, layer.n_in - 1), 0, "tree"),
        )
    if kind == "window":
        geometry = window_geometry(kernel, nodes[0], shapes)
        reuse = layer.reuse_valid if strategy == "resource" else layer.reuse
        ii = max(1, reuse) if layer.kind != "pool" else 1
        pixels = math.prod(size for _, _, _, size in geometry)
        depth = compute_latency + 1
        cycles = pixels * ii + depth
        width = geometry[1][3] if len(geometry) > 1 else 1
        first = ((geometry[0][0] - 1) * width + (geometry[1][0] if len(geometry) > 1 else 1)) * ii + depth
        tail = ii + depth
        channels = shapes[nodes[0].inputs[0]][-1]
        rows = geometry[0][0]
        operators += (
            OperatorUse("line_buffer", (rows * width, channels * layer.in_bits), 0, 1, 0, "window"),
            OperatorUse("register", (math.prod(g[0] for g in geometry) * channels * layer.in_bits,), 0, 1, 0, "window"),
        )
        formula = f"{pixels} input pixels x II {ii} + depth {depth}"
        return kind, cycles, first, tail, cycles, operators, formula
    if kind == "pixelwise":
        cycles = out_words + PIXELWISE_OVERHEAD
        operators = _elementwise_operators(layer.kind, _one_pixel(layer, shapes), 0)
        return kind, cycles, PIXELWISE_OVERHEAD, PIXELWISE_OVERHEAD, cycles, operators, f"{out_words} pixels + 2"
    in_words = sum(stream_words(shapes[i])[0] for i in _external(members, kernel))
    if layer.kind == "reshape":  # a transpose: the frame's elements rewritten in a new order, no arithmetic
        compute_latency, operators = math.prod(shapes[layer.name]), ()
    elif layer.kind not in ("dense", "softmax", "conv", "depthwise"):  # one element per cycle
        compute_latency = math.prod(shapes[layer.name])
        operators = _elementwise_operators(
            "elementwise" if layer.kind != "relu" else "relu", _one_pixel(layer, shapes), 0
        )
    reuse = max(1, layer.reuse) if layer.kind in ("dense", "conv", "depthwise") else 1
    cycles = in_words + compute_latency + reuse + out_words
    tail = compute_latency + reuse + out_words
    formula = f"{in_words} words in + compute {compute_latency + reuse} + {out_words} words out"
    return "frame", cycles, cycles, tail, cycles, operators, formula


def _one_pixel(layer, shapes):
    """The layer as one pixel's worth of work: its weights once (a convolution's window), the
    channels of one output word."""
    return replace(layer, pixels=1, elements=stream_words(shapes[layer.name])[1])


def _storage(kernel, name: str) -> str:
    """The buffer a name's values live in: a reshape is no process and no stream, its readers read
    the stream of the tensor it reshapes (as the C++ does)."""
    aliases = {n.name: n.inputs[0] for n in kernel.nodes if isinstance(n, ir.Reshape)}
    while name in aliases:
        name = aliases[name]
    return name


def _external(members, kernel) -> list[str]:
    """The streams a process of the nodes ``members`` reads: their inputs from outside, reshapes
    resolved to the tensors they reshape, constants left out (they are the layer's own ROMs)."""
    own = set(members)
    constants = {c.name for c in kernel.constants}
    out = []
    for name in members:
        for i in kernel.node(name).inputs:
            i = _storage(kernel, i)
            if i not in own and i not in constants and i not in out:
                out.append(i)
    return out


def _members(layer, kernel, chains) -> tuple[str, ...]:
    """The nodes ``layer``'s process computes, as the C++ arranges them: each of its nodes that
    owns a loop program, then the elementwise nodes fused into that one (which may belong to the
    next hls4ml layer: that layer then has nothing left to compute and is no process). Reshapes
    own no program: they only rename a stream (a transpose does rewrite the frame)."""
    out = []
    for name in layer.nodes:
        if name in chains and not isinstance(kernel.node(name), ir.Reshape):
            out += [name] + [node.name for node in chains[name]]
    return tuple(out)


def schedule_stream(
    kernel, device="xcvu9p", clock_mhz: float = 200.0, uncertainty: float = 0.27, strategy: str = "latency"
) -> Schedule:
    """The io_stream schedule of ``kernel`` on ``device``: processes, their cycles, and the dataflow."""
    device = load_device(device)
    d = delays_for(device)
    period = effective_period(clock_mhz, uncertainty)
    shapes = kernel_shapes(kernel)
    chains, _ = fusion_chains(kernel)
    producer_of, first_out, ends, layers, starts = {}, {}, {}, [], []
    for layer in network_layers(kernel):
        members = _members(layer, kernel, chains)
        if not members:
            continue
        kind, cycles, first, tail, interval, operators, formula = _process(
            layer, members, kernel, shapes, device, d, period, strategy
        )
        producers = [producer_of.get(i) for i in _external(members, kernel)]
        producers = [p for p in producers if p is not None]
        start = max([starts[p] + first_out[p] for p in producers] + [0])
        end = max([start + cycles] + [ends[p] + tail for p in producers])
        index = len(layers)
        for name in members:
            producer_of[name] = index
        first_out[index], ends[index] = first, end
        starts.append(start)
        for i in _external(members, kernel):  # the FIFO of each input stream: a whole frame deep (hls4ml's default)
            words, width = stream_words(shapes[i])
            bits = width * layer.in_bits
            operators += (OperatorUse("fifo", (max(2, words), bits), 0, 1, 0, "stream"),)
        layers.append(
            LayerSchedule(
                layer.name,
                layer.layer,
                f"{layer.kind} ({kind})",
                members,
                layer.name,
                (),
                True,
                interval,
                max(1, layer.reuse),
                0,
                0,
                end - start,
                0,
                True,
                1,
                0,
                operators,
                (),
                end - start,
                f"{end - start} cycles: {formula}",
                reuse=layer.reuse if layer.kind in ("dense", "conv", "depthwise") else 0,
            )
        )
    latency = max(ends.values(), default=0)
    interval = max([layer.ii for layer in layers] + [1]) + 1
    return Schedule(
        kernel.name,
        device.name,
        float(clock_mhz),
        True,
        tuple(layers),
        (),
        tuple(i.name for i in kernel.inputs),
        tuple(kernel.outputs),
        (),
        architecture="stream",
        latency=latency,
        interval=interval,
        starts=tuple(starts),
    )
