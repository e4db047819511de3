"""``fixplan.IntOps`` as Verilog-2005 wires: every operation becomes one named ``wire``.

Multi-bit values are ``signed`` wires of an exact width; 1-bit values (compares, flags) are
plain wires. The declarations are collected in ``lines`` and written into the layer's module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wire:
    name: str
    width: int


def verilog_constant(value: int, width: int) -> str:
    """``value`` as a sized literal of its two's-complement bits."""
    bits = int(value) & ((1 << width) - 1)
    return f"{width}'h{bits:x}"


class VerilogOps:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.lines: list[str] = []
        self.count = 0
        self.constants: dict = {}

    def _wire(self, width: int, expr: str, signed: bool = True) -> Wire:
        self.count += 1
        name = f"{self.prefix}{self.count}"
        kind = "wire signed" if signed and width > 1 else "wire"
        self.lines.append(f"{kind} [{width - 1}:0] {name} = {expr};")
        return Wire(name, width)

    def declare(self, width: int, expr: str, signed: bool = True) -> Wire:
        """A wire holding a Verilog expression (for loads and other non-arithmetic values)."""
        return self._wire(width, expr, signed)

    def const(self, value: int, width: int) -> Wire:
        key = (int(value) & ((1 << width) - 1), width)
        if key not in self.constants:
            self.constants[key] = self._wire(width, verilog_constant(value, width))
        return self.constants[key]

    def width(self, v: Wire) -> int:
        return v.width

    def sext(self, v: Wire, width: int) -> Wire:
        if width <= v.width:
            return v
        return self._wire(width, f"{{{{{width - v.width}{{{v.name}[{v.width - 1}]}}}}, {v.name}}}")

    def zext(self, v: Wire, width: int) -> Wire:
        if width <= v.width:
            return v
        return self._wire(width, f"{{{width - v.width}'d0, {v.name}}}")

    def trunc(self, v: Wire, width: int) -> Wire:
        if width >= v.width:
            return v
        return self._wire(width, f"{v.name}[{width - 1}:0]", signed=True)

    def _binary(self, a: Wire, b: Wire, symbol: str) -> Wire:
        return self._wire(a.width, f"{a.name} {symbol} {b.name}")

    def add(self, a, b):
        return self._binary(a, b, "+")

    def sub(self, a, b):
        return self._binary(a, b, "-")

    def mul(self, a, b):
        return self._binary(a, b, "*")

    def shl(self, v: Wire, k: int):
        return self._wire(v.width, f"{v.name} <<< {k}") if k else v

    def ashr(self, v: Wire, k: int):
        return self._wire(v.width, f"{v.name} >>> {k}") if k else v

    def _compare(self, a: Wire, b: Wire, symbol: str) -> Wire:
        return self._wire(1, f"{a.name} {symbol} {b.name}", signed=False)

    def lt(self, a, b):
        return self._compare(a, b, "<")

    def gt(self, a, b):
        return self._compare(a, b, ">")

    def eq(self, a, b):
        return self._compare(a, b, "==")

    def ne(self, a, b):
        return self._compare(a, b, "!=")

    def and_(self, a, b):
        return self._wire(1, f"{a.name} & {b.name}", signed=False)

    def or_(self, a, b):
        return self._wire(1, f"{a.name} | {b.name}", signed=False)

    def not_(self, a):
        return self._wire(1, f"~{a.name}", signed=False)

    def select(self, c: Wire, a: Wire, b: Wire) -> Wire:
        return self._wire(a.width, f"{c.name} ? {a.name} : {b.name}", signed=a.width > 1)

    def bit(self, v: Wire, k: int) -> Wire:
        return self._wire(1, f"{v.name}[{k}]", signed=False)

    def floor_div(self, t: Wire, r: int) -> Wire:
        divisor = self.const(r, t.width)
        q, rem = self._binary(t, divisor, "/"), self._binary(t, divisor, "%")
        adjust = self.and_(self.ne(rem, self.const(0, t.width)), self.lt(t, self.const(0, t.width)))
        return self.sub(q, self.zext(adjust, t.width))
