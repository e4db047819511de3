"""The throughput a partitioned training pipeline would give, from fpgalab's own layer costs.

fpgalab compiles the forward model (``fpgalab.compile(model, x)``) and ``design.report()`` gives
each layer's latency in cycles for one sample: the loop nest of its multiply-accumulates as the
generated accelerator would run it.  Training a layer on one sample takes, per the mechanism of
backpropagation:

* the forward product (the report's cycles);
* for a layer with weights, the gradient of its weights, dW = x^T dy: one multiply-accumulate per
  weight and output position, as many as the forward product, so the same cycles again;
* the gradient of its input, dx = dy W^T (or the transposed convolution, the routing of a pooling
  layer's gradient to its winners): as large as the forward product, so the same cycles again,
  except for the network's first layer, whose input gradient nobody needs.

A layer the report has no row for (flatten, reshape: wiring) costs nothing.  Each partition runs on
its own accelerator, forward and backward stage alike, so in steady state (no drain: stale-weight
pipelining never empties the pipeline) one minibatch leaves every max-over-partitions of their work;
the speed-up over one accelerator doing everything is total work / largest partition's work.
Transfers between accelerators and weight-update arithmetic are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LayerWork:
    layer: str
    forward: int  # cycles, one sample
    weight_gradient: int
    input_gradient: int

    @property
    def total(self) -> int:
        return self.forward + self.weight_gradient + self.input_gradient


def layer_work(model, design=None) -> tuple[LayerWork, ...]:
    """Per-layer training cycles of ``model`` for one sample (module docstring), in forward order."""
    if design is None:
        from fpgalab.frontends import compile as compile_model  # noqa: PLC0415

        example = np.zeros((1,) + tuple(model.input_shape[1:]), np.float32)
        design = compile_model(model, example)
    forward: dict[str, int] = {}
    for row in design.report().per_layer:
        forward[row.layer] = forward.get(row.layer, 0) + int(row.cycles)
    rows = []
    for pos, layer in enumerate(model.layers):
        cycles = forward.get(layer.name, 0)
        has_weights = bool(layer.trainable_weights)
        rows.append(LayerWork(layer.name, cycles, cycles if has_weights else 0, 0 if pos == 0 else cycles))
    return tuple(rows)


def stage_work(stages, work) -> tuple[int, ...]:
    """Cycles per sample of each partition (forward and backward stage on one accelerator)."""
    by_name = {w.layer: w.total for w in work}
    return tuple(sum(by_name.get(name, 0) for name in stage.layers) for stage in stages)


def speedup(per_stage) -> float:
    """Total work over the largest partition's work: the steady-state throughput gain."""
    per_stage = tuple(per_stage)
    if not per_stage or max(per_stage) <= 0:
        raise ValueError(f"no work to pipeline: per-stage cycles {per_stage}")
    return sum(per_stage) / max(per_stage)
