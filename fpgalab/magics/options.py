"""Parsing the ``%%fpga`` and ``%fpga`` lines: argparse that reports instead of exiting.

A bad line raises ``MagicUsageError`` with the usage line and what was wrong; the magic shows it
as IPython shows any usage error (one red message, no traceback).
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field

EMIT_KINDS = ("hls", "llvm", "verilog")
COMPILE_FLAGS = {
    "device": "device",
    "clock": "clock_mhz",
    "precision": "precision",
    "unroll": "unroll",
    "reuse": "reuse",
    "pipeline": "pipeline",
    "dataflow": "dataflow",
    "io": "io",
    "strategy": "strategy",
    "tables": "tables",
}
SWEEP_ALIASES = {"clock": "clock_mhz", "reuse_factor": "reuse"}

CELL_USAGE = (
    "%%fpga [--device PART] [--clock MHZ] [--precision P] [--unroll N|full] [--reuse N] "
    "[--pipeline|--no-pipeline] [--dataflow|--no-dataflow] [--io layered|parallel|stream] [--strategy latency|resource] [--tables fpgalab|hls4ml] "
    "[--onnx PATH] [--hls4ml-config NAME] [--inputs EXPR] [--data EXPR] [--labels EXPR] "
    "[--sparsify S|loss=B] [--sparsify-method global|std|scan] [--name NAME] [--sweep KEY=V1,V2,... ...] [--emit hls|llvm|verilog DIR] [--verify] [--synth] "
    "[--deploy PLATFORM [--batch N] [--compute-units K|auto]] [--quiet]"
)
LINE_USAGE = (
    "%fpga config [--device PART] [--clock MHZ] [--precision P] [--unroll N|full] [--reuse N] "
    "[--pipeline|--no-pipeline] [--dataflow|--no-dataflow] [--io layered|parallel|stream] [--strategy latency|resource] [--tables fpgalab|hls4ml] "
    "[--reset] | %fpga list | %fpga compare A B | %fpga sparsity NAME | "
    "%fpga devices | %fpga --onnx PATH [%%fpga options]"
)

CELL_HELP = f"""usage: {CELL_USAGE}

