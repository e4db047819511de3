"""Kernel ⇄ JSON-ready dicts (``Design.to_json``): plain data only, never pickle."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BoolType, NumType, parse_type

_CLASSES = {cls.__name__: cls for cls in ir.NODE_CLASSES}


def type_to_str(dtype: NumType) -> str:
    return str(dtype)


def type_from_str(text: str) -> NumType:
    if text == "bool":
        return BoolType()
    return parse_type(text)


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _tuple(value):
    if isinstance(value, list):
        return tuple(_tuple(v) for v in value)
    return value


def expr_to_dict(expr) -> dict:
    if isinstance(expr, ir.Arg):
        return {"arg": expr.index}
    if isinstance(expr, ir.Const):
        return {"const": float(expr.value), "dtype": type_to_str(expr.dtype)}
    dtype = None if expr.dtype is None else type_to_str(expr.dtype)  # None: an inner op of full precision
    return {"op": expr.op, "dtype": dtype, "args": [expr_to_dict(a) for a in expr.args]}


def expr_from_dict(data: dict):
    if "arg" in data:
        return ir.Arg(data["arg"])
    if "const" in data:
        return ir.Const(data["const"], type_from_str(data["dtype"]))
    dtype = None if data["dtype"] is None else type_from_str(data["dtype"])
    return ir.Op(data["op"], tuple(expr_from_dict(a) for a in data["args"]), dtype)


def directives_to_dict(directives: ir.Directives) -> dict:
    """Only the fields that differ from the defaults (an undirected node stays compact)."""
    return {
        f.name: _plain(getattr(directives, f.name))
        for f in fields(directives)
        if getattr(directives, f.name) != getattr(ir.DEFAULT_DIRECTIVES, f.name)
    }


def directives_from_dict(data: dict) -> ir.Directives:
    return ir.Directives(**{key: _tuple(value) for key, value in data.items()})


def buffer_spec_to_dict(spec: ir.BufferSpec) -> dict:
    return {
        "name": spec.name,
        "partition": [[p.kind, p.factor] for p in spec.partition],
        "storage": spec.storage,
        "channel": spec.channel,
        "depth": spec.depth,
        **({"reshape": True} if spec.reshape else {}),
    }


def buffer_spec_from_dict(data: dict) -> ir.BufferSpec:
    return ir.BufferSpec(
        data["name"],
        tuple(ir.PartitionSpec(kind, factor) for kind, factor in data["partition"]),
        data["storage"],
        data["channel"],
        data["depth"],
        bool(data.get("reshape", False)),
    )


def node_to_dict(node: ir.Node) -> dict:
    data = {"class": type(node).__name__}
    for f in fields(node):
        value = getattr(node, f.name)
        if f.name == "directives":
            if value != ir.DEFAULT_DIRECTIVES:
                data[f.name] = directives_to_dict(value)
        elif f.name in ("dtype", "acc"):
            data[f.name] = type_to_str(value)
        elif f.name == "expr":
            data[f.name] = expr_to_dict(value)
        elif f.name == "body":
            data[f.name] = kernel_to_dict(value)  # a loop's body kernel, nested
        else:
            data[f.name] = _plain(value)
    return data


def node_from_dict(data: dict) -> ir.Node:
    cls = _CLASSES[data["class"]]
    kwargs = {}
    for f in fields(cls):
        if f.name == "directives":
            kwargs[f.name] = directives_from_dict(data.get(f.name, {}))
            continue
        if f.name == "given_type":
            kwargs[f.name] = bool(data.get(f.name, False))  # absent in designs saved before QONNX
            continue
        value = data[f.name]
        if f.name in ("dtype", "acc"):
            kwargs[f.name] = type_from_str(value)
        elif f.name == "expr":
            kwargs[f.name] = expr_from_dict(value)
        elif f.name == "body":
            kwargs[f.name] = kernel_from_dict(value)
        else:
            kwargs[f.name] = _tuple(value)
    return cls(**kwargs)


def kernel_to_dict(kernel: ir.Kernel) -> dict:
    return {
        "name": kernel.name,
        "inputs": [
            {
                "name": i.name,
                "shape": list(i.shape),
                "dtype": type_to_str(i.dtype),
                "op_name": i.op_name,
                "integer": i.integer,
            }
            for i in kernel.inputs
        ],
        "constants": [
            {
                "name": c.name,
                "shape": list(c.shape),
                "dtype": type_to_str(c.dtype),
                "role": c.role,
                "op_name": c.op_name,
                "given_type": c.given_type,
                "value": np.asarray(c.value, dtype=np.float32).reshape(-1).tolist(),
            }
            for c in kernel.constants
        ],
        "nodes": [node_to_dict(n) for n in kernel.nodes],
        "outputs": list(kernel.outputs),
        "buffer_specs": [buffer_spec_to_dict(b) for b in kernel.buffer_specs],
        "dataflow": kernel.dataflow,
    }


def kernel_from_dict(data: dict) -> ir.Kernel:
    inputs = tuple(
        ir.Input(
            i["name"], tuple(i["shape"]), type_from_str(i["dtype"]), i.get("op_name", ""), bool(i.get("integer", False))
        )
        for i in data["inputs"]
    )
    constants = tuple(
        ir.Constant(
            c["name"],
            tuple(c["shape"]),
            np.array(c["value"], dtype=np.float32).reshape(c["shape"]),
            type_from_str(c["dtype"]),
            c["role"],
            c.get("op_name", ""),
            bool(c.get("given_type", False)),
        )
        for c in data["constants"]
    )
    nodes = tuple(node_from_dict(n) for n in data["nodes"])
    buffers = tuple(buffer_spec_from_dict(b) for b in data.get("buffer_specs", ()))
    return ir.Kernel(
        data["name"], inputs, constants, nodes, tuple(data["outputs"]), buffers, bool(data.get("dataflow", False))
    )
