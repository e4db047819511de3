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

import json
import shutil
import tempfile
from pathlib import Path


def hls_kernel_class(design):
    """The class writing the design's HLS C++ in the architecture it was estimated in."""
    from fpgalab.backends.hls.parallel import ParallelCppKernel  # noqa: PLC0415
    from fpgalab.backends.hls.project import CppKernel  # noqa: PLC0415
    from fpgalab.backends.hls.stream import StreamCppKernel  # noqa: PLC0415

    return {"parallel": ParallelCppKernel, "stream": StreamCppKernel}.get(design.options.io, CppKernel)


def _hls(design, folder: Path, **options):
    """The Vitis HLS project, arranged as the architecture the design was estimated in."""
    from fpgalab.backends.hls.project import write_project  # noqa: PLC0415

    return write_project(design, folder, kernel_class=hls_kernel_class(design), **options)


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


MANIFEST = ".fpgalab-export.json"  # marks a folder fpgalab wrote; only such a folder is ever replaced
OPTIONS = {"hls": ("inputs",), "llvm": (), "verilog": ("inputs", "samples")}


def _target(path) -> Path:
    """The folder to write: ``~`` expanded, a symlink followed to its folder; refuses a path that is
    no folder path, or that names the filesystem root, the home folder or the working folder or one
    above it (replacing any of those would take the user's files with it)."""
    if path is None or (isinstance(path, str) and not path.strip()):
        raise ValueError("give the folder to write into, e.g. design.emit('hls', 'out/my_design')")
    if not isinstance(path, (str, Path)):
        raise ValueError(f"the folder must be a path (str or pathlib.Path), got {type(path).__name__}")
    target = Path(path).expanduser()
    if target.is_symlink():
        target = target.resolve()
    resolved = target.resolve()
    protected = {Path(resolved.anchor), Path.home().resolve()}
    cwd = Path.cwd().resolve()
    if resolved in protected or resolved == cwd or resolved in cwd.parents:
        raise ValueError(
            f"refusing to write into {path!r} ({resolved}): give a folder of its own for the export, "
            "e.g. 'out/my_design'"
        )
    return target


def _replaceable(target: Path) -> None:
    """A non-empty folder is replaced only when fpgalab wrote it and nothing else was put in it since."""
    manifest = target / MANIFEST
    if not manifest.is_file():
        raise FileExistsError(
            f"{target} is not empty and was not written by fpgalab; choose another folder "
            "(fpgalab replaces only a folder it exported itself)"
        )
    try:
        written = set(json.loads(manifest.read_text())["files"])
    except (ValueError, KeyError, TypeError):
        raise FileExistsError(f"{target}: its {MANIFEST} is unreadable; choose another folder") from None
    present = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file() and p.name != MANIFEST}
    extra = sorted(present - written)
    if extra:
        raise FileExistsError(
            f"{target} holds files fpgalab did not write ({', '.join(extra[:5])}"
            f"{' ...' if len(extra) > 5 else ''}); move them out or choose another folder"
        )


def emit(design, kind: str, path, overwrite: bool = False, **options) -> Path:
    """Write ``design`` as ``kind`` (hls, llvm, verilog) into the folder ``path``; returns the folder.

    The files are written into a temporary folder beside it and renamed into place, so an
    interrupted export leaves nothing half-written. An existing non-empty folder is replaced only
    with ``overwrite=True`` and only if fpgalab wrote it (its manifest lists every file in it);
    a symlink is followed and its folder written."""
    key = backend_kind(kind)
    unknown = sorted(set(options) - set(OPTIONS[key]))
    if unknown:
        allowed = ", ".join(OPTIONS[key]) or "none"
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for emit({key!r}); it takes: {allowed}")
    target = _target(path)
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{target} is not empty; pass overwrite=True to replace an export of fpgalab's")
        _replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    old = None
    try:
        BACKENDS[key](design, staging, **options)
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        (staging / MANIFEST).write_text(json.dumps({"generator": "fpgalab", "kind": key, "files": files}, indent=1))
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            target.rename(old / "previous")
            try:
                staging.rename(target)
            except BaseException:
                (old / "previous").rename(target)  # put the previous export back
                raise
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return target
