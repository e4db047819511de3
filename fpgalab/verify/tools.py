"""Running external tools: finding them, a content-hash cache, progress, interruption and errors.

The cache lives in ``$FPGALAB_CACHE`` or ``~/.cache/fpgalab``; a result is stored under the hash
of everything that decides it (the generated files, the tool's version, the options), so a
repeat is instant. A tool that fails raises ``ToolError`` with the command and the tool's own
message; a missing tool raises ``ToolMissing`` saying how to install it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


class ToolMissing(RuntimeError):
    """An external tool is not installed; the message says how to install it."""


class ToolError(RuntimeError):
    """An external tool failed; ``command`` and ``output`` hold what it ran and what it said."""

    def __init__(self, tool: str, command: list[str], output: str, cwd: str = ""):
        self.tool, self.command, self.output = tool, command, output
        tail = "\n".join(output.strip().splitlines()[-40:])
        super().__init__(f"{tool} failed.\ncommand: {' '.join(command)}\n(in {cwd})\n{tail}")


def cache_dir() -> Path:
    root = Path(os.environ.get("FPGALAB_CACHE") or Path.home() / ".cache" / "fpgalab")
    root.mkdir(parents=True, exist_ok=True)
    return root


def content_hash(files: dict, *extra) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        data = files[name]
        digest.update(data if isinstance(data, bytes) else str(data).encode())
    for item in extra:
        digest.update(json.dumps(item, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:24]


def read_cached(kind: str, key: str):
    path = cache_dir() / kind / key / "result.json"
    if path.exists():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None
    return None


def write_cached(kind: str, key: str, result: dict) -> None:
    """Store ``result`` atomically: written to a file of this writer's own, then renamed over the result,
    so workers sharing the cache (``fpgalab.scale``) never read half a file nor lose one to another."""
    folder = cache_dir() / kind / key
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix="result.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(json.dumps(result, indent=1))
        os.replace(temporary, folder / "result.json")
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def venv_tool(name: str) -> str | None:
    """A command of this Python's environment (PyPI wheels install next to the interpreter), else PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def default_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_tool(tool: str, command: list[str], cwd: Path, progress=None, timeout: float = 3600, env=None) -> str:
    """Run ``command`` in ``cwd``; stream its lines to ``progress``; Ctrl-C stops the tool and re-raises."""
    progress = progress or (lambda message: None)
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=str(cwd),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=env,
    )
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"{tool} took more than {timeout:.0f} s")
            progress(f"{tool}: {line.rstrip()}")
        process.wait()
    except BaseException:
        os.killpg(process.pid, signal.SIGTERM)  # the tool's own process group only
        process.wait()
        raise
    output = "".join(lines)
    if process.returncode != 0:
        raise ToolError(tool, command, output, str(cwd))
    return output
