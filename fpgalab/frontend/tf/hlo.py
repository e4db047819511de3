"""fpgalab's own small HLO graph, read from XLA's structured ``HloModuleProto``.

``module_from_proto`` decodes the bytes of ``stage="hlo_serialized"`` with TensorFlow's bundled
``hlo_pb2`` (imported only there); everything else here is plain Python, so a module saved with
``module_to_json`` is lowered and tested without TensorFlow.

Only the attributes fpgalab lowers are kept, under the HLO names of their fields
(``dimensions``, ``window``, ``convolution_dimension_numbers``, ``dot_dimension_numbers``,
``slice``, ``padding``, ``comparison_direction``, ``literal``, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

# XLA PrimitiveType numbers (xla_data.proto) of the element types fpgalab meets.
_PRIMITIVE_TYPES = {
    1: "pred",
    2: "s8",
    3: "s16",
    4: "s32",
    5: "s64",
    6: "u8",
    7: "u16",
    8: "u32",
    9: "u64",
    10: "f16",
    11: "f32",
    12: "f64",
    13: "tuple",
    16: "bf16",
    17: "token",
}
_LITERAL_FIELDS = {
    "pred": "preds",
    "s32": "s32s",
    "s64": "s64s",
    "u32": "u32s",
    "u64": "u64s",
    "f32": "f32s",
    "f64": "f64s",
}
_NUMPY_DTYPES = {
    "pred": np.bool_,
    "s32": np.int32,
    "s64": np.int64,
    "u32": np.uint32,
    "u64": np.uint64,
    "f32": np.float32,
    "f64": np.float64,
}


@dataclass(frozen=True)
class Shape:
    """An array shape (``dtype`` like ``"f32"``) or, when ``dtype == "tuple"``, a tuple of shapes."""

    dtype: str
    dims: tuple[int, ...] = ()
    elements: tuple[Shape, ...] = ()
    dynamic: bool = False

    def __str__(self) -> str:
        if self.dtype == "tuple":
            return "(" + ", ".join(str(e) for e in self.elements) + ")"
        return f"{self.dtype}[{','.join(map(str, self.dims))}]"


@dataclass(frozen=True)
class Instruction:
    id: int
    name: str
    opcode: str
    shape: Shape
    operands: tuple[int, ...]
    attrs: dict = field(default_factory=dict, hash=False, compare=False)
    called: tuple[str, ...] = ()
    op_type: str = ""
    op_name: str = ""


@dataclass(frozen=True)
class Computation:
    name: str
    instructions: tuple[Instruction, ...]
    root: int

    def by_id(self) -> dict[int, Instruction]:
        return {ins.id: ins for ins in self.instructions}

    def parameters(self) -> list[Instruction]:
        params = [i for i in self.instructions if i.opcode == "parameter"]
        return sorted(params, key=lambda i: i.attrs["parameter_number"])


@dataclass(frozen=True)
class Module:
    name: str
    entry: str
    computations: dict = field(hash=False, compare=False)  # name -> Computation
    text: str = ""

    @property
    def entry_computation(self) -> Computation:
        return self.computations[self.entry]


def _shape_from_proto(proto) -> Shape:
    dtype = _PRIMITIVE_TYPES.get(proto.element_type, f"type{proto.element_type}")
    if dtype == "tuple":
        return Shape("tuple", (), tuple(_shape_from_proto(s) for s in proto.tuple_shapes))
    return Shape(dtype, tuple(int(d) for d in proto.dimensions), (), any(proto.is_dynamic_dimension))


def _f16_values(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f2").astype(np.float32)


def _bf16_values(raw: bytes) -> np.ndarray:
    return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)


_HALF_LITERALS = {"f16": _f16_values, "bf16": _bf16_values}


_RAW_INTEGER_LITERALS = {"s8": np.int8, "u8": np.uint8, "s16": np.int16, "u16": np.uint16}


def _literal_from_proto(proto, shape: Shape):
    if shape.dtype == "tuple":
        return None
    if shape.dtype in _RAW_INTEGER_LITERALS:  # raw little-endian bytes of 8- and 16-bit integers
        raw = bytes(getattr(proto, shape.dtype + "s"))
        values = np.frombuffer(raw, dtype=np.dtype(_RAW_INTEGER_LITERALS[shape.dtype]).newbyteorder("<")).copy()
    elif shape.dtype in _HALF_LITERALS:  # raw little-endian bytes: IEEE half, or bfloat16 (float32's top half)
        values = _HALF_LITERALS[shape.dtype](bytes(getattr(proto, shape.dtype + "s")))
    else:
        field_name = _LITERAL_FIELDS.get(shape.dtype)
        if field_name is None:
            return None  # the lowering rejects the constant with a clear error
        values = np.array(list(getattr(proto, field_name)), dtype=_NUMPY_DTYPES[shape.dtype])
    count = int(np.prod(shape.dims, dtype=np.int64))
    if values.size == 1 and count != 1:
        values = np.full(count, values[0])
    return values.reshape(shape.dims)


def _attrs_from_proto(proto, shape: Shape) -> dict:
    """Keep the attributes fpgalab's lowering reads, as plain Python values."""
    op = proto.opcode
    attrs: dict = {}
    if op == "parameter":
        attrs["parameter_number"] = int(proto.parameter_number)
    if op == "constant":
        attrs["literal"] = _literal_from_proto(proto.literal, shape)
    if op == "get-tuple-element":
        attrs["tuple_index"] = int(proto.tuple_index)
    if proto.dimensions:
        attrs["dimensions"] = tuple(int(d) for d in proto.dimensions)
    if proto.HasField("window"):
        attrs["window"] = tuple(
            {
                "size": d.size,
                "stride": d.stride or 1,
                "padding_low": d.padding_low,
                "padding_high": d.padding_high,
                "window_dilation": d.window_dilation or 1,
                "base_dilation": d.base_dilation or 1,
                "window_reversal": bool(d.window_reversal),
            }
            for d in proto.window.dimensions
        )
    if op == "convolution":
        c = proto.convolution_dimension_numbers
        attrs["convolution_dimension_numbers"] = {
            "input_batch": c.input_batch_dimension,
            "input_feature": c.input_feature_dimension,
            "input_spatial": tuple(c.input_spatial_dimensions),
            "kernel_input_feature": c.kernel_input_feature_dimension,
            "kernel_output_feature": c.kernel_output_feature_dimension,
            "kernel_spatial": tuple(c.kernel_spatial_dimensions),
            "output_batch": c.output_batch_dimension,
            "output_feature": c.output_feature_dimension,
            "output_spatial": tuple(c.output_spatial_dimensions),
        }
        attrs["feature_group_count"] = int(proto.feature_group_count or 1)
        attrs["batch_group_count"] = int(proto.batch_group_count or 1)
    if op == "dot":
        d = proto.dot_dimension_numbers
        attrs["dot_dimension_numbers"] = {
            "lhs_contracting": tuple(d.lhs_contracting_dimensions),
            "rhs_contracting": tuple(d.rhs_contracting_dimensions),
            "lhs_batch": tuple(d.lhs_batch_dimensions),
            "rhs_batch": tuple(d.rhs_batch_dimensions),
        }
    if op == "slice":
        attrs["slice"] = tuple((s.start, s.limit, s.stride or 1) for s in proto.slice_dimensions)
    if op == "pad":
        attrs["padding"] = tuple(
            (p.edge_padding_low, p.edge_padding_high, p.interior_padding) for p in proto.padding_config.dimensions
        )
    if op == "compare":
        attrs["comparison_direction"] = proto.comparison_direction
    if op == "gather":
        g = proto.gather_dimension_numbers
        attrs["gather"] = {
            "offset_dims": tuple(g.offset_dims),
            "collapsed_slice_dims": tuple(g.collapsed_slice_dims),
            "start_index_map": tuple(g.start_index_map),
            "index_vector_dim": int(g.index_vector_dim),
            "operand_batching_dims": tuple(g.operand_batching_dims),
            "slice_sizes": tuple(int(s) for s in proto.gather_slice_sizes),
        }
    if op == "sort":
        attrs["is_stable"] = bool(proto.is_stable)
    if op == "fusion":
        attrs["fusion_kind"] = proto.fusion_kind
    if op == "custom-call":
        attrs["custom_call_target"] = proto.custom_call_target
    return attrs


