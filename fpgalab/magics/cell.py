"""What a ``%%fpga`` cell does: run the cell, find its function, compile it, store and show the design."""

from __future__ import annotations

import ast
import contextlib
import inspect
import logging
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.onnx.read import is_onnx_model
from fpgalab.frontend.torch import is_torch_module
from fpgalab.magics import text
from fpgalab.magics.options import CELL_USAGE, CellArgs
from fpgalab.magics.session import Entry, current_cell_id, now_iso

KERAS_MODELS = ("Model", "Functional", "Sequential")


class FpgaError(Exception):
    """An error the magic reports in one line (IPython shows ``_render_traceback_`` instead of a traceback)."""

    def __init__(self, message: str, kind: str = "fpga"):
        super().__init__(message)
        self.kind = kind

    def _render_traceback_(self):
        return [f"{self.kind}: {self}"] if str(self) else []


class CellFailed(FpgaError):
    """The user's cell raised; IPython has shown its traceback already, so show nothing more."""

    def __init__(self):
        super().__init__("", "cell")


# ---- finding the function ---------------------------------------------------------------------------------


def kind_of(obj) -> str | None:
    """'kernel', 'tf.function', 'keras model', 'onnx model', 'torch module', 'function', or None for anything
    %%fpga cannot compile (a path string is not taken for a model: ``--onnx PATH`` compiles a file)."""
    if getattr(obj, "__fpgalab_options__", None) is not None:
        return "kernel"
    if not isinstance(obj, (str, os.PathLike)) and is_onnx_model(obj):
        return "onnx model"
    if is_torch_module(obj):
        return "torch module"
    module = type(obj).__module__ or ""
    if module.startswith("tensorflow") and hasattr(obj, "get_concrete_function"):
        return "tf.function"
    if any(
        cls.__name__ in KERAS_MODELS and (cls.__module__ or "").startswith(("keras", "tf_keras"))
        for cls in type(obj).__mro__
    ):
        return "keras model"
    if inspect.isfunction(obj):
        return "function"
    return None


def bound_names(source: str) -> list[str]:
    """Names the cell binds at top level, in the order of their last binding."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    order: dict[str, int] = {}

    def bind(target, position):
        if isinstance(target, ast.Name):
            order.pop(target.id, None)
            order[target.id] = position
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                bind(element, position)

    for position, statement in enumerate(tree.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(ast.Name(statement.name), position)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                bind(target, position)
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            bind(statement.target, position)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                if item.optional_vars is not None:
                    bind(item.optional_vars, position)
    return list(order)


def find_target(namespace: dict, names: list[str], changed: list[str]) -> tuple[str, object, str]:
    """(variable, object, kind): the @fpgalab.kernel, else the last function, tf.function, Keras model,
    ONNX model or PyTorch module."""
    candidates = [n for n in names if n in namespace and kind_of(namespace[n])]
    if not candidates:
        candidates = [n for n in changed if kind_of(namespace[n])]
    if not candidates:
        raise FpgaError(
            "the cell defines no function, tf.function, Keras model, ONNX model or PyTorch module to compile; "
            "define one (def f(x): ...), decorate it with @fpgalab.kernel, or give a file: --onnx PATH"
        )
    kernels = [n for n in candidates if kind_of(namespace[n]) == "kernel"]
    name = (kernels or candidates)[-1]
    return name, namespace[name], kind_of(namespace[name])


# ---- inputs -------------------------------------------------------------------------------------------------


def evaluate(expr: str, option: str, namespace: dict):
    try:
        return eval(expr, namespace)  # noqa: S307 - the user's own expression, in the user's own namespace
    except Exception as err:  # noqa: BLE001 - reported as a usage problem of the option
        raise FpgaError(f"{option} {expr!r}: {type(err).__name__}: {err}", "usage") from None


def _zeros(shape) -> np.ndarray:
    dims = [1 if d is None else int(d) for d in shape]
    return np.zeros(dims, dtype=np.float32)


def onnx_file(path: str) -> tuple[str, str, str]:
    """(variable, path, kind) for ``--onnx PATH``: the variable is the file's stem as an identifier."""
    path = os.path.expanduser(path)
    if not os.path.isfile(path):
        raise FpgaError(f"--onnx {path!r}: no such file", "usage")
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0]) or "onnx"
    return ("model_" + stem if stem[0].isdigit() else stem), path, "onnx file"


