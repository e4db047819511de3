"""Loop unrolling by a factor or fully (Vitis ``#pragma HLS UNROLL factor=N``).

``unroll=4`` unrolls each layer's innermost loop (trip > 1) by 4; ``"full"`` unrolls it
completely; a dict of loop names unrolls those loops: ``unroll={"conv1": {"k0": 5, "k1": 5}}``.
A factor must divide the loop's trip count (fpgalab generates no remainder loop); otherwise a
``ValueError`` names the layer, the loop and the factors allowed. Loop names are those of
``fpgalab.ir.loops.loop_nest`` (``Design.ir_text()`` prints them). A design-wide factor applies
to the layers with loops; ``parallelism`` is the forgiving knob that picks factors itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes, loop_nest
from fpgalab.options import check_keys
from fpgalab.passes.overrides import resolve


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _factor(value, loop, node) -> int:
    if value == "full":
        return loop.trip
    where = f"unroll of loop {loop.name} of layer {node.layer or node.name} (trip {loop.trip})"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: the factor must be a positive integer or 'full', got {value!r}")
    if loop.trip % value:
        raise ValueError(
            f"{where}: factor {value} does not divide the trip count and fpgalab has no remainder "
            f"loop; allowed: {', '.join(map(str, divisors(loop.trip)))} or 'full' "
            "(or use parallelism=..., which picks dividing factors)"
        )
    return value


def unroll_factors(node: ir.Node, spec, shapes: dict) -> tuple[tuple[str, int], ...]:
    """The (loop, factor) pairs ``spec`` (int, "full" or {loop: factor}) asks of ``node``."""
    nest = loop_nest(node, shapes)
    loops = [lp for lp in nest if lp.trip > 1]
    if isinstance(spec, tuple):  # a frozen {loop: factor}
        by_name = {lp.name: lp for lp in nest}
        pairs = []
        for name, value in spec:
            if name not in by_name:
                raise ValueError(
                    f"unroll of layer {node.layer or node.name}: no loop {name!r}; its loops are "
                    f"{', '.join(f'{lp.name} (trip {lp.trip})' for lp in nest) or 'none'}"
                )
            pairs.append((name, _factor(value, by_name[name], node)))
        return tuple(pairs)
    if spec in (1, None) or not loops:
        return ()
    return ((loops[-1].name, _factor(spec, loops[-1], node)),)


@dataclass(frozen=True)
class Unroll:
    """Set ``Directives.unroll`` from a design default and per-layer overrides."""

    default: object = 1
    layers: tuple = ()
    name: str = "unroll"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        check_keys(self.layers, kernel, "unroll")
        if self.default in (1, None) and not self.layers:
            return kernel
        shapes = kernel_shapes(kernel)
        values, explicit = resolve(kernel, self.default, self.layers)
        nodes = []
        for node in kernel.nodes:
            if not isinstance(node, ir.Reshape) and (self.default not in (1, None) or node.name in explicit):
                factors = unroll_factors(node, values[node.name], shapes)
                node = node.replace(directives=replace(node.directives, unroll=factors))
            nodes.append(node)
        return kernel.replace(nodes=tuple(nodes))
