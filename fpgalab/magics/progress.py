"""Progress bars for the long steps of a cell (exploration, emitting code, RTL verification).

In a notebook the bar is an ipywidgets ``IntProgress`` with a label; when the work is done the
bar hides itself (it is not closed, so a saved notebook never shows "model not found"). Its
``text/plain`` is a fixed line, so executed notebooks compare equal. In a terminal (no kernel)
``Progress`` prints nothing.

The kernel's stop button raises ``KeyboardInterrupt`` in the running cell; loops that report
progress catch it between steps and keep what they have (see ``sweep.run_sweep``).
"""

from __future__ import annotations

import time


class _Bar:
    """An IntProgress and a label whose text/plain is fixed."""

    def __init__(self, title: str, total: int):
        import ipywidgets as w  # noqa: PLC0415

        self.title = title
        self.bar = w.IntProgress(
            value=0, min=0, max=max(1, total), description="", bar_style="info", layout=w.Layout(width="320px")
        )
        self.label = w.Label(value=f"{title}: starting")
        self.box = w.HBox([self.bar, self.label])

    def _repr_mimebundle_(self, **kwargs):
        data = self.box._repr_mimebundle_(**kwargs)
        data["text/plain"] = f"fpgalab: {self.title}"
        return data


class Progress:
    """``with Progress(shell, "exploring 12 points", 12) as p: ... p.step("reuse=2")``."""

    def __init__(self, shell, title: str, total: int, enabled: bool | None = None):
        self.title, self.total, self.count = title, total, 0
        self.start = time.perf_counter()
        self._closed = False
        if enabled is None:
            enabled = getattr(shell, "kernel", None) is not None  # a Jupyter kernel: some front end may show it
        self._bar = _Bar(title, total) if enabled else None
        if self._bar is not None:
            from IPython.display import display  # noqa: PLC0415

            display(self._bar)

    def step(self, what: str = "") -> None:
        self.count += 1
        if self._bar is not None:
            self._bar.bar.value = min(self.count, self._bar.bar.max)
            elapsed = time.perf_counter() - self.start
            self._bar.label.value = f"{self.title}: {self.count}/{self.total} {what} ({elapsed:.1f} s)"

    def close(self, interrupted: bool = False) -> None:
        if self._bar is None or self._closed:
            return
        self._closed = True
        if interrupted:
            self._bar.bar.bar_style = "warning"
            self._bar.label.value = f"{self.title}: interrupted after {self.count}/{self.total}"
        else:
            self._bar.box.layout.display = "none"

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        self.close(interrupted=kind is KeyboardInterrupt)
        return False


class Activity(Progress):
    """A step of unknown length that reports lines (Verilator, Yosys): ``design.verify(progress=activity)``.

    Each message moves the bar on (it wraps around) and shows in the label with the time so far.
    """

    def __init__(self, shell, title: str, enabled: bool | None = None):
        super().__init__(shell, title, 20, enabled)

    def __call__(self, message: str) -> None:
        self.count += 1
        if self._bar is not None:
            self._bar.bar.value = self.count % (self._bar.bar.max + 1)
            elapsed = time.perf_counter() - self.start
            self._bar.label.value = f"{self.title} ({elapsed:.0f} s): {message[:90]}"
