"""Fidelity of fpgalab's numbers against open-source ground truth: Verilator and Yosys.

    .venv/bin/python bench/fidelity.py                 # every case, writes bench/FIDELITY.md
    .venv/bin/python bench/fidelity.py --only lenet5   # cases whose name contains "lenet5"
    .venv/bin/python bench/fidelity.py --no-synth      # cycles and outputs only

Cases: the twelve LeFlow benchmarks, each layer kind of LeNet-5 on its own (conv, pool, dense,
softmax) and the whole LeNet-5, each at two design points: "naive" (no pipelining, no
unrolling, no partitioning) and "parallel" (``parallelism=4``: unrolled, arrays partitioned to
match, pipelined). All in ``ap_fixed<16,6>`` (the Verilog backend is fixed point), layers in
sequence (``dataflow=False``: the RTL's schedule). For each: simulator vs RTL cycles, RTL
outputs vs the simulator's, estimated vs Yosys LUT/FF/DSP/BRAM (``synth_xilinx -family xcup``
for the default xcvu9p), and the LLVM JIT compile + run time of LeNet-5. The estimate is the
one of the hardware synthesized: ``flow="yosys"`` (fpgalab's Verilog as Yosys maps it), not the
default ``flow="hls"`` (Vitis HLS). Results are cached by content (``~/.cache/fpgalab``): a
rerun only does what changed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PRECISION = "ap_fixed<16,6>"
FLOW = "yosys"  # the estimate of what is synthesized here: fpgalab's own Verilog through Yosys
POINTS = {"naive": {"pipeline": False, "partition": "none"}, "parallel": {"parallelism": 4}}
LEFLOW = (
    "vecmul_8",
    "vecmul_64",
    "dense_8",
    "dense_64",
    "softmax_8",
    "softmax_64",
    "conv2d_8",
    "conv2d_64",
    "maxpool_8",
    "maxpool_32",
    "chain_8",
    "mnist_softmax",
)
LENET_LAYERS = {"lenet5_conv1": "conv1", "lenet5_pool1": "pool1", "lenet5_fc1": "fc1", "lenet5_fc3_softmax": "fc3"}


def layer_kernel(kernel, layer: str):
    """The nodes of one Keras layer as a kernel of their own (outside buffers become inputs)."""
    from fpgalab.ir import nodes as ir

    nodes = [n for n in kernel.nodes if n.layer == layer]
    produced = {n.name for n in nodes}
    constants = {c.name: c for c in kernel.constants}
    buffers = kernel.buffers()
    inputs, used = [], []
    for node in nodes:
        for name in node.inputs:
            if name in produced or name in used:
                continue
            used.append(name)
            if name not in constants:
                inputs.append(ir.Input(name, tuple(buffers[name].shape), buffers[name].dtype))
    users = {i for n in nodes for i in n.inputs}
    outputs = tuple(n.name for n in nodes if n.name not in users) or (nodes[-1].name,)
    return ir.Kernel(
        f"lenet5_{layer}", tuple(inputs), tuple(constants[n] for n in used if n in constants), tuple(nodes), outputs
    )


def build(name: str, options: dict):
    from conftest import case

    from fpgalab.design import build_design
    from fpgalab.options import parse_options

    options = {"precision": PRECISION, "dataflow": False, "flow": FLOW, **options}
    if name in LENET_LAYERS:
        kernel = layer_kernel(case("lenet5").float_kernel(), LENET_LAYERS[name])
        return build_design(name, kernel, parse_options(**options), [i.shape for i in kernel.inputs])
    return case(name).design(**options)


def measure(name: str, point: str, synth: bool) -> dict:
    from fpgalab.verify.verilator import run_verilator
    from fpgalab.verify.yosys import run_yosys

    design = build(name, POINTS[point])
    row = {"case": name, "point": point, "sim_cycles": design.timing.latency}
    rtl = run_verilator(design, samples=2)
    row.update(rtl_cycles=rtl.cycles, mismatches=rtl.mismatches, rtl_build=rtl.build_seconds)
    estimate = design.resources.total
    row.update(est_lut=estimate.lut, est_ff=estimate.ff, est_dsp=estimate.dsp, est_bram=estimate.bram)
    if synth:
        result = run_yosys(design)
        row.update(
            syn_lut=result.lut, syn_ff=result.ff, syn_dsp=result.dsp, syn_bram=result.bram, syn_seconds=result.seconds
        )
    return row


def llvm_timing() -> dict:
    from conftest import case

    from fpgalab.backends.llvm.jit import LlvmKernel
    from fpgalab.backends.stimulus import test_inputs
    from fpgalab.sim.functional import run_kernel

    design = case("lenet5").design()
    inputs = test_inputs(design, 1)
    best, compile_seconds = None, 0.0
    for _ in range(3):
        start = time.perf_counter()
        kernel = LlvmKernel(design)
        out = kernel.run_outputs(inputs)
        total = time.perf_counter() - start
        if best is None or total < best:
            best, compile_seconds = total, kernel.compile_seconds
    want = run_kernel(design.kernel, inputs, design._context())
    name = design.kernel.outputs[0]
    equal = bool(np.array_equal(out[name], np.broadcast_to(want[name].array, out[name].shape)))
    return {"seconds": best, "compile": compile_seconds, "equal": equal}


def _error(estimate, actual) -> float | None:
    if actual in (None, 0):
        return None if not estimate else float("inf")
    return (estimate - actual) / actual


def _pct(value) -> str:
    if value is None:
        return "–"
    return "inf" if value == float("inf") else f"{100 * value:+.0f}%"


def report(rows: list[dict], llvm: dict, seconds: float) -> str:
    lines = [
        "# Fidelity: fpgalab's simulator and estimator against Verilator and Yosys",
        "",
        "Generated by `bench/fidelity.py` (do not edit by hand). Every design is `ap_fixed<16,6>` on xcvu9p at "
        "200 MHz with its layers in sequence; RTL from the Verilog backend, simulated by Verilator, "
        "synthesized by Yosys `synth_xilinx -family xcup -noiopad` (pyosys). The estimates are fpgalab's "
        '`flow="yosys"` (the Verilog backend\'s hardware as Yosys maps it: accumulators in fabric, function '
        'tables as LUT ROMs, a read port per bank and distinct read), not the default `flow="hls"` (Vitis '
        "HLS). Errors are (estimate - Yosys) / Yosys.",
        "",
        "| case | point | sim cycles | RTL cycles | outputs | LUT est / syn (err) | FF est / syn (err) | "
        "DSP est / syn | BRAM est / syn |",
        "| --- | --- | ---: | ---: | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        outputs = "equal" if r["mismatches"] == 0 else f"{r['mismatches']} differ"
        syn = "syn_lut" in r
        lut = (
            f"{r['est_lut']} / {r['syn_lut']} ({_pct(_error(r['est_lut'], r['syn_lut']))})"
            if syn
            else str(r["est_lut"])
        )
        ff = f"{r['est_ff']} / {r['syn_ff']} ({_pct(_error(r['est_ff'], r['syn_ff']))})" if syn else str(r["est_ff"])
        dsp = f"{r['est_dsp']} / {r['syn_dsp']}" if syn else str(r["est_dsp"])
        bram = f"{r['est_bram']} / {r['syn_bram']:g}" if syn else str(r["est_bram"])
        lines.append(
            f"| {r['case']} | {r['point']} | {r['sim_cycles']} | {r['rtl_cycles']} | {outputs} | {lut} | "
            f"{ff} | {dsp} | {bram} |"
        )
    cycles_equal = sum(r["sim_cycles"] == r["rtl_cycles"] for r in rows)
    worst_cycles = max((abs(r["sim_cycles"] - r["rtl_cycles"]) / r["rtl_cycles"] for r in rows), default=0.0)
    exact = sum(r["mismatches"] == 0 for r in rows)
    lines += [
        "",
        "## Summary against the targets",
        "",
        f"- Cycles: simulator equal to Verilator on {cycles_equal} of {len(rows)} designs; worst difference "
        f"{100 * worst_cycles:.2f}% (target: equal on every statically scheduled design, never over 1%).",
        f"- RTL outputs equal to the simulator bit for bit on {exact} of {len(rows)} designs (target: all).",
    ]
    synthesized = [r for r in rows if "syn_lut" in r]
    if synthesized:
        dsp_equal = sum(r["est_dsp"] == r["syn_dsp"] for r in synthesized)
        bram_equal = sum(r["est_bram"] == r["syn_bram"] for r in synthesized)
        lut_errors = [abs(_error(r["est_lut"], r["syn_lut"])) for r in synthesized if r["syn_lut"]]
        ff_errors = [abs(_error(r["est_ff"], r["syn_ff"])) for r in synthesized if r["syn_ff"]]
        lines += [
            f"- DSP: estimate equal to Yosys on {dsp_equal} of {len(synthesized)}; BRAM: equal on {bram_equal} of "
            f"{len(synthesized)} (target: all).",
            f"- LUT: median |error| {100 * statistics.median(lut_errors):.0f}%, worst "
            f"{100 * max(lut_errors):.0f}% (target: median <= 20%, none over 40%).",
            f"- FF: median |error| {100 * statistics.median(ff_errors):.0f}%, worst {100 * max(ff_errors):.0f}% "
            "(target: median <= 20%, none over 40%).",
        ]
    if llvm:
        lines.append(
            f"- LLVM: LeNet-5 JIT compile + run {llvm['seconds']:.3f} s (compile {llvm['compile']:.3f} s), "
            f"outputs {'equal to' if llvm['equal'] else 'DIFFERENT from'} the simulator (target: <= 1 s)."
        )
    build = sum(r.get("rtl_build", 0) for r in rows)
    synthesis = sum(r.get("syn_seconds", 0) for r in rows)
    lines += [
        "",
        f"Run time of this report: {seconds:.0f} s (results cached by content hash; computing them took "
        f"{build:.0f} s of Verilator builds and {synthesis:.0f} s of Yosys).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    parser.add_argument("--no-synth", action="store_true", help="skip Yosys")
    parser.add_argument("--out", default=str(ROOT / "bench" / "FIDELITY.md"))
    opts = parser.parse_args(argv)
    start = time.perf_counter()
    rows = []
    for name in (*LEFLOW, *LENET_LAYERS, "lenet5"):
        if opts.only and opts.only not in name:
            continue
        for point in POINTS:
            try:
                row = measure(name, point, not opts.no_synth)
            except Exception as error:  # noqa: BLE001 - a failing case is reported, not fatal
                print(f"{name} {point}: FAILED {type(error).__name__}: {str(error)[:300]}", flush=True)
                continue
            rows.append(row)
            print(row, flush=True)
    llvm = llvm_timing()
    text = report(rows, llvm, time.perf_counter() - start)
    Path(opts.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
