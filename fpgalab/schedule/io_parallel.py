"""hls4ml's io_parallel architecture: the network as one pipelined function, layers as its calls.

hls4ml's io_parallel top (HLS4ML_FACTS.md section 1) calls one function per layer on completely
partitioned arrays inside ``#pragma HLS PIPELINE``; with the Latency strategy each dense layer is
a fully unrolled matrix-vector product pipelined at ``II = reuse factor`` with the multipliers
limited to ``ceil(n_in * n_out / RF)`` (``ALLOCATION``). What Vitis HLS makes of it is modelled
here from the mechanisms, not fitted per design:

* **Products** are simplified against their constant weights (``fpgalab.costs.constants``): zeros
  vanish, powers of two are shifts, two signed digits a shift and an add, the rest multipliers.
  When the multipliers exceed the limit, the ALLOCATION shares them: ``ceil(mults / limit)`` states
  of multiplies instead of one.
* **Chaining at the clock** (``fpgalab.schedule.chaining``): a layer's critical path (the product,
  the ``ceil(log2(terms + 1))`` levels of its balanced adder tree, or the softmax's max tree,
  exponential look-up, sum tree, reciprocal look-up and multiply) is packed into states of the
  clock period less its uncertainty with the part's operator delays (``fpgalab.costs.delays``);
  the layer's latency is its states less one.
* **The top** chains the calls the same way: a call takes its latency plus one state, a
  zero-latency call (ReLU) rides in the state of its neighbour when the delays fit. Latency = the
  top's states less one; interval = the largest reuse factor (a convolution: reuse x pixels).

A convolution (PF = 1) runs its pixels through a ``PartitionLoop`` pipelined at II = reuse factor:
latency = (pixels - 1) x RF + its states less one.
"""

from __future__ import annotations

import math
from dataclasses import replace

from fpgalab.costs.constants import constant_products
from fpgalab.costs.delays import Delays, delays_for, effective_period
from fpgalab.parts import load_device
from fpgalab.schedule.chaining import Step, chain
from fpgalab.schedule.model import LayerSchedule, Schedule
from fpgalab.schedule.network import NetLayer, network_layers
from fpgalab.schedule.operators import OperatorUse
from fpgalab.sim.hls4ml_tables import softmax_table_sizes

TABLE_SIZE = 1024  # hls4ml's default table_size
TABLE_BITS = 18  # table_t ap_fixed<18,8>
SHIFT_ADD_EXTRA_BITS = 4  # x<<a +- x<<b: the data plus the distance of the two digits (csynth: 17-24 bits)


def _levels(terms: int) -> int:
    return math.ceil(math.log2(terms)) if terms > 1 else 0


def _activation_steps(kind: str, bits: int, d: Delays) -> list[Step]:
    if kind == "relu":
        return [Step(d.compare + d.select, name="relu")]
    if kind == "table":
        return [Step(d.add(bits), name="index"), Step(d.rom_read, latency=1, name="table")]
    if kind == "elementwise":
        return [Step(d.add(bits), name="elementwise")]
    return []


