"""What ``fpgalab.sparsify`` aims for (a sparsity or an accuracy-loss budget) and how accuracy is measured.

``target`` is one of:

* a number in [0, 1): the share of all weights to zero;
* ``{layer: sparsity}``: each named layer's own share (method "std" only; layers not named keep
  their weights);
* ``{"loss": b}``: the largest sparsity whose top-1 accuracy (and top-5, with 5 or more classes)
  on ``data`` drops by at most ``b`` (a fraction: 0.01 is one point); ``{"top1": b1, "top5": b5}``
  budgets the two apart;
* a budget with ``"sparsity": s`` beside it: at most ``s``, within the budget.

Accuracy is the hardware's (``Design.simulate``, bit-accurate): a sample counts for top-k when
fewer than k other classes score at least as high as its label, so a tie is a miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("global", "std", "scan")
BUDGET_KEYS = ("loss", "top1", "top5")
TARGET_KEYS = ("sparsity",) + BUDGET_KEYS
ALLOWED_TARGETS = (
    "a sparsity in [0, 1) (e.g. 0.8), {layer: sparsity} (method 'std'), "
    "{'loss': budget} or {'top1': budget, 'top5': budget} (accuracy loss on data=(x, y), a fraction in [0, 1)), "
    "optionally with 'sparsity': s beside a budget"
)


@dataclass(frozen=True)
class Goal:
    """A parsed target: an overall sparsity, per-layer sparsities, and the accuracy-loss budget."""

    sparsity: float | None = None
    layers: tuple[tuple[str, float], ...] = ()
    top1: float | None = None
    top5: float | None = None

    @property
    def budget(self) -> bool:
        return self.top1 is not None or self.top5 is not None

    def within(self, before: dict, after: dict) -> bool:
        """Whether accuracy ``after`` lost no more than the budget against ``before`` (top-5 where measured)."""
        for key in ("top1", "top5"):
            limit = getattr(self, key)
            if limit is not None and key in before and before[key] - after[key] > limit + 1e-12:
                return False
        return True

    def describe(self) -> str:
        parts = []
        if self.sparsity is not None:
            parts.append(f"sparsity {self.sparsity:g}")
        if self.layers:
            parts.append("sparsity " + ", ".join(f"{layer} {s:g}" for layer, s in self.layers))
        if self.top1 is not None:
            parts.append(f"top-1 loss <= {self.top1:g}")
        if self.top5 is not None:
            parts.append(f"top-5 loss <= {self.top5:g}")
        return ", ".join(parts)


def _fraction(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{what} must be a number in [0, 1), got {value!r}; a target is {ALLOWED_TARGETS}")
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{what} must be in [0, 1), got {value:g}; a target is {ALLOWED_TARGETS}")
    return value


def parse_goal(target, method: str, layers: tuple[str, ...] | None, has_labels: bool) -> Goal:
    """Check ``target`` against the method, the design's layers (``None``: not known yet, names not
    checked) and the data given; say what is allowed."""
    if method not in METHODS:
        raise ValueError(
            f"method {method!r} is not a sparsify method: use 'global' (one magnitude threshold over all "
            "layers), 'std' (each layer's threshold a multiple of its weights' standard deviation) or 'scan' "
            "(per-layer sparsity from a sensitivity scan on data)"
        )
    if target is None:
        raise ValueError(f"give a target: {ALLOWED_TARGETS}")
    if not isinstance(target, dict):
        goal = Goal(sparsity=_fraction(target, "the target sparsity"))
    elif target and all(key in TARGET_KEYS for key in target):
        if not any(key in BUDGET_KEYS for key in target):
            goal = Goal(sparsity=_fraction(target["sparsity"], "the target sparsity"))
        else:
            shared = _fraction(target["loss"], "the loss budget") if "loss" in target else None
            top1 = _fraction(target["top1"], "the top-1 loss budget") if "top1" in target else shared
            top5 = _fraction(target["top5"], "the top-5 loss budget") if "top5" in target else shared
            sparsity = _fraction(target["sparsity"], "the target sparsity") if "sparsity" in target else None
            goal = Goal(sparsity=sparsity, top1=top1, top5=top5)
    elif target and not any(key in TARGET_KEYS for key in target):
        unknown = sorted(set(target) - set(layers)) if layers is not None else []
        if unknown:
            raise ValueError(
                f"target names {unknown}, which are not layers with weights in this design; "
                f"the layers are {list(layers)}"
            )
        if method != "std":
            raise ValueError(
                f"per-layer sparsities choose each layer's threshold, so they go with method 'std', not {method!r}; "
                f"method {method!r} takes one sparsity or a loss budget"
            )
        goal = Goal(layers=tuple((layer, _fraction(s, f"the sparsity of {layer}")) for layer, s in target.items()))
    else:
        raise ValueError(f"target {target!r} mixes layer names with {list(TARGET_KEYS)}; a target is {ALLOWED_TARGETS}")
    if goal.budget and not has_labels:
        raise ValueError(
            "an accuracy-loss budget is measured on labelled data: give data=(x, y) with y class indices or one-hot"
        )
    if method == "scan" and not has_labels:
        raise ValueError(
            "method 'scan' measures each layer's accuracy effect on labelled data: give data=(x, y) "
            "(or use method 'global' or 'std', which need none for a sparsity target)"
        )
    return goal


class Scorer:
    """Top-1 (and top-5 with 5 or more classes) accuracy of a design's hardware on fixed labelled data."""

    def __init__(self, design, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError("data must be a pair (x, y): inputs and their labels (class indices or one-hot)")
        x, y = data
        if y is None:
            raise ValueError("data=(x, y) needs the labels y (class indices or one-hot) to measure accuracy")
        self.inputs = tuple(x) if isinstance(x, (tuple, list)) else (x,)
        if len(design.kernel.outputs) != 1:
            raise ValueError(
                f"accuracy is measured on a design with one output; {design.name} has {len(design.kernel.outputs)}"
            )
        outputs = self.outputs(design)
        self.classes = outputs.shape[1]
        self.labels = _labels(y, outputs.shape[0], self.classes)

    def outputs(self, design) -> np.ndarray:
        out = np.asarray(design.simulate(*self.inputs), dtype=np.float64)
        return out.reshape(out.shape[0], -1)

    def score(self, design) -> dict[str, float]:
        out = self.outputs(design)
        truth = out[np.arange(out.shape[0]), self.labels]
        rivals = np.sum(out >= truth[:, None], axis=1) - 1  # other classes scoring at least as high
        result = {"top1": float(np.mean(rivals < 1))}
        if self.classes >= 5:
            result["top5"] = float(np.mean(rivals < 5))
        return result


def _labels(y, samples: int, classes: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] == classes and y.size == samples * classes:
        y = y.reshape(samples, classes).argmax(axis=1)
    y = y.reshape(-1)
    if y.size != samples:
        raise ValueError(f"y has {y.size} labels for {samples} samples; give one class index (or one-hot row) each")
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise ValueError("y must hold class indices (integers) or one-hot rows")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= classes):
        raise ValueError(f"labels must be class indices 0..{classes - 1} (the design has {classes} outputs)")
    return y
