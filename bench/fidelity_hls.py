"""fpgalab's io="parallel" estimate against published Vivado/Vitis HLS reports of hls4ml designs.

Rebuilds each design of ``DESIGNS`` as a Keras model with its published weights (or, where the
authors did not publish them and the multiplier limit makes the figures independent of them,
the hls4ml example model of the same architecture), compiles it with the configuration the report
was made with (precision, reuse factor, strategy, part, clock, the tool's clock uncertainty) and
writes bench/FIDELITY_HLS.md: estimate / published for latency, interval, DSP, LUT, FF and BRAM,
and where every published number comes from (bench/hls_reports/published.json, SOURCES.md).

    .venv/bin/python bench/fidelity_hls.py          # about a minute (TensorFlow captures)

The model's constants are not fitted to these rows: operator delays come from HLS's own verbose
schedule reports (fpgalab/costs/delays.py), the constant-multiply rule from its expression tables
(fpgalab/costs/constants.py). Every third row is still reported apart as the held-out set.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "bench" / "hls_reports"
SHARED = ROOT.parent / "shared" / "data" / "example-models"
sys.path.insert(0, str(ROOT))

import fpgalab  # noqa: E402

HLS4ML_16_6 = {"default": "ap_fixed<16,6>", "accum": "ap_fixed<16,6>"}  # hls4ml: accum_t = the layer type
QKERAS_6 = {  # hls4ml_config.yml of the QKeras projects (tutorial part 4): weights <6,1>, ReLU ufixed<6,0>
    **HLS4ML_16_6,
    **{layer: {"weight": "ap_fixed<6,1>", "bias": "ap_fixed<6,1>"} for layer in ("fc1", "fc2", "fc3", "output")},
    **{relu: {"result": "ap_ufixed<6,0,AP_RND_CONV,AP_SAT>"} for relu in ("relu1", "relu2", "relu3")},
}
UNCERTAINTY = {"vivado": 0.125, "vitis": 0.27}  # hls4ml's defaults per tool
METRICS = ("latency", "interval", "dsp", "lut", "ff", "bram")


@dataclass(frozen=True)
class Row:
    id: str  # the record in published.json
    weights: str  # bench/hls_reports/weights/<name>.npz, or "example:KERAS_3layer"
    precision: dict
    reuse: int
    part: str  # fpgalab's part (the same family and speed grade as the published one)
    tool: str = "vivado"
    instance: str = ""  # compare with this instance of the report (the core inside an AXI wrapper)
    note: str = ""
    strategy: str = "latency"
    options: dict = field(default_factory=dict)


_SWEEP = ("example:KERAS_3layer", HLS4ML_16_6)
_SWEEP_NOTE = (
    "weights not published; example-models KERAS_3layer (same architecture) stands in: "
    "at this reuse factor the multiplier limit binds, so DSPs do not depend on them"
)
DESIGNS = [
    Row("hp-run1-p1-rf1", "hp_run1_model1", HLS4ML_16_6, 1, "xcu250"),
    Row("hp-run1-p2-rf2", "hp_run1_model1", HLS4ML_16_6, 2, "xcu250"),
    Row("hp-run1-p3-pruned75", "hp_run1_model2", HLS4ML_16_6, 1, "xcu250", note="75 % pruned"),
    Row("hp-run1-p4-qkeras6-pruned", "hp_run1_model3", QKERAS_6, 1, "xcu250", note="QKeras 6-bit, pruned"),
    Row(
        "hp-run1-p7a-pynqz2-rf64",
        "hp_run1_model3",
        QKERAS_6,
        64,
        "xc7z020",
        instance="core",
        note="QKeras 6-bit; the network core inside the AXI wrapper",
    ),
    Row("hp-run2-p1-rf1", "hp_run2_model1", HLS4ML_16_6, 1, "xcu250"),
    Row("hp-run2-p2-rf2", "hp_run2_model1_rf2", HLS4ML_16_6, 2, "xcu250"),
    Row("hp-run2-p4-qkeras6-pruned", "hp_run2_model3", QKERAS_6, 1, "xcu250", note="QKeras 6-bit, pruned"),
    Row(
        "hp-run2-p7a-pynqz2-rf64",
        "hp_run2_model3",
        QKERAS_6,
        64,
        "xc7z020",
        instance="core",
        note="QKeras 6-bit; the network core inside the AXI wrapper",
    ),
    *[
        Row(f"tut-csee-p2b-sweepA-rf{rf}", *_SWEEP, rf, "xczu9eg", note=_SWEEP_NOTE + "; xczu7ev estimated as xczu9eg")
        for rf in (4, 8, 16, 32, 64, 128, 256)
    ],
]


# Latency and interval only: designs whose weights were not published, at reuse 1 where the DSPs
# depend on them; their timing depends on the tool and part (Vitis HLS, 7-series), not on the weights.
_TIMING_NOTE = "weights not published: example-models KERAS_3layer stands in; latency and interval only"
TIMING_ONLY = [
    Row("tut-2024-p1-rf1", *_SWEEP, 1, "xcu250", tool="vitis", note=_TIMING_NOTE),
    Row("tut-2024-p2-rf2", *_SWEEP, 2, "xcu250", tool="vitis", note=_TIMING_NOTE),
    Row("mn-p1-rf1-z7020", *_SWEEP, 1, "xc7z020", tool="vitis", note=_TIMING_NOTE),
    Row("tut-2020-p1-rf1-xcu250", *_SWEEP, 1, "xcu250", note=_TIMING_NOTE),
    Row("tut-csee-p1-rf1-2019.2", *_SWEEP, 1, "xczu9eg", note=_TIMING_NOTE + "; xczu3eg estimated as xczu9eg"),
]


def _weights(name: str) -> dict:
    if name.startswith("example:"):
        import h5py  # noqa: PLC0415

        stem = name.split(":", 1)[1]
        out = {}
        with h5py.File(SHARED / f"{stem}_weights.h5", "r") as f:
            for keras_name, ours in (
                ("fc1_relu", "fc1"),
                ("fc2_relu", "fc2"),
                ("fc3_relu", "fc3"),
                ("output_softmax", "output"),
            ):
                out[f"{ours}/kernel"] = np.array(f[keras_name][keras_name]["kernel:0"])
                out[f"{ours}/bias"] = np.array(f[keras_name][keras_name]["bias:0"])
        return out
    with np.load(REPORTS / "weights" / f"{name}.npz") as data:
        return {k: data[k] for k in data.files}


def jet_mlp(weights: dict):
    """hls4ml's tutorial jet tagger: 16-64-32-32-5, ReLU, softmax, with the given weights."""
    import keras  # noqa: PLC0415

    layers = [keras.Input((16,))]
    for name, units, act in (
        ("fc1", 64, "relu1"),
        ("fc2", 32, "relu2"),
        ("fc3", 32, "relu3"),
        ("output", 5, "softmax"),
    ):
        layers.append(keras.layers.Dense(units, name=name))
        layers.append(keras.layers.Activation("softmax" if act == "softmax" else "relu", name=act))
    model = keras.Sequential(layers)
    for name in ("fc1", "fc2", "fc3", "output"):
        model.get_layer(name).set_weights([weights[f"{name}/kernel"], weights[f"{name}/bias"]])
    return model


