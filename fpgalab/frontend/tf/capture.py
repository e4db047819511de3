"""Capture a TensorFlow function or Keras model as an XLA HLO module with its weights bound.

The only module of fpgalab that imports TensorFlow, and only when a capture is asked for.
``tf.function(jit_compile=True).experimental_get_compiler_ir`` gives the pre-optimisation HLO
(free of CPU-specific fusions) as text and as a serialized ``HloModuleProto``. Captured tensors
and Keras variables become HLO parameters after the user's inputs; their values are read
here so the design owns its weights.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import re
import time
from dataclasses import dataclass, field

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.tf.hlo import Module, module_from_proto
from fpgalab.frontend.tf.opcodes import INTEGER_INPUTS
from fpgalab.ir.keys import LAYER_SCOPE


@dataclass
class Capture:
    module: Module
    bindings: dict[int, np.ndarray]  # HLO parameter number -> value, for every non-input parameter
    n_inputs: int
    input_names: list[str]
    weight_names: dict[int, str]
    layer_names: frozenset[str]
    name: str
    reference: object = field(repr=False)  # float TensorFlow callable: arrays with a sample axis -> list of arrays
    seconds: float = 0.0
    hlo_text: object = ""  # a function giving XLA's HLO text: asked for only when shown (it costs a lowering)
    layer_scopes: dict = field(default_factory=dict)  # the name scope of each Keras layer's call -> its name


@contextlib.contextmanager
def _quiet(tf):
    """Silence TensorFlow's retracing warnings: each capture builds a new tf.function on purpose."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # noqa: PLC0415

    return tf


def is_keras_model(obj) -> bool:
    try:
        import keras  # noqa: PLC0415
    except ImportError:
        return False
    return isinstance(obj, keras.Model)


def _layers(model) -> list:
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        found.extend(_layers(layer))
    return found


@contextlib.contextmanager
def _scoped_layers(layers: list, tf):
    """While tracing, run each Keras layer's ``call`` inside a name scope of its own (``LAYER_SCOPE``
    + its position), so every HLO op names the layer object that made it: Keras 3 scopes ops by
    call name (a layer named ``dense`` runs under ``dense_1`` when another is named ``dense_1``).
    Yields scope -> layer name; the layers are left as they were."""
    scopes, patched = {}, []
    try:
        for k, layer in enumerate(layers):
            scope = f"{LAYER_SCOPE}{k}"
            scopes[scope] = layer.name
            original = layer.call
            had_own = "call" in vars(layer)

            def scoped_call(*args, _call=original, _scope=scope, **kwargs):
                with tf.name_scope(_scope):
                    return _call(*args, **kwargs)

            layer.call = scoped_call
            patched.append((layer, original, had_own))
        yield scopes
    finally:
        for layer, original, had_own in reversed(patched):
            if had_own:
                layer.call = original
            else:
                del layer.call


def check_example_args(args) -> list[np.ndarray]:
    """Example inputs as float32 arrays; anything else is a CompileError that says what is allowed."""
    if not args:
        raise CompileError(
            "give example inputs after the function, e.g. fpgalab.compile(fn, np.zeros((1, 64), "
            "np.float32)); they fix the shapes of the design"
        )
    arrays = []
    for k, arg in enumerate(args):
        if isinstance(arg, (str, bytes)):
            raise CompileError(f"example input {k} is a string; fpgalab designs take float32 tensors")
        try:
            array = np.asarray(arg.numpy() if hasattr(arg, "numpy") else arg)
        except Exception as err:  # noqa: BLE001 - anything not array-like
            raise CompileError(f"example input {k} ({type(arg).__name__}) is not an array: {err}") from None
        if array.dtype.kind not in "f" and array.dtype.name not in INTEGER_INPUTS:
            raise CompileError(
                f"example input {k} has dtype {array.dtype}; fpgalab designs take floating-point inputs "
                f"(converted to float32, then to the design's precision) or integer inputs "
                f"({', '.join(INTEGER_INPUTS)}: token ids, indices)"
            )
        if array.ndim == 0 or any(d == 0 for d in array.shape):
            raise CompileError(
                f"example input {k} has shape {array.shape}; give a non-empty tensor whose first "
                "dimension is the batch (usually 1)"
            )
        arrays.append(array if array.dtype.kind in "iu" else array.astype(np.float32))
    return arrays


