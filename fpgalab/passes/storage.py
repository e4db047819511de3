"""Where buffers live: block RAM, UltraRAM, LUTRAM or registers (Vitis ``BIND_STORAGE``).

``storage="bram"`` sets the weights and biases of every layer; a dict sets them per layer, or
any buffer by its name: ``storage={"fc1": "lutram", "image": "reg", "default": "auto"}``.
"auto" (the default) decides per bank in the schedule: registers for single-element banks, else
what Yosys ``memory_libmap`` picks (``fpgalab.costs.operators.auto_storage``): LUTRAM or LUT logic
for small memories, BRAM for larger ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir
from fpgalab.passes.overrides import set_buffer_specs


def check_storage(value, where: str) -> str:
    if value not in ir.STORAGE_KINDS:
        raise ValueError(f"storage for {where} must be one of {', '.join(ir.STORAGE_KINDS)}, got {value!r}")
    return value


@dataclass(frozen=True)
class Storage:
    """Set ``BufferSpec.storage``: ``default`` for every layer's constants, then per-layer/buffer ``specs``."""

    default: str = "auto"
    specs: tuple = ()
    name: str = "storage"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        return set_buffer_specs(kernel, "storage", "storage", self.default, self.specs, check_storage)
