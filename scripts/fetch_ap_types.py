#!/usr/bin/env python3
"""Fetch the open-source Xilinx ``ap_types`` headers (``ap_fixed.h``, ``ap_int.h``, ``etc/...``).

Usage: ``python scripts/fetch_ap_types.py DEST`` (the Makefile uses ``.cache/ap_types``).

The headers are bundled, under their Apache-2.0 licence, in the hls4ml wheel on PyPI. The wheel
is downloaded with ``pip download --no-deps`` (hls4ml is NOT installed) and the folder holding
``ap_fixed.h`` is copied, with its relative structure, to ``DEST`` so that ``#include
"ap_fixed.h"`` works with ``-I DEST``. The copy is idempotent (nothing happens when
``DEST/ap_fixed.h`` exists) and atomic (extract to a temporary sibling, then rename).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import PurePosixPath

HLS4ML_VERSION = "1.3.0"
PREFERRED_PREFIX = "hls4ml/templates/vivado/ap_types/"


def _find_ap_types_dir(names: list[str]) -> str:
    """The folder (inside the wheel, with trailing '/') whose ``ap_fixed.h`` we take."""
    candidates = sorted(str(PurePosixPath(n).parent) + "/" for n in names if PurePosixPath(n).name == "ap_fixed.h")
    if not candidates:
        raise SystemExit("fetch_ap_types: no ap_fixed.h inside the hls4ml wheel")
    if PREFERRED_PREFIX in candidates:
        return PREFERRED_PREFIX
    return min(candidates, key=len)


def _download_wheel(workdir: str) -> str:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        f"hls4ml=={HLS4ML_VERSION}",
        "-d",
        workdir,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(
            f"fetch_ap_types: '{' '.join(cmd)}' failed (exit {proc.returncode}); "
            f"is PyPI reachable?\n{proc.stdout}{proc.stderr}"
        )
    wheels = [f for f in os.listdir(workdir) if f.endswith(".whl")]
    if len(wheels) != 1:
        raise SystemExit(f"fetch_ap_types: expected one wheel in {workdir}, found {wheels}")
    return os.path.join(workdir, wheels[0])


def fetch(dest: str) -> None:
    dest = os.path.abspath(dest)
    if os.path.isfile(os.path.join(dest, "ap_fixed.h")):
        print(f"ap_types already in {dest}")
        return
    parent = os.path.dirname(dest)
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hls4ml-wheel-") as workdir:
        wheel = _download_wheel(workdir)
        staging = tempfile.mkdtemp(prefix=".ap_types-", dir=parent)
        try:
            with zipfile.ZipFile(wheel) as zf:
                prefix = _find_ap_types_dir(zf.namelist())
                count = 0
                for info in zf.infolist():
                    if info.is_dir() or not info.filename.startswith(prefix):
                        continue
                    rel = PurePosixPath(info.filename[len(prefix) :])
                    if ".." in rel.parts:
                        continue
                    target = os.path.join(staging, *rel.parts)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with zf.open(info) as src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out)
                    count += 1
            if os.path.isdir(dest):  # a partial earlier copy without ap_fixed.h
                shutil.rmtree(dest)
            os.rename(staging, dest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    print(f"extracted {count} files from {os.path.basename(wheel)}:{prefix} to {dest}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python scripts/fetch_ap_types.py DEST   (for example .cache/ap_types)", file=sys.stderr)
        return 2
    fetch(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