def svhn_cnn(seed: int = 0, pruned: float = 0.5):
    """hls4ml's SVHN CNN (tutorial part 6): 32x32x3, three Conv2D 3x3 (16, 16, 24; no bias) each with
    BatchNorm, ReLU and 2x2 max pooling, then Dense 42 and 64 (BatchNorm, ReLU) and Dense 10 with
    softmax. Its weights were not published: seeded random ones, half of them zero (the design was 50 %
    pruned), stand in; the timing compared does not depend on their values."""
    import keras  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    layers = [keras.Input((32, 32, 3))]
    for k, filters in enumerate((16, 16, 24)):
        layers += [
            keras.layers.Conv2D(filters, 3, use_bias=False, name=f"conv_{k}"),
            keras.layers.BatchNormalization(name=f"bn_conv_{k}"),
            keras.layers.Activation("relu", name=f"conv_act_{k}"),
            keras.layers.MaxPooling2D(2, name=f"pool_{k}"),
        ]
    layers.append(keras.layers.Flatten())
    for k, units in enumerate((42, 64)):
        layers += [
            keras.layers.Dense(units, use_bias=False, name=f"dense_{k}"),
            keras.layers.BatchNormalization(name=f"bn_dense_{k}"),
            keras.layers.Activation("relu", name=f"dense_act_{k}"),
        ]
    layers += [keras.layers.Dense(10, name="output_dense"), keras.layers.Activation("softmax", name="output_softmax")]
    model = keras.Sequential(layers)
    for layer in model.layers:
        weights = [rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()]
        if isinstance(layer, keras.layers.BatchNormalization):
            weights[3] = np.abs(weights[3]) + 0.5  # a positive variance
        elif weights:
            weights[0][rng.random(weights[0].shape) < pruned] = 0.0
        layer.set_weights(weights)
    return model


STREAM_TIMING = [("tut-cnn-pruned50", "xcu250", "vivado"), ("tut-cnn-pruned50-ref2021-05", "xcu250", "vivado")]


