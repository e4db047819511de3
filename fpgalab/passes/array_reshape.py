"""Packing a partitioned buffer's banks into the words of one memory (Vitis ``#pragma HLS ARRAY_RESHAPE``).

Partitioning gives each bank a memory of its own: with ``parallelism=64`` a layer's 2-bit weights
become 64 memories 2 bits wide, and each takes a whole block RAM or UltraRAM however shallow it
is. Reshaping with the same types and factors keeps the banks' elements side by side in one word
instead: 64 x 2 = 128-bit words, as deep as one bank, in ``ceil(128 / 72)`` UltraRAMs per 4K words
rather than 64. The lanes of an unrolled loop then read one word together when they read
elements at the same address of their banks (the usual case: consecutive indices of a cyclic
partition); elements at different addresses are different words and take a port each, which the
schedule counts (``fpgalab.schedule.access.busiest_bank``).

``reshape=True`` reshapes the weights and biases of every layer; a dict sets it per layer, or for
any buffer by its name (activations too: ``reshape={"conv1": True, "Relu_14": True}``). A buffer
without partitioning (one bank) or held in registers is unchanged. A writer whose lanes fill part
of a word writes it with the memories' byte/bit write enables (block RAM and UltraRAM have them).

Where it applies: the HLS flow (``emit("hls")`` writes ``ARRAY_RESHAPE`` with the partition's
types, factors and dimensions; ``flow="hls"`` prices one memory of ``bank_depth`` words of
``banks x width`` bits, ``fpgalab.estimate.resources``). fpgalab's Verilog keeps each bank its own
memory, and ``flow="yosys"`` prices what it builds. Only ``io="layered"`` designs take it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir
from fpgalab.passes.overrides import set_buffer_specs


def _check(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"reshape for {where} must be True or False, got {value!r}")
    return value


@dataclass(frozen=True)
class ArrayReshape:
    """Set ``BufferSpec.reshape``: ``default`` for every layer's constants, then per-layer/buffer ``specs``."""

    default: bool = False
    specs: tuple = ()
    name: str = "array_reshape"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        return set_buffer_specs(kernel, "reshape", "reshape", self.default, self.specs, _check)
