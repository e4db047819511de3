"""Sweeps on a Dask cluster (issue 16): a 16-point explore with Yosys synthesis, serial against a LocalCluster.

    nice .venv/bin/python bench/run_scale.py [--runs 3] [--write]

The design is the captured one-layer dense_8 model of tests/data (8 inputs, one output), and the
space is four precisions by four unrollings: 16 different netlists, each synthesized by Yosys
(``synth_xilinx`` for xcvu9p, through pyosys). Each run times, in this order:

- serial: ``fpgalab.explore(design, space=..., synthesize=True)``, the syntheses one after another;
- workers=2: the same call with ``workers=2``, starting a Dask LocalCluster of 2 single-threaded
  worker processes and closing it again inside the call (what a user's call costs);
- a running cluster: ``executor=client`` of a LocalCluster(2) started before the runs (the cost
  without the start, as on a cluster that is already up).

Every run synthesizes every point: each one gets an empty ``FPGALAB_CACHE`` (the running cluster's
workers are pointed at theirs with ``client.run``). The rows of the runs are checked equal. The
figures are medians of --runs runs (time.perf_counter); the speed-up is serial / parallel. The
load average before and after is written with the figures: other users' jobs slow the parallel
runs more than the serial one. --write replaces the "Sweeps on a Dask cluster" section of
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import fpgalab  # noqa: E402
from bench.results import write_section  # noqa: E402

SECTION = "## Sweeps on a Dask cluster"
SPACE = {
    "precision": ["ap_fixed<16,6>", "ap_fixed<8,3>", "ap_fixed<12,4>", "ap_fixed<10,4>"],
    "unroll": [1, 2, 4, "full"],
}


def _set_cache(path: str) -> None:
    os.environ["FPGALAB_CACHE"] = path


def _rows(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "eval_ms"} for row in result.table.to_dict("records")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="replace the section of bench/RESULTS.md")
    parser.add_argument("--points", type=int, default=16, choices=(4, 16), help="4: a quick check of the script")
    args = parser.parse_args()
    space = SPACE if args.points == 16 else {name: values[:2] for name, values in SPACE.items()}

    import distributed
    from conftest import case

    design = case("dense_8").design(dataflow=False)
    scratch = Path(tempfile.mkdtemp(prefix="fpgalab-bench-scale-"))
    load_before = os.getloadavg()
    start = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=logging.ERROR
    )
    client = distributed.Client(cluster, set_as_default=False)
    cluster_start = time.perf_counter() - start
    times = {"serial": [], "workers=2": [], "running cluster": []}
    loads = {kind: [] for kind in times}  # the 1-minute load average after each run
    reference = None
    try:
        for run in range(args.runs):
            for kind in times:
                cache = str(scratch / f"{kind}-{run}")
                _set_cache(cache)
                options = {}
                if kind == "workers=2":
                    options = {"workers": 2}
                elif kind == "running cluster":
                    client.run(_set_cache, cache)
                    options = {"executor": client}
                t0 = time.perf_counter()
                result = fpgalab.explore(design, space=space, synthesize=True, progress=False, **options)
                times[kind].append(time.perf_counter() - t0)
                loads[kind].append(os.getloadavg()[0])
                assert result.points == args.points and result.failed == 0, result.table
                rows = _rows(result)
                reference = reference or rows
                assert rows == reference, f"{kind} run {run}: rows differ from the serial run's"
                assert len(list((Path(cache) / "yosys").iterdir())) == args.points  # every point was synthesized
                print(f"run {run} {kind}: {times[kind][-1]:.1f} s, load {os.getloadavg()}", flush=True)
    finally:
        client.close()
        cluster.close()
    load_after = os.getloadavg()
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    serial = medians["serial"]
    lines = [
        SECTION,
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"dask {distributed.__version__}. Method: `nice bench/run_scale.py --runs {args.runs}` (see its docstring): "
        "`fpgalab.explore(design, space=4 precisions x 4 unrollings, synthesize=True)` on the captured dense_8 "
        "model, every point synthesized by Yosys (`synth_xilinx`, xcvu9p, an empty cache per run); medians "
        "of the runs, the three kinds interleaved run by run. The rows of every run are equal to the serial run's.",
        "",
        f"Load: the machine is shared (5 engineers); load average (1, 5, 15 min) {_load(load_before)} before the "
        f"runs, {_load(load_after)} after. Starting the LocalCluster of 2 workers took {cluster_start:.1f} s.",
        "",
        "| how | runs (s) | load average (1 min) after each run | median | speed-up over serial |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, values in times.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        load = ", ".join(f"{v:.1f}" for v in loads[kind])
        lines.append(f"| {kind} | {runs} | {load} | {medians[kind]:.1f} s | {serial / medians[kind]:.2f}x |")
    lines += [
        "",
        "`workers=2` includes starting and closing the LocalCluster inside the call; `running cluster` is "
        "`executor=client` of a LocalCluster(2) started once. Each point's design is built here in milliseconds "
        "and sent to a worker as its JSON; the Yosys process of each point is the work, so two workers on two "
        "cores can at best halve the time (and the other users' jobs compete for the same two cores).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write and args.points == 16:
        write_section(SECTION, text)


def _load(values) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