Run the cell, compile the function it defines and show the hardware it would become.
The function is the one decorated with @fpgalab.kernel, else the last function, tf.function,
Keras model, ONNX model (onnx.ModelProto) or PyTorch module the cell defines. With --onnx the
model is the file's and the cell may define data; without a cell, write %fpga --onnx PATH.

  --device PART        FPGA part (see %fpga devices); default xcvu9p or %fpga config
  --clock MHZ          clock frequency in MHz (default 200)
  --precision P        'ap_fixed<W,I>' or float32 (default ap_fixed<16,6>)
  --unroll N|full      unroll factor of every loop nest
  --reuse N            hls4ml-style reuse factor of dense and convolution layers
  --pipeline / --no-pipeline    pipeline the loops (default on)
  --dataflow / --no-dataflow    overlap the layers as dataflow processes (default on)
  --io layered|parallel|stream fpgalab's own architecture (default), hls4ml's io_parallel or io_stream
  --strategy latency|resource  hls4ml's Strategy, with --io parallel
  --onnx PATH          compile the ONNX model in this file (input shapes from its graph)
  --hls4ml-config NAME compile with the hls4ml configuration in the notebook variable NAME: hls4ml's dict
                       (config_from_keras_model's) or the converter arguments design.hls4ml_config() returns
  --inputs EXPR        example inputs, evaluated in the notebook (a tuple for several inputs)
  --data EXPR          samples to measure accuracy on, evaluated in the notebook
  --labels EXPR        their labels (class ids or one-hot)
  --sparsify S|loss=B  zero the smallest weights (fpgalab.sparsify): a share S of them (0.7), or as many as keep
                       the top-1 accuracy within B of the unpruned design's (loss=1% or loss=0.01; needs
                       --data and --labels); the design shown is the pruned one
  --sparsify-method M  global (one threshold), std (per-layer standard deviations) or scan (per-layer
                       sensitivity on the data); default scan with --data and --labels, else global
  --name NAME          variable to store the design under (default: the function's name + _design)
  --sweep KEY=V1,V2,...  explore every combination of these options and show the Pareto front;
                       repeat KEY=... for more options, e.g. --sweep reuse=1,2,4 precision=ap_fixed<8,3>,ap_fixed<16,6>
  --emit KIND DIR      write the design as hls (Vitis HLS C++), llvm or verilog into DIR
  --verify             check the generated code against the simulator (LLVM, and Verilator RTL when installed)
  --synth              synthesise the Verilog with Yosys for the part: LUT/FF/DSP/BRAM
  --deploy PLATFORM    deploy the design on a cloud FPGA card (aws-f1, aws-f2, alveo-u250, alveo-u280,
                       alveo-u55c or an alias) and add a Deployment tab: throughput, latencies, a timeline
                       of a few batches, throughput and latency against batch size (fpgalab.cloud.deploy)
  --batch N            samples per batch sent to the card (default 256; needs --deploy)
  --compute-units K|auto  copies of the kernel, each on its own memory bank (default auto: as many as fit
                       and the banks allow; needs --deploy)
  --quiet              store the design, show nothing
  -h, --help           show this help

Expressions containing spaces must be quoted: --inputs "np.zeros((1, 64))". As in other magics,
{{name}} and $name on the line are replaced by the notebook's values: --emit hls {{out_dir}}/hls.
"""

LINE_HELP = f"""usage: {LINE_USAGE}

  %fpga config --device xcu250 --clock 250   set session defaults for the next %%fpga cells
  %fpga config                               show the defaults;  --reset clears them
  %fpga list                                 the designs compiled in this session
  %fpga compare A B                          two designs side by side (names from %fpga list)
  %fpga sparsity NAME                        accuracy (with --data/--labels), DSP and LUT of the design pruned
                                             to sparsities 0 to 0.9 by each fpgalab.sparsify method (a design
                                             stored pruned keeps its zeros: plot the unpruned one)
  %fpga devices                              the FPGA parts of the device library
  %fpga --onnx model.onnx --precision float32  compile an ONNX file, as %%fpga --onnx does with an empty cell
"""


class MagicUsageError(Exception):
    """A bad %%fpga / %fpga line; the message holds the usage line and what was wrong."""


@dataclass
class CellArgs:
    options: dict = field(default_factory=dict)  # fpgalab.compile options given on the line
    inputs: str | None = None
    data: str | None = None
    labels: str | None = None
    name: str | None = None
    sweep: dict = field(default_factory=dict)  # option -> list of values
    emit: list = field(default_factory=list)  # [(kind, directory)]
    quiet: bool = False
    help: bool = False
    verify: bool = False  # RTL verification with Verilator
    synth: bool = False  # Yosys synthesis
    onnx: str | None = None  # --onnx PATH: the ONNX file to compile instead of what the cell defines
    sparsify: object = None  # --sparsify: a sparsity in [0, 1) or {"top1": budget}, a fpgalab.sparsify target
    sparsify_method: str | None = None  # --sparsify-method; None: scan with labelled data, else global
    deploy: str | None = None  # --deploy PLATFORM: the cloud platform's name, as the line gives it
    batch: int = 256  # --batch
    compute_units: object = "auto"  # --compute-units: "auto" or a positive integer
    hls4ml_config: str | None = None  # --hls4ml-config NAME: the notebook variable holding hls4ml's configuration


class _Parser(argparse.ArgumentParser):
    def __init__(self, usage: str, **kwargs):
        super().__init__(prog="%%fpga", usage=usage, add_help=False, allow_abbrev=False, **kwargs)
        self.usage_line = usage

    def error(self, message):  # argparse would print and exit
        raise MagicUsageError(f"usage: {self.usage_line}\n{message}")


def _unroll(text: str):
    if text == "full":
        return "full"
    return _positive_int(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _compute_units(text: str):
    if text == "auto":
        return "auto"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or auto, got {text!r}") from None


def _platform(text: str) -> str:
    """The platform's name as given, once fpgalab.cloud knows it (its message says which it knows)."""
    from fpgalab.cloud import load_platform  # noqa: PLC0415

    try:
        load_platform(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def _clock(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of MHz, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of MHz, got {text}")
    return value


def sparsify_target(text: str):
    """'0.7' -> 0.7; 'loss=1%' and 'loss=0.01' -> {"top1": 0.01}, a budget of top-1 accuracy lost."""
    key, sep, value = text.partition("=")
    if not sep:
        try:
            sparsity = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a sparsity in [0, 1) (e.g. 0.7) or a top-1 loss budget (loss=1%), got {text!r}"
            ) from None
        if not 0.0 <= sparsity < 1.0:
            raise argparse.ArgumentTypeError(f"a sparsity is a share of the weights in [0, 1), got {text}")
        return sparsity
    if key.strip() != "loss":
        raise argparse.ArgumentTypeError(f"expected loss=B (a top-1 accuracy loss budget), got {text!r}")
    value = value.strip()
    scale = 100.0 if value.endswith("%") else 1.0
    try:
        budget = float(value.removesuffix("%")) / scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"loss={value!r}: expected a budget such as loss=1% or loss=0.01 (a fraction of the samples)"
        ) from None
    if not 0.0 <= budget < 1.0:
        raise argparse.ArgumentTypeError(f"loss={value}: a top-1 loss budget is in [0, 1) (0% to under 100%)")
    return {"top1": budget}


def _add_compile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", metavar="PART")
    parser.add_argument("--clock", type=_clock, metavar="MHZ")
    parser.add_argument("--precision", metavar="P")
    parser.add_argument("--unroll", type=_unroll, metavar="N|full")
    parser.add_argument("--reuse", type=_positive_int, metavar="N")
    parser.add_argument("--pipeline", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--dataflow", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--io", choices=("layered", "parallel", "stream"))
    parser.add_argument("--strategy", choices=("latency", "resource"))
    parser.add_argument("--tables", choices=("fpgalab", "hls4ml"))


def _compile_options(namespace) -> dict:
    return {
        key: getattr(namespace, flag) for flag, key in COMPILE_FLAGS.items() if getattr(namespace, flag) is not None
    }


def split_line(line: str, usage: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as err:
        raise MagicUsageError(f"usage: {usage}\ncannot split the line: {err}") from None


def split_values(text: str) -> list[str]:
    """Split on commas outside <>, () and []: 'ap_fixed<16,6>,ap_fixed<8,3>' is two values."""
    values, depth, current = [], 0, ""
    for char in text:
        if char in "<([":
            depth += 1
        elif char in ">)]":
            depth -= 1
        if char == "," and depth == 0:
            values.append(current)
            current = ""
        else:
            current += char
    values.append(current)
    return [v.strip() for v in values]


def sweep_value(text: str):
    """'4' -> 4, '2.5' -> 2.5, 'true' -> True, 'none' -> None, anything else stays a string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_sweep(items: list[str]) -> dict:
    from fpgalab.options import ALLOWED  # noqa: PLC0415

    space = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = SWEEP_ALIASES.get(key.strip(), key.strip())
        if not sep or not key or not values.strip():
            raise MagicUsageError(f"usage: {CELL_USAGE}\n--sweep {item!r}: write KEY=V1,V2,... e.g. reuse=1,2,4")
        if key not in ALLOWED:
            raise MagicUsageError(
                f"usage: {CELL_USAGE}\n--sweep {item!r}: {key!r} is not a compile option; options: {', '.join(ALLOWED)}"
            )
        parsed = [sweep_value(v) for v in split_values(values)]
        if any(v == "" for v in parsed):
            raise MagicUsageError(f"usage: {CELL_USAGE}\n--sweep {item!r}: an empty value")
        space[key] = parsed
    return space


def parse_cell_line(line: str) -> CellArgs:
    parser = _Parser(CELL_USAGE)
    _add_compile_options(parser)
    for flag in ("inputs", "data", "labels"):
        parser.add_argument(f"--{flag}", metavar="EXPR")
    parser.add_argument("--onnx", metavar="PATH")
    parser.add_argument("--hls4ml-config", metavar="NAME")
    parser.add_argument("--sparsify", type=sparsify_target, metavar="S|loss=B")
    parser.add_argument("--sparsify-method", choices=("global", "std", "scan"))
    parser.add_argument("--name", metavar="NAME")
    parser.add_argument("--sweep", nargs="+", metavar="KEY=V1,V2", action="extend")
    parser.add_argument("--emit", nargs=2, metavar=("KIND", "DIR"), action="append", default=[])
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--synth", action="store_true")
    parser.add_argument("--deploy", type=_platform, metavar="PLATFORM")
    parser.add_argument("--batch", type=_positive_int, metavar="N")
    parser.add_argument("--compute-units", type=_compute_units, metavar="K|auto")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("-h", "--help", action="store_true")
    args = parser.parse_args(split_line(line, CELL_USAGE))
    for flag in ("batch", "compute_units"):
        if getattr(args, flag) is not None and args.deploy is None:
            parser.error(f"--{flag.replace('_', '-')} needs --deploy PLATFORM (the card the batches go to)")
    if args.name is not None and not args.name.isidentifier():
        parser.error(f"--name {args.name!r}: give a Python identifier")
    for kind, _directory in args.emit:
        if kind not in EMIT_KINDS:
            parser.error(f"--emit {kind!r}: choose one of {', '.join(EMIT_KINDS)}")
    if args.labels is not None and args.data is None:
        parser.error("--labels needs --data (the samples they label)")
    if isinstance(args.sparsify, dict) and args.labels is None:
        parser.error("--sparsify loss=B measures the accuracy lost: give --data and --labels")
    if args.sparsify_method is not None and args.sparsify is None:
        parser.error("--sparsify-method needs --sparsify S or --sparsify loss=B")
    return CellArgs(
        _compile_options(args),
        args.inputs,
        args.data,
        args.labels,
        args.name,
        parse_sweep(args.sweep or []),
        [tuple(e) for e in args.emit],
        args.quiet,
        args.help,
        args.verify,
        args.synth,
        args.onnx,
        args.sparsify,
        args.sparsify_method,
        args.deploy,
        256 if args.batch is None else args.batch,
        "auto" if args.compute_units is None else args.compute_units,
        args.hls4ml_config,
    )


@dataclass
class LineArgs:
    command: str  # config | list | compare | devices | help | onnx (a %%fpga --onnx line without a cell)
    options: dict = field(default_factory=dict)
    names: list = field(default_factory=list)
    reset: bool = False


def parse_line(line: str) -> LineArgs:
    words = split_line(line, LINE_USAGE)
    if not words or words[0] in ("-h", "--help", "help"):
        return LineArgs("help")
    command, rest = words[0], words[1:]
    if command.startswith("-") and any(w == "--onnx" or w.startswith("--onnx=") for w in words):
        return LineArgs("onnx")
    parser = _Parser(LINE_USAGE)
    if command == "config":
        _add_compile_options(parser)
        parser.add_argument("--reset", action="store_true")
        args = parser.parse_args(rest)
        return LineArgs("config", _compile_options(args), reset=args.reset)
    if command in ("list", "devices"):
        parser.parse_args(rest)
        return LineArgs(command)
    if command == "sparsity":
        parser.add_argument("names", nargs="*")
        args = parser.parse_args(rest)
        if len(args.names) != 1:
            parser.error(f"sparsity takes one design name, got {len(args.names)}")
        return LineArgs("sparsity", names=args.names)
    if command == "compare":
        parser.add_argument("names", nargs="*")
        args = parser.parse_args(rest)
        if len(args.names) != 2:
            parser.error(f"compare takes two design names, got {len(args.names)}")
        return LineArgs("compare", names=args.names)
    raise MagicUsageError(
        f"usage: {LINE_USAGE}\nunknown command {command!r}; commands: config, list, compare, sparsity, devices"
    )
