"""Lower a checked ONNX graph (``frontend.onnx.read``) to the loop-nest IR, one rule per op type.

Each node's outputs get a value form of ``frontend.lowering`` (``Known`` for initializers and
everything computed only from them -- the shape subgraphs exporters emit fold here --, ``Buffer``,
``View``). A node's name is its layer name, the key of per-layer options and reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import Buffer, GraphBuilder, Known, eliminate_dead_code, sanitize
from fpgalab.frontend.onnx import (  # noqa: F401 - they register their rules
    activations,
    conv_transpose,
    einsum,
    layers,
    normalization,
    ordering,
    pools,
    positional,
    quant,
    reductions,
    resize,
    shapes,
    slices,
    tensors,
    triangular,
)
from fpgalab.frontend.onnx.qonnx_view import is_qonnx_node
from fpgalab.frontend.onnx.read import Graph
from fpgalab.frontend.onnx.rules import RULES
from fpgalab.ir import nodes as ir

INTEGER_ELEMENTS = (2, 3, 4, 5, 6, 7, 12, 13)  # onnx.TensorProto's (u)int8/16/32/64


@dataclass(frozen=True)
class Shape:
    dims: tuple[int, ...]
    dtype: str = "f32"  # every run-time ONNX tensor lowers to float32 before precision is assigned


@dataclass(frozen=True)
class Site:
    """Where a lowering rule works: one ONNX node (the fields the shared helpers read)."""

    name: str  # a base for the buffers it makes
    op_name: str  # the node's name: its layer
    opcode: str  # the op type
    attrs: dict
    shape: Shape = Shape(())
    integer: bool = False  # its first output is an integer tensor (shape arithmetic: Div truncates)
    outputs: int = 1  # how many outputs the node has (Split without sizes splits evenly into them)

    def at(self, dims, dtype: str = "f32") -> Site:
        """This site with the output shape (and element type: "pred" for a comparison) of a node it makes."""
        shape = Shape(tuple(int(d) for d in dims), dtype)
        return Site(self.name, self.op_name, self.opcode, self.attrs, shape, self.integer, self.outputs)

    def where(self) -> str:
        return f"ONNX {self.opcode} node {self.op_name!r}"

    def attr(self, key: str, default=None):
        return self.attrs.get(key, default)


def _attributes(node) -> dict:
    import onnx  # noqa: PLC0415

    values = {}
    for a in node.attribute:
        value = onnx.helper.get_attribute_value(a)
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, onnx.TensorProto):
            value = onnx.numpy_helper.to_array(value)
        elif isinstance(value, list):
            value = [v.decode() if isinstance(v, bytes) else v for v in value]
        values[a.name] = value
    return values


class OnnxLowering(GraphBuilder):
    """Walks the graph's nodes (ONNX keeps them in topological order) once."""

    def __init__(self, graph: Graph):
        names = [n.name or f"{n.op_type}_{k}" for k, n in enumerate(graph.model.graph.node)]
        super().__init__(frozenset(names))
        self.graph = graph
        self.opset = graph.opset
        self.layer_of_node = names
        self.transposes: dict = {}  # (buffer, perm) -> its transpose, made once
        infos = list(graph.model.graph.value_info) + list(graph.model.graph.input) + list(graph.model.graph.output)
        self.element_types = {v.name: v.type.tensor_type.elem_type for v in infos}
        self.element_types.update({t.name: t.data_type for t in graph.model.graph.initializer})

    def common(self, site: Site) -> dict:
        return {"layer": site.op_name, "op_name": site.op_name}

    def lower(self) -> ir.Kernel:
        graph = self.graph
        env: dict[str, object] = {"": None}
        for name, array in graph.initializers.items():
            env[name] = Known(np.asarray(array, dtype=np.float32), self.fresh(name))
        for name, shape in graph.inputs:
            buffer_name = self.fresh(name)
            self.inputs.append(ir.Input(buffer_name, shape, ir.FLOAT32, op_name=name))
            env[name] = Buffer(buffer_name, shape)
        for node, layer in zip(graph.model.graph.node, self.layer_of_node):
            if node.domain not in ("", "ai.onnx") and not is_qonnx_node(node):
                raise CompileError(
                    f"ONNX {node.op_type} node {layer!r} is from the operator domain {node.domain!r}; fpgalab lowers "
                    f"the default domain's ops: {', '.join(sorted(RULES))}"
                )
            if node.op_type not in RULES:
                raise CompileError(
                    f"unsupported ONNX op {node.op_type} (node {layer!r}); fpgalab lowers these ONNX ops: "
                    f"{', '.join(sorted(RULES))}. Replace it, or compute that part outside the accelerator."
                )
            integer = self.element_types.get(node.output[0] if node.output else "") in INTEGER_ELEMENTS
            site = Site(
                sanitize(layer), layer, node.op_type, _attributes(node), integer=integer, outputs=len(node.output)
            )
            args = []
            for name in node.input:
                if name not in env:
                    raise CompileError(f"{site.where()} reads {name!r}, which no node or input of the graph gives")
                args.append(env[name])
            try:
                results = RULES[node.op_type](self, site, args)
            except (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError) as error:
                raise CompileError(
                    f"{site.where()} could not be lowered ({type(error).__name__}: {error}); its attributes: "
                    f"{ {k: v for k, v in site.attrs.items() if not isinstance(v, np.ndarray)} }"
                ) from None
            results = results if isinstance(results, tuple) else (results,)
            for name, value in zip(node.output, results):
                env[name] = value
        outputs = []
        for k, name in enumerate(graph.outputs):
            value = env[name]
            if self.known(value) is not None:
                raise CompileError(
                    f"ONNX graph output {name!r} does not depend on the inputs; an accelerator has nothing to "
                    "compute for it"
                )
            outputs.append(self.buffer(value, f"output_{k}").name)
        kernel = ir.Kernel(
            sanitize(graph.name), tuple(self.inputs), tuple(self.constants.values()), tuple(self.nodes), tuple(outputs)
        )
        kernel = eliminate_dead_code(kernel)
        if not kernel.nodes:
            raise CompileError(
                "the ONNX graph returns its inputs unchanged: there is no computation for hardware to do"
            )
        return kernel


def lower_graph(graph: Graph, name: str = "") -> ir.Kernel:
    """A read ONNX graph -> IR kernel (all float32)."""
    kernel = OnnxLowering(graph).lower()
    return kernel.replace(name=sanitize(name)) if name else kernel
