"""Layer dataflow (Vitis ``#pragma HLS DATAFLOW``): layers run concurrently, connected by channels.

A buffer between two layers becomes a FIFO when its one reader reads each element once in the
order it is written (an elementwise or trailing-dimension reduction reader), else a ping-pong
buffer (PIPO) of ``pipo_depth`` buffers, as Vitis chooses streams or PIPOs. ``channel="pipo"``
forces ping-pong buffers everywhere; per layer (its output) or buffer name, a dict sets a FIFO
depth (int) or a channel kind: ``fifo_depth={"conv1": 64}``, ``channel={"fc1": "pipo"}``.
Depths below 1 are a ``ValueError``; a FIFO that is too small stalls its producer, which the
timing simulator shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir
from fpgalab.ir.keys import node_matches
from fpgalab.options import check_keys, positive_int
from fpgalab.passes.overrides import is_buffer_key


def _buffers_named(key: str, kernel: ir.Kernel) -> list[str]:
    if is_buffer_key(key, kernel):
        return [key]
    return [n.name for n in kernel.nodes if node_matches(key, n)]


@dataclass(frozen=True)
class Dataflow:
    """Set ``Kernel.dataflow`` and the channel kind and depth of every layer's output buffer."""

    enabled: bool = True
    fifo_depth: object = None  # design default FIFO depth (elements); None: Vitis default 2
    pipo_depth: object = None  # ping-pong buffers; None: 2
    channel: str = "auto"
    depths: tuple = ()  # per layer / buffer FIFO depth
    channels: tuple = ()  # per layer / buffer channel kind
    name: str = "dataflow"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        if not isinstance(self.enabled, bool):
            raise ValueError(f"dataflow must be True or False, got {self.enabled!r}")
        for label, value in (("fifo_depth", self.fifo_depth), ("pipo_depth", self.pipo_depth)):
            if value is not None:
                positive_int(value, label)
        if self.channel not in ir.CHANNEL_KINDS:
            raise ValueError(f"channel must be one of {', '.join(ir.CHANNEL_KINDS)}, got {self.channel!r}")
        check_keys(self.depths, kernel, "fifo_depth", buffers_allowed=True)
        check_keys(self.channels, kernel, "channel", buffers_allowed=True)
        kernel = kernel.replace(dataflow=self.enabled)
        chosen = {}
        for node in kernel.nodes:
            if isinstance(node, ir.Reshape) or node.name in kernel.outputs:
                continue
            default_depth = self.pipo_depth if self.channel == "pipo" else self.fifo_depth
            chosen[node.name] = [self.channel, default_depth or 0]
        for key, value in self.channels:
            if value not in ir.CHANNEL_KINDS:
                raise ValueError(f"channel for {key!r} must be one of {', '.join(ir.CHANNEL_KINDS)}, got {value!r}")
            for buffer in _buffers_named(key, kernel):
                chosen.setdefault(buffer, ["auto", 0])[0] = value
        for key, value in self.depths:
            positive_int(value, f"fifo_depth for {key!r}")
            for buffer in _buffers_named(key, kernel):
                chosen.setdefault(buffer, ["auto", 0])[1] = value
        for buffer, (channel, depth) in chosen.items():
            spec = kernel.buffer_spec(buffer)
            if (spec.channel, spec.depth) != (channel, depth):
                kernel = kernel.with_buffer_spec(spec.replace(channel=channel, depth=depth))
        return kernel
