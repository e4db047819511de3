"""Magnitude pruning without retraining: ``fpgalab.sparsify``.

    result = fpgalab.sparsify(model, method="scan", target={"loss": 0.01}, data=(x, y), io="parallel")
    result.design        # the design with the pruned weights (io_parallel drops the multipliers of zeros)
    result.model         # the Keras model (a clone) or ONNX ModelProto (a copy) with the same weights pruned
    print(result.table())  # per layer: weights kept, threshold, accuracy effect

Methods (``fpgalab.sparsify.methods``): "global", one magnitude threshold over all layers; "std",
each layer's threshold a multiple of its own weights' standard deviation (the one multiple that
reaches the target); "scan", each layer's sparsity chosen from a sensitivity scan on ``data``
(``fpgalab.sparsify.scan``). Targets: ``fpgalab.sparsify.target``. Only the kernels of Dense/MatMul
and convolution layers are pruned, never biases or normalisation constants.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from fpgalab.design import Design
from fpgalab.errors import CompileError
from fpgalab.frontends import compile as compile_design
from fpgalab.frontends import compile_onnx
from fpgalab.sparsify.apply import LayerWeights, layer_weights, with_weights
from fpgalab.sparsify.methods import layer_std, layer_thresholds, sparsity_of
from fpgalab.sparsify.scan import LEVELS, Evaluator, allocate, family, largest_within
from fpgalab.sparsify.target import Scorer, parse_goal

__all__ = ["SparsityResult", "sparsify", "with_weights"]


@dataclass(frozen=True)
class LayerRow:
    """One layer of a sparsified design."""

    layer: str
    weights: int
    kept: int
    threshold: float
    std_multiple: float | None  # the threshold in standard deviations of the layer's weights
    effect: float | None  # top-1 accuracy lost with this layer alone pruned (None without data)
    scan: dict | None = None  # method "scan": {level: top-1 accuracy lost with the layer alone at that level}

    @property
    def sparsity(self) -> float:
        return 1.0 - self.kept / self.weights if self.weights else 0.0


@dataclass(frozen=True)
class SparsityResult:
    """What ``fpgalab.sparsify`` made: the design, the pruned model, and a row per layer."""

    design: Design
    model: object  # the pruned Keras model or ONNX ModelProto; None when a Design was given
    method: str
    target: str
    layers: tuple[LayerRow, ...]
    sparsity: float  # the share of all weights that are zero
    accuracy_before: dict | None  # {"top1": ..., "top5": ...} of the hardware on data, when data was given
    accuracy_after: dict | None
    evaluations: int  # designs rebuilt and simulated to measure accuracy
    seconds: float
    resources_before: dict | None = None  # lut, ff, dsp, bram, cycles of the unpruned design (its estimate)
    resources_after: dict | None = None  # the same for the sparsified design

    def rows(self) -> list[dict]:
        """One dict per layer: layer, weights, kept, sparsity, threshold, std_multiple, effect (and scan)."""
        rows = []
        for row in self.layers:
            entry = {
                "layer": row.layer,
                "weights": row.weights,
                "kept": row.kept,
                "sparsity": row.sparsity,
                "threshold": row.threshold,
                "std_multiple": row.std_multiple,
                "effect": row.effect,
            }
            if row.scan is not None:
                entry["scan"] = dict(row.scan)
            rows.append(entry)
        return rows

    def table(self) -> str:
        """The result as text: a line per layer and the totals."""
        head = f"{self.design.name}: method {self.method}, target {self.target}: sparsity {self.sparsity:.3f}"
        if self.accuracy_before is not None:
            head += ", accuracy " + ", ".join(
                f"{key} {self.accuracy_before[key]:.4f} -> {self.accuracy_after[key]:.4f}"
                for key in self.accuracy_before
            )
        head += f" ({self.evaluations} designs measured, {self.seconds:.2f} s)"
        if self.resources_before is not None:
            head += "\n" + ", ".join(
                f"{kind.upper() if kind != 'cycles' else kind} {self.resources_before[kind]:,.0f} -> "
                f"{self.resources_after[kind]:,.0f}"
                for kind in ("dsp", "lut", "ff", "bram", "cycles")
            )
        columns = ("layer", "weights", "kept", "sparsity", "threshold", "std_multiple", "effect")
        cells = [[_cell(row[c]) for c in columns] for row in self.rows()]
        kept = sum(r.kept for r in self.layers)
        total = sum(r.weights for r in self.layers)
        cells.append(["total", str(total), str(kept), _cell(self.sparsity), "", "", ""])
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
        lines = [head, "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _check_levels(levels) -> tuple[float, ...]:
    try:
        found = tuple(sorted({float(level) for level in levels}))
    except (TypeError, ValueError):
        found = ()
    if not found or not all(0.0 < level < 1.0 for level in found):
        raise ValueError(f"levels must be sparsities in (0, 1) for the scan to try, e.g. {LEVELS}; got {levels!r}")
    return found


def _design_of(model, example_args, data, options) -> tuple[Design, str]:
    """The design to prune and what ``model`` is: "design", "onnx" or "tf" (a Keras model or any function fpgalab compiles)."""
    from fpgalab.frontend.onnx.read import is_onnx_model  # noqa: PLC0415

    if isinstance(model, Design):
        if options or example_args:
            raise ValueError(
                f"a Design is sparsified with its own options; got {sorted(options) or 'example inputs'}: "
                "pass the model instead to compile it with options"
            )
        return model, "design"
    if is_onnx_model(model):
        return compile_onnx(model, *example_args, **options), "onnx"
    if not example_args:
        if data is None:
            raise ValueError("give example inputs (as to fpgalab.compile) or data=(x, y) to take one sample from")
        x = data[0] if isinstance(data, (tuple, list)) and len(data) == 2 else data
        example_args = tuple(np.asarray(a)[:1] for a in x) if isinstance(x, (tuple, list)) else (np.asarray(x)[:1],)
    return compile_design(model, *example_args, **options), "tf"


def sparsify(
    model, *example_args, method: str = "global", target=None, data=None, levels=LEVELS, **options
) -> SparsityResult:
    """Zero the smallest weights of ``model`` (a Keras model or TF function, an ONNX model, or a ``Design``).

    ``method``: "global", "std" or "scan" (see the module). ``target``: a sparsity in [0, 1),
    ``{layer: sparsity}`` (method "std"), or an accuracy-loss budget ``{"loss": b}`` /
    ``{"top1": b1, "top5": b5}`` measured on ``data=(x, y)``, optionally with ``"sparsity"`` as a
    ceiling. ``levels``: the per-layer sparsities the scan tries. ``options`` go to
    ``fpgalab.compile`` (e.g. ``io="parallel"``) when a model is given; example inputs default to
    the first sample of ``data``.
    """
    start = time.perf_counter()
    levels = _check_levels(levels)
    parse_goal(target, method, None, data is not None)  # a bad target fails before the model is compiled
    design, kind = _design_of(model, example_args, data, options)
    weights = layer_weights(design.float_kernel)
    goal = parse_goal(target, method, weights.layers, data is not None)
    evaluate = Evaluator(design, weights, Scorer(design, data)) if data is not None else None
    by_layer = weights.by_layer()
    scan = None
    if goal.layers:
        thresholds = layer_thresholds(by_layer, dict(goal.layers))
    elif method == "scan":
        thresholds, scan = allocate(by_layer, goal, evaluate, levels)
    elif goal.budget:
        thresholds_at = family(method, by_layer)
        thresholds = thresholds_at(largest_within(thresholds_at, evaluate, goal))
    else:
        thresholds = family(method, by_layer)(goal.sparsity)
    pruned = weights.pruned(thresholds)
    pruned_model = _pruned_model(model, kind, weights, thresholds)
    reference = _onnx_reference(pruned_model) if kind == "onnx" else None
    final = with_weights(design, pruned, reference)
    after = evaluate.scorer.score(final) if evaluate is not None else None
    rows = _rows(weights, pruned, thresholds, evaluate, scan)
    return SparsityResult(
        design=final,
        model=pruned_model,
        method=method,
        target=goal.describe(),
        layers=rows,
        sparsity=sparsity_of(pruned),
        accuracy_before=dict(evaluate.before) if evaluate is not None else None,
        accuracy_after=after,
        evaluations=evaluate.evaluations if evaluate is not None else 0,
        seconds=time.perf_counter() - start,
        resources_before=_resources(design),
        resources_after=_resources(final),
    )


def _resources(design: Design) -> dict:
    """The estimate's resources and latency of ``design`` (what the savings are measured in)."""
    report = design.report()
    used = report.resources
    return {"lut": used.lut, "ff": used.ff, "dsp": used.dsp, "bram": used.bram, "cycles": report.cycles}