def _resource_layer(layer: NetLayer, device, d: Delays, period: float):
    """hls4ml's Resource strategy (``nnet_dense_resource.h``, HLS4ML_FACTS.md section 2): the weights
    reshaped into an RF-deep ROM of ``block_factor = ceil(n_in x n_out / RF)`` words each, read once
    per step of a ``ReuseLoop`` of RF iterations pipelined at II=1; ``block_factor`` multipliers of
    two variables (weights are data now: zeros are not skipped), each behind an RF:1 input
    multiplexer; the function is not pipelined, so its interval is its latency."""
    products = constant_products(layer.weights, layer.in_bits, device)
    reuse = layer.reuse_valid
    block = math.ceil(layer.n_in * layer.n_out / reuse)
    dsp = device.multiply_uses_dsp(layer.in_bits, layer.weight_bits)
    steps = [
        Step(d.rom_read, latency=1, name="weights"),
        Step(d.select, name="operand"),
        Step(d.mul, name="product"),
        Step(d.add(layer.accum_bits), name="accumulate"),
    ]
    packed = chain(steps, period)
    latency = (reuse - 1) + packed.states + (layer.pixels - 1) * reuse  # RF loop starts, then its depth
    operators = (
        OperatorUse(
            "mul" if dsp else "const_mul_lut",
            (layer.in_bits, layer.weight_bits),
            layer.accum_bits,
            block,
            packed.latency,
            "core",
        ),
        OperatorUse("adder", (layer.accum_bits, layer.accum_bits), layer.accum_bits, block, 0, "accumulate"),
        OperatorUse("mux", (layer.in_bits, reuse), layer.in_bits, block if reuse > 1 else 0, 0, "sharing"),
        OperatorUse("rom", (reuse, block * layer.weight_bits), 0, 1, 1, "weights"),
        OperatorUse(
            "register",
            (block * (layer.weight_bits + layer.in_bits) + layer.n_out * layer.accum_bits,),
            0,
            1,
            0,
            "pipeline",
        ),
    )
    return latency, latency + 1, packed.first, packed.last, operators, products


def _weight_layer(layer: NetLayer, device, d: Delays, period: float, strategy: str):
    """(latency, interval, first, last, operators) of a dense / convolution layer."""
    if strategy == "resource":
        return _resource_layer(layer, device, d, period)
    products = constant_products(layer.weights, layer.in_bits, device)
    reuse = layer.reuse
    limit = layer.multiplier_limit
    multipliers = products.multipliers
    rounds = math.ceil(multipliers / limit) if multipliers > limit else 1
    counts = products.counts
    product = d.const_mul if multipliers else d.add(layer.in_bits) if counts["shift_add"] else 0.0
    steps = [Step(product, name="product")] + [Step(d.add(layer.accum_bits), name="tree")] * _levels(
        products.terms_per_output + 1
    )
    packed = chain(steps, period)
    latency = packed.latency + (rounds - 1) + (layer.pixels - 1) * reuse
    # a function pipelined at an II above its own latency is ready again once it is done
    interval = min(reuse, latency + 1) if layer.pixels == 1 else reuse * layer.pixels
    shared = min(multipliers, limit)
    adders = products.nonzero  # each output adds its nonzero products to its bias: one adder per product
    operators = (
        OperatorUse(
            "const_mul_dsp",
            (layer.in_bits, layer.weight_bits),
            layer.accum_bits,
            round(shared * counts["dsp"] / multipliers) if multipliers else 0,
            packed.latency,
            "core",
        ),
        OperatorUse(
            "const_mul_lut",
            (layer.in_bits, layer.weight_bits),
            layer.accum_bits,
            round(shared * counts["lut_mul"] / multipliers) if multipliers else 0,
            0,
            "core",
        ),
        # a negative power of two costs nothing: the tree subtracts it instead of adding it
        OperatorUse(
            "shift_add", (layer.in_bits + SHIFT_ADD_EXTRA_BITS,), layer.accum_bits, counts["shift_add"], 0, "core"
        ),
        OperatorUse("adder", (layer.accum_bits, layer.accum_bits), layer.accum_bits, adders, 0, "tree"),
        OperatorUse(
            "mux",
            (layer.in_bits + layer.weight_bits, rounds),
            layer.in_bits + layer.weight_bits,
            shared if rounds > 1 else 0,
            0,
            "sharing",
        ),
        OperatorUse("register", (_live_bits(layer, products, steps, packed),), 0, 1, 0, "pipeline"),
        OperatorUse("register", (_held_bits(layer, products, rounds, shared),), 0, 1, 0, "sharing"),
    )
    return latency, interval, packed.first, packed.last, operators, products


