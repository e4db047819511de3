"""Design-space exploration: evaluate combinations of directives, keep the table and the Pareto front.

    result = fpgalab.explore(model, x, space={"reuse": [1, 2, 4], "precision": ["ap_fixed<16,6>", "ap_fixed<8,3>"]},
                             objective="latency", constraints={"device": "xcvu9p", "max_util": 0.8})
    result.table      # one row per point (pandas DataFrame when pandas is installed, else a list of dicts)
    result.pareto     # the rows no other row beats on latency and resources (and accuracy, with data)
    result.best       # the feasible row with the best objective; result.design(result.best) rebuilds it

``space`` maps any ``fpgalab.compile`` option to the values to try; the points are their
cartesian product, each on top of the keyword ``options``. Everything that does not change
between points is done once: the model is captured and lowered once (pass a ``Design`` to skip
even that: its options, architecture and part included, are then the base the points change), bias folding and elementwise fusion run once, precision assignment once per
precision, and the schedule's memory analysis is cached by content across points. With
``data=(x, y)`` (labels optional) each precision is simulated once for its accuracy, its largest
error and ``overflow``: the share of samples at the place that overflowed most (0 when none did).

``space`` may also hold ``"sparsity"``: overall weight sparsities in [0, 1) (``fpgalab.sparsify``
with ``sparsity_method``, "global" by default; "scan" measures on the labelled ``data``). The base
design is pruned once per sparsity (each has its own shared base: its own fused float kernel and
per-precision accuracy) and every point with that sparsity is built on it, so the rows' ``sparsity``
column, resources and accuracy are those of the pruned weights.

``space`` may also hold deployment options (``platform``, ``batch``, ``compute_units``,
``axi_width``, ``pack``, ``convert``; ``deploy={...}`` holds those every point shares): each design,
built once per combination of compile options, is then deployed once per combination of them on
the cloud card (``fpgalab.explore_deploy`` lists the columns this adds; a deployment that fails is
a row with its error).

``space`` may also hold ``"devices"``: numbers of FPGAs each design is split over and pipelined
(``design.partition``; ``multi={...}`` holds the link and part they share, ``fpgalab.explore_multi``
lists the columns this adds and the objectives "multi_throughput" and "multi_latency").

``objective``: "latency" (cycles), "interval", "throughput" (the kernel's inputs per second),
"resources" (largest utilisation), "lut", "ff", "dsp", "bram"; when deploying also "card_throughput"
(the card's inferences per second), "perf_per_watt" (inferences per joule) and "inference_latency"
(one sample sent alone, host to host); or a function of a row returning a number to minimise.
``constraints``: "device" and "clock_mhz" fix those options; "max_util" (largest utilisation
fraction), "max_latency" and "max_interval" (cycles) decide which points are feasible; a point whose
hls4ml design would hit a limit of the HLS tool or the part (``builds`` False, ``build_warning`` says
which: ``fpgalab.estimate.buildcheck``) is never feasible. A point
whose options are impossible is reported in the table (``status`` holds the error) and the
exploration goes on.

``synthesize=True`` runs Yosys on each point's Verilog and adds its counts as ``yosys_lut``,
``yosys_ff``, ``yosys_dsp``, ``yosys_bram`` and ``yosys_uram`` (a point whose synthesis fails is a
row with its error). The points are built here (milliseconds each); the syntheses run serially, or
on ``executor`` (a ``concurrent.futures.Executor``, a ``dask.distributed.Client`` or a scheduler
address such as ``"tcp://host:8786"``) or ``workers=N`` (a local Dask cluster of N processes), with
``progress`` as ``fpgalab.scale.executor`` describes; the rows are the same and in the same order
either way (docs/scale_out.md).
"""

from __future__ import annotations

import gc
import itertools
import time
from dataclasses import dataclass

from fpgalab.design import Design
from fpgalab.errors import CompileError
from fpgalab.estimate.report import RESOURCE_KINDS
from fpgalab.explore_deploy import OBJECTIVES as DEPLOY_OBJECTIVES
from fpgalab.explore_deploy import deploy_combinations, deployed_row, split_space
from fpgalab.explore_deploy import objective_value as deploy_objective_value
from fpgalab.explore_multi import OBJECTIVES as MULTI_OBJECTIVES
from fpgalab.explore_multi import extra_columns, multi_combinations, split_devices
from fpgalab.explore_multi import objective_value as multi_objective_value
from fpgalab.ir.verify import verify_kernel
from fpgalab.options import ALLOWED, parse_options
from fpgalab.parts import load_device
from fpgalab.passes import graph_passes, hls_passes, run_pipeline
from fpgalab.passes.fuse_producer import FuseIntoProducer
from fpgalab.passes.quantize import AssignPrecision
from fpgalab.passes.softmax import fit_options
from fpgalab.scale.columns import add_synthesis, check_executor
from fpgalab.sparsify import sparsify
from fpgalab.sparsify.target import parse_goal

