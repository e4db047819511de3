"""Read an ONNX model for lowering: load, check, infer shapes and bring it to the opset the rules target.

The only module of fpgalab that imports ``onnx`` at load time of the ONNX front end. A model is an
``onnx.ModelProto`` or the path of a ``.onnx`` file. Its graph inputs (those that are not
initializers) are the design's inputs; a symbolic, zero or negative dimension -- the batch
dimension exporters leave free -- is taken as 1, since a design computes one sample per call.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.onnx.qonnx_view import QONNX_DOMAINS, QONNX_OPS, is_qonnx_node, restore_qonnx_nodes, standard_view

TARGET_OPSET = 13  # models of opset 7..12 are converted up to it; 13 and later are read as they are
OLDEST_OPSET = 7


def _onnx():
    try:
        import onnx  # noqa: PLC0415
    except ImportError:
        raise CompileError("reading ONNX models needs the onnx package: pip install onnx") from None
    return onnx


def is_onnx_model(obj) -> bool:
    """An ``onnx.ModelProto`` or a path to a ``.onnx`` file (without importing onnx for other objects)."""
    if isinstance(obj, (str, os.PathLike)):
        return str(obj).lower().endswith(".onnx")
    return type(obj).__name__ == "ModelProto" and type(obj).__module__.startswith("onnx")


@dataclass
class Graph:
    """A checked ONNX graph at opset ``opset`` with its initializers as arrays and input shapes fixed."""

    model: object  # onnx.ModelProto after shape inference
    name: str
    opset: int
    inputs: list[tuple[str, tuple[int, ...]]]  # graph input name, shape (batch taken as 1)
    initializers: dict[str, np.ndarray]
    outputs: list[str]
    reference: object = None  # onnxruntime on the model as given: arrays with a sample axis -> list of arrays


def onnxruntime_reference(model):
    """The float reference of ``Design.accuracy``: onnxruntime on ``model``, one sample at a time (None
    without onnxruntime)."""
    try:
        import onnxruntime  # noqa: PLC0415
    except ImportError:
        return None
    data = model.SerializeToString()
    sessions = []

    def run(*arrays):
        if not sessions:
            sessions.append(onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"]))
        names = [i.name for i in sessions[0].get_inputs()]
        samples = [sessions[0].run(None, dict(zip(names, xs))) for xs in zip(*arrays)]
        return [np.stack([s[k] for s in samples]) for k in range(len(samples[0]))]

    run.source = "onnxruntime"
    return run


def qonnx_reference(model):
    """The float reference of a QONNX model: qonnx's executor (``execute_onnx``), which runs the Quant
    nodes as QONNX defines them, one sample at a time (None without qonnx)."""
    try:
        from qonnx.core.modelwrapper import ModelWrapper  # noqa: PLC0415
        from qonnx.core.onnx_exec import execute_onnx  # noqa: PLC0415
        from qonnx.transformation.infer_shapes import InferShapes  # noqa: PLC0415
    except ImportError:
        return None
    with warnings.catch_warnings():  # qonnx warns that it renamed the old "finn" domain
        warnings.simplefilter("ignore")
        wrapper = ModelWrapper(model).transform(InferShapes())
    names = [i.name for i in wrapper.graph.input if wrapper.get_initializer(i.name) is None]
    outputs = [o.name for o in wrapper.graph.output]

    def run(*arrays):
        samples = []
        for xs in zip(*arrays):
            result = execute_onnx(wrapper, {n: np.asarray(x, np.float32) for n, x in zip(names, xs)})
            samples.append([np.asarray(result[o]) for o in outputs])
        return [np.stack([s[k] for s in samples]) for k in range(len(outputs))]

    run.source = "qonnx"
    return run


def _load(model):
    onnx = _onnx()
    if isinstance(model, (str, os.PathLike)):
        if not os.path.isfile(model):
            raise CompileError(f"no ONNX file at {os.fspath(model)!r}")
        try:
            return onnx.load(os.fspath(model))
        except Exception as error:  # noqa: BLE001 - onnx raises DecodeError and others for bad files
            raise CompileError(f"{os.fspath(model)!r} is not a readable ONNX model ({error})") from None
    return model


def _opset(model) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    raise CompileError("the ONNX model imports no version of the default operator set (ai.onnx)")


def _input_shape(value_info) -> tuple[int, ...]:
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        raise CompileError(f"ONNX graph input {value_info.name!r} has no shape; fpgalab needs static input shapes")
    dims = []
    for k, dim in enumerate(tensor.shape.dim):
        if dim.HasField("dim_value") and dim.dim_value > 0:
            dims.append(int(dim.dim_value))
        elif k == 0:
            dims.append(1)  # the batch dimension: one sample per call
        else:
            raise CompileError(
                f"ONNX graph input {value_info.name!r} has a free dimension {k} ({dim.dim_param or '?'}); "
                "only the first (batch) dimension may be symbolic (it is taken as 1)"
            )
    return tuple(dims)


def read_graph(model) -> Graph:
    """Load (if a path), check, convert to ``TARGET_OPSET`` (from opset 7 up) and infer shapes."""
    onnx = _onnx()
    model = _load(model)
    if not isinstance(model, onnx.ModelProto):
        raise CompileError(f"expected an onnx.ModelProto or a path to a .onnx file, got {type(model).__name__}")
    given = model
    for k, node in enumerate(model.graph.node):
        if node.domain not in ("", "ai.onnx") and not is_qonnx_node(node):
            raise CompileError(
                f"ONNX {node.op_type} node {node.name or f'{node.op_type}_{k}'!r} is from the operator domain "
                f"{node.domain!r}; fpgalab lowers ops of the default ONNX domain and QONNX's "
                f"{', '.join(QONNX_OPS)} (domains {', '.join(QONNX_DOMAINS)})"
            )
    model, quant_nodes = standard_view(model)  # QONNX nodes as Identity while onnx's tools read the graph
    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)  # outputs left without shapes get one
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise CompileError(f"the ONNX model is not valid: {str(error).splitlines()[0]}") from None
    opset = _opset(model)
    if opset < OLDEST_OPSET:
        raise CompileError(f"the ONNX model uses opset {opset}; fpgalab reads opsets {OLDEST_OPSET} and later")
    if opset < TARGET_OPSET:
        try:
            model = onnx.version_converter.convert_version(model, TARGET_OPSET)
        except Exception as error:  # noqa: BLE001 - the converter raises RuntimeError and others
            raise CompileError(
                f"the ONNX model's opset {opset} could not be converted to {TARGET_OPSET}: {error}"
            ) from None
        if opset < 11:  # the converter drops what Upsample and opset-10 Resize meant
            from fpgalab.frontend.onnx.resize import legacy_resize_attributes  # noqa: PLC0415

            legacy_resize_attributes(model)
        opset = TARGET_OPSET
    model = restore_qonnx_nodes(onnx.shape_inference.infer_shapes(model), quant_nodes)
    initializers = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    inputs = []
    for value_info in model.graph.input:
        if value_info.name in initializers:
            continue
        elem = value_info.type.tensor_type.elem_type
        if elem not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16):
            raise CompileError(
                f"ONNX graph input {value_info.name!r} has element type "
                f"{onnx.TensorProto.DataType.Name(elem)}; fpgalab takes float inputs (float, double, float16)"
            )
        inputs.append((value_info.name, _input_shape(value_info)))
    name = model.graph.name or "onnx_model"
    outputs = [o.name for o in model.graph.output]
    reference = qonnx_reference(given) if quant_nodes else onnxruntime_reference(given)
    return Graph(model, name, opset, inputs, initializers, outputs, reference)
