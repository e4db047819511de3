"""``fpgalab.compile``: a model through its front end, then the pass pipeline (``build_design``).

A TensorFlow function, ``tf.function`` or Keras model is captured through XLA (``frontend.tf``); an
ONNX model (``onnx.ModelProto`` or ``.onnx`` path) is read by ``frontend.onnx``; a PyTorch module is
exported to ONNX first (``frontend.torch``). Each gives a float32 IR kernel; ``build_design`` types,
schedules and wraps it in a ``Design``.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from fpgalab.accuracy import check_calibration
from fpgalab.design import Design, build_design
from fpgalab.errors import CompileError
from fpgalab.hls4ml import Hls4mlOrigin, hls4ml_layers, hls4ml_options, keras_layers, split_converter_args
from fpgalab.ir.verify import verify_kernel
from fpgalab.options import parse_options
from fpgalab.passes import graph_passes, run_pipeline


def compile(fn, *example_args, **options) -> Design:  # noqa: A001 - the public name DESIGN.md gives
    """Capture ``fn`` (a function of tensors, a ``tf.function`` or a ``keras.Model``) and build its design.

    ``fn`` may also be an ONNX model (an ``onnx.ModelProto`` or the path of a ``.onnx`` file): its input
    shapes come from the graph, with a symbolic or non-positive batch dimension taken as 1. A PyTorch
    module goes through ``torch.onnx.export`` on its example inputs (``fpgalab.frontend.torch``).

    hls4ml's converter arguments are options too: ``hls_config`` (its configuration dict), ``io_type``,
    ``part``, ``clock_period``, ``backend`` (``fpgalab.hls4ml.config_in``)."""
    from fpgalab.frontend.onnx.read import is_onnx_model  # noqa: PLC0415
    from fpgalab.frontend.torch import export_torch, is_torch_module  # noqa: PLC0415

    if is_torch_module(fn):
        model, reference = export_torch(fn, *example_args)
        return dataclasses.replace(compile_onnx(model, **options), reference=reference)
    if is_onnx_model(fn):
        return compile_onnx(fn, *example_args, **options)
    from fpgalab.frontend.tf.capture import capture  # noqa: PLC0415
    from fpgalab.frontend.tf.lower import lower_module  # noqa: PLC0415

    kernel_options = getattr(fn, "__fpgalab_options__", None)
    if kernel_options is not None:
        options = {**kernel_options["options"], **options}
        if not example_args and kernel_options["example_args"] is not None:
            example_args = kernel_options["example_args"]
        fn = kernel_options["function"]
    calibration = options.pop("calibration", None)
    options, converter = split_converter_args(options)
    parsed = parse_options(**options)
    start = time.perf_counter()
    captured = capture(fn, *example_args)
    lower_start = time.perf_counter()
    try:
        float_kernel = lower_module(
            captured.module,
            captured.bindings,
            captured.n_inputs,
            captured.input_names,
            captured.weight_names,
            captured.layer_names,
            captured.name,
            captured.layer_scopes,
        )
    except RecursionError:
        raise CompileError("the model is too deeply nested for fpgalab's lowering") from None
    timings = [("capture", lower_start - start), ("lower", time.perf_counter() - lower_start)]
    shapes = [tuple(np.shape(a)) for a in example_args]
    keras = keras_layers(fn)
    source = None
    if converter is not None:
        graphed, _ = run_pipeline(float_kernel, graph_passes())
        translated, source = hls4ml_options(converter, graphed, hls4ml_layers(graphed, keras), keras)
        parsed = parse_options(**options, **translated)
    design = build_design(
        captured.name, verify_kernel(float_kernel), parsed, shapes, captured.hlo_text, timings, captured.reference
    )
    design.hls4ml_origin = Hls4mlOrigin(source, keras, fn if keras else None)
    if calibration is not None:
        check_calibration(design, calibration)
    return design


def compile_onnx(model, *example_args, **options) -> Design:
    """An ONNX model (``ModelProto`` or ``.onnx`` path) read, lowered and built; options keyed by node names.

    The reference is onnxruntime (qonnx's executor for QONNX, whose Quants set types: ``frontend.onnx.quant``)."""
    from fpgalab.frontend.onnx.lower import lower_graph  # noqa: PLC0415
    from fpgalab.frontend.onnx.quant import model_precision  # noqa: PLC0415
    from fpgalab.frontend.onnx.read import read_graph  # noqa: PLC0415

    if example_args:
        raise CompileError("an ONNX model takes its input shapes from its graph: give no example inputs")
    calibration = options.pop("calibration", None)
    if split_converter_args(options)[1] is not None:
        raise CompileError("hls4ml's configuration (hls_config, io_type, part ...) is read for Keras models only")
    start = time.perf_counter()
    graph = read_graph(model)
    lower_start = time.perf_counter()
    try:
        float_kernel = lower_graph(graph)
    except RecursionError:
        raise CompileError("the model is too deeply nested for fpgalab's lowering") from None
    parsed = parse_options(**{"precision": model_precision(float_kernel), **options})
    timings = [("read", lower_start - start), ("lower", time.perf_counter() - lower_start)]
    shapes = [shape for _, shape in graph.inputs]
    design = build_design(graph.name, verify_kernel(float_kernel), parsed, shapes, "", timings, graph.reference)
    if calibration is not None:
        check_calibration(design, calibration)
    return design
