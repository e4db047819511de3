"""The inline view of a design: summary header, controls, and tabs (Resources, Latency, Deployment, Accuracy,
Code, Sweep).

Standard ipywidgets only; figures go into ``Output`` widgets as plotly's own mime bundle (set
from the kernel through ``Output.outputs``, so it works with every front end and with none),
never as ``FigureWidget``, which would save megabytes of widget state. Changing a control
rebuilds the design from its captured float kernel (no TensorFlow, no re-run of the cell) and
redraws the view in place.
"""

from __future__ import annotations

import time

import ipywidgets as w

from fpgalab.design import build_design
from fpgalab.magics import html, panels
from fpgalab.magics.sparsity import SLIDER_MAX, SLIDER_STEP, Pruning, prunable, pruning_of, slider_value
from fpgalab.options import parse_options

PRECISIONS = (
    "ap_fixed<16,6>",
    "ap_fixed<18,8>",
    "ap_fixed<12,4>",
    "ap_fixed<10,4>",
    "ap_fixed<8,3>",
    "ap_fixed<24,10>",
    "float32",
)
UNROLLS = (1, 2, 4, 8, 16, "full")
REUSES = ("default", 1, 2, 4, 8, 16, 32, 64)  # "default": no reuse factor (None)
TAB_ORDER = ("Resources", "Latency", "Deployment", "Accuracy", "Code", "Sweep")


def reuse_choices(design, most: int = 12) -> tuple:
    """The design-wide reuse factors every dense and convolution layer accepts (hls4ml's rule: whole copies)."""
    try:
        from fpgalab.ir import nodes as ir  # noqa: PLC0415
        from fpgalab.ir.loops import kernel_shapes  # noqa: PLC0415
        from fpgalab.passes.reuse import valid_reuse_factors  # noqa: PLC0415

        shapes = kernel_shapes(design.kernel)
        valid = None
        for node in design.kernel.nodes:
            if isinstance(node, (ir.Dot, ir.Conv)):
                factors = set(valid_reuse_factors(node, shapes))
                valid = factors if valid is None else valid & factors
    except Exception:  # noqa: BLE001 - the control still works with the usual powers of two
        return REUSES
    if not valid:
        return REUSES
    ordered = sorted(valid)
    if len(ordered) > most:  # keep the small ones, then a spread up to the largest
        step = (len(ordered) - 8) / (most - 8)
        ordered = ordered[:8] + [ordered[8 + int(k * step)] for k in range(most - 9)] + ordered[-1:]
    return ("default", *dict.fromkeys(ordered))


def set_outputs(output: w.Output, bundles: list[dict]) -> None:
    output.outputs = tuple({"output_type": "display_data", "data": b, "metadata": {}} for b in bundles)


def _choices(options, current, label=None):
    """Dropdown options as (label, value) pairs, with the current value added when it is not one of them.

    All pairs: ipywidgets reads a list that mixes bare values and pairs as values only, and then
    cannot find a current value given as a pair (a design compiled at a precision not listed).
    """
    options = [o if isinstance(o, tuple) else (str(o), o) for o in options]
    values = [o[1] for o in options]
    if current not in values:
        options.insert(0, (label or str(current), current))
    return options


