"""Kernel ⇄ JSON-ready dicts (``Design.to_json``): plain data only, never pickle."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from . import nodes as ir
from .types import BoolType, NumType, parse_type

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
    return {"op": expr.op, "dtype": type_to_str(expr.dtype), "args": [expr_to_dict(a) for a in expr.args]}


def expr_from_dict(data: dict):
    if "arg" in data:
        return ir.Arg(data["arg"])
    if "const" in data:
        return ir.Const(data["const"], type_from_str(data["dtype"]))
    return ir.Op(data["op"], tuple(expr_from_dict(a) for a in data["args"]), type_from_str(data["dtype"]))


def node_to_dict(node: ir.Node) -> dict:
    data = {"class": type(node).__name__}
    for f in fields(node):
        value = getattr(node, f.name)
        if f.name in ("dtype", "acc"):
            data[f.name] = type_to_str(value)
        elif f.name == "expr":
            data[f.name] = expr_to_dict(value)
        else:
            data[f.name] = _plain(value)
    return data


def node_from_dict(data: dict) -> ir.Node:
    cls = _CLASSES[data["class"]]
    kwargs = {}
    for f in fields(cls):
        value = data[f.name]
        if f.name in ("dtype", "acc"):
            kwargs[f.name] = type_from_str(value)
        elif f.name == "expr":
            kwargs[f.name] = expr_from_dict(value)
        else:
            kwargs[f.name] = _tuple(value)
    return cls(**kwargs)


def kernel_to_dict(kernel: ir.Kernel) -> dict:
    return {
        "name": kernel.name,
        "inputs": [{"name": i.name, "shape": list(i.shape), "dtype": type_to_str(i.dtype), "op_name": i.op_name}
                   for i in kernel.inputs],
        "constants": [{"name": c.name, "shape": list(c.shape), "dtype": type_to_str(c.dtype), "role": c.role,
                       "op_name": c.op_name, "value": np.asarray(c.value, dtype=np.float32).reshape(-1).tolist()}
                      for c in kernel.constants],
        "nodes": [node_to_dict(n) for n in kernel.nodes],
        "outputs": list(kernel.outputs),
    }


def kernel_from_dict(data: dict) -> ir.Kernel:
    inputs = tuple(ir.Input(i["name"], tuple(i["shape"]), type_from_str(i["dtype"]), i.get("op_name", ""))
                   for i in data["inputs"])
    constants = tuple(ir.Constant(c["name"], tuple(c["shape"]),
                                  np.array(c["value"], dtype=np.float32).reshape(c["shape"]),
                                  type_from_str(c["dtype"]), c["role"], c.get("op_name", ""))
                      for c in data["constants"])
    nodes = tuple(node_from_dict(n) for n in data["nodes"])
    return ir.Kernel(data["name"], inputs, constants, nodes, tuple(data["outputs"]))


