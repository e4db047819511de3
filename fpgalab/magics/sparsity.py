"""``%%fpga --sparsify``, the view's sparsity slider, and the figure of accuracy, DSP and LUT against sparsity.

All three go through ``fpgalab.sparsify`` on a compiled design: pruning a design rebuilds it from
its float kernel with the smallest weights zeroed (no TensorFlow, no re-run of the cell), and with
``--io parallel`` the multipliers of the zeros are gone from the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.errors import CompileError
from fpgalab.magics import figures, text
from fpgalab.sparsify import SparsityResult, sparsify
from fpgalab.sparsify.apply import layer_weights
from fpgalab.sparsify.target import METHODS

LEVELS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9)
SLIDER_STEP = 0.05
SLIDER_MAX = 0.95


def labelled(data):
    """``data`` when it is (x, labels), else None: the accuracy-driven parts of fpgalab.sparsify need labels."""
    return data if data is not None and data[1] is not None else None


def default_method(method: str | None, data) -> str:
    """The method given, else "scan" with labelled data, else "global"."""
    if method is not None:
        return method
    return "scan" if labelled(data) is not None else "global"


@dataclass
class Pruning:
    """How a design view prunes: the unpruned design, the method and target, the labelled data or None."""

    base: object  # the unpruned Design
    method: str
    target: object = None  # a sparsity, a budget ({"top1": 0.01}), or None for no pruning
    data: tuple | None = None

    def apply(self, design) -> SparsityResult | None:
        """``design`` (built from ``base`` with some options changed) pruned to the target; None without a target."""
        if self.target is None or (not isinstance(self.target, dict) and float(self.target) == 0.0):
            return None
        return sparsify(design, method=self.method, target=self.target, data=self.data)


def prunable(design) -> bool:
    """Whether ``design`` has Dense, MatMul or convolution weights for fpgalab.sparsify to prune."""
    try:
        layer_weights(design.float_kernel)
    except CompileError:
        return False
    return True


def pruning_of(design, target, method: str | None, data) -> Pruning:
    return Pruning(design, default_method(method, data), target, labelled(data))


def slider_value(result: SparsityResult | None) -> float:
    """The slider's position for a result: its sparsity to the slider's step, within the slider's range."""
    if result is None:
        return 0.0
    steps = round(result.sparsity / SLIDER_STEP)
    return min(SLIDER_MAX, round(steps * SLIDER_STEP, 2))


def sparsity_line(result: SparsityResult) -> str:
    """One line of the summary: the sparsity reached, how, and the accuracy before and after."""
    kept = sum(row.kept for row in result.layers)
    total = sum(row.weights for row in result.layers)
    line = (
        f"sparsity {result.sparsity:.3f} ({text.number(kept)} of {text.number(total)} weights kept; "
        f"method {result.method}, target {result.target})"
    )
    if result.accuracy_before is not None:
        line += ": top-1 accuracy {:.2%} -> {:.2%}".format(
            result.accuracy_before["top1"], result.accuracy_after["top1"]
        )
    return line


# ---- the figure ---------------------------------------------------------------------------------------------


class SparsityFigure:
    """Accuracy (with labelled data), DSP and LUT of a design pruned to each level by each method.

    ``rows``: one dict per point (method, level, sparsity, top1, dsp, lut); ``figure``: the plotly
    figure as a dict (``plotly.graph_objects.Figure(f.figure)`` for a figure object). In a notebook
    it shows as the plot, with a text summary for plain front ends.
    """

    def __init__(self, name: str, rows: list[dict], methods: tuple[str, ...], accuracy: bool):
        self.name = name
        self.rows = rows
        self.methods = methods
        self.accuracy = accuracy
        self.figure = _figure(name, rows, methods, accuracy)

    def summary(self) -> str:
        lines = [f"{self.name}: accuracy, DSP and LUT against sparsity, methods {', '.join(self.methods)}"]
        for row in self.rows:
            accuracy = f"top-1 {row['top1']:.2%}, " if row["top1"] is not None else ""
            lines.append(
                f"  {row['method']:6s} {row['level']:.2f}: sparsity {row['sparsity']:.3f}, "
                f"{accuracy}DSP {text.number(row['dsp'])}, LUT {text.number(row['lut'])}"
            )
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs):
        return figures.bundle(self.figure, self.summary())

    def __repr__(self) -> str:
        return self.summary()


def sparsity_figure(design, data=None, levels=LEVELS, methods=METHODS) -> SparsityFigure:
    """Prune ``design`` (a compiled Design, unpruned) to each sparsity of ``levels`` with each method and
    plot accuracy (when ``data`` = (x, labels) is given), DSP and LUT against the sparsity reached.
    Method "scan" needs the labelled data: without it the figure has "global" and "std" only."""
    data = labelled(data)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"methods {unknown} are not sparsify methods; choose from {', '.join(METHODS)}")
    levels = sorted({float(level) for level in levels})
    if not levels or not all(0.0 <= level < 1.0 for level in levels):
        raise ValueError(f"levels must be sparsities in [0, 1), e.g. {LEVELS}; got {levels}")
    methods = tuple(m for m in methods if m != "scan" or data is not None)
    rows = []
    for method in methods:
        for level in levels:  # level 0 too: the unpruned design, its accuracy measured the same way
            result = sparsify(design, method=method, target=level, data=data)
            report = result.design.report()
            rows.append(
                {
                    "method": method,
                    "level": level,
                    "sparsity": result.sparsity,
                    "top1": result.accuracy_after["top1"] if result.accuracy_after is not None else None,
                    "dsp": report.resources.dsp,
                    "lut": report.resources.lut,
                }
            )
    return SparsityFigure(design.name, rows, methods, data is not None)


def _figure(name: str, rows: list[dict], methods: tuple[str, ...], accuracy: bool) -> dict:
    panels = ([("top1", "top-1 accuracy")] if accuracy else []) + [("dsp", "DSP"), ("lut", "LUT")]
    gap = 0.08
    height = (1.0 - gap * (len(panels) - 1)) / len(panels)
    data, axes = [], {}
    for index, (key, title) in enumerate(panels):
        suffix = "" if index == 0 else str(index + 1)
        top = 1.0 - index * (height + gap)
        axes[f"yaxis{suffix}"] = {
            "title": {"text": title},
            "domain": [top - height, top],
            "anchor": "x",
            "gridcolor": "#e5e5e5",
            "automargin": True,
            **({"tickformat": ".0%"} if key == "top1" else {}),
        }
        for number, method in enumerate(methods):
            points = [row for row in rows if row["method"] == method]
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": method,
                    "legendgroup": method,
                    "showlegend": index == 0,
                    "x": [row["sparsity"] for row in points],
                    "y": [row[key] for row in points],
                    "yaxis": f"y{suffix}",
                    "marker": {"color": figures.COLORS[number]},
                    "line": {"color": figures.COLORS[number]},
                    "hovertemplate": f"{method}: sparsity %{{x:.3f}}, {title} %{{y}}<extra></extra>",
                }
            )
    layout = figures.layout(
        f"{name}: pruned without retraining",
        height=180 * len(panels) + 80,
        xaxis={"title": {"text": "sparsity (share of weights zeroed)"}, "range": [-0.02, 1.0]},
        legend={"orientation": "h", "y": -0.12},
    )
    layout.pop("yaxis")
    return {"data": data, "layout": {**layout, **axes}}