OBJECTIVES = ("latency", "interval", "throughput", "resources") + RESOURCE_KINDS + DEPLOY_OBJECTIVES + MULTI_OBJECTIVES
CONSTRAINTS = ("device", "clock_mhz", "max_util", "max_latency", "max_interval")
SPARSITY = "sparsity"  # the space key that is no compile option: the weights pruned before compiling


@dataclass(frozen=True)
class ExploreResult:
    table: object  # DataFrame or list of dicts, one row per point
    pareto: object  # the Pareto-optimal rows (same type)
    best: dict | None  # the feasible row with the best objective
    seconds: float  # wall-clock time of the evaluation
    points: int
    failed: int
    objective: str
    _designs: tuple = ()

    def design(self, row) -> Design:
        """The Design of a row (a row dict or its ``point`` number)."""
        point = row["point"] if isinstance(row, dict) else int(row)
        design = self._designs[point]
        if design is None:
            raise ValueError(f"point {point} failed: it has no design")
        return design


def _points(space: dict, base_options: dict) -> list[dict]:
    if not isinstance(space, dict) or not space:
        raise ValueError("space must be a non-empty dict: option name -> list of values to try")
    for name, values in space.items():
        if name not in ALLOWED and name != SPARSITY:
            raise ValueError(
                f"space option {name!r} is not a compile option; allowed: {', '.join(ALLOWED)}, and {SPARSITY!r}"
            )
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"space[{name!r}] must be a non-empty list of values, got {values!r}")
    for value in space.get(SPARSITY, ()):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise ValueError(f"space['sparsity'] values must be sparsities in [0, 1) (e.g. 0.5), got {value!r}")
    names = list(space)
    points = [dict(zip(names, combo)) for combo in itertools.product(*(space[n] for n in names))]
    for point in points:  # every point's options must be valid: a clear error now, not failed points later
        try:
            parse_options(**{**base_options, **_compile_options(point)})
        except ValueError as err:
            raise ValueError(f"space point {point}: {err}") from None
    return points


def _compile_options(point: dict) -> dict:
    return {name: value for name, value in point.items() if name != SPARSITY}


def _objective_value(objective, row: dict) -> float:
    if callable(objective):
        return float(objective(row))
    if objective == "latency":
        return row["cycles"]
    if objective == "throughput":
        return -row["throughput"]
    if objective == "resources":
        return row["util_max"]
    if objective in DEPLOY_OBJECTIVES:
        return deploy_objective_value(objective, row)
    if objective in MULTI_OBJECTIVES:
        return multi_objective_value(objective, row)
    return row[objective]


def pareto_front(rows: list[dict], keys: list[tuple[str, int]]) -> list[int]:
    """Indices of the rows no other row dominates; ``keys`` are (column, +1 minimise / -1 maximise)."""
    front = []
    values = [tuple(sign * row[key] for key, sign in keys) for row in rows]
    for i, vi in enumerate(values):
        dominated = any(all(a <= b for a, b in zip(vj, vi)) and vj != vi for j, vj in enumerate(values) if j != i)
        if not dominated and vi not in [values[k] for k in front]:
            front.append(i)
    return front


