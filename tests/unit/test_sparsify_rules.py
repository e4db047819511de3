"""fpgalab.sparsify's threshold rules, targets and greedy allocation on hand-made weights (no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

from fpgalab.sparsify.methods import (
    global_thresholds,
    layer_thresholds,
    prune,
    quantile_threshold,
    sparsity_of,
    std_scale_for_sparsity,
    std_thresholds,
)
from fpgalab.sparsify.scan import allocate
from fpgalab.sparsify.target import Goal, Scorer, parse_goal

SMALL = np.array([[0.1, -0.2], [0.3, -0.4]], dtype=np.float32)
LARGE = np.array([1.0, -2.0, 3.0, 4.0], dtype=np.float32)


def test_global_threshold_is_one_magnitude_over_all_layers():
    weights = {"small": SMALL, "large": LARGE}
    thresholds = global_thresholds(weights, 0.5)
    assert thresholds == {"small": pytest.approx(0.4), "large": pytest.approx(0.4)}
    pruned = prune(weights, thresholds)
    assert not pruned["small"].any()  # the four smallest magnitudes are all in "small"
    np.testing.assert_array_equal(pruned["large"], LARGE)
    assert pruned["small"].shape == SMALL.shape and pruned["small"].dtype == np.float32
    assert sparsity_of(pruned) == 0.5
    assert global_thresholds(weights, 0.75)["large"] == pytest.approx(2.0)
    assert global_thresholds(weights, 0.0) == {"small": 0.0, "large": 0.0}


def test_std_thresholds_treat_layers_of_different_scale_alike():
    pattern = np.array([0.5, -1.0, 1.5, -2.0, 2.5, -3.0, 3.5, -4.0])
    weights = {"tiny": 0.01 * pattern, "huge": 100.0 * pattern}
    assert std_thresholds(weights, 1.0) == {
        "tiny": pytest.approx(np.std(0.01 * pattern)),
        "huge": pytest.approx(np.std(100.0 * pattern)),
    }
    scale = std_scale_for_sparsity(weights, 0.5)
    pruned = prune(weights, std_thresholds(weights, scale))
    assert np.count_nonzero(pruned["tiny"]) == 4 and np.count_nonzero(pruned["huge"]) == 4
    np.testing.assert_array_equal(pruned["huge"], 100.0 * np.where(np.abs(pattern) > 2.0, pattern, 0.0))
    # a global threshold at the same sparsity empties the small layer instead
    pruned_global = prune(weights, global_thresholds(weights, 0.5))
    assert np.count_nonzero(pruned_global["tiny"]) == 0 and np.count_nonzero(pruned_global["huge"]) == 8


def test_std_cannot_prune_a_layer_without_spread():
    weights = {"flat": np.full(4, 0.5), "spread": np.array([0.1, 0.2, 0.3, 0.4])}
    assert std_scale_for_sparsity(weights, 0.5) == pytest.approx(0.4 / np.std(weights["spread"]))
    with pytest.raises(ValueError, match="no spread"):
        std_scale_for_sparsity(weights, 0.75)


def test_layer_thresholds_are_each_layers_own_quantile():
    weights = {"small": SMALL, "large": LARGE}
    thresholds = layer_thresholds(weights, {"small": 0.25, "large": 0.75})
    assert thresholds == {"small": pytest.approx(0.1), "large": pytest.approx(3.0)}
    pruned = prune(weights, thresholds)
    assert np.count_nonzero(pruned["small"]) == 3 and np.count_nonzero(pruned["large"]) == 1
    assert layer_thresholds(weights, {"small": 0.5}) == {"small": pytest.approx(0.2), "large": 0.0}


def test_ties_at_the_threshold_are_all_pruned_and_zero_threshold_changes_nothing():
    w = np.array([0.5, -0.5, 0.5, 1.0, 0.0])
    assert quantile_threshold(np.abs(w), 0.4) == 0.5
    assert np.count_nonzero(prune({"a": w}, {"a": 0.5})["a"]) == 1  # three tied at 0.5 go together
    np.testing.assert_array_equal(prune({"a": w}, {"a": 0.0})["a"], w)
    assert sparsity_of({"a": w}) == pytest.approx(0.2)


def test_sparsity_never_falls_as_the_target_rises():
    rng = np.random.default_rng(0)
    weights = {"a": rng.normal(size=(20, 10)), "b": 5 * rng.normal(size=(10, 3))}
    for rule in (global_thresholds, lambda w, s: std_thresholds(w, std_scale_for_sparsity(w, s))):
        reached = [sparsity_of(prune(weights, rule(weights, s))) for s in (0.0, 0.3, 0.6, 0.9)]
        assert reached == pytest.approx([0.0, 0.3, 0.6, 0.9], abs=1 / 230)


@pytest.mark.parametrize(
    "target, method, labels, message",
    [
        (1.5, "global", True, r"must be in \[0, 1\), got 1\.5"),
        (-0.1, "std", False, r"must be in \[0, 1\)"),
        (True, "global", False, "must be a number"),
        ({"loss": 0.01}, "global", False, r"data=\(x, y\)"),
        ({"top1": 0.01, "sparsity": 0.9}, "std", False, r"data=\(x, y\)"),
        ({"loss": 2.0}, "global", True, r"loss budget must be in \[0, 1\)"),
        (0.5, "scan", False, r"method 'scan' .* data=\(x, y\)"),
        (0.5, "magnitude", True, "'global' .* 'std' .* 'scan'"),
        ({"fc9": 0.5}, "std", False, r"not layers .* \['fc1', 'fc2'\]"),
        ({"fc1": 0.5}, "global", False, "go with method 'std'"),
        ({"fc1": 0.5, "loss": 0.1}, "std", True, "mixes layer names"),
        (None, "global", False, "give a target"),
        ("half", "global", False, "must be a number"),
    ],
)
def test_bad_targets_say_what_is_allowed(target, method, labels, message):
    with pytest.raises(ValueError, match=message):
        parse_goal(target, method, ("fc1", "fc2"), labels)


def test_targets_parse():
    assert parse_goal(0.8, "global", ("a",), False) == Goal(sparsity=0.8)
    assert parse_goal({"sparsity": 0.5}, "scan", ("a",), True) == Goal(sparsity=0.5)
    assert parse_goal({"loss": 0.02}, "scan", ("a",), True) == Goal(top1=0.02, top5=0.02)
    assert parse_goal({"top1": 0.01, "sparsity": 0.9}, "std", ("a",), True) == Goal(sparsity=0.9, top1=0.01)
    assert parse_goal({"a": 0.3}, "std", ("a", "b"), False) == Goal(layers=(("a", 0.3),))
    goal = Goal(top1=0.01, top5=0.0)
    assert goal.within({"top1": 0.9, "top5": 0.99}, {"top1": 0.89, "top5": 0.99})
    assert not goal.within({"top1": 0.9, "top5": 0.99}, {"top1": 0.9, "top5": 0.98})
    assert goal.within({"top1": 0.9}, {"top1": 0.895})  # no top-5 under 5 classes


class ToyEvaluator:
    """Accuracy falls with the square of each layer's pruned share, times that layer's sensitivity."""

    def __init__(self, weights, sensitivity):
        self.weights, self.sensitivity = weights, sensitivity
        self.before = {"top1": 1.0}
        self.calls = 0

    def __call__(self, thresholds):
        self.calls += 1
        lost = 0.0
        for layer, w in self.weights.items():
            share = np.mean(np.abs(w) <= thresholds.get(layer, 0.0))
            lost += self.sensitivity[layer] * share**2
        return {"top1": 1.0 - lost}

    def drop(self, accuracy, key="top1"):
        return self.before[key] - accuracy[key]


def _weights():
    rng = np.random.default_rng(1)
    return {"robust": rng.normal(size=400), "fragile": rng.normal(size=400) + 0.01}


def test_scan_spends_the_sparsity_on_the_robust_layer():
    weights = _weights()
    evaluate = ToyEvaluator(weights, {"robust": 0.01, "fragile": 1.0})
    thresholds, scan = allocate(weights, Goal(sparsity=0.6), evaluate)
    pruned = prune(weights, thresholds)
    assert sparsity_of(pruned) == pytest.approx(0.6, abs=1 / 800)
    assert np.mean(pruned["robust"] == 0) == pytest.approx(0.95)
    assert np.mean(pruned["fragile"] == 0) == pytest.approx(0.25)
    assert scan["fragile"][0.5] == pytest.approx(0.25) and scan["robust"][0.5] == pytest.approx(0.0025)
    assert (
        evaluate.calls == 2 * 7
    )  # the scan alone (its levels and the target): a sparsity target needs no further measurement


def test_scan_stays_within_a_loss_budget():
    weights = _weights()
    evaluate = ToyEvaluator(weights, {"robust": 0.01, "fragile": 1.0})
    thresholds, _ = allocate(weights, Goal(top1=0.1), evaluate)
    pruned = prune(weights, thresholds)
    shares = {layer: np.mean(w == 0) for layer, w in pruned.items()}
    assert shares["robust"] == pytest.approx(0.95)
    assert shares["fragile"] == pytest.approx(0.3)  # 0.5 would lose 0.25 + 0.009
    assert evaluate.drop(evaluate(thresholds)) <= 0.1


def test_scorer_counts_a_tie_as_a_miss():
    class Fixed:
        name = "fixed"

        class kernel:  # noqa: N801 - stands for a design's kernel
            outputs = ("out",)

        def simulate(self, x):
            return np.array([[0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0, 0.0, 0.0], [0, 0, 0, 0, 0, 1.0]])

    scorer = Scorer(Fixed(), (np.zeros((3, 2)), np.array([1, 0, 0])))
    assert scorer.score(Fixed()) == {"top1": pytest.approx(1 / 3), "top5": pytest.approx(2 / 3)}
    one_hot = np.eye(6)[[1, 0, 0]]
    assert Scorer(Fixed(), (np.zeros((3, 2)), one_hot)).labels.tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="class indices 0..5"):
        Scorer(Fixed(), (np.zeros((3, 2)), np.array([1, 0, 7])))


@pytest.mark.parametrize("levels", [(), (0.5, 1.0), (0.0, 0.5), "half", None])
def test_scan_levels_must_be_sparsities(levels):
    from fpgalab.sparsify import _check_levels  # noqa: PLC0415

    with pytest.raises(ValueError, match=r"levels must be sparsities in \(0, 1\)"):
        _check_levels(levels)
    assert _check_levels([0.9, 0.5, 0.5]) == (0.5, 0.9)


def test_a_loss_budget_search_finds_the_largest_sparsity_within_it():
    from fpgalab.sparsify.scan import family, largest_within  # noqa: PLC0415

    weights = _weights()
    evaluate = ToyEvaluator(weights, {"robust": 0.5, "fragile": 0.5})  # loses the square of the sparsity
    thresholds_at = family("global", weights)
    found = largest_within(thresholds_at, evaluate, Goal(top1=0.25))
    assert 0.49 <= found <= 0.5  # the two layers lose a little unevenly under one threshold
    assert evaluate.drop(evaluate(thresholds_at(found))) <= 0.25
    assert largest_within(thresholds_at, evaluate, Goal(top1=0.25, sparsity=0.3)) == pytest.approx(0.3)
    assert largest_within(family("std", weights), evaluate, Goal(top1=0.0)) == 0.0
