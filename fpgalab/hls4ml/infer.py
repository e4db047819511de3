"""hls4ml's precision inference for ``auto`` (``InferPrecisionTypes``, hls4ml/model/optimizer/passes/
infer_precision.py), for a Keras model without quantizers, layer after layer from the input.

* Dense and convolution (``_infer_common_precision``, n_ops = n_in, K x C, or K for a depthwise one):
  width = w_w + w_in + ceil(log2 n_ops), integer = i_w + i_in + ceil(log2 n_ops), signed = either; then
  the bias: integer = max(integer + (b_s and not s), i_b + (s and not b_s)) + 1, width = integer +
  max(frac, f_b). An ``auto`` accumulator and an ``auto`` result each take that type, the other kept.
* Pooling (``_infer_pooling_precision``): the accumulator is the input's type (max) or it widened by
  ceil(log2 pool) integer and twice that many bits (average); the result is the input's type.
* Reshape, Flatten, padding, transpose (``_infer_output_matching_precision``): the input's type.
* Weights, biases, inputs and every other layer: the model default.

``auto`` of a layer hls4ml has no rule for here (a merge) stays ``AUTO``: fpgalab's own rule types it.
"""

from __future__ import annotations

import math

import numpy as np

from fpgalab.hls4ml.layers import Hls4mlLayer
from fpgalab.hls4ml.resolve import VARIABLES, read_type
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType
from fpgalab.options import AutoType

MATCHING_CLASSES = ("Reshape", "ZeroPadding1D", "ZeroPadding2D", "Transpose", "Cropping1D", "Cropping2D")


def _n_ops(node, kernel: ir.Kernel) -> int:
    weights = kernel.buffers()[node.inputs[1]].shape
    if isinstance(node, ir.Dot):
        return math.prod(weights[d] for d in node.rhs_contract)
    depthwise = node.groups > 1 and node.groups == kernel.buffers()[node.inputs[0]].shape[-1]
    return math.prod(weights[:-2] if depthwise else weights[:-1])


def common_type(inp: FixedType, weight: FixedType, bias: FixedType | None, n_ops: int) -> FixedType:
    """``_infer_common_precision``'s type of a dense or convolution's sum."""
    grow = math.ceil(np.log2(n_ops)) if n_ops > 1 else 0
    width = weight.width + inp.width + grow
    integer = weight.integer + inp.integer + grow
    signed = weight.signed or inp.signed
    frac = width - integer
    if bias is not None:
        integer = max(integer + (bias.signed and not signed), bias.integer + (signed and not bias.signed)) + 1
        width = integer + max(frac, bias.width - bias.integer)
        signed = signed or bias.signed
    return FixedType(width, integer, signed)


def layer_types(config: dict, layers: list[Hls4mlLayer], kernel: ir.Kernel, default: FixedType) -> dict:
    """``{layer name: {variable: type}}``: what hls4ml gives each variable fpgalab models, ``auto`` inferred
    (and under ``"input"`` the type the layer reads)."""
    nodes = {n.name: n for n in kernel.nodes}
    producer = {}  # buffer -> hls4ml layer writing it
    for layer in layers:
        if layer.kind == "input":
            producer[layer.layer] = layer
        for name in layer.nodes:
            producer[name] = layer
    types: dict[str, dict] = {}

    def input_type(layer: Hls4mlLayer) -> FixedType:
        first = nodes.get(layer.nodes[0]) if layer.nodes else None
        source = producer.get(first.inputs[0]) if first is not None and first.inputs else None
        result = types.get(source.name, {}).get("result") if source is not None else None
        return result if isinstance(result, FixedType) else default

    for layer in layers:
        found = {var: read_type(config, layer, var, default) for var in VARIABLES[layer.kind]}
        if layer.kind != "input":
            found["input"] = input_type(layer)  # the type of what the layer reads
        if layer.kind == "weight":
            node = nodes[layer.primary]
            # hls4ml gives every dense and convolution a bias (zeros without one) and infer_no_bias is off
            inferred = common_type(found["input"], found["weight"], found["bias"], _n_ops(node, kernel))
            found.update({var: inferred for var in ("result", "accum") if isinstance(found[var], AutoType)})
        elif layer.kind == "other":
            inp = found["input"]
            pools = [nodes[n] for n in layer.nodes if isinstance(nodes.get(n), ir.Pool)]
            if pools or layer.class_name in MATCHING_CLASSES:
                if isinstance(found["result"], AutoType):
                    found["result"] = inp
                if pools and isinstance(found["accum"], AutoType):
                    found["accum"] = inp if pools[0].kind == "max" else _average_accum(inp, pools[0])
        types[layer.name] = found
    return types


def _average_accum(inp: FixedType, pool) -> FixedType:
    extra = math.ceil(np.log2(math.prod(pool.window))) if math.prod(pool.window) > 1 else 0
    return FixedType(inp.width + 2 * extra, inp.integer + extra, inp.signed)