def _live_bits(layer: NetLayer, products, steps: list[Step], packed) -> int:
    """Bits registered at the layer's state boundaries: after the products, every nonzero product of
        an output; after k adder-tree levels, ``ceil(terms / 2^k)`` partial sums per output (terms: the
    nonzero products of an output on average, plus its bias); at the
        accumulator's width. (A ROM word read by the Resource strategy is counted as its product.)"""
    terms, bits = products.nonzero / max(1, layer.n_out) + 1, 0  # an output's terms, on average
    for state in range(packed.states - 1):
        done = [k for k, start in enumerate(packed.starts) if start <= state]
        levels = sum(1 for k in done if steps[k].name == "tree")
        bits += layer.n_out * math.ceil(terms / 2**levels) * layer.accum_bits
    return bits


def _held_bits(layer: NetLayer, products, rounds: int, units: int) -> int:
    """Registers of a layer whose multipliers are shared over ``rounds`` states: each output's partial
    sum at the accumulator width, and each shared multiplier's registered operands (the data and
    the weight it is given in that state)."""
    if rounds <= 1:
        return 0
    return layer.n_out * layer.accum_bits + units * (layer.in_bits + layer.weight_bits)


def _top_registers(layers: list, nets: list, packed, positions: list[int], top: list) -> list:
    """Each layer with the register of its outputs in the top pipeline, where what follows it
    starts in a later state than the one it ends in."""
    out = []
    for layer, net, position in zip(layers, nets, positions):
        end = packed.starts[position] + top[position].latency
        following = packed.starts[position + 1] if position + 1 < len(top) else end + 1
        if following > end:
            register = OperatorUse("register", (net.elements * net.out_bits,), 0, 1, 0, "top")
            layer = replace(layer, operators=layer.operators + (register,))
        out.append(layer)
    return out


def _elementwise_operators(kind: str, layer: NetLayer, latency: int) -> tuple:
    """An activation's operators, one per element: ReLU a compare-and-select, a table function a
    ROM read, any other elementwise expression counted as one adder of the data width."""
    if not kind:
        return ()
    operator = {"relu": "select", "table": "table"}.get(kind, "adder")
    bits = layer.out_bits if layer.kind in ("dense", "conv", "depthwise") else layer.in_bits  # what it compares
    widths = (bits,) if operator != "adder" else (bits, bits)
    count = layer.elements * max(1, layer.tables)
    table = (TABLE_SIZE, TABLE_BITS) if operator == "table" else ()
    return (OperatorUse(operator, widths, layer.out_bits, count, latency, "elementwise", table=table),)


def _softmax_steps(layer: NetLayer, d: Delays) -> list[Step]:
    n, bits = layer.n_in, layer.in_bits
    return (
        [Step(d.compare + d.select, name="max")] * _levels(n)
        + [Step(d.add(bits), name="x - max"), Step(d.rom_read, latency=1, name="exp")]
        + [Step(d.add(TABLE_BITS), name="sum")] * _levels(n)
        + [Step(d.rom_read, latency=1, name="1/sum"), Step(d.mul, name="x / sum")]
    )


