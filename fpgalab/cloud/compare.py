"""A deployment side by side with TensorFlow on this machine's CPU (measured) and GPUs (published).

    comparison = deployment.compare(model)      # model: the Keras model the design was captured from
    print(comparison)                           # the text table; comparison.rows for the figures

Rows, each labelled with how its figures were obtained:

* ``estimated``: the FPGA deployment (``fpgalab.cloud.deploy``: the analytic card model); its watts
  when the deployment has a power model (``watts``), else none;
* ``measured``: the same Keras model in TensorFlow on this machine's CPU, at each batch size, once
  per thread setting ("1": one intra-op and one inter-op thread; "all": TensorFlow's default, every
  core). Each setting runs in its own Python process (``fpgalab.cloud.cpu_timing``), since
  TensorFlow fixes its thread pools when it initializes; the figure is the median of ``runs`` timed
  runs after warm-up. No watts: this machine's power is not measured;
* ``published``: GPU figures from ``published_gpu.json`` with their sources; nothing there was run
  here, and a row for another model than the design's says so in its model column.
"""

from __future__ import annotations

import json
import os
import platform as host_platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PUBLISHED_GPU = Path(__file__).with_name("published_gpu.json")
TIMING_SCRIPT = Path(__file__).with_name("cpu_timing.py")
KINDS = ("estimated", "measured", "published")


@dataclass(frozen=True)
class Row:
    """One way of running a model: its throughput (inferences/s), the seconds of one batch, watts."""

    device: str
    kind: str  # "estimated", "measured" or "published"
    model: str
    batch: int | None
    throughput: float | None
    batch_seconds: float | None
    watts: float | None
    source: str
    perf_per_watt_published: float | None = None  # a source that gives inferences/s/W directly
    threads: str | None = None  # measured CPU rows: the thread setting ("1", "all", ...)

    @property
    def perf_per_watt(self) -> float | None:
        if self.perf_per_watt_published is not None:
            return self.perf_per_watt_published
        if self.throughput is None or not self.watts:
            return None
        return self.throughput / self.watts


@dataclass(frozen=True)
class Comparison:
    design: str
    rows: tuple[Row, ...]
    notes: tuple[str, ...]

    def by_kind(self, kind: str) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.kind == kind)

    def cpu(self, threads: str = "1", batch: int | None = None) -> Row:
        """The measured CPU row for ``threads`` ("1", "all", ...) at ``batch`` (default: the FPGA's)."""
        batch = batch or self.by_kind("estimated")[0].batch
        for row in self.by_kind("measured"):
            if row.batch == batch and row.threads == threads:
                return row
        raise KeyError(f"no measured CPU row with threads={threads!r} at batch {batch}")

    def speedup(self, threads: str = "1") -> float:
        """The FPGA's throughput over TensorFlow's on the CPU with ``threads``, same batch size."""
        fpga = self.by_kind("estimated")[0]
        return fpga.throughput / self.cpu(threads, fpga.batch).throughput

    def table(self) -> str:
        fpga = self.by_kind("estimated")[0]
        head = ("device", "kind", "model", "batch", "inferences/s", "batch time", "W", "inf/s/W", "FPGA x")
        lines = [head]
        for row in self.rows:
            ratio = fpga.throughput / row.throughput if row.throughput and row is not fpga else None
            lines.append(
                (
                    row.device,
                    row.kind,
                    row.model,
                    "-" if row.batch is None else str(row.batch),
                    _number(row.throughput, "{:,.0f}"),
                    "-" if row.batch_seconds is None else _seconds(row.batch_seconds),
                    _number(row.watts, "{:g}"),
                    _number(row.perf_per_watt, "{:,.1f}"),
                    _number(ratio, "{:.1f}x"),
                )
            )
        widths = [max(len(line[k]) for line in lines) for k in range(len(head))]
        text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
        text.insert(1, "  ".join("-" * w for w in widths))
        sources = [f"[{k}] {row.device}: {row.source}" for k, row in enumerate(self.rows) if row.kind != "measured"]
        return "\n".join(text + ["", "sources:"] + sources + [f"note: {note}" for note in self.notes])

    __str__ = table