def published(record: dict, instance: str) -> dict:
    source = record["core_instance"] if instance == "core" else record
    lut = record.get("vsynth_lut") if not instance and record.get("vsynth_lut") else source["lut"]
    ff = record.get("vsynth_ff") if not instance and record.get("vsynth_ff") else source["ff"]
    return {
        "latency": source["latency_min"],
        "interval": source["interval_min"],
        "dsp": source["dsp"],
        "lut": lut,
        "ff": ff,
        "bram": source["bram_18k"],
        "lutff_kind": "post-synthesis" if not instance and record.get("vsynth_lut") else "csynth",
    }


def estimate(row: Row) -> dict:
    model = jet_mlp(_weights(row.weights))
    example = np.zeros((1, 16), dtype=np.float32)
    design = fpgalab.compile(
        model,
        example,
        io="parallel",
        strategy=row.strategy,
        precision=row.precision,
        reuse=row.reuse,
        device=row.part,
        clock_mhz=200.0,
        clock_uncertainty=UNCERTAINTY[row.tool],
        **row.options,
    )
    report = design.report()
    total = report.resources
    return {
        "latency": report.cycles,
        "interval": report.interval,
        "dsp": total.dsp,
        "lut": total.lut,
        "ff": total.ff,
        "bram": total.bram,
    }


def _ratio(est, pub):
    if pub in (None, 0):
        return None
    return est / pub


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _spread(values):
    values = [v for v in values if v is not None]
    return max(values, key=lambda r: max(r, 1 / r)) if values else None


def main() -> None:
    records = {r["id"]: r for r in json.loads((REPORTS / "published.json").read_text())}
    rows = []
    for k, row in enumerate(DESIGNS):
        record = records[row.id]
        pub, est = published(record, row.instance), estimate(row)
        ratios = {m: _ratio(est[m], pub[m]) for m in METRICS}
        rows.append((k, row, record, pub, est, ratios))
        print(row.id, {m: f"{est[m]}/{pub[m]}" for m in METRICS}, flush=True)
    timing = []
    for row in TIMING_ONLY:
        record = records[row.id]
        pub, est = published(record, row.instance), estimate(row)
        timing.append((row, record, pub, est))
        print(row.id, {m: f"{est[m]}/{pub[m]}" for m in ("latency", "interval")}, flush=True)
    for record_id, part, tool in STREAM_TIMING:
        record = records[record_id]
        row = Row(record_id, "", HLS4ML_16_6, 1, part, tool=tool, note="io_stream; weights not published")
        design = fpgalab.compile(
            svhn_cnn(),
            np.zeros((1, 32, 32, 3), np.float32),
            io="stream",
            precision=HLS4ML_16_6,
            device=part,
            clock_mhz=200.0,
            clock_uncertainty=UNCERTAINTY[tool],
        )
        report = design.report()
        est = {"latency": report.cycles, "interval": report.interval}
        timing.append((row, record, published(record, ""), est))
        print(record_id, {m: f"{est[m]}/{published(record, '')[m]}" for m in ("latency", "interval")}, flush=True)
    write(rows, timing)


def _fmt(r):
    return "-" if r is None else f"{r:.2f}"


