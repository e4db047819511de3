"""fpgalab.sparsify's three methods on two models trained here on scikit-learn's digits; writes bench/SPARSITY.md.

    .venv/bin/python bench/sparsity.py

The models: an MLP (64-32-16-10) and a small CNN (8x8x1 -> Conv 3x3x8 -> Conv 3x3x16 -> Dense 10),
each trained 30 epochs on 1200 digits, compiled with ``io="parallel"`` (ap_fixed<16,6>) and pruned
with calibration data the other 597 digits. For each method and sparsity: the hardware's top-1
accuracy loss on those digits, DSP and LUT of the estimate, and the seconds ``fpgalab.sparsify``
took; then for loss budgets, the sparsity each method reaches within them. The tests do not need
this script.
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
SPARSITIES = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
BUDGETS = (0.005, 0.01, 0.02, 0.05)


def _models(x_train, y_train):
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(0)
    mlp = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(32, activation="relu", name="fc1"),
            keras.layers.Dense(16, activation="relu", name="fc2"),
            keras.layers.Dense(10, name="out"),
        ],
        name="digits_mlp",
    )
    cnn = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv1"),
            keras.layers.Conv2D(16, 3, activation="relu", name="conv2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, name="out"),
        ],
        name="digits_cnn",
    )
    found = {}
    for model, shape in ((mlp, (-1, 64)), (cnn, (-1, 8, 8, 1))):
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x_train.reshape(shape), y_train, epochs=30, batch_size=32, verbose=0)
        found[model.name] = (model, shape)
    return found


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
                    "loss": result.accuracy_before["top1"] - result.accuracy_after["top1"],
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
                    "loss": result.accuracy_before["top1"] - result.accuracy_after["top1"],
                    "dsp": result.design.report().resources.dsp,
                    "seconds": result.seconds,
                    "designs": result.evaluations,
                }
            )
    return rows


def _markdown(rows: list[dict], columns: tuple[str, ...]) -> list[str]:
    def cell(value):
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for row in rows]
    return lines


def main() -> None:
    from sklearn.datasets import load_digits  # noqa: PLC0415

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    start = time.perf_counter()
    models = _models(x[:1200], y[:1200])
    lines = [
        "# fpgalab.sparsify on digits",
        "",
        "Written by `bench/sparsity.py`: an MLP and a small CNN trained in the script (30 epochs on 1200 of",
        'scikit-learn\'s digits), compiled with `io="parallel"`, pruned without retraining; accuracy is the',
        "hardware simulation's top-1 on the other 597 digits (also the calibration data of the scan and of",
        "the budgets). `loss` is top-1 accuracy lost against the unpruned design; `seconds` is the whole",
        "`fpgalab.sparsify` call (designs rebuilt and simulated: `designs`).",
        "",
    ]
    for name, (model, shape) in models.items():
        data = (x[1200:].reshape(shape), y[1200:])
        design = fpgalab.compile(model, data[0][:1], io="parallel")
        base = fpgalab.sparsify(design, target=0.0, data=data)
        weights = sum(row.weights for row in base.layers)
        lines += [
            f"## {name}",
            "",
            f"{weights} weights in {len(base.layers)} layers; unpruned top-1 {base.accuracy_before['top1']:.4f}, "
            f"DSP {design.report().resources.dsp}, LUT {design.report().resources.lut}.",
            "",
            "Sparsity targets:",
            "",
            *_markdown(
                _curve(design, data), ("method", "target", "sparsity", "loss", "dsp", "lut", "seconds", "designs")
            ),
            "",
            "Top-1 loss budgets (the largest sparsity within each):",
            "",
            *_markdown(_budgets(design, data), ("method", "budget", "sparsity", "loss", "dsp", "seconds", "designs")),
            "",
        ]
        print(f"{name} done at {time.perf_counter() - start:.1f} s", flush=True)
    lines.append(f"Whole script: {time.perf_counter() - start:.0f} s on this machine.")
    (ROOT / "bench" / "SPARSITY.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