def _number(value, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def _seconds(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:,.1f} us"


def _thread_label(threads: str) -> str:
    return "all threads" if threads == "all" else f"{threads} thread" + ("" if threads == "1" else "s")


def published_gpu_rows(model: str | None = None) -> tuple[Row, ...]:
    """The published GPU figures (``published_gpu.json``), those for ``model`` when given."""
    rows = []
    for entry in json.loads(PUBLISHED_GPU.read_text())["figures"]:
        if model is not None and entry["model"] != model:
            continue
        rows.append(
            Row(
                device=entry["gpu"],
                kind="published",
                model=entry["model"],
                batch=entry.get("batch"),
                throughput=entry.get("throughput"),
                batch_seconds=entry.get("batch_seconds"),
                watts=entry.get("board_power_w"),
                source=entry["source"],
                perf_per_watt_published=entry.get("perf_per_watt"),
            )
        )
    return tuple(rows)


def fpga_row(deployment) -> Row:
    watts = getattr(deployment, "watts", None)
    units = deployment.compute_units
    return Row(
        device=f"FPGA {deployment.platform.name}, {units} CU{'s' if units > 1 else ''}, bound by {deployment.binding}",
        kind="estimated",
        model=deployment.design_name,
        batch=deployment.batch,
        throughput=deployment.throughput,
        batch_seconds=deployment.batch_latency,
        watts=float(watts) if watts is not None else None,
        source="fpgalab.cloud.deploy: the analytic model of the card"
        + ("" if watts is not None else " (no watts: the power model is not merged in this branch)"),
    )


def _check_threads(threads) -> tuple[str, ...]:
    threads = (threads,) if isinstance(threads, str) else tuple(threads)
    for setting in threads:
        if setting != "all" and not (isinstance(setting, str) and setting.isdigit() and int(setting) > 0):
            raise ValueError(f"threads are 'all' or a positive count as a string ('1', '4'), got {setting!r}")
    if not threads:
        raise ValueError("give at least one thread setting, e.g. threads=('1', 'all')")
    return threads


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return host_platform.processor() or host_platform.machine()


def measure_cpu(model_path: Path, threads: str, batches, runs: int, x_path: Path | None = None) -> dict:
    """Run ``cpu_timing.py`` in a new Python process for one thread setting; its JSON answer."""
    request = {"model": str(model_path), "threads": threads, "batches": list(batches), "runs": runs}
    if x_path is not None:
        request["x"] = str(x_path)
    result = subprocess.run(
        [sys.executable, "-I", str(TIMING_SCRIPT), json.dumps(request)],  # -I: its folder (platform.py) off the path
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"timing TensorFlow on the CPU ({threads} threads) failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _saved_model(model, folder: Path) -> Path:
    if isinstance(model, (str, Path)):
        path = Path(model).expanduser()
        if path.suffix != ".keras" or not path.exists():
            raise ValueError(f"model {str(path)!r}: give a Keras model or an existing .keras file")
        return path
    if not hasattr(model, "save") or not hasattr(model, "inputs"):
        raise ValueError(
            f"model must be a Keras model (or a .keras file) to time in TensorFlow on the CPU, got {type(model).__name__}"
        )
    path = folder / "model.keras"
    model.save(path)
    return path


class ModelNeeded(ValueError):
    """``compare()`` was called without the model to time in TensorFlow (a design keeps no runnable copy)."""


def compare_deployment(
    deployment, model=None, x=None, threads=("1", "all"), batches=None, runs: int = 5, published=None
) -> Comparison:
    """``deployment`` (estimated) next to ``model`` timed in TensorFlow on this CPU and published GPU rows.

    ``model``: the Keras model (or .keras file) the design was captured from; a design keeps only a
    TensorFlow callable, which cannot be handed to another process. ``x``: samples to time on
    (repeated to fill each batch; default standard normal values). ``batches``: batch sizes to time
    (default the deployment's). ``published``: ``None`` for the GPU figures of this model,
    ``"all"`` for every figure on file, or a sequence of :class:`Row`.
    """
    if model is None:
        raise ModelNeeded(
            f"compare() times the model in TensorFlow on the CPU: pass the Keras model {deployment.design_name} "
            "was captured from (or its .keras file), e.g. deployment.compare(model)"
        )
    threads = _check_threads(threads)
    batches = tuple(batches) if batches is not None else (deployment.batch,)
    if not batches or any(not isinstance(b, int) or isinstance(b, bool) or b < 1 for b in batches):
        raise ValueError(f"batches must be positive integers, got {batches!r}")
    if not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive integer, got {runs!r}")
    rows = [fpga_row(deployment)]
    cpu = f"{_cpu_name()}, {os.cpu_count()} cores"
    with tempfile.TemporaryDirectory(prefix="fpgalab-compare-") as tmp:
        folder = Path(tmp)
        path = _saved_model(model, folder)
        x_path = None
        if x is not None:
            x_path = folder / "x.npy"
            np.save(x_path, np.asarray(x, dtype=np.float32))
        for setting in threads:
            timing = measure_cpu(path, setting, batches, runs, x_path)
            label = _thread_label(setting) if setting != "all" else f"all threads ({timing['threads']})"
            for batch in batches:
                seconds = timing["seconds"][str(batch)]
                rows.append(
                    Row(
                        device=f"CPU {cpu}: TensorFlow {timing['tensorflow']}, {label}",
                        kind="measured",
                        model=deployment.design_name,
                        batch=batch,
                        throughput=batch / seconds,
                        batch_seconds=seconds,
                        watts=None,
                        source=f"measured here: median of {runs} timed runs after warm-up",
                        threads=setting,
                    )
                )
    if published == "all":
        gpu = published_gpu_rows()
    elif published is None:
        gpu = published_gpu_rows(deployment.design_name)
    else:
        gpu = tuple(published)
    notes = []
    if not gpu:
        notes.append(f"no published GPU figure on file for {deployment.design_name}; pass published='all' or rows")
    if rows[0].watts is None:
        notes.append("FPGA watts: the power model is not merged in this branch, so no FPGA perf/W")
    notes.append("published rows were not run here: other hardware, software and often another model")
    return Comparison(deployment.design_name, tuple(rows) + gpu, tuple(notes))
