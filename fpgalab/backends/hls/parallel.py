"""The HLS C++ of hls4ml's io_parallel architecture: the design fpgalab estimates with ``io="parallel"``.

The same layer functions and numerics as the layered project (``project.CppKernel``: the
simulator's bits), arranged as hls4ml arranges io_parallel (HLS4ML_FACTS.md sections 1-2):

* every buffer is completely partitioned (registers), the inputs and outputs too;
* every loop is fully unrolled;
* each layer function is pipelined at ``II = reuse factor``, and a dense or convolution layer with
  a reuse factor above 1 limits its multipliers to ``ceil(n_in * n_out / RF)`` with ``ALLOCATION``;
* the top function is one pipeline (no DATAFLOW): the layers are its calls;
* with ``strategy="resource"`` the weights of dense and convolution layers are a block-RAM ROM
  (``BIND_STORAGE``) read by ``ceil(n_in * n_out / RF)`` shared multipliers, the layer pipelined at
  II = RF: the arrangement of hls4ml's ``resource_unrolled`` dense (its standard Resource kernel
  reorders the loops into a ReuseLoop, which this C++ leaves to the scheduler).
"""

from __future__ import annotations

import math

from fpgalab.backends.emitter import Emitter
from fpgalab.backends.hls.project import CppKernel
from fpgalab.schedule.network import network_layers


class ParallelCppKernel(CppKernel):
    """``CppKernel`` with hls4ml's io_parallel pragmas."""

    writes_loops = False  # a loop layer is refused by name (backends.program.recurrent)

    def __init__(self, design):
        super().__init__(design)
        self.net = {}
        for layer in network_layers(self.kernel):
            for node in layer.nodes:
                self.net[node] = layer

    def layer_function(self, program, out: Emitter) -> None:
        params = self.parameters(program)
        args = ", ".join(self.declaration(p, p != program.output) for p in params)
        layer = self.schedule.layer(program.name)
        net = self.net.get(program.name)
        loop_names = {lp.name: lp.name for lp in program.loops}
        expressions = self.expressions(program, loop_names)
        out.line(f"// {', '.join(program.nodes)}: {layer.formula} (fpgalab io_parallel schedule)")
        with out.block(f"static void {self.layer_names[program.name]}({args}) {{"):
            reuse = layer.ii_target if net is not None and net.kind in ("dense", "conv", "depthwise") else 1
            out.raw(f"#pragma HLS PIPELINE II={reuse}")
            if reuse > 1:
                limit = (
                    net.multiplier_limit
                    if self.design.options.strategy == "latency"
                    else math.ceil(net.n_in * net.n_out / reuse)
                )
                out.raw(f"#pragma HLS ALLOCATION operation instances=mul limit={limit}")
            self.loop_level(program, 0, out, expressions, {}, [], self.kernel.node(program.name).directives)
        out.line()

    def loop_pragmas(self, loop, schedule_loop, pipelined: list, directives, out: Emitter) -> None:
        out.raw("#pragma HLS UNROLL")

    def buffer_pragmas(self, name: str, out: Emitter) -> None:
        if name in self.constants:
            if self.design.options.strategy == "resource" and self._is_weight_rom(name):
                out.raw(f"#pragma HLS BIND_STORAGE variable={self.buffer_names[name]} type=rom_np impl=bram")
            return  # Latency: weights are constants indexed by constants once unrolled, HLS folds them in
        out.raw(f"#pragma HLS ARRAY_PARTITION variable={self.buffer_names[name]} type=complete dim=0")

    def _is_weight_rom(self, name: str) -> bool:
        return name in {layer.weight_name for layer in self.net.values()}

    def top_pragmas(self, out: Emitter) -> None:
        out.raw("#pragma HLS INTERFACE mode=ap_ctrl_hs port=return")
        out.raw("#pragma HLS PIPELINE")