def _callable(fn, n_args: int, tf):
    """The Python callable to trace, the function's name and its Keras layer names."""
    if is_keras_model(fn):
        model = fn

        def call_model(*xs):
            return model(xs[0] if n_args == 1 else list(xs), training=False)

        return call_model, model.name, frozenset(layer.name for layer in _layers(model)), model
    python_fn = getattr(fn, "python_function", None)  # a tf.function: retrace it with XLA
    target = python_fn or fn
    if not callable(target):
        raise CompileError(f"expected a function, tf.function or keras.Model, got {type(fn).__name__}")
    return target, getattr(target, "__name__", "kernel"), frozenset(), None


def _summarise(err: Exception) -> str:
    text = str(err).strip().splitlines()
    useful = [line for line in text if line.strip() and not line.startswith(("\t", "  File", "Traceback"))]
    return " ".join(useful[:4])[:600]


def capture(fn, *args, input_names=None) -> Capture:
    """Trace ``fn`` on the example inputs and return its HLO module with every weight bound."""
    arrays = check_example_args(args)
    start = time.perf_counter()
    tf = _tensorflow()
    target, name, layer_names, model = _callable(fn, len(arrays), tf)
    compiled = tf.function(target, jit_compile=True, autograph=True)
    specs = [tf.TensorSpec(a.shape, tf.as_dtype(a.dtype)) for a in arrays]
    layers = _layers(model) if model is not None else []
    with _quiet(tf), _scoped_layers(layers, tf) as layer_scopes:
        concrete, compiler_ir, serialized = _trace(compiled, specs, arrays, tf)
    module = module_from_proto(serialized)
    bindings, weight_names = _bind_parameters(module, concrete, len(arrays), model, tf)
    if input_names is None:
        input_names = _input_names(target, model, len(arrays))
    reference = _reference(target, arrays, tf)
    return Capture(
        module,
        bindings,
        len(arrays),
        input_names,
        weight_names,
        layer_names,
        name,
        reference,
        time.perf_counter() - start,
        lambda: compiler_ir(stage="hlo"),
        layer_scopes,
    )


def _trace(compiled, specs, arrays, tf):
    """Trace with XLA; every failure becomes a CompileError that says why, in the user's terms."""
    try:
        concrete = compiled.get_concrete_function(*specs)
        compiler_ir = compiled.experimental_get_compiler_ir(*[tf.constant(a) for a in arrays])
        serialized = compiler_ir(stage="hlo_serialized")
    except CompileError:
        raise
    except TypeError as err:
        raise CompileError(
            f"the function cannot be called with the example inputs ({len(arrays)} tensor(s) of shapes "
            f"{[a.shape for a in arrays]}): {_summarise(err)}"
        ) from None
    except Exception as err:  # noqa: BLE001 - TensorFlow raises many kinds; all mean the same to the user
        raise CompileError(
            "TensorFlow/XLA could not compile the function with jit_compile=True, so fpgalab cannot "
            "capture it (Python-side control flow on tensor values, unsupported TF ops, or shapes "
            f"that depend on data are the usual causes): {_summarise(err)}"
        ) from None
    return concrete, compiler_ir, serialized


