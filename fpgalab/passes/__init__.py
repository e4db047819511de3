"""Passes on the IR, one file each: a frozen dataclass with a ``name``, its options and ``run``.

``PASSES`` maps names to classes; ``run_pipeline`` applies a list of passes and keeps the
time each step took.
"""

from __future__ import annotations

import time

from fpgalab.ir import nodes as ir
from fpgalab.passes.array_reshape import ArrayReshape
from fpgalab.passes.dataflow import Dataflow
from fpgalab.passes.fold_batchnorm import FoldBatchNorm
from fpgalab.passes.fold_bias import FoldBias
from fpgalab.passes.fuse import FuseElementwise
from fpgalab.passes.fuse_producer import FuseIntoProducer
from fpgalab.passes.hls4ml_semantics import Hls4mlSemantics
from fpgalab.passes.merge_quant import MergeQuant
from fpgalab.passes.overrides import split
from fpgalab.passes.partition import Partition
from fpgalab.passes.pipeline import Pipeline
from fpgalab.passes.quantize import AssignPrecision
from fpgalab.passes.reuse import Parallelism, ReuseFactor
from fpgalab.passes.storage import Storage
from fpgalab.passes.unroll import Unroll

PASSES = {
    "fold_batchnorm": FoldBatchNorm,
    "fold_bias": FoldBias,
    "fuse_elementwise": FuseElementwise,
    "merge_quant": MergeQuant,
    "assign_precision": AssignPrecision,
    "hls4ml_semantics": Hls4mlSemantics,
    "fuse_into_producer": FuseIntoProducer,
    "unroll": Unroll,
    "parallelism": Parallelism,
    "reuse_factor": ReuseFactor,
    "pipeline": Pipeline,
    "partition": Partition,
    "storage": Storage,
    "array_reshape": ArrayReshape,
    "dataflow": Dataflow,
}


def graph_passes(fold_batchnorm: bool = True) -> list:
    """The passes that reshape the float32 graph before precision is assigned: BatchNorm and bias
    folded into their layers, elementwise chains fused into one node, QONNX Quants merged into the
    layers before them. ``fold_batchnorm=False`` (``tables="hls4ml"``) keeps BatchNorm a scale and
    shift after the layer's result, as hls4ml's ``nnet::normalize`` computes it when the layer
    before has a type of its own (hls4ml fuses BatchNorm only into a layer of ``auto`` precision)."""
    return [FoldBatchNorm(), FoldBias(), FuseElementwise(), MergeQuant()][0 if fold_batchnorm else 1 :]


def hls_passes(options) -> list:
    """The HLS directive passes for ``fpgalab.options.Options``, in the order they apply:
    hls4ml's semantics (``tables="hls4ml"``), fusion, unroll, parallelism, reuse factor, pipeline,
    partition, storage, array reshape, dataflow."""
    unroll, unroll_layers = split(options.unroll, 1)
    parallelism, parallelism_layers = split(options.parallelism, None)
    reuse, reuse_layers = split(options.reuse, None)
    pipeline, pipeline_layers = split(options.pipeline, True)
    partition, partition_specs = split(options.partition, "auto")
    storage, storage_specs = split(options.storage, "auto")
    reshape, reshape_specs = split(getattr(options, "reshape", False), False)
    channel, channels = split(options.channel, "auto")
    fifo_depth, depths = split(options.fifo_depth, None)
    semantics = [Hls4mlSemantics()] if getattr(options, "table_style", "fpgalab") == "hls4ml" else []
    return semantics + [
        FuseIntoProducer(options.fuse),
        Unroll(unroll, unroll_layers),
        Parallelism(parallelism, parallelism_layers),
        ReuseFactor(reuse, reuse_layers),
        Pipeline(pipeline, pipeline_layers, options.flatten),
        Partition(partition, partition_specs),
        Storage(storage, storage_specs),
        ArrayReshape(reshape, reshape_specs),
        Dataflow(options.dataflow, fifo_depth, None, channel, depths, channels),
    ]


BODY_PASSES = (FoldBatchNorm, FoldBias, FuseElementwise, MergeQuant)


def run_pipeline(kernel, passes) -> tuple[object, list[tuple[str, float]]]:
    """Apply ``passes`` in order; returns the kernel and (pass name, seconds) per step.

    The graph passes (``BODY_PASSES``) also run on the body kernel of every ``ir.Loop``;
    ``AssignPrecision`` types loop bodies itself; the HLS directive passes leave a body's layers
    at Vitis HLS's defaults (the body is one cell, run once per step)."""
    timings = []
    for step in passes:
        start = time.perf_counter()
        kernel = step.run(kernel)
        if isinstance(step, BODY_PASSES):
            kernel = _in_loop_bodies(kernel, step)
        timings.append((step.name, time.perf_counter() - start))
    return kernel, timings


def _in_loop_bodies(kernel, step):
    nodes = []
    for node in kernel.nodes:
        if isinstance(node, ir.Loop):
            node = node.replace(body=_in_loop_bodies(step.run(node.body), step))
        nodes.append(node)
    return kernel.replace(nodes=tuple(nodes))
