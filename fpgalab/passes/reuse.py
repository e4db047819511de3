"""The hls4ml knobs, lowered onto unroll: ``parallelism`` and ``reuse_factor``.

``parallelism=P`` asks for P copies of a layer's loop body per cycle: unroll factors are chosen
innermost loop first, each dividing its loop's trip count, for the largest product not above P
(ties go to unrolling inner loops), and the whole nest is flattened into one pipeline.

``reuse=R`` is hls4ml's reuse factor: each multiplier is used R times per output vector. The
"vector" of a layer is its innermost spatial loop and its reduction loops (a Dense layer: all its
n_in x n_out multiplies; a convolution: the filter x window x channel multiplies of one pixel),
so the body gets ``vector / R`` copies, exactly, and the flattened pipeline starts one vector
every R cycles, as hls4ml's Latency strategy does (DSPs = multiplies / R). A reuse factor that
does not give a whole, achievable number of copies is a ``ValueError`` listing the valid ones.
The design-wide value applies to dense and convolution layers; per-layer values to any layer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes, loop_nest
from fpgalab.options import check_keys, positive_int
from fpgalab.passes.overrides import resolve
from fpgalab.passes.unroll import divisors


@functools.lru_cache(maxsize=4096)
def best_factors(trips: tuple[int, ...], target: int, exact: bool) -> tuple[int, ...] | None:
    """Unroll factors (one per loop, outer to inner) dividing the trips, product <= target.

    The largest product wins, then the one unrolling inner loops most; ``exact`` demands the
    product equal ``target`` (None when impossible).
    """
    best, best_key = None, None

    def search(k: int, chosen: tuple, product: int):
        nonlocal best, best_key
        if k < 0:
            if exact and product != target:
                return
            key = (product, chosen)  # chosen lists inner loops first
            if best_key is None or key > best_key:
                best, best_key = chosen, key
            return
        for d in divisors(trips[k]):
            if product * d <= target and (not exact or target % (product * d) == 0):
                search(k - 1, chosen + (d,), product * d)

    search(len(trips) - 1, (), 1)
    return None if best is None else tuple(reversed(best))


def reuse_loops(node: ir.Node, shapes: dict):
    """The loops a reuse factor shares multipliers over: the innermost spatial loop and the reductions."""
    loops = [lp for lp in loop_nest(node, shapes) if lp.trip > 1]
    spatial = [lp for lp in loops if lp.kind == "spatial"]
    return spatial[-1:] + [lp for lp in loops if lp.kind == "reduce"]


def valid_reuse_factors(node: ir.Node, shapes: dict) -> list[int]:
    loops = reuse_loops(node, shapes)
    total = 1
    for lp in loops:
        total *= lp.trip
    trips = tuple(lp.trip for lp in loops)
    return [r for r in divisors(total) if best_factors(trips, total // r, True) is not None]


def _directives(node: ir.Node, pairs) -> ir.Node:
    return node.replace(directives=replace(node.directives, unroll=tuple(pairs), flatten="full", pipeline=True))


@dataclass(frozen=True)
class Parallelism:
    """``parallelism``: body copies per cycle, lowered onto unroll factors and a flattened pipeline."""

    default: object = None
    layers: tuple = ()
    name: str = "parallelism"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        check_keys(self.layers, kernel, "parallelism")
        if self.default is None and not self.layers:
            return kernel
        shapes = kernel_shapes(kernel)
        values, _ = resolve(kernel, self.default, self.layers)
        nodes = []
        for node in kernel.nodes:
            value = values[node.name]
            if value is not None and not isinstance(node, ir.Reshape):
                loops = [lp for lp in loop_nest(node, shapes) if lp.trip > 1]
                trips = tuple(lp.trip for lp in loops)
                target = (
                    _product(trips)
                    if value == "full"
                    else positive_int(value, f"parallelism of layer {node.layer or node.name}", " or 'full'")
                )
                factors = best_factors(trips, target, False) or (1,) * len(loops)
                node = _directives(node, [(lp.name, f) for lp, f in zip(loops, factors) if f > 1])
            nodes.append(node)
        return kernel.replace(nodes=tuple(nodes))


def _product(values) -> int:
    total = 1
    for v in values:
        total *= v
    return total


@dataclass(frozen=True)
class ReuseFactor:
    """``reuse``: hls4ml's reuse factor, lowered onto unroll factors and a flattened pipeline."""

    default: object = None
    layers: tuple = ()
    name: str = "reuse_factor"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        check_keys(self.layers, kernel, "reuse")
        if self.default is None and not self.layers:
            return kernel
        shapes = kernel_shapes(kernel)
        values, explicit = resolve(kernel, self.default, self.layers)
        nodes = []
        for node in kernel.nodes:
            applies = node.name in explicit or (self.default is not None and isinstance(node, (ir.Dot, ir.Conv)))
            value = values[node.name]
            if applies and value is not None and not isinstance(node, ir.Reshape):
                node = self._lowered(node, value, shapes)
            nodes.append(node)
        return kernel.replace(nodes=tuple(nodes))

    @staticmethod
    def _lowered(node: ir.Node, reuse, shapes: dict) -> ir.Node:
        where = f"reuse factor of layer {node.layer or node.name}"
        positive_int(reuse, where)
        loops = reuse_loops(node, shapes)
        total = _product(lp.trip for lp in loops)
        factors = best_factors(tuple(lp.trip for lp in loops), total // reuse, True) if total % reuse == 0 else None
        if factors is None:
            valid = valid_reuse_factors(node, shapes)
            raise ValueError(
                f"{where}: {reuse} does not split its {total} operations per output vector into equal "
                f"parallel copies; valid reuse factors: {', '.join(map(str, valid))}"
            )
        return _directives(node, [(lp.name, f) for lp, f in zip(loops, factors) if f > 1])