def _input_names(target, model, count: int) -> list[str]:
    if model is not None:
        names = [re.sub(r"\W", "_", getattr(t, "name", "") or "") for t in getattr(model, "inputs", [])]
        names = [n if n else f"input_{k}" for k, n in enumerate(names)]
        return names if len(names) == count else [f"input_{k}" for k in range(count)]
    try:
        params = [
            p.name
            for p in inspect.signature(target).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return params[:count] if len(params) >= count else [f"input_{k}" for k in range(count)]


def _read_variable(handle, tf) -> np.ndarray:
    """A variable's value as float32, whatever float type it holds (half-precision and mixed-precision models).

    The handle's own record names the type; where it is missing, each float type is tried in turn."""
    data = getattr(handle, "_handle_data", None)
    recorded = [tf.as_dtype(entry.dtype) for entry in getattr(data, "shape_and_type", ())[:1]]
    for dtype in recorded + [tf.float32, tf.float16, tf.bfloat16, tf.float64]:
        try:
            return tf.cast(tf.raw_ops.ReadVariableOp(resource=handle, dtype=dtype), tf.float32).numpy()
        except tf.errors.InvalidArgumentError:
            continue
    raise CompileError("a captured variable holds neither float32, float16, bfloat16 nor float64 values")


def _bind_parameters(module: Module, concrete, n_inputs: int, model, tf):
    """Values (and names) of the HLO parameters after the user's inputs, in parameter order."""
    params = module.entry_computation.parameters()
    captured = list(concrete.captured_inputs)
    if len(params) - n_inputs != len(captured):
        raise CompileError(
            f"the HLO module has {len(params)} parameters but the function has {n_inputs} input(s) and "
            f"{len(captured)} captured tensor(s); fpgalab cannot tell which parameter is which"
        )
    variables = list(model.weights) if model is not None else list(concrete.variables)
    bindings, names = {}, {}
    for param, handle in zip(params[n_inputs:], captured):
        number = param.attrs["parameter_number"]
        if handle.dtype == tf.resource:
            value = _read_variable(handle, tf)
            names[number] = _variable_name(handle, variables) or f"weight_{number}"
        else:
            value = handle.numpy()
            names[number] = f"const_{number}"
        if value.dtype.kind != "f":
            raise CompileError(
                f"captured tensor {names[number]} has dtype {value.dtype}; only float weights are supported"
            )
        if tuple(value.shape) != tuple(param.shape.dims):
            raise CompileError(
                f"captured tensor {names[number]} has shape {value.shape} but HLO parameter {number} "
                f"expects {param.shape.dims}; fpgalab will not guess the binding"
            )
        bindings[number] = value.astype(np.float32)
    return bindings, names


def _variable_name(handle, variables) -> str:
    for var in variables:
        inner = getattr(var, "value", var)
        if getattr(inner, "handle", None) is handle:
            path = getattr(var, "path", None) or getattr(var, "name", "")
            return re.sub(r":\d+$", "", path)
    return ""


def _reference(target, examples: list[np.ndarray], tf):
    """TensorFlow float32 execution (no XLA) on inputs that carry a leading sample axis."""
    plain = tf.function(target, autograph=True)
    per_sample = tf.function(lambda xs: tf.nest.flatten(target(*xs)), autograph=True)

    def run(*inputs: np.ndarray) -> list[np.ndarray]:
        inputs = tuple(np.asarray(x).astype(e.dtype) for x, e in zip(inputs, examples))  # integer ids stay integers
        samples = inputs[0].shape[0]
        if all(e.shape[0] == 1 for e in examples):  # batch-polymorphic call: samples become the batch
            batch = [x.reshape((samples,) + e.shape[1:]) for x, e in zip(inputs, examples)]
            try:
                outputs = [np.asarray(o) for o in tf.nest.flatten(plain(*batch))]
                if all(o.shape[:1] == (samples,) for o in outputs):
                    return [o[:, None] if o.ndim >= 1 else o for o in outputs]
            except Exception:  # noqa: BLE001 - not batch-polymorphic; map over samples below
                pass
        mapped = tf.map_fn(
            per_sample, [tf.constant(x) for x in inputs], fn_output_signature=_signature(per_sample, examples, tf)
        )
        return [np.asarray(o) for o in mapped]

    return run


def _signature(per_sample, examples, tf):
    outputs = per_sample([tf.constant(e) for e in examples])
    return [tf.TensorSpec(o.shape, o.dtype) for o in outputs]
