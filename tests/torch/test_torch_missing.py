"""Without PyTorch, compiling a PyTorch module says how to install it (no torch needed to run this)."""

from __future__ import annotations

import builtins

import pytest

import fpgalab
from fpgalab.frontend.torch import is_torch_module


def _module_like():
    """An object whose class derives from a class named as torch's ``Module``, as a module's does."""
    base = type("Module", (), {"__module__": "torch.nn.modules.module"})
    return type("Sequential", (base,), {"__module__": "torch.nn.modules.container"})()


def test_torch_modules_are_told_apart_by_class_names():
    assert is_torch_module(_module_like())
    assert not is_torch_module(object()) and not is_torch_module("model.onnx") and not is_torch_module(len)


def test_missing_torch_names_the_extra_and_the_cpu_wheel(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(fpgalab.CompileError) as info:
        fpgalab.compile(_module_like(), [[0.0, 1.0]])
    message = str(info.value)
    assert "compiling a PyTorch module needs PyTorch" in message
    assert "pip install 'fpgalab[torch]'" in message and "CPU-only wheel" in message
    assert "download.pytorch.org/whl/cpu" in message
