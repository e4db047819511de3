"""Mixed-precision search: the narrowest types per layer and role that keep the accuracy within a budget.

    result = fpgalab.search_precision(model, x, data=(x_val, y_val), loss=0.01)
    result.precision     # {"default": ..., "dense": {"weight": "ap_fixed<7,1>", "result": "ap_fixed<9,4>"}, ...}
    result.design        # the design at that precision; fpgalab.compile(model, x, precision=result.precision) again
    print(result.table())  # per layer: the types chosen, the value ranges profiled

What hls4ml's profiling leaves to the designer, done by measurement:

1. **Profile.** The float32 simulation of ``data`` gives, per layer, the largest magnitude of its
   results; its constants give the largest weight. Each gets the integer bits that hold it (with
   the sign bit), so no value overflows whatever the width.
2. **Lower.** Starting from ``start_width`` bits for every layer and role (with those integer
   bits, one more for results and accumulators, whose hardware values stray past the float
   ones), first the design's input type, then each layer's roles in turn (``roles``: weight, then
   result, then accumulator) get the fewest bits for which the top-1 accuracy on ``data`` stays
   within ``loss`` of the float model's, found by bisection with every earlier choice in place, so
   the whole network's loss is measured at every step and the last step's design is within budget.
   Of the widths from that one up, the one the ``objective`` prices lowest is kept (by default
   the sum of the part's LUT and DSP shares: a multiply narrow enough for LUTs can cost more of
   the part than the DSP it frees), when it too is within budget.
3. **Report.** The chosen types per layer, the accuracy, LUT, FF, DSP and BRAM and the latency
   before (uniform ``baseline`` precision) and after.

Accuracy is top-1 against labels when ``data`` has them, else agreement with the float model's
top-1 (and top-5 is reported where there are at least 5 classes). Every evaluation builds the
design from the once-fused float kernel (``fpgalab.explore``'s shared base) and simulates ``data``.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from fpgalab.design import Design
from fpgalab.explore import SharedBase
from fpgalab.options import parse_options
from fpgalab.sim.functional import run_kernel
from fpgalab.sim.values import to_exact

SEARCHED_ROLES = ("weight", "result", "accum")
GUARD_BITS = 1  # integer bits beyond the float profile's: the hardware's values stray past it (rounded inputs)
OBJECTIVES = ("lut+dsp", "lut+dsp count", "lut", "dsp", "resources")


def _cost(report, objective) -> float:
    """What the search minimises: the sum of the part's LUT and DSP shares ("lut+dsp"), the number of
    LUTs plus DSPs ("lut+dsp count"), one share, the largest share ("resources"), or a function of
    the report."""
    if callable(objective):
        return float(objective(report))
    if objective == "lut+dsp count":
        return float(report.resources.lut + report.resources.dsp)
    used = report.utilization
    if objective == "lut+dsp":
        return used.lut + used.dsp
    return used.max if objective == "resources" else getattr(used, objective)


@dataclass(frozen=True)
class LayerChoice:
    layer: str
    types: dict  # role -> type text chosen
    largest_result: float  # the largest |value| the layer produced on the data (float32 simulation)
    largest_weight: float  # the largest |weight| (0 for a layer without weights)


@dataclass(frozen=True)
class PrecisionSearchResult:
    precision: dict  # a ``precision`` option: the design's default and one roles dict per layer
    design: Design
    layers: tuple[LayerChoice, ...]
    float_accuracy: float
    accuracy: float  # of the chosen design, on the data
    baseline_accuracy: float  # of the design at the uniform baseline precision
    baseline: dict = field(default_factory=dict)  # lut, ff, dsp, bram, cycles at the baseline precision
    chosen: dict = field(default_factory=dict)  # the same for the chosen precision
    evaluations: int = 0  # designs built: simulated for accuracy or priced by the objective
    seconds: float = 0.0
    metric: str = "top-1 accuracy"

    @property
    def loss(self) -> float:
        return self.float_accuracy - self.accuracy

    def saving(self, kinds=("lut", "dsp")) -> float:
        """The share of the part's ``kinds`` (their utilisation shares summed: a DSP weighs as much of
        the part as the LUTs it stands for) the search saved against the baseline."""
        before = sum(self.baseline[f"util_{k}"] for k in kinds)
        return 1.0 - sum(self.chosen[f"util_{k}"] for k in kinds) / before if before else 0.0

    def rows(self) -> list[dict]:
        return [
            {"layer": c.layer, **c.types, "largest result": c.largest_result, "largest weight": c.largest_weight}
            for c in self.layers
        ]

    def table(self) -> str:
        lines = [f"{'layer':24s} {'weight':22s} {'result':22s} {'accum':22s} {'max |result|':>12s}"]
        for c in self.layers:
            lines.append(
                f"{c.layer[:24]:24s} {c.types.get('weight', '-'):22s} {c.types.get('result', '-'):22s} "
                f"{c.types.get('accum', '-'):22s} {c.largest_result:12.4g}"
            )
        b, a = self.baseline, self.chosen
        lines.append(
            f"{self.metric}: float {100 * self.float_accuracy:.2f}%, baseline {100 * self.baseline_accuracy:.2f}%, "
            f"chosen {100 * self.accuracy:.2f}% | LUT {b['lut']:,.0f} -> {a['lut']:,.0f}, DSP {b['dsp']:,.0f} -> "
            f"{a['dsp']:,.0f}, FF {b['ff']:,.0f} -> {a['ff']:,.0f}, BRAM {b['bram']:,.0f} -> {a['bram']:,.0f}, "
            f"cycles {b['cycles']:,} -> {a['cycles']:,} | {self.evaluations} designs in {self.seconds:.1f} s"
        )
        return "\n".join(lines)


def _integer_bits(largest: float) -> int:
    """Integer bits (with the sign) of a signed type whose range holds ``largest`` in magnitude."""
    if largest <= 0:
        return 1
    return max(1, math.floor(math.log2(largest)) + 2)


def _labels(y, classes: int) -> np.ndarray | None:
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == classes and y.shape[-1] > 1:
        return np.argmax(y.reshape(len(y), -1), axis=1)
    return y.reshape(len(y)).astype(np.int64)


def _top1(outputs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(outputs.reshape(len(outputs), -1), axis=1) == labels))


def _profile(design: Design, x: np.ndarray) -> tuple[dict, dict]:
    """Per layer: the largest |result| of its nodes in the float32 simulation, and the largest |weight|."""
    kernel = design.float_twin
    arrays, _ = design._batch((x,))  # samples of the design's input shape
    values = run_kernel(kernel, arrays, design._context(), keep=True)
    results: dict[str, float] = {}
    weights: dict[str, float] = {}
    constants = {c.name: c for c in kernel.constants}
    for node in kernel.nodes:
        layer = node.layer or node.name
        if node.name in values:
            largest = float(np.max(np.abs(to_exact(values[node.name])), initial=0.0))
            results[layer] = max(results.get(layer, 0.0), largest)
        for name in node.inputs:
            if name in constants and constants[name].role == "weight":
                largest = float(np.max(np.abs(constants[name].value), initial=0.0))
                weights[layer] = max(weights.get(layer, 0.0), largest)
    return results, weights


def search_precision(
    model,
    *example_args,
    data,
    loss: float = 0.01,
    roles=("weight", "result", "accum"),
    search_input: bool = True,
    start_width: int = 16,
    min_width: int = 2,
    baseline="ap_fixed<16,6>",
    objective="lut+dsp",
    **options,
) -> PrecisionSearchResult:
    """Find per-layer types within ``loss`` of the float model's accuracy on ``data``; see the module doc.

    ``model`` is what ``fpgalab.compile`` takes (with its example inputs) or a ``Design`` (compiled
    or pruned by ``fpgalab.sparsify``: its weights, zeros included, are kept and only types change);
    ``data=(x, y)`` (labels optional); ``roles`` among weight, result, accum; ``search_input``: also
    narrow the design's input type (first, with every layer at ``start_width``); ``objective``: what
    to minimise among the widths within budget (see ``_cost``)."""
    start = time.perf_counter()
    if not isinstance(data, tuple) or not 1 <= len(data) <= 2:
        raise ValueError("data must be (x, y) or (x,): the inputs to measure accuracy on, and their labels")
    if not isinstance(loss, (int, float)) or isinstance(loss, bool) or not 0 <= loss < 1:
        raise ValueError(f"loss must be an accuracy drop between 0 and 1 (0.01 is one point), got {loss!r}")
    if not callable(objective) and objective not in OBJECTIVES:
        raise ValueError(
            f"objective must be one of {', '.join(OBJECTIVES)} or a function of a report, got {objective!r}"
        )
    unknown = [r for r in roles if r not in SEARCHED_ROLES]
    if unknown or not roles:
        raise ValueError(f"roles must be some of {', '.join(SEARCHED_ROLES)}, got {list(roles)!r}")
    if not isinstance(start_width, int) or not 2 <= min_width <= start_width <= 64:
        raise ValueError(f"widths must satisfy 2 <= min_width <= start_width <= 64, got {min_width}, {start_width}")
    if isinstance(model, Design) and (options or example_args):
        raise ValueError(
            f"a Design (e.g. fpgalab.sparsify's result.design) is searched with its own options; got "
            f"{sorted(options) or 'example inputs'}: pass the model instead to compile it with options"
        )
    x = np.asarray(data[0], dtype=np.float32)
    base = SharedBase(model, example_args, {**options, "precision": baseline})
    design = base.design
    base_options = {k: v for k, v in design.options.to_dict().items() if k != "precision"}
    float_out = np.asarray(design.simulate(x, float_reference=True))
    labels = _labels(data[1] if len(data) > 1 else None, int(np.prod(float_out.shape[1:])))
    metric = "top-1 accuracy" if labels is not None else "top-1 agreement with the float model"
    if labels is None:
        labels = np.argmax(float_out.reshape(len(float_out), -1), axis=1)
    float_accuracy = _top1(float_out, labels)
    evaluations = 0

    def evaluate(precision) -> tuple[Design, float]:
        nonlocal evaluations
        evaluations += 1
        candidate = base.build(parse_options(**{**base_options, "precision": precision}))
        with warnings.catch_warnings():  # a candidate too narrow overflows: the accuracy says so
            warnings.simplefilter("ignore")
            return candidate, _top1(np.asarray(candidate.simulate(x)), labels)

    def cost_of(precision) -> float:
        nonlocal evaluations
        evaluations += 1
        return _cost(base.build(parse_options(**{**base_options, "precision": precision})).report(), objective)

    baseline_design, baseline_accuracy = evaluate(baseline)
    largest_result, largest_weight = _profile(design, x)
    layers = [layer for layer in dict.fromkeys(n.layer or n.name for n in design.kernel.nodes) if layer]
    integer = {
        layer: {
            "weight": _integer_bits(largest_weight.get(layer, 0.0)),
            "result": _integer_bits(largest_result.get(layer, 0.0)) + GUARD_BITS,
            "accum": _integer_bits(largest_result.get(layer, 0.0)) + GUARD_BITS + 1,
        }
        for layer in layers
    }
    width = {layer: {role: start_width for role in roles} for layer in layers}
    input_integer = _integer_bits(float(np.max(np.abs(x), initial=0.0)))
    input_width = start_width
    if search_input:  # the design's input type first: every first-layer multiplier reads it
        low, high = max(min_width, min(input_integer + 1, start_width)), start_width
        while low < high:
            middle = (low + high) // 2
            trial = _precision(baseline, layers, roles, integer, width, _type(input_integer, middle))
            if evaluate(trial)[1] >= float_accuracy - loss:
                high = middle
            else:
                low = middle + 1
        input_width = high
    input_type = _type(input_integer, input_width) if search_input else None

    def _cheapest(layer, role, narrowest):
        """Of the widths from ``narrowest`` (the fewest bits within budget) up, the one the objective
        prices lowest (a narrow multiply in LUTs can cost more than a DSP): checked within budget too."""
        costs = {}
        for bits in range(narrowest, start_width + 1):
            width[layer][role] = bits
            costs[bits] = cost_of(_precision(baseline, layers, roles, integer, width, input_type))
        best = min(costs, key=lambda bits: (costs[bits], bits))
        width[layer][role] = best
        if best != narrowest and evaluate(_precision(baseline, layers, roles, integer, width, input_type))[1] < (
            float_accuracy - loss
        ):
            best = narrowest
        return best

    for layer in layers:
        for role in roles:
            if role == "weight" and layer not in largest_weight:
                continue
            low, high = min_width, start_width  # the narrowest width known good is ``high``
            low = max(low, min(integer[layer][role] + 1, start_width))
            while low < high:
                middle = (low + high) // 2
                width[layer][role] = middle
                if (
                    evaluate(_precision(baseline, layers, roles, integer, width, input_type))[1]
                    >= float_accuracy - loss
                ):
                    high = middle
                else:
                    low = middle + 1
            width[layer][role] = _cheapest(layer, role, high)
    precision = _precision(baseline, layers, roles, integer, width, input_type)
    chosen, accuracy = evaluate(precision)
    choices = tuple(
        LayerChoice(
            layer,
            {role: _type(integer[layer][role], width[layer][role]) for role in roles},
            largest_result.get(layer, 0.0),
            largest_weight.get(layer, 0.0),
        )
        for layer in layers
    )
    return PrecisionSearchResult(
        precision,
        chosen,
        choices,
        float_accuracy,
        accuracy,
        baseline_accuracy,
        _metrics(baseline_design),
        _metrics(chosen),
        evaluations,
        time.perf_counter() - start,
        metric,
    )


def _type(integer: int, width: int) -> str:
    """``ap_fixed<width, integer>``, rounding and saturating (a narrow type truncating would bias every value)."""
    return f"ap_fixed<{width},{min(integer, width)}>"


def _precision(baseline, layers, roles, integer, width, input_type=None) -> dict:
    precision: dict = {"default": baseline} if input_type is None else {"default": baseline, "input": input_type}
    for layer in layers:
        precision[layer] = {role: _type(integer[layer][role], width[layer][role]) for role in roles}
    return precision


def _metrics(design: Design) -> dict:
    report = design.report()
    resources = report.resources
    return {
        "lut": float(resources.lut),
        "ff": float(resources.ff),
        "dsp": float(resources.dsp),
        "bram": float(resources.bram),
        "cycles": int(report.cycles),
        **{f"util_{kind}": float(getattr(report.utilization, kind)) for kind in ("lut", "ff", "dsp", "bram")},
    }