def example_inputs(obj, kind: str, args: CellArgs, namespace: dict) -> tuple:
    """The example inputs: --inputs, else the kernel's signature, a Keras model's or tf.function's input shapes
    (an ONNX model has its own in its graph)."""
    if args.inputs is not None:
        value = evaluate(args.inputs, "--inputs", namespace)
        return tuple(value) if isinstance(value, tuple) else (value,)
    if kind in ("onnx model", "onnx file"):
        return ()
    if kind == "kernel" and obj.__fpgalab_options__["example_args"] is not None:
        return ()
    if kind == "keras model":
        inputs = getattr(obj, "inputs", None)
        if inputs:
            return tuple(_zeros(tuple(t.shape)) for t in inputs)
    if kind == "tf.function":
        signature = getattr(obj, "input_signature", None)
        if signature:
            return tuple(_zeros(spec.shape.as_list()) for spec in signature)
    if args.data is not None:  # one sample of the data (of each input, for a tuple of batches)
        data = evaluate(args.data, "--data", namespace)
        batches = data if isinstance(data, (tuple, list)) else (data,)
        return tuple(np.asarray(batch)[:1] for batch in batches)
    raise FpgaError(
        f'give example inputs: --inputs EXPR (for instance --inputs "np.zeros((1, 64), np.float32)")\n'
        f"usage: {CELL_USAGE}",
        "usage",
    )


# ---- the cell -----------------------------------------------------------------------------------------------


def run_cell_body(shell, cell: str) -> tuple[list[str], list[str]]:
    """Run the cell in the user's namespace; returns (names it binds, names whose value changed)."""
    namespace = shell.user_ns
    before = {k: id(v) for k, v in namespace.items()}
    try:
        source = shell.transform_cell(cell)
    except Exception:  # noqa: BLE001 - run_cell below reports it
        source = cell
    result = shell.run_cell(cell, store_history=False)
    if not result.success:
        raise CellFailed()
    changed = [k for k, v in namespace.items() if before.get(k) != id(v) and not k.startswith("_")]
    return bound_names(source), changed


def compile_options(session, obj, kind: str, args: CellArgs) -> dict:
    """Session defaults, under the kernel decorator's own options, under the line's options."""
    kernel_options = obj.__fpgalab_options__["options"] if kind == "kernel" else {}
    defaults = {k: v for k, v in session.defaults.items() if k not in kernel_options}
    return {**defaults, **args.options}


@contextlib.contextmanager
def quiet_tensorflow():
    """TensorFlow's Python warnings about fpgalab's own tracing (retracing notes) are not the user's business."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


def compile_design(obj, inputs: tuple, options: dict, kind: str = ""):
    from fpgalab.frontends import compile as compile_model  # noqa: PLC0415
    from fpgalab.frontends import compile_onnx  # noqa: PLC0415

    try:
        with quiet_tensorflow():
            if kind == "onnx file":  # any file name: the ONNX reader says when it is not an ONNX model
                return compile_onnx(obj, *inputs, **options)
            return compile_model(obj, *inputs, **options)
    except CompileError as err:
        raise FpgaError(str(err), "CompileError") from None
    except ValueError as err:
        raise FpgaError(str(err), "ValueError") from None
    except KeyboardInterrupt:
        raise FpgaError("interrupted while compiling", "KeyboardInterrupt") from None


def emit_design(shell, design, targets: list[tuple[str, str]]) -> list[str]:
    """Write the design with each backend; returns the lines to print."""
    from fpgalab.magics.progress import Progress  # noqa: PLC0415

    if not callable(getattr(design, "emit", None)):
        return ["--emit: this fpgalab has no code generators yet (Design.emit is missing)"]
    lines = []
    with Progress(shell, f"emitting {', '.join(k for k, _ in targets)}", len(targets)) as progress:
        for kind, directory in targets:
            path = Path(directory).expanduser()
            try:
                design.emit(kind, path, overwrite=True)
            except (NotImplementedError, ImportError, ValueError, OSError) as err:
                lines.append(f"--emit {kind}: {type(err).__name__}: {err}")
            else:
                files = (
                    sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
                    if path.is_dir()
                    else [path.name]
                )
                lines.append(
                    f"wrote {kind} to {directory}: {', '.join(files[:8])}"
                    + (f" and {len(files) - 8} more" if len(files) > 8 else "")
                )
            progress.step(kind)
    return lines


def tool_steps(shell, design, args: CellArgs) -> list[str]:
    """--verify and --synth: run the external tools with a progress bar; a missing tool is a note, not an error."""
    from fpgalab.magics.progress import Activity  # noqa: PLC0415

    try:
        from fpgalab.verify.tools import ToolError, ToolMissing  # noqa: PLC0415
    except ImportError:  # an fpgalab without the tools tier
        ToolError = ToolMissing = ()  # noqa: N806 - catch nothing
    steps = [("RTL verification", "verify", {"rtl": True})] if args.verify else []
    steps += [("Yosys synthesis", "synthesize", {})] if args.synth else []
    lines = []
    for title, method, kwargs in steps:
        if not callable(getattr(design, method, None)):
            lines.append(f"{title}: this fpgalab has no Design.{method} yet")
            continue
        try:
            with Activity(shell, title) as activity:
                result = getattr(design, method)(progress=activity, **kwargs)
        except KeyboardInterrupt:
            raise FpgaError(f"{title} interrupted; the kernel is fine", "KeyboardInterrupt") from None
        except ToolMissing as err:
            lines.append(f"{title} skipped: {err}")
            continue
        except ToolError as err:
            raise FpgaError(str(err), "ToolError") from None
        lines.append(text.verify_text(result) if method == "verify" else text.synthesis_text(result, design.report()))
    return lines


def prune(design, args: CellArgs, data):
    """--sparsify: the view's pruning (None without the flag) and ``design`` pruned to the target (or None)."""
    if args.sparsify is None:
        return None, None
    from fpgalab.magics.sparsity import pruning_of  # noqa: PLC0415

    pruning = pruning_of(design, args.sparsify, args.sparsify_method, data)
    try:
        with quiet_tensorflow():
            return pruning, pruning.apply(design)
    except (CompileError, ValueError) as err:
        raise FpgaError(f"--sparsify: {err}", type(err).__name__) from None


