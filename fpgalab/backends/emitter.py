"""A small text emitter with an indentation context, for generated C++ and Verilog.

out = Emitter()
with out.block("for (int i = 0; i < 8; i++) {", "}"):
    out.line("y[i] = x[i];")
out.text()
"""

from __future__ import annotations

from contextlib import contextmanager


class Emitter:
    def __init__(self, indent: str = "  "):
        self._lines: list[str] = []
        self._depth = 0
        self._indent = indent

    def line(self, text: str = "") -> None:
        self._lines.append(f"{self._indent * self._depth}{text}" if text else "")

    def lines(self, texts) -> None:
        for text in texts:
            self.line(text)

    def raw(self, text: str) -> None:
        """Lines written as they are (no indentation): pragmas, preprocessor lines."""
        self._lines.extend(text.splitlines())

    @contextmanager
    def indented(self):
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    @contextmanager
    def block(self, opener: str, closer: str = "}"):
        self.line(opener)
        with self.indented():
            yield
        self.line(closer)

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"