class SharedBase:
    """What every point shares: the float kernel, fused once, typed once per precision."""

    def __init__(self, fn, example_args, options: dict):
        if isinstance(fn, Design):
            self.design = fn
        else:
            from fpgalab.frontends import compile as compile_design  # noqa: PLC0415

            self.design = compile_design(fn, *example_args, **options)
        self.prepared_by_fold: dict = {}  # BatchNormalization folded (fpgalab's tables) or a layer (hls4ml's)
        self.typed: dict = {}
        self.accuracy: dict = {}
        self.devices: dict = {}

    def prepared(self, options):
        """The float kernel after the graph passes, as ``compile`` runs them for these options."""
        fold = options.table_style != "hls4ml"
        if fold not in self.prepared_by_fold:
            self.prepared_by_fold[fold], _ = run_pipeline(self.design.float_kernel, graph_passes(fold_batchnorm=fold))
        return self.prepared_by_fold[fold]

    def kernel_for(self, options):
        """Typed once per precision, fused once per (precision, fuse); the other passes per point."""
        key = (repr(options.precision_spec), options.fuse, repr(sorted(options.tables.items())), options.table_style)
        if key not in self.typed:
            typed = AssignPrecision(options.precision, tables=options.tables, table_type=options.table_type).run(
                self.prepared(options)
            )
            self.typed[key] = FuseIntoProducer(options.fuse).run(typed)
        steps = [step for step in hls_passes(options) if not isinstance(step, FuseIntoProducer)]
        kernel, _ = run_pipeline(self.typed[key], steps)
        return verify_kernel(kernel)

    def build(self, options) -> Design:
        base = self.design
        options = fit_options(options, self.prepared(options))
        design = Design(
            base.name,
            self.kernel_for(options),
            base.float_kernel,
            options,
            base.example_shapes,
            base.hlo_source,
            (),
            base.reference,
        )
        if options.device not in self.devices:
            self.devices[options.device] = load_device(options.device)
        design._device = self.devices[options.device]
        if getattr(base, "hls4ml_origin", None) is not None:  # the model and configuration compile was given
            design.hls4ml_origin = base.hls4ml_origin
        return design

    def accuracy_of(self, design: Design, data) -> dict:
        key = (repr(design.options.precision_spec), repr(sorted(design.options.tables.items())))
        if key not in self.accuracy:
            x, y = (data[0], data[1] if len(data) > 1 else None) if isinstance(data, tuple) else (data, None)
            report = design.accuracy(x, y)
            self.accuracy[key] = {
                "accuracy": report.accuracy if report.accuracy is not None else report.top1_agreement,
                "max_abs_error": report.max_abs_error,
                # share of samples at the worst place a value wrapped or saturated: a garbage point shows here
                "overflow": max((o.share for o in report.overflows), default=0.0),
            }
        return self.accuracy[key]


class SparseBases:
    """A shared base per sparsity: the base design pruned once (``fpgalab.sparsify``), then shared by
    every point of that sparsity; sparsity 0 (or none asked) is the unpruned base."""

    def __init__(self, base: SharedBase, method: str, data):
        self.base, self.method = base, method
        labelled = isinstance(data, tuple) and len(data) == 2 and data[1] is not None
        self.data = data if method == "scan" and labelled else None  # the other methods need no data
        self.pruned: dict[float, SharedBase] = {}

    def __call__(self, sparsity) -> SharedBase:
        if not sparsity:
            return self.base
        sparsity = float(sparsity)
        if sparsity not in self.pruned:
            result = sparsify(self.base.design, method=self.method, target=sparsity, data=self.data)
            self.pruned[sparsity] = SharedBase(result.design, (), {})
        return self.pruned[sparsity]