def module_from_proto(serialized: bytes, text: str = "") -> Module:
    """Decode ``experimental_get_compiler_ir(...)(stage="hlo_serialized")`` bytes (needs TensorFlow)."""
    from tensorflow.compiler.xla.service import hlo_pb2  # noqa: PLC0415 - TensorFlow only when capturing

    proto = hlo_pb2.HloModuleProto()
    proto.ParseFromString(serialized)
    names_by_id = {c.id: c.name for c in proto.computations}
    computations = {}
    for comp in proto.computations:
        instructions = []
        for ins in comp.instructions:
            shape = _shape_from_proto(ins.shape)
            instructions.append(
                Instruction(
                    id=int(ins.id),
                    name=ins.name,
                    opcode=ins.opcode,
                    shape=shape,
                    operands=tuple(int(o) for o in ins.operand_ids),
                    attrs=_attrs_from_proto(ins, shape),
                    called=tuple(names_by_id[c] for c in ins.called_computation_ids),
                    op_type=ins.metadata.op_type,
                    op_name=ins.metadata.op_name,
                )
            )
        computations[comp.name] = Computation(comp.name, tuple(instructions), int(comp.root_id))
    return Module(proto.name, names_by_id[proto.entry_computation_id], computations, text)


# ---- JSON form: fixed test inputs and Design.to_json, without TensorFlow --------------------------


