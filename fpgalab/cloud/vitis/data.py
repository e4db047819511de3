"""The words a Vitis batch kernel reads and writes: fixed-point values in AXI words.

Each input and output of the network is one ``m_axi`` port. How a batch's values lie in its words is
the port's ``Layout`` (``fpgalab.cloud.layout``: whole samples a word, values back to back, or one
value a word), the same the card model charges for. A stream's last word is padded with zero bits.
Files hold the words one after the other, each little-endian (``axi_width / 8`` bytes), the layout
of the buffer the host hands the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgalab.cloud.layout import Layout, layout_name
from fpgalab.ir.types import FixedType
from fpgalab.sim.fixed import from_float

AXI_WIDTHS = (32, 64, 128, 256, 512)


@dataclass(frozen=True)
class Port:
    """One ``m_axi`` port of the batch kernel: the network buffer it carries and how it lies in words."""

    label: str  # the port's C name: in0, in1, ... out0, ...
    buffer: str  # the IR buffer (an input, or the storage of an output)
    dtype: FixedType
    shape: tuple
    layout: Layout

    @property
    def count(self) -> int:
        """Values of one sample."""
        return self.layout.count

    def words(self, batch: int) -> int:
        """AXI words a batch of ``batch`` samples takes on this port."""
        return self.layout.words(batch)


def check_layout(axi_width: int, pack) -> str:
    """The layout name ``pack`` asks for, once ``axi_width`` is checked."""
    if axi_width not in AXI_WIDTHS:
        raise ValueError(f"axi_width must be one of {', '.join(map(str, AXI_WIDTHS))} bits, got {axi_width!r}")
    return layout_name(pack)


def make_port(label: str, buffer: str, dtype, shape, axi_width: int, pack) -> Port:
    if not isinstance(dtype, FixedType):
        raise ValueError(
            f"the Vitis export packs fixed-point values into AXI words; buffer {buffer!r} is {dtype}: "
            "compile the design with an ap_fixed precision (e.g. precision='ap_fixed<16,6>')"
        )
    if dtype.width > axi_width:
        raise ValueError(f"buffer {buffer!r} is {dtype.width} bits wide, more than one {axi_width}-bit AXI word")
    count = int(np.prod(shape)) if len(shape) else 1
    return Port(label, buffer, dtype, tuple(shape), Layout(layout_name(pack), dtype.width, count, axi_width))


def pack_values(mantissas, port: Port, axi_width: int) -> bytes:
    """The words of a batch of mantissas (samples first) on ``port``, as bytes."""
    flat = np.asarray(mantissas).reshape(-1)
    width, count = port.dtype.width, port.count
    mask = (1 << width) - 1
    words = [0] * port.words(flat.size // count)
    for k, m in enumerate(flat):
        word, bit = port.layout.place(*divmod(k, count))
        words[word] |= (int(m) & mask) << bit
    size = axi_width // 8
    return b"".join(w.to_bytes(size, "little") for w in words)


def unpack_values(data: bytes, port: Port, batch: int, axi_width: int) -> np.ndarray:
    """The mantissas (``batch`` samples of ``port.shape``) held by the words in ``data``."""
    size = axi_width // 8
    needed = port.words(batch)
    if len(data) < needed * size:
        raise ValueError(f"{port.label}: {len(data)} bytes hold fewer than the {needed} words of {batch} samples")
    width, signed = port.dtype.width, port.dtype.signed
    mask = (1 << width) - 1
    values = []
    for k in range(batch * port.count):
        word_index, bit = port.layout.place(*divmod(k, port.count))
        word = int.from_bytes(data[word_index * size : (word_index + 1) * size], "little")
        bits = (word >> bit) & mask
        values.append(bits - (1 << width) if signed and bits >> (width - 1) else bits)
    return np.array(values, dtype=object if width > 62 else np.int64).reshape((batch,) + port.shape)


def input_bytes(arrays, ports: list[Port], axi_width: int) -> list[bytes]:
    """The words of float input arrays (samples first) as the kernel reads them: each value converted
    to its port's type as the ``ap_fixed`` constructor from a double does."""
    return [
        pack_values(from_float(np.asarray(a, dtype=np.float64).reshape(-1), p.dtype), p, axi_width)
        for a, p in zip(arrays, ports)
    ]


def exact_values(mantissas, dtype: FixedType) -> np.ndarray:
    """The exact values (float64) of mantissas of ``dtype``."""
    return np.ldexp(np.asarray(mantissas, dtype=np.float64), -dtype.frac)