def explore(
    fn,
    *example_args,
    space: dict,
    objective="latency",
    constraints: dict | None = None,
    data=None,
    sparsity_method: str = "global",
    deploy: dict | None = None,
    multi: dict | None = None,
    synthesize: bool = False,
    executor=None,
    workers: int | None = None,
    progress=None,
    **options,
) -> ExploreResult:
    """Evaluate every point of ``space``; see the module docstring."""
    check_executor(synthesize, executor, workers)
    constraints = dict(constraints or {})
    unknown = sorted(set(constraints) - set(CONSTRAINTS))
    if unknown:
        raise ValueError(f"unknown constraint(s) {', '.join(unknown)}; allowed: {', '.join(CONSTRAINTS)}")
    if not callable(objective) and objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)} or a function of a row, got {objective!r}")
    max_util = constraints.get("max_util", 1.0)
    if isinstance(max_util, bool) or not isinstance(max_util, (int, float)) or not max_util > 0:
        raise ValueError(f"max_util must be a positive fraction such as 0.8, got {max_util!r}")
    fixed = {k: constraints[k] for k in ("device", "clock_mhz") if k in constraints}
    given = fn.options.to_dict() if isinstance(fn, Design) else {}  # a design's own options are the base
    base_options = {**given, **options, **fixed}
    parse_options(**base_options)  # the options shared by all points must be valid on their own
    space, counts = split_devices(space)
    space, deploy_space = split_space(space)
    combos = deploy_combinations(deploy_space, deploy)
    deploying = combos != [{}]
    if objective in DEPLOY_OBJECTIVES and not deploying:
        raise ValueError(f"objective {objective!r} needs a deployment: give 'platform' in space or deploy={{...}}")
    combos = multi_combinations(combos, counts, multi, max_util)
    if objective in MULTI_OBJECTIVES and counts is None:
        raise ValueError(f"objective {objective!r} needs a devices axis: put 'devices': [1, 2, 4] in space")
    points = _points(space, base_options) if space or not (deploy_space or counts) else [{}]
    if SPARSITY in space:  # a bad method, or the scan without labels, fails before anything is compiled
        labelled = isinstance(data, tuple) and len(data) == 2 and data[1] is not None
        parse_goal(0.5, sparsity_method, None, labelled)
    start = time.perf_counter()
    base = SparseBases(SharedBase(fn, example_args, base_options), sparsity_method, data)
    rows, designs = [], []
    collecting = gc.isenabled()
    gc.disable()  # the points make many small objects and no cycles: collection pauses only cost time
    try:
        _evaluate(points, combos, base, base_options, max_util, constraints, data, rows, designs)
    finally:
        if collecting:
            gc.enable()
    if synthesize:
        add_synthesis(rows, designs, executor, workers, progress)
    seconds = time.perf_counter() - start
    ok = [row for row in rows if row["status"] == "ok"]
    keys = [("cycles", 1), ("util_max", 1)] + ([("accuracy", -1)] if data is not None else [])
    keys += [("card_throughput", -1)] if deploying else []
    keys += [("multi_throughput", -1)] if counts else []
    buildable = [row for row in ok if row["builds"]]  # a point hls4ml's build would not get through is no trade-off
    front = [buildable[i] for i in pareto_front(buildable, keys)]
    for row in rows:
        row["pareto"] = any(row is f for f in front)
    feasible = [row for row in ok if row["feasible"]]
    best = (
        min(feasible, key=lambda r: (_objective_value(objective, r), r["util_max"], r["cycles"])) if feasible else None
    )
    return ExploreResult(
        _as_table(rows),
        _as_table(front),
        best,
        seconds,
        len(rows),
        len(rows) - len(ok),
        objective if isinstance(objective, str) else getattr(objective, "__name__", "custom"),
        tuple(designs),
    )


def _evaluate(points, combos, base, base_options, max_util, constraints, data, rows, designs) -> None:
    """Evaluate each point into ``rows`` and ``designs``, its design deployed once per deployment
    combination (``combos``, ``[{}]`` for none); a point or deployment that fails is a row with its error."""
    for point in points:
        t0 = time.perf_counter()
        try:
            opts = parse_options(**{**base_options, **_compile_options(point)})
            shared = base(point.get(SPARSITY))
            design = shared.build(opts)
            metrics = _metrics(design.report(), max_util, constraints)
            if data is not None:
                metrics.update(shared.accuracy_of(design, data))
            error = None
        except (ValueError, CompileError, NotImplementedError) as err:
            design, metrics, error = None, {}, err
        for combo in combos:
            labels = {k: _label(v) for k, v in {**point, **combo}.items() if k not in ("banks", "_multi")}
            row = {"point": len(rows), **labels, **metrics}
            if error is None:
                try:
                    row.update(extra_columns(design, combo, deployed_row))
                    row["status"] = "ok"
                except ValueError as err:  # a batch the banks cannot hold, compute units that do not fit
                    row.update({"status": f"error: {err}", "feasible": False})
            else:
                row.update({"status": f"error: {error}", "feasible": False})
            designs.append(design)
            row["eval_ms"] = 1000 * (time.perf_counter() - t0)
            t0 = time.perf_counter()
            rows.append(row)


def _label(value):
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)


def _metrics(report, max_util: float, constraints: dict) -> dict:
    row = {
        "cycles": report.cycles,
        "interval": report.interval,
        "latency_us": report.latency_us,
        "throughput": report.throughput,
    }
    row.update({kind: getattr(report.resources, kind) for kind in RESOURCE_KINDS})
    row["util_max"] = report.utilization.max
    row["fits"] = report.fits
    # hls4ml's design would stop Vivado/Vitis HLS or not place (fpgalab.estimate.buildcheck): never the best
    row["builds"] = report.builds
    row["build_warning"] = next((str(w) for w in report.build if w.blocks), "")
    feasible = report.utilization.max <= max_util and report.builds
    if "max_latency" in constraints:
        feasible &= report.cycles <= constraints["max_latency"]
    if "max_interval" in constraints:
        feasible &= report.interval <= constraints["max_interval"]
    row["feasible"] = bool(feasible)
    return row


def _as_table(rows: list[dict]):
    try:
        import pandas as pd  # noqa: PLC0415
    except ImportError:
        return rows
    return pd.DataFrame(rows)
