"""fpgalab.sparsify's three methods on models trained here, and on a Keras application; writes bench/SPARSITY.md.

    .venv/bin/python bench/sparsity.py

Models, with fixed seeds, trained in the script on data that ships with scikit-learn:

* ``digits_mlp``: 64-32-16-10 on the 8x8 digits (1200 shuffled digits to train, the other 597 to measure);
* ``digits_cnn``: 8x8x1 -> Conv 3x3x16 -> Conv 3x3x32 -> Dense 10, same digits;
* ``synthetic_mlp``: 64-128-64-10 on ``make_classification`` (64 features, 10 classes; 3000 to train, 800 to measure);
* ``mobilenet``: ``keras.applications.MobileNet(alpha=0.25, input_shape=(32, 32, 3), classes=10, weights=None)``,
  random weights: for the structure and the speed only (time per method, DSP/LUT against sparsity).

Each is compiled with ``io="parallel"`` and ``ap_fixed<18,8>`` (the trained CNN's logits reach about
50, beyond ``ap_fixed<16,6>``'s range of 32) and pruned without retraining; then the digits CNN is
fine-tuned with its pruned weights held at zero to show what retraining would add. The tests do not
need this script.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import fpgalab  # noqa: E402

METHODS = ("global", "std", "scan")
SPARSITIES = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
BUDGETS = (0.005, 0.01, 0.02, 0.05)
PRECISION = "ap_fixed<18,8>"
OPTIONS = {"io": "parallel", "precision": PRECISION}
FINE_TUNE_EPOCHS = 5
MOBILENET_SPARSITIES = (0.0, 0.3, 0.5, 0.7, 0.9)
MOBILENET_SCAN_SPARSITIES = (0.5, 0.9)


def _train(model, x, y, epochs: int, rate: float = 3e-3) -> float:
    import keras  # noqa: PLC0415

    start = time.perf_counter()
    model.compile(keras.optimizers.Adam(rate), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return time.perf_counter() - start


def _digits():
    from sklearn.datasets import load_digits  # noqa: PLC0415

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    return (x[order] / 16.0).astype(np.float32), y[order]


def _synthetic():
    from sklearn.datasets import make_classification  # noqa: PLC0415

    x, y = make_classification(
        n_samples=3800,
        n_features=64,
        n_informative=40,
        n_redundant=8,
        n_classes=10,
        n_clusters_per_class=2,
        class_sep=1.5,
        random_state=0,
    )
    x = (x - x[:3000].mean(axis=0)) / x[:3000].std(axis=0)
    return x.astype(np.float32), y


def _trained_models():
    """{name: (model, (x_train, y_train), (x_test, y_test), epochs, training seconds)}."""
    import keras  # noqa: PLC0415

    layers = keras.layers
    x, y = _digits()
    xs, ys = _synthetic()
    found = {}
    keras.utils.set_random_seed(0)
    mlp = keras.Sequential(
        [
            keras.Input((64,)),
            layers.Dense(32, activation="relu", name="fc1"),
            layers.Dense(16, activation="relu", name="fc2"),
            layers.Dense(10, name="out"),
        ],
        name="digits_mlp",
    )
    found["digits_mlp"] = (mlp, (x[:1200], y[:1200]), (x[1200:], y[1200:]), 60)
    keras.utils.set_random_seed(0)
    cnn = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(16, 3, activation="relu", name="conv1"),
            layers.Conv2D(32, 3, activation="relu", name="conv2"),
            layers.Flatten(name="flatten"),
            layers.Dense(10, name="out"),
        ],
        name="digits_cnn",
    )
    images = x.reshape(-1, 8, 8, 1)
    found["digits_cnn"] = (cnn, (images[:1200], y[:1200]), (images[1200:], y[1200:]), 30)
    keras.utils.set_random_seed(0)
    wide = keras.Sequential(
        [
            keras.Input((64,)),
            layers.Dense(128, activation="relu", name="fc1"),
            layers.Dense(64, activation="relu", name="fc2"),
            layers.Dense(10, name="out"),
        ],
        name="synthetic_mlp",
    )
    found["synthetic_mlp"] = (wide, (xs[:3000], ys[:3000]), (xs[3000:], ys[3000:]), 30)
    trained = {}
    for name, (model, train, test, epochs) in found.items():
        seconds = _train(model, *train, epochs)
        trained[name] = (model, train, test, epochs, seconds)
        print(f"{name} trained in {seconds:.1f} s", flush=True)
    return trained


def _loss(result) -> float:
    return result.accuracy_before["top1"] - result.accuracy_after["top1"]


def _curve(design, data) -> list[dict]:
    rows = []
    for method in METHODS:
        for sparsity in SPARSITIES:
            result = fpgalab.sparsify(design, method=method, target=sparsity, data=data)
            resources = result.design.report().resources
            rows.append(
                {
                    "method": method,
                    "target": sparsity,
                    "sparsity": result.sparsity,
                    "loss": _loss(result),
                    "dsp": resources.dsp,
                    "lut": resources.lut,
                    "seconds": result.seconds,
                    "designs": result.evaluations,
                }
            )
    return rows


def _budgets(design, data) -> list[dict]:
    rows = []
    for method in METHODS:
        for budget in BUDGETS:
            result = fpgalab.sparsify(design, method=method, target={"top1": budget}, data=data)
            rows.append(
                {
                    "method": method,
                    "budget": budget,
                    "sparsity": result.sparsity,
                    "loss": _loss(result),
                    "dsp": result.design.report().resources.dsp,
                    "seconds": result.seconds,
                    "designs": result.evaluations,
                }
            )
    return rows


def _curve_table(rows: list[dict]) -> list[str]:
    """Sparsity against top-1 loss: a row per target, a column per method."""
    methods = list(dict.fromkeys(row["method"] for row in rows))
    targets = list(dict.fromkeys(row["target"] for row in rows))
    loss = {(row["method"], row["target"]): row["loss"] for row in rows}
    lines = ["| sparsity | " + " | ".join(f"{m} loss" for m in methods) + " |", "|" + "---|" * (len(methods) + 1)]
    for target in targets:
        lines.append(f"| {target:.2f} | " + " | ".join(f"{loss[(m, target)]:+.4f}" for m in methods) + " |")
    return lines


def _timing_table(curve: list[dict], budgets: list[dict] | None) -> list[str]:
    lines = ["| method | seconds per sparsity target (mean) | designs per target (mean) | seconds for the 1% budget |"]
    lines.append("|---|---|---|---|")
    for method in dict.fromkeys(row["method"] for row in curve):
        mine = [row for row in curve if row["method"] == method and row["target"] > 0]
        budget = [row for row in budgets or () if row["method"] == method and row["budget"] == 0.01]
        lines.append(
            f"| {method} | {np.mean([r['seconds'] for r in mine]):.2f} | {np.mean([r['designs'] for r in mine]):.1f} | "
            + (f"{budget[0]['seconds']:.2f} |" if budget else "- |")
        )
    return lines


def _markdown(rows: list[dict], columns: tuple[str, ...]) -> list[str]:
    def cell(value):
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for row in rows]
    return lines


def _masked_fine_tune(model, train, epochs: int):
    """Fine-tune ``model`` (a pruned Keras clone) with its zero kernel weights held at zero: after every
    batch each kernel is multiplied by its mask (1 where the weight was kept)."""
    import keras  # noqa: PLC0415

    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    masks = [(np.asarray(k) != 0).astype(np.float32) for k in kernels]

    class HoldZeros(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            for kernel, mask in zip(kernels, masks):
                kernel.assign(kernel * mask)

    start = time.perf_counter()
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(*train, epochs=epochs, batch_size=32, verbose=0, callbacks=[HoldZeros()])
    kept = all(np.all(np.asarray(k)[m == 0] == 0) for k, m in zip(kernels, masks))
    if not kept:
        raise AssertionError("a pruned weight moved during fine-tuning")
    return time.perf_counter() - start


def _hardware_top1(model, test) -> float:
    design = fpgalab.compile(model, test[0][:1], **OPTIONS)
    return float(np.mean(np.argmax(design.simulate(test[0]), axis=1) == test[1]))


def _fine_tuning(model, train, test, best: float) -> list[dict]:
    """At the sparsity the best method reached within 1% (and 10 and 20 points more): the scan's
    pruning alone, then after ``FINE_TUNE_EPOCHS`` epochs with the pruned weights held at zero."""
    rows = []
    for sparsity in (best, best + 0.1, best + 0.2):
        if sparsity >= 0.99:
            continue
        result = fpgalab.sparsify(model, method="scan", target=round(sparsity, 4), data=test, **OPTIONS)
        seconds = _masked_fine_tune(result.model, train, FINE_TUNE_EPOCHS)
        tuned = _hardware_top1(result.model, test)
        rows.append(
            {
                "sparsity": result.sparsity,
                "unpruned": result.accuracy_before["top1"],
                "pruned": result.accuracy_after["top1"],
                "fine-tuned": tuned,
                "loss pruned": _loss(result),
                "loss fine-tuned": result.accuracy_before["top1"] - tuned,
                "fine-tune seconds": seconds,
            }
        )
    return rows


def _mobilenet() -> list[str]:
    """Random weights: DSP/LUT and time per method against sparsity; accuracy means nothing here."""
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=10)
    x = np.random.default_rng(0).random((32, 32, 32, 3), dtype=np.float32)
    start = time.perf_counter()
    design = fpgalab.compile(model, x[:1], **OPTIONS)
    compile_seconds = time.perf_counter() - start
    labels = np.argmax(design.simulate(x), axis=1)  # the scan needs labels: the unpruned design's own top-1
    rows = []
    for method in METHODS:
        for sparsity in MOBILENET_SPARSITIES if method != "scan" else MOBILENET_SCAN_SPARSITIES:
            scan = {"data": (x, labels), "levels": (0.5, 0.8)} if method == "scan" else {}
            result = fpgalab.sparsify(design, method=method, target=sparsity, **scan)
            started = time.perf_counter()
            resources = result.design.report().resources
            estimate = time.perf_counter() - started
            rows.append(
                {
                    "method": method,
                    "target": sparsity,
                    "sparsity": result.sparsity,
                    "dsp": resources.dsp,
                    "lut": resources.lut,
                    "seconds": result.seconds,
                    "designs": result.evaluations,
                    "estimate seconds": estimate,
                }
            )
    base = fpgalab.sparsify(design, target=0.0)
    weights = sum(row.weights for row in base.layers)
    report = design.report().resources
    return [
        "## mobilenet (random weights: structure and speed only)",
        "",
        f"`keras.applications.MobileNet(alpha=0.25, input_shape=(32, 32, 3), classes=10, weights=None)`: "
        f"{weights} weights in {len(base.layers)} convolution layers; compiled in {compile_seconds:.1f} s; "
        f"unpruned DSP {report.dsp}, LUT {report.lut}. The weights are random, so accuracy means nothing "
        "and none is reported. Methods global and std need no data (`seconds`: the thresholds and the "
        "design rebuilt with the pruned weights; `estimate seconds`: its `report()` after); the scan (levels 0.5 and 0.8 per layer here) needs labels, so it is given 32 "
        f"random images labelled by the unpruned design's own top-1 (the design gives {len(np.unique(labels))} "
        "of the 10 classes to them: the scan sees no accuracy change and only its cost is meaningful), only so that its time per measured design shows.",
        "",
        *_markdown(rows, ("method", "target", "sparsity", "dsp", "lut", "seconds", "designs", "estimate seconds")),
        "",
    ]


def _held_out(design, test) -> list[str]:
    """The scan's 1% budget calibrated on one half of the held-out samples and checked on the other."""
    half = len(test[1]) // 2
    calibration, check = (test[0][:half], test[1][:half]), (test[0][half:], test[1][half:])
    result = fpgalab.sparsify(design, method="scan", target={"top1": 0.01}, data=calibration)

    def top1(candidate) -> float:
        return float(np.mean(np.argmax(candidate.simulate(check[0]), axis=1) == check[1]))

    before, after = top1(design), top1(result.design)
    return [
        "### The 1% budget on digits the scan did not calibrate on",
        "",
        f"Calibrated on {half} of the held-out digits and checked on the other {len(check[1])}, the scan's "
        f"1% budget gives sparsity {result.sparsity:.3f} with top-1 {before:.4f} -> {after:.4f} "
        f"(loss {before - after:+.4f}) on the digits it never saw.",
        "",
    ]


