"""Buffers as banks of Verilog memories, as the schedule partitions and stores them.

Each storage buffer becomes ``banks`` memories (``reg [W-1:0] m [0:depth-1]``) with the
``ram_style`` of its storage (block, ultra, distributed, logic) so synthesis maps them as the
schedule says; ROMs are initialised by ``$readmemh`` from ``<buffer>_b<k>.hex``. An element's
bank and offset follow ``fpgalab.schedule.access.bank_of``: per dimension, cyclic factor f puts index i
in bank ``i % f`` at ``i / f``, block in bank ``i / ceil(n/f)`` at ``i % ceil(n/f)``, complete in
bank ``i``; banks and offsets combine row-major over the dimensions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

RAM_STYLE = {"bram": "block", "uram": "ultra", "lutram": "distributed", "reg": "logic"}


def sv(value: int) -> str:
    """A 32-bit signed Verilog literal."""
    return f"32'sd{value}" if value >= 0 else f"-32'sd{-value}"


def _signed_digits(value: int) -> list[tuple[int, int]]:
    """``value`` > 0 as canonical signed digits: (shift, +1 or -1) pairs, the fewest nonzero ones."""
    digits, shift = [], 0
    while value:
        if value & 1:
            digit = 2 - (value & 3)  # +1 when value % 4 == 1, -1 when value % 4 == 3
            digits.append((shift, digit))
            value -= digit
        value >>= 1
        shift += 1
    return digits


def const_mul(code: str, factor: int) -> str:
    """``code * factor`` (32-bit signed) as shifts and adds of its canonical signed digits.

    Index arithmetic multiplies loop counters by constants; Yosys maps every ``*`` whose product
    has 9 bits or more to a DSP (``mul2dsp.v``), constant or not, where an HLS compiler builds the
    shift-and-add in LUTs. Writing the shifts out keeps the DSPs for the datapath.
    """
    if factor == 0:
        return sv(0)
    if factor < 0:
        return f"(-{const_mul(code, -factor)})"
    terms = []
    for shift, digit in reversed(_signed_digits(factor)):
        term = code if shift == 0 else f"({code} <<< {shift})"
        terms.append(("+ " if digit > 0 else "- ") + term)
    text = " ".join(terms)
    text = text[2:] if text.startswith("+ ") else f"{sv(0)} {text}"
    return f"({text})" if len(terms) > 1 or text.startswith(sv(0)) else text


def const_div(code: str, divisor: int) -> str:
    """Floor division of ``code`` by a positive constant: an arithmetic shift for a power of two."""
    if divisor == 1:
        return code
    if divisor & (divisor - 1) == 0:
        return f"({code} >>> {divisor.bit_length() - 1})"
    return f"({code} / {sv(divisor)})"


def const_mod(code: str, divisor: int) -> str:
    """``code`` modulo a positive constant: a mask for a power of two (floor modulo, never negative)."""
    if divisor == 1:
        return sv(0)
    if divisor & (divisor - 1) == 0:
        return f"({code} & {sv(divisor - 1)})"
    return f"({code} % {sv(divisor)})"


@dataclass
class Port:
    """A read port: the layer that drives it sets ``address`` (a wire name) when ``select`` is high."""

    bank: int
    index: int
    latency: int


@dataclass
class Memory:
    name: str  # Verilog base name
    buffer: str  # IR buffer
    width: int
    shape: tuple
    partition: tuple
    storage: str
    latency: int
    rom_words: np.ndarray | None = None  # constants: mantissa bits per element (flat, row-major)
    read_ports: dict = field(default_factory=dict)  # bank -> list of (layer, select, address wire, data wire)
    write_ports: dict = field(default_factory=dict)  # bank -> list of (enable expr, address wire, data wire)

    # ---- geometry
    def dims(self) -> list[tuple[str, int, int, int]]:
        """Per dimension: (kind, factor-or-block, banks along it, elements per bank along it)."""
        out = []
        for d, size in enumerate(self.shape):
            spec = self.partition[d] if d < len(self.partition) else None
            kind = spec.kind if spec is not None else "none"
            if kind == "cyclic" and spec.factor > 1:
                f = min(spec.factor, size)
                out.append(("cyclic", f, f, math.ceil(size / f)))
            elif kind == "block" and spec.factor > 1:
                block = math.ceil(size / spec.factor)
                out.append(("block", block, math.ceil(size / block), block))
            elif kind == "complete" and size > 1:
                out.append(("complete", size, size, 1))
            else:
                out.append(("none", 1, 1, size))
        return out

    @property
    def banks(self) -> int:
        return math.prod(d[2] for d in self.dims()) if self.shape else 1

    @property
    def depth(self) -> int:
        return max(1, math.prod(d[3] for d in self.dims())) if self.shape else 1

    @property
    def address_width(self) -> int:
        return max(1, (self.depth - 1).bit_length())

    def bank_offset(self, index: list):
        """(bank, offset) of NumPy index arrays (or ints)."""
        bank, offset = 0, 0
        for ix, (kind, f, nb, per) in zip(index, self.dims()):
            if kind == "cyclic":
                b, o = ix % f, ix // f
            elif kind == "block":
                b, o = ix // f, ix % f
            elif kind == "complete":
                b, o = ix, 0 * ix
            else:
                b, o = 0 * ix, ix
            bank, offset = bank * nb + b, offset * per + o
        return bank, offset

    def bank_offset_verilog(self, index: list[str]) -> tuple[str, str]:
        """Verilog expressions (32-bit signed) of the bank and the offset of an index."""
        bank, offset = sv(0), sv(0)
        for ix, (kind, f, nb, per) in zip(index, self.dims()):
            if kind == "cyclic":
                b, o = const_mod(ix, f), const_div(ix, f)
            elif kind == "block":
                b, o = const_div(ix, f), const_mod(ix, f)
            elif kind == "complete":
                b, o = ix, sv(0)
            else:
                b, o = sv(0), ix
            bank = b if bank == sv(0) else f"({const_mul(bank, nb)} + {b})"
            offset = o if offset == sv(0) else f"({const_mul(offset, per)} + {o})"
        return bank, offset

    def bank_words(self) -> list[np.ndarray]:
        """ROM contents per bank (constants only)."""
        words = np.zeros((self.banks, self.depth), dtype=np.int64)
        grid = np.indices(self.shape).reshape(len(self.shape), -1) if self.shape else np.zeros((0, 1), dtype=np.int64)
        bank, offset = self.bank_offset(list(grid))
        words[np.asarray(bank), np.asarray(offset)] = self.rom_words.reshape(-1)
        return list(words)

    # ---- ports
    def add_read(self, bank: int, layer: str, select: str, address: str, data: str, shared: bool = False) -> None:
        """A read of ``bank`` by ``layer`` at ``address`` when ``select``; ``shared`` reads of a layer
        use one port between them (a crossbar: their selects never hold in the same cycle)."""
        self.read_ports.setdefault(bank, []).append((layer, select, address, data, shared))

    def exclusive(self, banks: list[np.ndarray]) -> bool:
        """Whether reads reaching ``banks`` (one array per read, its bank in every iteration, -1
        when it reads nothing) never reach the same bank in the same iteration."""
        if len(banks) < 2:
            return True
        stacked = np.sort(np.stack([np.asarray(b) for b in banks]), axis=0)
        return not np.any((stacked[1:] == stacked[:-1]) & (stacked[1:] >= 0))

    def add_write(self, bank: int, enable: str, address: str, data: str, layer: str | None = None) -> None:
        """A write of ``bank`` when ``enable``; the writes of different layers share a port (port p
        of a bank is the p-th write of each layer), as one layer runs at a time."""
        self.write_ports.setdefault(bank, []).append((layer or enable, enable, address, data))

    def verilog(self, hex_name) -> list[str]:
        """Declarations, write ports and read ports of every bank.

        Read ports of different layers share a physical port (layers run one at a time): port p
        of a bank is the p-th read of each layer, its address chosen by the layer's select.
        """
        lines = []
        msb = self.width - 1
        for bank in range(self.banks):
            mem = f"{self.name}_b{bank}"
            style = RAM_STYLE.get(self.storage, "block")
            if self.rom_words is not None:  # a ROM in LUTs is logic (no LUTRAM write port); in blocks a block ROM
                attribute = f'rom_style = "{"block" if style in ("block", "ultra") else "logic"}"'
            else:
                attribute = f'ram_style = "{style}"'
            lines.append(f"(* {attribute} *) reg [{msb}:0] {mem} [0:{self.depth - 1}];")
            if self.rom_words is not None:
                lines.append(f'initial $readmemh("{hex_name(mem)}", {mem});')
            writers: dict = {}  # layer -> its writes, each (enable, address, data)
            for layer, enable, address, data in self.write_ports.get(bank, []):
                writers.setdefault(layer, []).append((enable, address, data))
            ports = max((len(v) for v in writers.values()), default=0)
            if ports:
                lines.append("always @(posedge clk) begin")
                for p in range(ports):
                    users = [v[p] for v in writers.values() if len(v) > p]
                    enable, address, data = users[-1]
                    if len(users) > 1:  # layers writing in turn (a loop's copies and cell): one port, multiplexed
                        enable = " | ".join(f"({other})" for other, _, _ in users)
                        for other, other_address, other_data in reversed(users[:-1]):
                            address = f"(({other}) ? {other_address} : {address})"
                            data = f"(({other}) ? {other_data} : {data})"
                    lines.append(f"  if ({enable}) {mem}[{address}] <= {data};")
                lines.append("end")
            by_layer: dict = {}  # layer -> its ports, each a list of (select, address, data)
            for layer, select, address, data, shared in self.read_ports.get(bank, []):
                groups = by_layer.setdefault(layer, {})
                groups.setdefault("shared" if shared else len(groups), []).append((select, address, data))
            by_layer = {layer: list(groups.values()) for layer, groups in by_layer.items()}
            ports = max((len(v) for v in by_layer.values()), default=0)
            for p in range(ports):
                users = [user for v in by_layer.values() if len(v) > p for user in v[p]]
                port = f"{mem}_p{p}"
                lines.append(
                    f"wire [{self.address_width - 1}:0] {port}_a = "
                    + " | ".join(f"({{{self.address_width}{{{sel}}}}} & {addr})" for sel, addr, _ in users)
                    + ";"
                )
                if self.latency == 0:
                    lines.append(f"wire [{msb}:0] {port}_q = {mem}[{port}_a];")
                else:
                    lines.append(f"reg [{msb}:0] {port}_q;")
                    stages = [f"{port}_q"] + [f"{port}_q{k}" for k in range(1, self.latency)]
                    for extra in stages[1:]:
                        lines.append(f"reg [{msb}:0] {extra};")
                    lines.append("always @(posedge clk) begin")
                    lines.append(f"  {stages[0]} <= {mem}[{port}_a];")
                    for previous, extra in zip(stages, stages[1:]):
                        lines.append(f"  {extra} <= {previous};")
                    lines.append("end")
                    if len(stages) > 1:
                        lines.append(f"wire [{msb}:0] {port}_d = {stages[-1]};")
                final = f"{port}_d" if self.latency > 1 else f"{port}_q"
                for _, _, data in users:
                    lines.append(f"assign {data} = {final};")
        return lines