def write(rows, timing=()) -> None:
    lines = [
        '# fpgalab\'s io="parallel" estimate against published hls4ml synthesis reports',
        "",
        "Written by `bench/fidelity_hls.py` (run it to regenerate). Each row rebuilds a published hls4ml "
        "design (io_parallel, Latency strategy) from its Keras model and configuration and divides "
        "fpgalab's estimate by the published figure: latency and interval in cycles, DSP, LUT, FF, "
        "BRAM_18K. Latency, interval, DSP and BRAM are C-synthesis (csynth) figures; LUT and FF are "
        "post-synthesis (Vivado `synth_design`) where the source has them, csynth otherwise (column "
        "`LUT/FF from`). Every published number, its repository, commit, file and the report text "
        "are in `bench/hls_reports/published.json`; the sources are listed in `bench/hls_reports/SOURCES.md`.",
        "",
        "No constant of the model was fitted to these rows: operator delays come from HLS's verbose "
        "schedule reports (`fpgalab/costs/delays.py`), the constant-multiply rule from its expression "
        "tables (`fpgalab/costs/constants.py`). Every third row (marked *held out*) is still summarised "
        "apart.",
        "",
    ]
    head = "| design | config | " + " | ".join(f"{m} est/pub" for m in METRICS) + " | LUT/FF from | set |"
    lines += [head, "|" + "---|" * (len(METRICS) + 4)]
    for k, row, record, pub, est, ratios in rows:
        config = (
            f"{record['precision'][:24]}, RF {row.reuse}, {record['part']}, "
            f"{record['tool']} {record['tool_version'].split()[0]}" + (f"; {row.note}" if row.note else "")
        )
        cells = " | ".join(f"{_fmt(ratios[m])} ({est[m]}/{pub[m]})" for m in METRICS)
        lines.append(
            f"| {row.id} | {config} | {cells} | {pub['lutff_kind']} | {'held out' if k % 3 == 2 else 'seen'} |"
        )
    lines += [
        "",
        "| rows | " + " | ".join(f"{m} median (worst)" for m in METRICS) + " |",
        "|---|" + "---|" * len(METRICS),
    ]
    for label, subset in (
        ("all", rows),
        ("seen", [r for r in rows if r[0] % 3 != 2]),
        ("held out", [r for r in rows if r[0] % 3 == 2]),
    ):
        cells = " | ".join(
            f"{_fmt(_median([r[5][m] for r in subset]))} ({_fmt(_spread([r[5][m] for r in subset]))})" for m in METRICS
        )
        lines.append(f"| {label} ({len(subset)}) | {cells} |")
    lines += [
        "",
        "## Latency and interval of designs whose weights were not published",
        "",
        "At reuse 1 the DSPs depend on the weights, so only the timing is compared; these add Vitis HLS "
        '(27 % clock uncertainty), a 7-series part, and hls4ml\'s SVHN CNN in io_stream (`io="stream"`; '
        "its seeded stand-in weights are half zero, as the published design was 50 % pruned).",
        "",
        "| design | config | latency est/pub | interval est/pub |",
        "|---|---|---|---|",
        *[
            f"| {row.id} | RF {row.reuse}, {record['part']}, {record['tool']} {record['tool_version'].split()[0]} | "
            f"{_fmt(_ratio(est['latency'], pub['latency']))} ({est['latency']}/{pub['latency']}) | "
            f"{_fmt(_ratio(est['interval'], pub['interval']))} ({est['interval']}/{pub['interval']}) |"
            for row, record, pub, est in timing
        ],
        "",
        "## Where the model is off, and why",
        "",
        "- FF on the reuse-factor sweep (hls4ml 0.4, Vivado HLS 2019.1) runs low at reuse 8 and above "
        "(0.19-0.66): hls4ml 0.4 kept each product a separate function (`nnet::product`, `inline off`) "
        "whose registered result stays live until the adder tree, where the inlined products of hls4ml "
        "0.5 on, which fpgalab models, only keep the partial sums. Its softmax used 2 BRAM_18K, not the 4 "
        "of hls4ml 0.7's stable softmax. Its DSPs equal the multiplier limit, which fpgalab reproduces.",
        "- Latency runs 10-25 % low on the same sweep: the non-inlined products add a register stage per "
        "round of shared multipliers.",
        "- DSP on the QKeras 6-bit designs at reuse 1 (1.2-1.5x, a few tens of DSPs): the first layer "
        "multiplies 16-bit inputs by 6-bit weights, and Vivado puts some of those three-digit constant "
        "multiplies in LUTs; fpgalab's width rule puts all of them in DSPs.",
        "- Vitis HLS 2024.2 on the 7-series xc7z020 (`mn-p1-rf1-z7020`) reports 50 cycles where the "
        "chain of 7-series delays gives about 30: its delays come from Vivado HLS 2019.1 schedules, and "
        "Vitis 2024 registers more on that part. No Vitis schedule of a 7-series part was found to read.",
        "- io_stream is checked on timing only (the SVHN CNN: 1.01-1.02 latency, 1.00 interval). Its "
        "Resource strategy is not compared: hls4ml's Resource convolution leaves the pixel loop unpipelined "
        "(about 4 cycles per input pixel in the published kendermag and ChiRuiChen reports), where fpgalab's "
        "stream C++ pipelines it at II = reuse factor; and an explicit padding layer (MobileNet's "
        "ZeroPadding2D) is a whole-frame process in fpgalab's C++, a pixel process in hls4ml's.",
        "- The PYNQ-Z2 designs (reuse 64, 75 % pruned) follow hls4ml's multiplier limit, which subtracts "
        "the pruned zeros (`DIV_ROUNDUP(n_in*n_out, RF) - n_zeros/RF`): 4 shared multipliers for 51 "
        "products give the 13 rounds and the interval of 15 that Vivado reports.",
        "",
        f"Machine: {os.cpu_count()} cores; fpgalab {fpgalab.__version__}.",
        "",
    ]
    (ROOT / "bench" / "FIDELITY_HLS.md").write_text("\n".join(lines))
    print("wrote bench/FIDELITY_HLS.md")


if __name__ == "__main__":
    main()
