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
from fpgalab.ir.keys import node_matches
from fpgalab.options import check_keys
from fpgalab.passes.overrides import is_buffer_key, layer_constants


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
        check_storage(self.default, "the design")
        check_keys(self.specs, kernel, "storage", buffers_allowed=True)
        chosen = {c.name: self.default for c in kernel.constants}
        for key, value in self.specs:
            check_storage(value, repr(key))
            if is_buffer_key(key, kernel):
                chosen[key] = value
                continue
            for node in kernel.nodes:
                if node_matches(key, node):
                    chosen.update(dict.fromkeys(layer_constants(node, kernel), value))
        for buffer, value in chosen.items():
            spec = kernel.buffer_spec(buffer)
            if spec.storage != value:
                kernel = kernel.with_buffer_spec(spec.replace(storage=value))
        return kernel
