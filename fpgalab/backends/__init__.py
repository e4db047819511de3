"""Backends: a design leaves the notebook as HLS C++, LLVM IR or Verilog.

    emit(design, "hls", "out/lenet5_hls")          # a Vitis HLS project folder
    emit(design, "llvm", "out/lenet5.ll")           # one LLVM IR module (a folder with the .ll)
    emit(design, "verilog", "out/lenet5_rtl")       # Verilog, $readmemh ROMs, a testbench

``BACKENDS`` holds one row per backend: the function writing its files into a folder.
Every export is written into a temporary folder beside the target and renamed into place, so
an interrupted export leaves nothing half-written; a non-empty target is replaced only with
``overwrite=True``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def _hls(design, folder: Path, **options):
    """The Vitis HLS project, arranged as the architecture the design was estimated in."""
    from fpgalab.backends.hls.parallel import ParallelCppKernel  # noqa: PLC0415
    from fpgalab.backends.hls.project import write_project  # noqa: PLC0415
    from fpgalab.backends.hls.stream import StreamCppKernel  # noqa: PLC0415

    kernel_class = {"parallel": ParallelCppKernel, "stream": StreamCppKernel}.get(design.options.io)
    return write_project(design, folder, kernel_class=kernel_class, **options)


def _llvm(design, folder: Path, **options):
    from fpgalab.backends.llvm.module import write_module  # noqa: PLC0415

    return write_module(design, folder, **options)


def _verilog(design, folder: Path, **options):
    from fpgalab.backends.verilog.rtl import write_rtl  # noqa: PLC0415

    return write_rtl(design, folder, **options)


BACKENDS = {"hls": _hls, "llvm": _llvm, "verilog": _verilog}
ALIASES = {"cpp": "hls", "hls_cpp": "hls", "c++": "hls", "vitis": "hls", "ll": "llvm", "rtl": "verilog", "v": "verilog"}


def backend_kind(kind: str) -> str:
    key = ALIASES.get(str(kind).lower(), str(kind).lower())
    if key not in BACKENDS:
        raise ValueError(f"unknown backend {kind!r}; allowed: {', '.join(BACKENDS)}")
    return key


def emit(design, kind: str, path, overwrite: bool = False, **options) -> Path:
    """Write ``design`` as ``kind`` (hls, llvm, verilog) into the folder ``path``; returns the folder."""
    key = backend_kind(kind)
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise FileExistsError(f"{target} is not empty; pass overwrite=True to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        BACKENDS[key](design, staging, **options)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            target.rename(old / "previous")
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