class DesignView:
    """The widget of one design. ``on_design(name, design)`` is told when a control rebuilds it.

    ``pruning``: how the sparsity slider prunes (the unpruned design, method, target); by default
    the shown design is the unpruned one, pruned by method "scan" with labelled data, else "global".
    ``deploy``: a ``deployment.DeployRequest`` (``--deploy``) adds the Deployment tab, ``deployment``
    the design's deployment when the cell made it already; a rebuilt design is deployed again.
    """

    def __init__(
        self,
        evaluation: panels.Evaluation,
        data=None,
        on_design=None,
        pruning: Pruning | None = None,
        deploy=None,
        deployment=None,
    ):
        self.evaluation = evaluation
        self.deploy, self.deployment = deploy, deployment
        self.data = data
        self.on_design = on_design
        self.pruning = pruning or pruning_of(evaluation.design, None, None, data)
        self.status = w.HTML(value="")
        self.header = w.HTML(value="")
        self.outputs = {}
        self.controls = self._controls()
        self.tabs = self._tabs()
        self.widget = w.VBox(
            [self.header, self.controls, self.status, self.tabs], layout=w.Layout(width="100%", max_width="1100px")
        )
        self.render()

    # ---- construction
    @property
    def design(self):
        return self.evaluation.design

    @property
    def report(self):
        return self.evaluation.report

    def _controls(self) -> w.Box:
        from fpgalab.parts import list_devices  # noqa: PLC0415

        opts = self.design.options
        spec = opts.precision_spec
        precision = spec if isinstance(spec, str) else repr(spec)
        style = {"description_width": "initial"}
        narrow = w.Layout(width="auto", margin="0 12px 4px 0")
        self.precision = w.Dropdown(
            description="precision",
            style=style,
            layout=narrow,
            options=_choices(PRECISIONS, precision, f"as compiled: {opts.precision_text}"),
            value=precision,
        )
        unroll = opts.unroll if isinstance(opts.unroll, (int, str)) else repr(opts.unroll)
        self.unroll = w.Dropdown(
            description="unroll",
            style=style,
            layout=narrow,
            options=_choices(UNROLLS, unroll, f"as compiled: {unroll}"),
            value=unroll,
        )
        reuse = "default" if opts.reuse is None else opts.reuse if isinstance(opts.reuse, int) else repr(opts.reuse)
        self.reuse_values = reuse_choices(self.design)
        self.reuse = w.Dropdown(
            description="reuse",
            style=style,
            layout=narrow,
            options=_choices(self.reuse_values, reuse, f"as compiled: {reuse}"),
            value=reuse,
        )
        names = [d.name for d in list_devices()]
        part = self.evaluation.device.name
        self.device = w.Dropdown(
            description="device", style=style, layout=narrow, options=_choices(names, part), value=part
        )
        self.sparsity = w.FloatSlider(
            description="sparsity",
            style=style,
            layout=w.Layout(width="260px", margin="0 12px 4px 0"),
            min=0.0,
            max=SLIDER_MAX,
            step=SLIDER_STEP,
            value=slider_value(self.evaluation.sparsity),
            readout_format=".2f",
            continuous_update=False,
            tooltip=f"zero this share of the weights (fpgalab.sparsify, method {self.pruning.method})",
        )
        for control in (self.precision, self.unroll, self.reuse, self.device):
            control.observe(self._changed, names="value")
        self.sparsity.observe(self._sparsity_changed, names="value")
        pruning = [self.sparsity] if prunable(self.pruning.base) else []  # no weights: no slider
        return w.HBox(
            [self.precision, *pruning, self.unroll, self.reuse, self.device], layout=w.Layout(flex_flow="row wrap")
        )

    def _tabs(self) -> w.Tab:
        children, titles = [], []
        for title in TAB_ORDER:
            if title == "Accuracy" and self.data is None:
                continue
            if title == "Sweep" and self.evaluation.sweep is None:
                continue
            if title == "Deployment" and self.deploy is None:
                continue
            if title == "Code":
                children.append(self._code_tab())
            else:
                self.outputs[title] = w.Output()
                children.append(self.outputs[title])
            titles.append(title)
        tabs = w.Tab(children=children, titles=titles)
        if self.evaluation.sweep is not None:
            tabs.selected_index = titles.index("Sweep")
        elif self.deploy is not None:
            tabs.selected_index = titles.index("Deployment")
        return tabs

    def _code_tab(self) -> w.VBox:
        self.code_choice = w.ToggleButtons(
            options=panels.code_views(self.design), value="IR", style={"button_width": "auto"}
        )
        self.code_output = w.Output()
        self.code_choice.observe(lambda change: self._render_code(), names="value")
        return w.VBox([self.code_choice, self.code_output])

    # ---- rendering
    def render(self) -> None:
        ev = self.evaluation
        self.header.value = ev.header()
        builders = {
            "Resources": panels.resources,
            "Latency": panels.latency,
            "Accuracy": panels.accuracy,
            "Sweep": panels.sweep,
            "Deployment": self._deployment_tab,
        }
        for title, output in self.outputs.items():
            set_outputs(output, builders[title](ev))
        self._render_code()

    def _deployment_tab(self, ev: panels.Evaluation) -> list[dict]:
        from fpgalab.magics import deployment  # noqa: PLC0415

        if self.deployment is None:  # a rebuilt design: deploy it again (a failure shows in the tab)
            try:
                self.deployment = self.deploy.deploy(ev.design)
            except ValueError:
                pass
        return deployment.panel(ev.design, self.deploy, self.deployment)

    def _render_code(self) -> None:
        set_outputs(self.code_output, [panels.code(self.design, self.code_choice.value)])

    # ---- controls
    def options_from_controls(self) -> dict:
        options = self.design.options.to_dict()
        precision = self.precision.value
        if precision in PRECISIONS:
            options["precision"] = precision
        if self.unroll.value in UNROLLS:
            options["unroll"] = self.unroll.value
        if self.reuse.value in self.reuse_values:
            options["reuse"] = None if self.reuse.value == "default" else self.reuse.value
        options["device"] = self.device.value
        return options

    def _changed(self, change=None) -> None:
        self.recompute()

    def _sparsity_changed(self, change) -> None:
        self.pruning.target = change["new"] or None  # the slider's share replaces --sparsify's target
        self.recompute()

    def recompute(self) -> float:
        """Rebuild the design with the controls' options and redraw; returns the seconds it took."""
        start = time.perf_counter()
        base = self.pruning.base  # the unpruned design: pruning starts again from all its weights
        try:
            options = parse_options(**self.options_from_controls())
            design = build_design(
                base.name,
                base.float_kernel,
                options,
                base.example_shapes,
                base.hlo_source,
                base.timings[:2],
                base.reference,
            )
            pruned = self.pruning.apply(design)
            if pruned is not None:
                design = pruned.design
            self.evaluation = panels.evaluate(self.evaluation.name, design, self.data, self.evaluation.sweep, pruned)
            self.deployment = None
        except Exception as err:  # noqa: BLE001 - an impossible combination is shown, not raised
            self.status.value = html.message(f"cannot build with these options: {type(err).__name__}: {err}", "#c62828")
            return time.perf_counter() - start
        self.render()
        seconds = time.perf_counter() - start
        self.status.value = html.message(f"rebuilt in {seconds:.2f} s; stored as {self.evaluation.name}")
        if self.on_design is not None:
            self.on_design(self.evaluation.name, design)
        return seconds

    # ---- display
    def summary(self) -> str:
        summary = self.evaluation.summary()
        if self.deployment is None:
            return summary
        from fpgalab.magics.deployment import summary_line  # noqa: PLC0415

        return summary + "\n" + summary_line(self.deployment)

    def _repr_mimebundle_(self, **kwargs):
        """The widget; text/plain for terminals and screen readers; static HTML where widgets do not render."""
        data = self.widget._repr_mimebundle_(**kwargs)
        data["text/plain"] = self.summary()
        ev = self.evaluation
        data["text/html"] = ev.header() + html.table(html.layer_rows(ev.report), "Per layer")
        return data

    def __repr__(self) -> str:
        return self.summary()


class Table:
    """A plain output (an HTML table) with its own text/plain: %fpga list, %fpga devices."""

    def __init__(self, plain: str, markup: str = ""):
        self.plain, self.markup = plain, markup

    def _repr_mimebundle_(self, **kwargs):
        return {"text/plain": self.plain, **({"text/html": self.markup} if self.markup else {})}

    def __repr__(self) -> str:
        return self.plain
