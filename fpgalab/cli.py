"""``fpgalab`` command line: compile a function from a Python file and print the design summary.

    fpgalab compile path/to/file.py:function --input-shape 1,64 --precision 'ap_fixed<16,6>' [--json]
    fpgalab compile path/to/model.onnx --precision 'ap_fixed<16,6>'     (shapes from the ONNX graph)

Exit codes: 0 ok, 1 the model cannot be compiled (CompileError), 2 bad usage or options.
TensorFlow is imported only when a compile starts, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import re
import sys
from pathlib import Path

EXIT_OK, EXIT_COMPILE_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line use: exit code 2 with the message."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fpgalab", description="See the FPGA accelerator a TensorFlow function or Keras model would become."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    comp = commands.add_parser("compile", help="compile FILE.py:NAME and print the design summary")
    comp.add_argument(
        "target",
        help="FILE.py:NAME — a function of tensors, a tf.function, a keras.Model, an "
        "@fpgalab.kernel, or a no-argument builder returning an object with .fn and .args; or MODEL.onnx",
    )
    comp.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="D0,D1,...",
        help="shape of an example input (repeat for several inputs), e.g. 1,64",
    )
    comp.add_argument("--precision", default=None, help="'float32' or 'ap_fixed<W,I[,Q[,O]]>' (default ap_fixed<16,6>)")
    comp.add_argument("--device", default=None, help="FPGA part, e.g. xcvu9p (see `fpgalab devices`)")
    comp.add_argument("--clock", type=float, default=None, metavar="MHZ", help="clock in MHz (default 200)")
    comp.add_argument("--json", action="store_true", help="print the summary as JSON")
    comp.add_argument("--ir", action="store_true", help="also print the loop-nest IR")
    commands.add_parser("devices", help="list the FPGA parts of the device library")
    return parser


def _shape(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in re.split(r"[,x]", text)]
    if not parts or not all(p.isdigit() for p in parts):
        raise UsageError(f"--input-shape {text!r}: give whole numbers separated by commas, e.g. 1,28,28,1")
    dims = tuple(int(p) for p in parts)
    if any(d < 1 for d in dims):
        raise UsageError(f"--input-shape {text!r}: every dimension must be at least 1")
    return dims


def load_target(target: str):
    """Import FILE.py and return its attribute NAME."""
    if ":" not in target:
        raise UsageError(f"target {target!r}: write FILE.py:NAME, e.g. examples/models.py:lenet5")
    path_text, name = target.rsplit(":", 1)
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"target {target!r}: no such file {path_text}")
    sys.path.insert(0, str(path.resolve().parent.parent))  # so `from examples import models` style imports work
    sys.path.insert(0, str(path.resolve().parent))
    spec = importlib.util.spec_from_file_location(f"fpgalab_target_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001 - the user's file failed; report it as usage
        sys.modules.pop(spec.name, None)
        raise UsageError(f"importing {path_text} failed: {type(err).__name__}: {err}") from None
    if not hasattr(module, name):
        names = sorted(n for n in vars(module) if not n.startswith("_") and callable(getattr(module, n)))
        raise UsageError(f"{path_text} has no {name!r}; callables there: {', '.join(names[:30])}")
    return getattr(module, name)


def _zero_arg_builder(obj) -> bool:
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def resolve(obj, shapes: list[tuple[int, ...]]):
    """The function to compile and its example inputs."""
    import numpy as np  # noqa: PLC0415

    if shapes:
        return obj, [np.zeros(s, dtype=np.float32) for s in shapes]
    if getattr(obj, "__fpgalab_options__", None) and obj.__fpgalab_options__["example_args"] is not None:
        return obj, []
    from fpgalab.frontend.tf.capture import is_keras_model  # noqa: PLC0415

    if not is_keras_model(obj) and callable(obj) and _zero_arg_builder(obj) and not hasattr(obj, "python_function"):
        built = obj()
        if hasattr(built, "fn") and hasattr(built, "args"):
            return built.fn, list(built.args)
        obj = built
    if is_keras_model(obj):
        inputs = getattr(obj, "inputs", None) or []
        if inputs:
            return obj, [np.zeros([1 if d is None else d for d in t.shape], dtype=np.float32) for t in inputs]
    raise UsageError("give the example input shape(s) with --input-shape, e.g. --input-shape 1,64")


def summary_dict(design) -> dict:
    from fpgalab.ir import nodes as ir  # noqa: PLC0415
    from fpgalab.ir.loops import kernel_shapes, macs  # noqa: PLC0415

    shapes = kernel_shapes(design.kernel)
    layers: dict[str, dict] = {}
    for node in design.kernel.nodes:
        entry = layers.setdefault(node.layer or node.name, {"layer": node.layer or node.name, "ops": [], "macs": 0})
        entry["ops"].append(type(node).__name__.lower())
        entry["macs"] += macs(node, shapes)
        entry["output"] = f"{node.dtype}{list(node.shape)}"
    report = design.report()
    hardware = {
        "cycles": report.cycles,
        "interval": report.interval,
        "latency_us": round(report.latency_us, 3),
        "throughput_per_s": round(report.throughput, 1),
        "fits": report.fits,
        "resources": {k: getattr(report.resources, k) for k in ("lut", "ff", "dsp", "bram", "uram")},
        "utilization": {k: round(getattr(report.utilization, k), 4) for k in ("lut", "ff", "dsp", "bram", "uram")},
        "warnings": list(report.warnings),
    }
    for row in report.rows():
        entry = layers.get(row["layer"].split("/")[0])
        if entry is not None:
            entry["cycles"] = entry.get("cycles", 0) + row["cycles"]
    weights = sum(int(c.value.size) for c in design.kernel.constants)
    weight_bits = sum(int(c.value.size) * c.dtype.bits for c in design.kernel.constants)
    return {
        "name": design.name,
        "device": design.options.device,
        "clock_mhz": design.options.clock_mhz,
        "precision": design.options.precision_text,
        "inputs": [f"{i.dtype}{list(i.shape)}" for i in design.kernel.inputs],
        "outputs": [f"{shapes[o]}" for o in design.kernel.outputs],
        "nodes": len(design.kernel.nodes),
        "macs": sum(e["macs"] for e in layers.values()),
        "weights": weights,
        "weight_kbits": round(weight_bits / 1024, 1),
        "compile_seconds": round(sum(t for _, t in design.timings), 3),
        **hardware,
        "layers": list(layers.values()),
        "ops": sorted({type(n).__name__ for n in design.kernel.nodes if not isinstance(n, ir.Reshape)}),
    }


def format_summary(data: dict) -> str:
    lines = [
        f"{data['name']}: {data['precision']} on {data['device']} at {data['clock_mhz']:g} MHz",
        f"  inputs {', '.join(data['inputs'])}; {data['nodes']} nodes, {data['macs']:,} MACs, "
        f"{data['weights']:,} weights ({data['weight_kbits']} Kbit); compiled in {data['compile_seconds']} s",
        f"  latency {data['cycles']:,} cycles = {data['latency_us']:,} us, interval {data['interval']:,} cycles, "
        f"{data['throughput_per_s']:,} inputs/s; {'fits' if data['fits'] else 'does NOT fit'} the part",
        "  resources "
        + ", ".join(
            f"{k.upper()} {v:,} ({100 * data['utilization'][k]:.1f}%)"
            for k, v in data["resources"].items()
            if k != "uram" or v
        ),
        f"  {'layer':<28}{'MACs':>12}{'cycles':>12}  output",
    ]
    for layer in data["layers"]:
        lines.append(f"  {layer['layer'][:27]:<28}{layer['macs']:>12,}{layer.get('cycles', 0):>12,}  {layer['output']}")
    lines.extend(f"  warning: {w}" for w in data["warnings"])
    return "\n".join(lines)


def _compile(args) -> int:
    from fpgalab.frontends import compile as compile_design  # noqa: PLC0415 - imports TensorFlow when it captures

    shapes = [_shape(s) for s in args.input_shape]
    if args.target.lower().endswith(".onnx"):  # an ONNX model: its input shapes come from the graph
        if shapes:
            raise UsageError("an ONNX model takes its input shapes from its graph: give no --input-shape")
        fn, examples = args.target, ()
    else:
        fn, examples = resolve(load_target(args.target), shapes)
    options = {
        k: v
        for k, v in (("precision", args.precision), ("device", args.device), ("clock_mhz", args.clock))
        if v is not None
    }
    design = compile_design(fn, *examples, **options)
    data = summary_dict(design)
    print(json.dumps(data, indent=2) if args.json else format_summary(data))
    if args.ir:
        print(design.ir_text())
    return EXIT_OK


def _devices() -> int:
    from fpgalab.parts import list_devices  # noqa: PLC0415

    for device in list_devices():
        print(
            f"{device.name:<12} {device.vendor:<8} {device.family:<28} {device.luts:>10,} LUT {device.dsps:>6,} DSP "
            f"{device.bram:>6,} BRAM"
        )
    return EXIT_OK


def main(argv=None) -> int:
    from fpgalab.errors import CompileError  # noqa: PLC0415

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _compile(args) if args.command == "compile" else _devices()
    except CompileError as err:
        print(f"fpgalab: cannot compile: {err}", file=sys.stderr)
        return EXIT_COMPILE_ERROR
    except (UsageError, ValueError) as err:
        print(f"fpgalab: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
