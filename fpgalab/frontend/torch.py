"""PyTorch modules through ONNX: ``torch.onnx.export`` to an in-memory ``onnx.ModelProto``, which the
ONNX front end then reads as any other ONNX model.

The exporter is the TorchScript one (``dynamo=False``): it traces the module once on the example
inputs and is the dependable one for plain ``nn.Sequential`` / Conv / Linear / BatchNorm models.
The example inputs fix the input shapes; their first axis is the batch axis, which is taken as 1
(a design computes one sample per call). The module's own forward pass, in eval mode, is the
design's float reference (``Design.accuracy``).

This module imports torch only when a module is exported; ``is_torch_module`` tells a module apart
by the names of its classes, so other objects never import torch.
"""

from __future__ import annotations

import inspect
import io
import warnings

import numpy as np

from fpgalab.errors import CompileError

EXPORT_OPSET = 17  # an opset the ONNX front end reads as it is (13 and later); the exporter supports it
INSTALL_HINT = (
    "pip install 'fpgalab[torch]' (the CPU-only wheel suffices: "
    "pip install torch --index-url https://download.pytorch.org/whl/cpu)"
)


def is_torch_module(obj) -> bool:
    """A ``torch.nn.Module`` (or subclass, a ``torch.jit.ScriptModule`` too) without importing torch."""
    return any(cls.__name__ == "Module" and (cls.__module__ or "").startswith("torch.nn") for cls in type(obj).__mro__)


def _torch():
    try:
        import torch  # noqa: PLC0415
        import torch.onnx  # noqa: PLC0415
    except ImportError as error:
        raise CompileError(f"compiling a PyTorch module needs PyTorch ({error}): {INSTALL_HINT}") from None
    return torch


def _example_tensors(torch, example_args) -> list:
    """One zero sample per example input, of the example's shape with the first (batch) axis 1."""
    if not example_args:
        raise CompileError(
            "a PyTorch module needs an example input to fix its input shape: "
            "fpgalab.compile(module, torch.zeros(1, 16)) (a tensor or array per forward argument)"
        )
    tensors = []
    for k, arg in enumerate(example_args):
        try:
            shape = tuple(int(d) for d in (arg.shape if hasattr(arg, "shape") else np.shape(arg)))
        except (TypeError, ValueError) as error:
            raise CompileError(
                f"example input {k} of the PyTorch module is not an array or tensor ({type(arg).__name__}: {error})"
            ) from None
        if not shape:
            raise CompileError(
                f"example input {k} of the PyTorch module is a scalar; give an array whose first axis is the batch"
            )
        tensors.append(torch.zeros((1, *shape[1:]), dtype=torch.float32))
    return tensors


def _input_names(module, count: int) -> list[str]:
    """The forward method's parameter names (``x``, ``input`` ...), else ``input_0``, ``input_1`` ..."""
    try:
        parameters = [
            p.name
            for p in inspect.signature(module.forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        parameters = []
    if len(parameters) >= count and len(set(parameters[:count])) == count:
        return parameters[:count]
    return [f"input_{k}" for k in range(count)]


def torch_reference(module):
    """The module's own float forward pass (eval mode, no gradients), one sample (of the design's input
    shape, batch 1) at a time: arrays with a sample axis in, a list of arrays with a sample axis out."""

    def run(*arrays):
        torch = _torch()
        training = module.training
        module.eval()
        try:
            with torch.no_grad():
                samples = []
                for xs in zip(*arrays):
                    result = module(*(torch.as_tensor(np.asarray(x, np.float32)) for x in xs))
                    results = result if isinstance(result, (tuple, list)) else (result,)
                    samples.append([r.detach().cpu().numpy() for r in results])
        finally:
            module.train(training)
        return [np.stack([s[k] for s in samples]) for k in range(len(samples[0]))]

    run.source = "pytorch"
    return run


def export_torch(module, *example_args):
    """``(onnx.ModelProto, reference)``: the module exported at ``EXPORT_OPSET`` with batch 1 and its
    float reference."""
    torch = _torch()
    import onnx  # noqa: PLC0415 - a dependency of fpgalab; imported with the export only

    tensors = _example_tensors(torch, example_args)
    names = _input_names(module, len(tensors))
    buffer = io.BytesIO()
    # torch 2.5 and later choose the exporter with ``dynamo``; the ones before have only the TorchScript one
    choice = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    training = module.training
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation note and tracer warnings
            torch.onnx.export(
                module,
                tuple(tensors),
                buffer,
                input_names=names,
                opset_version=EXPORT_OPSET,
                do_constant_folding=True,
                **choice,
            )
    except Exception as error:  # noqa: BLE001 - the exporter raises many kinds for what it cannot trace
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CompileError(f"torch.onnx.export could not export {type(module).__name__}: {first}") from None
    finally:
        module.train(training)
    model = onnx.load_from_string(buffer.getvalue())
    model.graph.name = type(module).__name__
    return model, torch_reference(module)
