"""Deployment axes of ``fpgalab.explore``: each point's design deployed on a cloud FPGA card.

    result = fpgalab.explore(design, space={"reuse": [1, 4], "batch": [1, 16, 256], "compute_units": [1, "auto"]},
                             deploy={"platform": "aws-f1"}, objective="card_throughput")

The space may hold the deployment options ``platform``, ``batch``, ``compute_units``, ``axi_width``,
``pack``, ``convert``, ``burst`` and ``host_seconds_per_sample`` (``design.deploy``); the ``deploy``
keyword of ``explore`` holds the deployment options every point shares (those and ``banks``). A
sweep deploys when ``platform`` is given in either place. The design is built once per combination
of compile options and then deployed once per combination of deployment options (the analytic
model of ``fpgalab.cloud.deploy``: microseconds per point). A deployment that is impossible (a batch
too large for the banks, more compute units than fit or than there are banks) is a row whose
``status`` holds the error.

Columns of a deployed row: ``platform``, ``batch``, ``compute_units`` (the number deployed, also for
"auto"; ``compute_units_asked`` keeps what was asked), ``card_throughput`` (inferences per second of a stream of batches on the whole card; the
row's ``throughput`` stays the kernel's inputs per second), ``batch_latency_us``,
``inference_latency_us`` (one sample sent alone), ``binds`` (what limits the card: host, pcie, bank,
axi, kernel or fit), ``watts`` and ``inferences_per_joule`` (at the power model's default toggle rate).
"""

from __future__ import annotations

import itertools

from fpgalab.cloud.deploy import Deployment

SPACE_KEYS = ("platform", "batch", "compute_units", "axi_width", "pack", "convert", "burst", "host_seconds_per_sample")
FIXED_KEYS = SPACE_KEYS + ("banks",)
OBJECTIVES = ("card_throughput", "perf_per_watt", "inference_latency")
COLUMNS = (
    "card_throughput",
    "batch_latency_us",
    "inference_latency_us",
    "binds",
    "watts",
    "inferences_per_joule",
)


def split_space(space: dict) -> tuple[dict, dict]:
    """(compile space, deployment space) of an explore space."""
    if not isinstance(space, dict):
        raise ValueError("space must be a non-empty dict: option name -> list of values to try")
    deploy_space = {name: values for name, values in space.items() if name in SPACE_KEYS}
    return {name: values for name, values in space.items() if name not in SPACE_KEYS}, deploy_space


def deploy_combinations(deploy_space: dict, fixed: dict | None) -> list[dict]:
    """The deployment options of each combination (``[{}]`` when the sweep does not deploy)."""
    fixed = dict(fixed or {})
    unknown = sorted(set(fixed) - set(FIXED_KEYS))
    if unknown:
        raise ValueError(f"unknown deploy option(s) {', '.join(unknown)}; allowed: {', '.join(FIXED_KEYS)}")
    for name, values in deploy_space.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"space[{name!r}] must be a non-empty list of values, got {values!r}")
    if not deploy_space and not fixed:
        return [{}]
    if "platform" not in deploy_space and "platform" not in fixed:
        given = ", ".join(sorted(set(deploy_space) | set(fixed)))
        raise ValueError(
            f"deployment option(s) {given} need a platform: put 'platform' in space or in deploy={{...}} "
            "(e.g. deploy={'platform': 'aws-f1'})"
        )
    names = list(deploy_space)
    return [{**fixed, **dict(zip(names, combo))} for combo in itertools.product(*(deploy_space[n] for n in names))]


def deployed_row(design, options: dict) -> dict:
    """The columns of ``design`` deployed with ``options``; raises ValueError when it cannot be."""
    options = dict(options)
    platform, batch = options.pop("platform"), options.pop("batch", 256)
    deployment = Deployment(design, platform, batch, **options)
    watts = deployment.power().total_w
    return {
        "platform": deployment.platform.name,
        "batch": deployment.batch,
        "compute_units": deployment.compute_units,
        "compute_units_asked": options.get("compute_units", "auto"),
        "card_throughput": deployment.throughput,
        "batch_latency_us": deployment.batch_latency * 1e6,
        "inference_latency_us": deployment.inference_latency * 1e6,
        "binds": deployment.binding,
        "watts": watts,
        "inferences_per_joule": deployment.throughput / watts,
    }


def objective_value(objective: str, row: dict) -> float:
    """A deployment objective of a row, to minimise."""
    if objective == "card_throughput":
        return -row["card_throughput"]
    if objective == "perf_per_watt":
        return -row["inferences_per_joule"]
    return row["inference_latency_us"]