def _to_jsonable(value):
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, tuple):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_jsonable(v) for k, v in value.items()}
    return value


def _from_jsonable(value):
    if isinstance(value, dict) and "__array__" in value:
        return np.array(value["__array__"], dtype=value["dtype"]).reshape(value["shape"])
    if isinstance(value, list):
        return tuple(_from_jsonable(v) for v in value)
    if isinstance(value, dict):
        return {k: _from_jsonable(v) for k, v in value.items()}
    return value


def _shape_to_dict(shape: Shape) -> dict:
    return {
        "dtype": shape.dtype,
        "dims": list(shape.dims),
        "elements": [_shape_to_dict(e) for e in shape.elements],
        "dynamic": shape.dynamic,
    }


def _shape_from_dict(data: dict) -> Shape:
    return Shape(
        data["dtype"],
        tuple(data["dims"]),
        tuple(_shape_from_dict(e) for e in data["elements"]),
        data.get("dynamic", False),
    )


def module_to_dict(module: Module) -> dict:
    return {
        "name": module.name,
        "entry": module.entry,
        "text": module.text,
        "computations": [
            {
                "name": c.name,
                "root": c.root,
                "instructions": [
                    {
                        "id": i.id,
                        "name": i.name,
                        "opcode": i.opcode,
                        "shape": _shape_to_dict(i.shape),
                        "operands": list(i.operands),
                        "attrs": _to_jsonable(i.attrs),
                        "called": list(i.called),
                        "op_type": i.op_type,
                        "op_name": i.op_name,
                    }
                    for i in c.instructions
                ],
            }
            for c in module.computations.values()
        ],
    }


def module_from_dict(data: dict) -> Module:
    computations = {}
    for c in data["computations"]:
        instructions = tuple(
            Instruction(
                id=i["id"],
                name=i["name"],
                opcode=i["opcode"],
                shape=_shape_from_dict(i["shape"]),
                operands=tuple(i["operands"]),
                attrs=_from_jsonable(i["attrs"]),
                called=tuple(i["called"]),
                op_type=i["op_type"],
                op_name=i["op_name"],
            )
            for i in c["instructions"]
        )
        computations[c["name"]] = Computation(c["name"], instructions, c["root"])
    return Module(data["name"], data["entry"], computations, data.get("text", ""))


def module_to_json(module: Module) -> str:
    return json.dumps(module_to_dict(module))


def module_from_json(text: str) -> Module:
    return module_from_dict(json.loads(text))