def main() -> None:
    start = time.perf_counter()
    models = _trained_models()
    lines = [
        "# fpgalab.sparsify: sparsity against accuracy, and time per method",
        "",
        "Written by `bench/sparsity.py` (its docstring lists the models). Every model is compiled with",
        f'`io="parallel"` and `{PRECISION}` and pruned without retraining; accuracy is the hardware',
        "simulation's top-1 on the held-out samples, which are also the calibration data of the scan and",
        "of the loss budgets. `loss` is top-1 accuracy lost against the unpruned design (negative: pruning",
        "helped); `seconds` is the whole `fpgalab.sparsify` call, `designs` how many pruned designs it",
        "rebuilt and simulated.",
        "",
    ]
    finding = []
    for name, (model, train, test, epochs, seconds) in models.items():
        design = fpgalab.compile(model, test[0][:1], **OPTIONS)
        base = fpgalab.sparsify(design, target=0.0, data=test)
        weights = sum(row.weights for row in base.layers)
        curve = _curve(design, test)
        budgets = _budgets(design, test)
        report = design.report().resources
        lines += [
            f"## {name}",
            "",
            f"{weights} weights in {len(base.layers)} layers, trained {epochs} epochs on {len(train[1])} samples "
            f"({seconds:.1f} s); unpruned top-1 {base.accuracy_before['top1']:.4f} on {len(test[1])}, "
            f"DSP {report.dsp}, LUT {report.lut}.",
            "",
            "Sparsity against top-1 loss, per method (the curve):",
            "",
            *_curve_table(curve),
            "",
            "Every point:",
            "",
            *_markdown(curve, ("method", "target", "sparsity", "loss", "dsp", "lut", "seconds", "designs")),
            "",
            "Top-1 loss budgets (the largest sparsity within each):",
            "",
            *_markdown(budgets, ("method", "budget", "sparsity", "loss", "dsp", "seconds", "designs")),
            "",
            "Time per method:",
            "",
            *_timing_table(curve, budgets),
            "",
        ]
        if name == "digits_cnn":
            within = [row for row in budgets if row["budget"] == 0.01]
            best = max(within, key=lambda row: row["sparsity"])
            tuned = _fine_tuning(model, train, test, best["sparsity"])
            within_tuned = [row["sparsity"] for row in tuned if row["loss fine-tuned"] <= 0.01]
            finding = [
                f"**Digits CNN:** the best method within 1% top-1 loss without retraining is `{best['method']}`, "
                f"at sparsity {best['sparsity']:.3f} (loss {best['loss']:.4f}). With {FINE_TUNE_EPOCHS} epochs "
                "of fine-tuning, pruned weights held at zero, the largest sparsity tried that stays within 1% is "
                + (f"{max(within_tuned):.3f}" if within_tuned else "none")
                + " (see the fine-tuning table).",
                "",
            ]
            lines += [
                "### Fine-tuning the digits CNN at that sparsity",
                "",
                f"Pruned by the scan at the sparsity above and at 10 and 20 points more, then trained "
                f"{FINE_TUNE_EPOCHS} epochs (Adam 1e-3) on the training digits with every pruned kernel weight "
                "held at zero (a callback multiplies each kernel by its mask after every batch); top-1 of the "
                "rebuilt design's hardware simulation on the held-out digits.",
                "",
                *_markdown(
                    tuned,
                    (
                        "sparsity",
                        "unpruned",
                        "pruned",
                        "fine-tuned",
                        "loss pruned",
                        "loss fine-tuned",
                        "fine-tune seconds",
                    ),
                ),
                "",
                *_held_out(design, test),
            ]
        print(f"{name} done at {time.perf_counter() - start:.1f} s", flush=True)
    lines += _mobilenet()
    lines.append(f"Whole script: {time.perf_counter() - start:.0f} s on this machine (2 shared cores).")
    lines[9:9] = finding
    (ROOT / "bench" / "SPARSITY.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
