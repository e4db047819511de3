"""How a sweep shows its points finishing: the caller's function, or a tqdm bar.

``progress(done, total, label)`` is called as each point finishes (the magics pass one that moves
their widget). Without one, a tqdm bar: tqdm's ipywidgets bar in a Jupyter kernel, a text bar
on a terminal's stderr, and nothing when stderr is no terminal (a log, a test run) or tqdm is
not installed.
"""

from __future__ import annotations

import sys


class Reporter:
    """``report(done, label)`` after each point; ``close()`` once the sweep ends (finished or not)."""

    def __init__(self, total: int, callback=None, bar=None):
        self.total, self.callback, self.bar = total, callback, bar

    def __call__(self, done: int, label: str) -> None:
        if self.callback is not None:
            self.callback(done, self.total, label)
        if self.bar is not None:
            self.bar.set_postfix_str(label, refresh=False)
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def progress_reporter(progress, total: int, title: str) -> Reporter:
    if progress is False:
        return Reporter(total)
    if callable(progress):
        return Reporter(total, callback=progress)
    if progress is not None:
        raise ValueError(f"progress must be a function (done, total, label), False or None, got {progress!r}")
    return Reporter(total, bar=_bar(total, title))


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _bar(total: int, title: str):
    try:
        if _in_kernel():
            from tqdm.notebook import tqdm  # noqa: PLC0415

            return tqdm(total=total, desc=title)
        if sys.stderr.isatty():
            from tqdm import tqdm  # noqa: PLC0415

            return tqdm(total=total, desc=title, file=sys.stderr)
    except ImportError:
        return None
    return None
