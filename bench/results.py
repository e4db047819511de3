"""What the benchmarks share: the median of timed runs, and replacing one section of bench/RESULTS.md."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def median_time(fn, runs: int) -> float:
    """Median wall-clock seconds of ``runs`` calls of ``fn`` after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_section(section: str, text: str, path: Path = RESULTS) -> None:
    """Replace the ``section`` heading's part of ``path`` with ``text`` (which starts with the heading)."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if section in old:
        start = old.index(section)
        end = old.find("\n## ", start + len(section))
        new = old[:start] + text + (old[end + 1 :] if end != -1 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new)
