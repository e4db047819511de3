"""Mixed-precision search benchmark (issue 14): resources saved at <= 1 point of top-1 accuracy.

    .venv/bin/python bench/run_precision_search.py [--runs 3] [--write]

Two models with trained weights, each against uniform ``ap_fixed<16,6>``:

- the digits MLP 64-32-16-10 of examples/models.py (its stored weights, trained on scikit-learn's
  bundled 8x8 digits), measured on the 450 test images;
- a jet-tagging-shaped MLP 16-64-32-32-5 (hls4ml's architecture) trained here for 30 epochs on a
  synthetic 5-class task from scikit-learn's ``make_classification`` (16 features, 10 informative,
  seed 0), measured on 2,000 held-out samples.

``fpgalab.search_precision(..., loss=0.01)`` is run in hls4ml's io_parallel architecture (every
multiply unrolled, where bit widths set the resources) and in fpgalab's default layered one (a few
multipliers reused, where they matter little). The figures are the estimate's LUT, FF, DSP and BRAM
before and after, top-1 accuracy of the float model, the baseline and the chosen design, and the
median wall-clock time of --runs searches in one warm process (time.perf_counter). --write replaces
the "Mixed-precision search" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import fpgalab  # noqa: E402
from bench.results import write_section  # noqa: E402
from examples import models  # noqa: E402

SECTION = "## Mixed-precision search"


def jet_task():
    """The jet-tagging-shaped MLP trained on a synthetic 5-class task: (model, x_test, y_test)."""
    import keras  # noqa: PLC0415
    from sklearn.datasets import make_classification  # noqa: PLC0415

    x, y = make_classification(
        n_samples=12000, n_features=16, n_informative=10, n_redundant=2, n_classes=5, n_clusters_per_class=2,
        class_sep=1.5, random_state=0,
    )  # fmt: skip
    x = x.astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((16,))]
        + [keras.layers.Dense(n, activation="relu", name=f"fc{k + 1}") for k, n in enumerate((64, 32, 32))]
        + [keras.layers.Dense(5, activation="softmax", name="output")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:10000], y[:10000], epochs=30, batch_size=128, verbose=0)
    return model, x[10000:], y[10000:]


def measure(name, model, x, y, io, objective, runs):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fpgalab.search_precision(model, x[:1], data=(x, y), loss=0.01, io=io, objective=objective)
        times.append(time.perf_counter() - start)
    b, c = result.baseline, result.chosen
    return (
        f"| {name} | {io} | {objective} | {100 * result.float_accuracy:.2f}% / {100 * result.baseline_accuracy:.2f}% / "
        f"{100 * result.accuracy:.2f}% | {b['lut']:,.0f} -> {c['lut']:,.0f} | {b['dsp']:,.0f} -> {c['dsp']:,.0f} | "
        f"{b['ff']:,.0f} -> {c['ff']:,.0f} | {b['bram']:,.0f} -> {c['bram']:,.0f} | {100 * result.saving():.1f}% | "
        f"{100 * (1 - (c['lut'] + c['dsp']) / (b['lut'] + b['dsp'])):.1f}% | "
        f"{result.evaluations} | {statistics.median(times):.2f} s |",
        result,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    digits = models.get("digits_mlp").fn
    _, x_digits, _, y_digits = models.digits_data()
    jet, x_jet, y_jet = jet_task()
    rows, chosen = [], []
    for name, model, x, y in (("digits MLP", digits, x_digits, y_digits), ("jet-shaped MLP", jet, x_jet, y_jet)):
        for io, objective in (("parallel", "lut+dsp"), ("parallel", "lut+dsp count"), ("layered", "lut+dsp")):
            row, result = measure(name, model, x, y, io, objective, args.runs)
            rows.append(row)
            if io == "parallel":
                chosen.append(f"- {name}, {objective}: `{result.precision}`")
    text = "\n".join(
        [
            SECTION,
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, NumPy "
            f"{np.__version__}. Method: `bench/run_precision_search.py --runs {args.runs}` (see its docstring): "
            "`fpgalab.search_precision(model, x, data=(x_test, y_test), loss=0.01, io=...)`, against uniform "
            "ap_fixed<16,6>; resources are the estimate's; time is the median of the searches.",
            "",
            "| model | io | objective | top-1: float / ap_fixed<16,6> / chosen | LUT | DSP | FF | BRAM | "
            "LUT+DSP share of the part saved | LUT+DSP count saved | designs built | time |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            "Among the widths within budget the search keeps the one its objective prices lowest: the sum of "
            "the part's LUT and DSP shares (`lut+dsp`, the default; on xcvu9p a DSP is as much of the part as "
            "173 LUTs) or the plain number of LUTs plus DSPs (`lut+dsp count`). In hls4ml's io_parallel "
            "architecture every multiply is built: by shares the search frees nearly all DSPs and accepts the "
            "LUTs that narrow multiplies take (the jet-shaped MLP's count of LUTs plus DSPs then rises); by "
            "count it keeps the wider multiplies on DSPs and narrows the rest. In the layered architecture a "
            "few multipliers are reused and the savings are small. The precisions chosen (io_parallel):",
            "",
            *chosen,
            "",
        ]
    )
    print(text)
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
