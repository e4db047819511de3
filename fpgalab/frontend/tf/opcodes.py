"""The HLO opcodes fpgalab lowers and how they map onto the IR's operations."""

SUPPORTED_OPS = (
    "parameter",
    "constant",
    "broadcast",
    "reshape",
    "bitcast",
    "transpose",
    "slice",
    "concatenate",
    "pad",
    "convert",
    "add",
    "subtract",
    "multiply",
    "divide",
    "maximum",
    "minimum",
    "negate",
    "abs",
    "exponential",
    "tanh",
    "logistic",
    "rsqrt",
    "sqrt",
    "compare",
    "select",
    "clamp",
    "dot",
    "convolution",
    "reduce",
    "reduce-window",
    "tuple",
    "get-tuple-element",
    "call",
    "fusion",
    "copy",
    "iota",
    "sort",
    "set-dimension-size",
    "gather",
)

UNARY = {
    "negate": "neg",
    "abs": "abs",
    "exponential": "exp",
    "tanh": "tanh",
    "logistic": "logistic",
    "rsqrt": "rsqrt",
    "sqrt": "sqrt",
    "convert": "convert",
    "copy": "convert",
}
BINARY = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div", "maximum": "max", "minimum": "min"}
COMPARE = {"EQ": "cmp_eq", "NE": "cmp_ne", "LT": "cmp_lt", "LE": "cmp_le", "GT": "cmp_gt", "GE": "cmp_ge"}
REDUCERS = {"add": "sum", "maximum": "max", "minimum": "min"}
FLOAT_TYPES = ("f32", "f16", "bf16", "f64")

# Integer element types an input may have, and the ap_int/ap_uint type each becomes (width, signed).
# 64-bit integers become 32-bit ones: the widest type the exact simulator holds; narrow them further
# with precision={"input": "ap_int<8>"} (or "ap_uint<W>").
INTEGER_TYPES = {
    "s8": (8, True),
    "s16": (16, True),
    "s32": (32, True),
    "s64": (32, True),
    "u8": (8, False),
    "u16": (16, False),
    "u32": (32, False),
}
INTEGER_INPUTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32")
# Opcodes that may compute integer tensors at run time: data movement, exact integer arithmetic and
# comparisons (Keras's Embedding wraps negative token ids with compare, add and select).
INTEGER_OPS = (
    "parameter",
    "reshape",
    "bitcast",
    "broadcast",
    "transpose",
    "slice",
    "concatenate",
    "copy",
    "convert",
    "add",
    "subtract",
    "multiply",
    "maximum",
    "minimum",
    "negate",
    "abs",
    "select",
    "clamp",
    "tuple",
    "get-tuple-element",
    "call",
    "fusion",
    "iota",
    "reduce",
    "sort",
    "set-dimension-size",
)
