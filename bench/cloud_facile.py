"""fpgalab's card model against a published measurement of an hls4ml accelerator on an Alveo U55C.

The measurement: FACILE (the CMS HCAL energy-regression MLP of the FaaST paper, Rankin et al.,
arXiv 2010.08556) as an hls4ml io_parallel kernel, ap_fixed<16,6>, reuse 1, built for the U55C
(platform xilinx_u55c_gen3x16_xdma_3_202210_1) in fastmachinelearning/nrp_u55c_benchmark, commit
4296d92 (2023-03-02): `scan_u55c_hbm.dat` holds the throughput its host program printed for 2, 3
and 4 compute units and 1, 2, 4, 8 buffers per CU, 10,000 runs per point. What its sources say:

* facile/src/parameters.h and ereg_v1.cpp: BatchNorm(18) -> Dense(31) -> ReLU -> BatchNorm ->
  Dense(11) -> ReLU -> BatchNorm -> Dense(3) -> ReLU -> Dense(1), ap_fixed<16,6>, reuse 1;
* facile/src/kernel_params.h and alveo_hls4ml.cpp: one kernel run handles STREAMSIZE = 16,384
  samples; each sample's 18 inputs sit in one 512-bit word (288 bits used), the outputs 32 to a
  word: fpgalab's ``pack="sample"`` layout;
* facile/config.ini: 4 CUs, each on its own HBM pseudo-channels (in: 4, out: 4);
* facile/src/host.cpp: 8 host threads each run ``nevents`` kernel runs (input migrated, kernel,
  output migrated back), and the printed "events/s" is 8 x nevents over the wall time, so one
  "event" is one kernel run of 16,384 samples (one HCAL event's channels);
* the U250 build of the same kernel (facile/xclbin/*.xclbin.info) ran its kernel clock at 300 MHz;
  the U55C platform's default is 300 MHz too, used here.

fpgalab's side: the same layer structure in Keras with random weights (throughput does not depend on
them), compiled io="parallel" at ap_fixed<16,6> for the xcu55c at 300 MHz, deployed on "alveo-u55c"
with batch 16,384, the measured CU counts and pack="sample". The model double-buffers each CU (two
input and two output buffers), the closest to the published NBUFFER = 2 column.
"""

from __future__ import annotations

import numpy as np

import fpgalab
from fpgalab.cloud import deploy

SOURCE = (
    "fastmachinelearning/nrp_u55c_benchmark (GitHub), commit 4296d92, scan_u55c_hbm.dat: FACILE hls4ml kernel "
    "on an Alveo U55C, host throughput in kernel runs ('events') of 16,384 samples per second"
)
BATCH = 16384  # STREAMSIZE: samples per kernel run
# kernel runs per second as printed, by compute units then buffers per CU
PUBLISHED = {
    2: {1: 2047.93, 2: 4040.73, 4: 5873.70, 8: 5812.48},
    3: {1: 3041.34, 2: 5909.32, 4: 6398.53, 8: 6732.89},
    4: {1: 4064.61, 2: 6695.33, 4: 6740.22, 8: 6815.31},
}


def facile_model():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(3)
    inputs = keras.Input((18,))
    h = keras.layers.BatchNormalization()(inputs)
    for width in (31, 11, 3):
        h = keras.layers.Dense(width)(h)
        h = keras.layers.ReLU()(h)
        if width != 3:
            h = keras.layers.BatchNormalization()(h)
    outputs = keras.layers.Dense(1)(h)
    model = keras.Model(inputs, outputs, name="facile")
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 2, n), rng.normal(0, 0.5, n), rng.normal(0, 1, n), rng.uniform(0.5, 2, n)]
            )
    return model, rng.normal(0, 1, (1, 18)).astype(np.float32)


def facile_against_published() -> list[str]:
    """Markdown lines: the estimate for each published CU count, and estimate / published."""
    model, x = facile_model()
    design = fpgalab.compile(model, x, precision="ap_fixed<16,6>", io="parallel", device="xcu55c", clock_mhz=300)
    report = design.report()
    lines = [
        "| CUs | estimate: inferences/s | binds | published, 2 buffers/CU | estimate / published | "
        "published, best of 1-8 buffers | estimate / best |",
        "|---|---|---|---|---|---|---|",
    ]
    for units, measured in PUBLISHED.items():
        deployment = deploy(design, "alveo-u55c", batch=BATCH, compute_units=units, pack="sample")
        two = measured[2] * BATCH
        best = max(measured.values()) * BATCH
        lines.append(
            f"| {units} | {deployment.throughput:,.0f} | {deployment.binding} | {two:,.0f} | "
            f"{deployment.throughput / two:.2f} | {best:,.0f} | {deployment.throughput / best:.2f} |"
        )
    last = deploy(design, "alveo-u55c", batch=BATCH, compute_units=4, pack="sample")
    lines += [
        "",
        f"fpgalab's design: {report.cycles} cycles latency, interval {report.interval}, "
        f"{report.resources.lut:,.0f} LUT, {report.resources.dsp:,.0f} DSP per CU; per kernel run "
        f"{last.costs.input_bytes:,} bytes in and {last.costs.output_bytes:,} out (the published kernel's "
        f"{BATCH} x 64 and {BATCH // 32} x 64), kernel {last.costs.kernel * 1e6:.1f} us, "
        f"PCIe host->card {last.costs.host_to_card * 1e6:.1f} us.",
    ]
    return lines