def schedule_parallel(
    kernel, device="xcvu9p", clock_mhz: float = 200.0, uncertainty: float = 0.27, strategy: str = "latency"
) -> Schedule:
    """The io_parallel schedule of ``kernel`` (its layers, reuse factors and types) on ``device``."""
    device = load_device(device)
    d = delays_for(device)
    period = effective_period(clock_mhz, uncertainty)
    layers, top, positions, nets = [], [], [], []
    for layer in network_layers(kernel):
        if layer.kind == "reshape":
            continue
        operators, ii, reuse = (), 1, 0
        if layer.kind in ("dense", "conv", "depthwise"):
            latency, ii, first, last, operators, products = _weight_layer(layer, device, d, period, strategy)
            reuse = layer.reuse_valid if strategy == "resource" else layer.reuse
            formula = (
                f"{products.multipliers} multipliers ({products.counts['dsp']} DSP) for {products.nonzero} "
                f"nonzero weights of {products.total}; tree of {products.terms_per_output + 1} terms"
            )
            extra = _activation_steps(layer.activation, layer.out_bits, d)
            operators += _elementwise_operators(layer.activation, layer, 0)
        elif layer.kind == "softmax":
            packed = chain(_softmax_steps(layer, d), period)
            latency, first, last, extra = packed.latency, packed.first, packed.last, []
            operators = softmax_operators(layer)
            formula = f"max, exp, sum, 1/sum and multiply over {layer.n_in} values"
        elif layer.kind == "pool":
            packed = chain([Step(d.compare + d.select)] * _levels(layer.n_in), period)
            latency, first, last, extra = packed.latency, packed.first, packed.last, []
            operators = (
                OperatorUse(
                    "compare",
                    (layer.in_bits,),
                    layer.in_bits,
                    layer.pixels * layer.n_out * max(0, layer.n_in - 1),
                    0,
                    "tree",
                ),
            )
            formula = f"{layer.n_in}-input compare tree per output"
        else:
            steps = _activation_steps(layer.kind, layer.in_bits, d)
            packed = chain(steps, period) if steps else chain([Step(0.0)], period)
            latency, first, last, extra = packed.latency, packed.first, packed.last, []
            operators = _elementwise_operators(layer.kind, layer, latency)
            formula = f"{layer.kind} on {layer.elements} values"
        positions.append(len(top))
        nets.append(layer)
        top.append(Step(first, latency, last, layer.name) if latency else Step(first, name=layer.name))
        top += extra
        layers.append(
            LayerSchedule(
                layer.name,
                layer.layer,
                layer.kind,
                layer.nodes,
                layer.name,
                (),
                True,
                ii,
                reuse or 1,
                0,
                0,
                latency + 1,
                0,
                True,
                1,
                operators[0].count if operators else 0,
                operators,
                (),
                latency,
                f"L = {latency}: {formula}",
                reuse=reuse,
            )
        )
    packed = chain(top, period)
    starts = tuple(packed.starts[k] for k in positions)
    layers = _top_registers(layers, nets, packed, positions, top)
    warnings = tuple(
        f"layer {net.layer}: reuse factor {net.reuse} is not valid for the Resource strategy; using "
        f"{net.reuse_valid}, the closest valid factor (hls4ml's rule)"
        for net in nets
        if strategy == "resource" and net.kind in ("dense", "conv", "depthwise") and net.reuse != net.reuse_valid
    )
    interval = max([layer.ii for layer in layers] + [1])
    return Schedule(
        kernel.name,
        device.name,
        float(clock_mhz),
        False,
        tuple(layers),
        (),
        tuple(i.name for i in kernel.inputs),
        tuple(kernel.outputs),
        warnings,
        architecture="parallel",
        latency=packed.latency,
        interval=interval,
        starts=starts,
    )


def softmax_operators(layer) -> tuple:
    """hls4ml's stable softmax over ``layer.n_in`` values: the exp table read per value, one 1/sum
    table read, a multiply per value and the adder trees of the max and the sum (ROMs at the sizes
    hls4ml sets for the input width)."""
    exp_size, inv_size = softmax_table_sizes(layer.in_bits)
    return (
        OperatorUse("table", (layer.in_bits,), TABLE_BITS, layer.n_in, 1, "exp", table=(exp_size, TABLE_BITS)),
        OperatorUse("table", (TABLE_BITS,), TABLE_BITS, 1, 1, "1/sum", table=(inv_size, TABLE_BITS)),
        OperatorUse("mul", (TABLE_BITS, TABLE_BITS), layer.out_bits, layer.n_in, 0, "core"),
        OperatorUse("adder", (TABLE_BITS, TABLE_BITS), TABLE_BITS, 2 * (layer.n_in - 1), 0, "tree"),
    )