def deploy_design(design, args: CellArgs):
    """--deploy: the request and the deployment of ``design`` (None, None without the flag)."""
    if args.deploy is None:
        return None, None
    from fpgalab.magics.deployment import DeployRequest  # noqa: PLC0415

    request = DeployRequest(args.deploy, args.batch, args.compute_units)
    try:
        return request, request.deploy(design)
    except ValueError as err:
        raise FpgaError(f"--deploy {args.deploy}: {err}", "ValueError") from None


def run(shell, session, args: CellArgs, cell: str):
    """The whole %%fpga cell; returns the view to display (None with --quiet)."""
    from fpgalab.magics import panels  # noqa: PLC0415

    started = time.perf_counter()
    names, changed = run_cell_body(shell, cell)
    namespace = shell.user_ns
    variable, obj, kind = onnx_file(args.onnx) if args.onnx is not None else find_target(namespace, names, changed)
    inputs = example_inputs(obj, kind, args, namespace)
    options = compile_options(session, obj, kind, args)
    if args.hls4ml_config is not None:
        from fpgalab.magics.hls4ml_config import Hls4mlConfigError, converter_arguments, merge  # noqa: PLC0415

        try:
            options = merge(options, args.options, converter_arguments(args.hls4ml_config, namespace))
        except Hls4mlConfigError as err:
            raise FpgaError(str(err), "usage") from None
    data = None
    if args.data is not None:
        labels = evaluate(args.labels, "--labels", namespace) if args.labels is not None else None
        data = (evaluate(args.data, "--data", namespace), labels)
    design = compile_design(obj, inputs, options, kind)
    name = args.name or f"{variable}_design"
    sweep = None
    if args.sweep:
        from fpgalab.magics.sweep import run_sweep  # noqa: PLC0415

        base = {k: v for k, v in design.options.to_dict().items() if k not in args.sweep}
        try:
            sweep = run_sweep(shell, design, args.sweep, base, data)
        except KeyboardInterrupt:
            raise FpgaError("the sweep was interrupted before its first point", "KeyboardInterrupt") from None
        namespace[name.removesuffix("_design") + "_sweep"] = sweep
        if sweep.best is not None:
            design = sweep.design(sweep.best)
    pruning, pruned = prune(design, args, data)
    if pruned is not None:
        namespace[name.removesuffix("_design") + "_sparsity"] = pruned
        design = pruned.design
    namespace[name] = design
    request, deployment = deploy_design(design, args)
    if deployment is not None:
        namespace[name.removesuffix("_design") + "_deployment"] = deployment
    entry = Entry(name, design, current_cell_id(shell), shell.execution_count, now_iso(), f"{kind} {variable}", data)
    session.add(entry)
    for line in emit_design(shell, design, args.emit) if args.emit else []:
        print(line, file=sys.stderr if line.startswith("--emit") else sys.stdout)
    for line in tool_steps(shell, design, args):
        print(line)
    if args.quiet:
        return None
    try:
        with quiet_tensorflow():
            evaluation = panels.evaluate(name, design, data, sweep, pruned)
    except (CompileError, ValueError, NotImplementedError) as err:  # e.g. labels that do not fit the data
        raise FpgaError(str(err), type(err).__name__) from None
    from fpgalab.magics.widgets import DesignView  # noqa: PLC0415

    def stored(stored_name, new_design):
        namespace[stored_name] = new_design
        if stored_name in session.entries:
            session.replace_design(stored_name, new_design)

    view = DesignView(evaluation, data, on_design=stored, pruning=pruning, deploy=request, deployment=deployment)
    view.seconds = time.perf_counter() - started
    return view
