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
    "while",
    "dynamic-slice",
    "dynamic-update-slice",
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
