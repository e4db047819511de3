"""The hls4ml knobs, lowered onto unroll: ``parallelism`` and ``reuse_factor``.

``parallelism=P`` asks for P copies of a layer's loop body per cycle: unroll factors are chosen
innermost loop first, each dividing its loop's trip count, for the largest product not above P
(ties go to unrolling inner loops), and the whole nest is flattened into one pipeline.

``reuse=R`` is hls4ml's reuse factor: each multiplier is used R times per output vector. The
"vector" of a layer is its innermost spatial loop and its reduction loops (a Dense layer: all its
n_in x n_out multiplies; a convolution: the filter x window x channel multiplies of one pixel),
so the body gets ``vector / R`` copies, exactly, and the flattened pipeline starts one vector
every R cycles, as hls4ml's Latency strategy does (DSPs = multiplies / R).

Like hls4ml, any positive integer is taken. Where R does not give a whole, achievable number of
copies, the closest valid factor is used instead, by hls4ml's rule (``hls4ml_reuse_factors``: the
divisors of N, and N times the divisors of M, for a layer of N inputs and M outputs per output
vector; ties go to the smaller), and the layer's directives keep both the requested and the used
value, so the schedule warns and the report shows the factor each layer really has.
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


def hls4ml_reuse_factors(n_in: int, n_out: int) -> list[int]:
    """The reuse factors hls4ml accepts for an n_in x n_out kernel: R divides n_in, or R = j * n_in
    with j dividing n_out. Source: hls4ml ``FPGABackend._validate_reuse_factor`` and
    ``get_valid_reuse_factors`` (hls4ml/backends/fpga/fpga_backend.py; HLS4ML_FACTS.md section 3)."""
    return sorted(set(divisors(n_in)) | {j * n_in for j in divisors(n_out)})


def closest_reuse_factor(requested: int, valid: list[int]) -> int:
    """The valid factor nearest ``requested``; on a tie the smaller (hls4ml's ``get_closest_reuse_factor``)."""
    return min(valid, key=lambda r: (abs(r - requested), r))


def _directives(node: ir.Node, pairs, reuse: int = 0, requested: int = 0) -> ir.Node:
    directives = replace(
        node.directives, unroll=tuple(pairs), flatten="full", pipeline=True, reuse=reuse, reuse_requested=requested
    )
    return node.replace(directives=directives)


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
        trips = tuple(lp.trip for lp in loops)
        used = reuse
        factors = best_factors(trips, total // reuse, True) if total % reuse == 0 else None
        if factors is None:
            realisable = valid_reuse_factors(node, shapes)
            n_in = _product(lp.trip for lp in loops if lp.kind == "reduce")
            n_out = total // n_in
            preferred = [r for r in hls4ml_reuse_factors(n_in, n_out) if r in realisable]
            used = closest_reuse_factor(reuse, preferred or realisable)
            factors = best_factors(trips, total // used, True)
        return _directives(node, [(lp.name, f) for lp, f in zip(loops, factors) if f > 1], used, reuse)