def _rows(weights: LayerWeights, pruned, thresholds, evaluate: Evaluator | None, scan) -> tuple[LayerRow, ...]:
    stds = layer_std(weights.by_layer())
    rows = []
    for layer, names in weights.constants.items():
        threshold = thresholds.get(layer, 0.0)
        effect = None
        if evaluate is not None:
            effect = evaluate.drop(evaluate({layer: threshold})) if threshold > 0 else 0.0
        rows.append(
            LayerRow(
                layer=layer,
                weights=weights.count(layer),
                kept=sum(int(np.count_nonzero(pruned[name])) for name in names),
                threshold=threshold,
                std_multiple=threshold / stds[layer] if stds[layer] > 0 else None,
                effect=effect,
                scan=scan.get(layer) if scan is not None else None,
            )
        )
    return tuple(rows)


def _pruned_model(model, kind: str, weights: LayerWeights, thresholds):
    """The user's model with the same weights zeroed (None for a Design, or a function that is no Keras model)."""
    from fpgalab.sparsify.models import pruned_keras, pruned_onnx  # noqa: PLC0415

    try:
        if kind == "onnx":
            return pruned_onnx(model, weights, thresholds)
        if kind == "tf" and hasattr(model, "get_weights") and hasattr(model, "layers"):
            return pruned_keras(model, weights, thresholds)
    except LookupError as error:
        raise CompileError(f"the model's weights could not be matched to the design's to prune them: {error}") from None
    return None


def _onnx_reference(model):
    """The pruned ONNX model's float reference (onnxruntime, or qonnx's executor for QONNX)."""
    from fpgalab.frontend.onnx.read import read_graph  # noqa: PLC0415

    return read_graph(model).reference
