"""Choosing the thresholds: directly for a sparsity, by measuring for an accuracy-loss budget, and the
per-layer sensitivity scan of method "scan".

Every measurement rebuilds the design with the pruned weights and runs its hardware simulation on
the calibration data (``Evaluator``); a set of thresholds is measured once.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from fpgalab.sparsify.apply import LayerWeights, with_weights
from fpgalab.sparsify.methods import (
    global_thresholds,
    magnitudes,
    quantile_threshold,
    std_scale_for_sparsity,
    std_thresholds,
)
from fpgalab.sparsify.target import Goal, Scorer

LEVELS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95)  # each layer's sparsities tried alone by the scan
SEARCH_STEP = 0.05  # the grid of overall sparsities a loss budget is searched on, then bisected
SEARCH_BISECTIONS = 6
MAX_SPARSITY = 0.99  # the most a loss budget alone may prune
REFINE = 0.05  # the scan stops raising a layer once the level that broke the budget is this close


class Evaluator:
    """The hardware's accuracy with the weights pruned at given thresholds, measured once per set."""

    def __init__(self, design, weights: LayerWeights, scorer: Scorer):
        self.design, self.weights, self.scorer = design, weights, scorer
        self.before = scorer.score(design)
        self._seen: dict[tuple, dict] = {}

    def __call__(self, thresholds: dict[str, float]) -> dict[str, float]:
        key = tuple(sorted((layer, float(t)) for layer, t in thresholds.items() if t > 0))
        if key not in self._seen:
            pruned = self.weights.pruned(dict(key))
            with warnings.catch_warnings():  # a trial's overflows are in its accuracy; the result's are reported
                warnings.simplefilter("ignore")
                self._seen[key] = self.scorer.score(with_weights(self.design, pruned))
        return self._seen[key]

    @property
    def evaluations(self) -> int:
        return len(self._seen)

    def drop(self, accuracy: dict[str, float], key: str = "top1") -> float:
        """Accuracy lost against the unpruned design (negative when pruning helped)."""
        return self.before[key] - accuracy[key]


def family(method: str, by_layer: dict[str, np.ndarray]):
    """Method "global" or "std" as thresholds for an overall sparsity."""
    if method == "global":
        return lambda sparsity: global_thresholds(by_layer, sparsity)
    return lambda sparsity: std_thresholds(by_layer, std_scale_for_sparsity(by_layer, sparsity))


def largest_within(thresholds_at, evaluate: Evaluator, goal: Goal) -> float:
    """The largest overall sparsity (at most the goal's sparsity) whose accuracy stays within the budget:
    a grid of ``SEARCH_STEP`` up to the first sparsity that breaks it, then bisection."""
    cap = goal.sparsity if goal.sparsity is not None else MAX_SPARSITY
    grid = [s for s in np.arange(SEARCH_STEP, cap, SEARCH_STEP) if s < cap - 1e-9] + [cap]
    good, bad = 0.0, None
    for sparsity in grid:
        if goal.within(evaluate.before, evaluate(thresholds_at(float(sparsity)))):
            good = float(sparsity)
        else:
            bad = float(sparsity)
            break
    if bad is None:
        return good
    for _ in range(SEARCH_BISECTIONS):
        middle = (good + bad) / 2
        if goal.within(evaluate.before, evaluate(thresholds_at(middle))):
            good = middle
        else:
            bad = middle
    return good


def sensitivity(by_layer: dict[str, np.ndarray], evaluate: Evaluator, levels, key: str) -> dict[str, dict]:
    """Each layer pruned alone at each level: {layer: {level: accuracy lost}}."""
    found = {layer: np.sort(values) for layer, values in magnitudes(by_layer).items()}
    return {
        layer: {
            level: evaluate.drop(evaluate({layer: quantile_threshold(found[layer], level, True)}), key)
            for level in levels
        }
        for layer in by_layer
    }


def allocate(by_layer: dict[str, np.ndarray], goal: Goal, evaluate: Evaluator, levels=LEVELS):
    """Method "scan": per-layer sparsities from the sensitivity scan, raised greedily.

    Starting from nothing pruned, the layer whose next level costs the least accuracy (in the scan)
    per weight it removes goes up one level; with a budget the whole network is measured with the
    raise, and a raise that breaks the budget is undone and the layer next tries halfway to the
    level that broke it, until that gap is below ``REFINE``. It ends at the sparsity target (the
    last layer raised is set back to just reach it) or when no layer can go up.
    Returns the thresholds and the scan table."""
    key = "top1" if goal.top1 is not None or goal.top5 is None else "top5"
    if goal.sparsity == 0.0:
        return {layer: 0.0 for layer in by_layer}, {}
    levels = sorted(set(levels) | ({goal.sparsity} if goal.sparsity else set()))
    scan = sensitivity(by_layer, evaluate, levels, key)
    found = {layer: np.sort(values) for layer, values in magnitudes(by_layer).items()}
    sizes = {layer: values.size for layer, values in found.items()}
    total = sum(sizes.values())
    state = {layer: 0.0 for layer in by_layer}
    ceiling: dict[str, float] = {}  # the lowest level of a layer that broke the budget

    def zeros(sparsities: dict[str, float]) -> int:
        return sum(int(np.searchsorted(found[layer], t, side="right")) for layer, t in thresholds(sparsities).items())

    def thresholds(sparsities: dict[str, float]) -> dict[str, float]:
        return {layer: quantile_threshold(found[layer], s, True) for layer, s in sparsities.items()}

    def lost(layer: str, level: float) -> float:  # between scanned levels: the straight line
        points = sorted(scan[layer].items())
        return float(np.interp(level, [0.0] + [p for p, _ in points], [0.0] + [d for _, d in points]))

    while goal.sparsity is None or zeros(state) < math.ceil(goal.sparsity * total - 1e-9):
        steps = []
        for layer, current in state.items():
            if layer in ceiling:
                if ceiling[layer] - current < REFINE:
                    continue
                higher = (current + ceiling[layer]) / 2
            else:
                higher = next((level for level in levels if level > current), None)
                if higher is None:
                    continue
            removed = (higher - current) * sizes[layer]
            cost = max(lost(layer, higher) - lost(layer, current), 0.0) / removed
            steps.append((cost, -removed, layer, higher))
        if not steps:
            break
        _, _, layer, level = min(steps)
        trial = {**state, layer: level}
        if goal.sparsity is not None:
            others = zeros({k: v for k, v in trial.items() if k != layer})
            need = math.ceil(goal.sparsity * total - 1e-9) - others
            if need <= level * sizes[layer]:
                trial[layer] = max(need, 0) / sizes[layer]
        if goal.budget and not goal.within(evaluate.before, evaluate(thresholds(trial))):
            ceiling[layer] = trial[layer]
            continue
        state = trial
    return thresholds(state), scan
