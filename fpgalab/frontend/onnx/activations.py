"""ONNX activations and unary math: one elementwise node each (``rules.unary``), computed on the
channels-last source of a transposed tensor. Table functions (sigmoid, tanh, exp, log, erf, ...)
become the simulator's and backends' lookup tables in fixed point, as for TensorFlow."""

from __future__ import annotations

import numpy as np

from fpgalab.errors import CompileError
from fpgalab.frontend.lowering import shape_of
from fpgalab.frontend.onnx.rules import broadcast, known_input, rule, scalar, unary
from fpgalab.frontend.tf import functions  # noqa: F401 - it registers the power rule
from fpgalab.frontend.tf.rules import RULES as TF_RULES
from fpgalab.frontend.tf.rules import elementwise
from fpgalab.ir import nodes as ir
from fpgalab.ir.types import BOOL


def _op(name, *args):
    return ir.Op(name, tuple(args), BOOL if name.startswith("cmp_") else ir.FLOAT32)


X, ZERO = ir.Arg(0), ir.Const(0.0)


@rule("Relu")
def _relu(lw, site, args):
    return unary(lw, site, args[0], _op("max", X, ZERO))


@rule("LeakyRelu")
def _leaky_relu(lw, site, args):
    alpha = float(site.attr("alpha", 0.01))
    return unary(lw, site, args[0], _op("select", _op("cmp_gt", X, ZERO), X, _op("mul", X, ir.Const(alpha))))


@rule("Elu")
def _elu(lw, site, args):
    alpha = float(site.attr("alpha", 1.0))
    return unary(
        lw, site, args[0], _op("select", _op("cmp_gt", X, ZERO), X, _op("mul", _op("expm1", X), ir.Const(alpha)))
    )


@rule("Selu")
def _selu(lw, site, args):
    alpha = float(site.attr("alpha", 1.67326319217681884765625))
    gamma = float(site.attr("gamma", 1.05070102214813232421875))
    negative = _op("mul", _op("expm1", X), ir.Const(alpha * gamma))
    return unary(lw, site, args[0], _op("select", _op("cmp_gt", X, ZERO), _op("mul", X, ir.Const(gamma)), negative))


@rule("Sigmoid", "Tanh")
def _table_activation(lw, site, args):
    return unary(lw, site, args[0], _op("logistic" if site.opcode == "Sigmoid" else "tanh", X))


@rule("HardSigmoid")
def _hard_sigmoid(lw, site, args):
    alpha, beta = float(site.attr("alpha", 0.2)), float(site.attr("beta", 0.5))
    line = _op("add", _op("mul", X, ir.Const(alpha)), ir.Const(beta))
    return unary(lw, site, args[0], _op("clamp", ZERO, line, ir.Const(1.0)))


SOFTPLUS = _op("add", _op("max", X, ZERO), _op("log1p", _op("exp", _op("neg", _op("abs", X)))))
UNARY = {
    "Abs": _op("abs", X),
    "Neg": _op("neg", X),
    "Exp": _op("exp", X),
    "Log": _op("log", X),
    "Sqrt": _op("sqrt", X),
    "Reciprocal": _op("div", ir.Const(1.0), X),
    "Floor": _op("floor", X),
    "Ceil": _op("ceil", X),
    "Round": _op("round", X),
    "Erf": _op("erf", X),
    "Softsign": _op("div", X, _op("add", ir.Const(1.0), _op("abs", X))),
    "Softplus": SOFTPLUS,
    "Sign": _op(
        "select", _op("cmp_gt", X, ZERO), ir.Const(1.0), _op("select", _op("cmp_lt", X, ZERO), ir.Const(-1.0), ZERO)
    ),
}


@rule(*UNARY)
def _unary_math(lw, site, args):
    """Softplus as ``max(x, 0) + log1p(exp(-|x|))``: its tables see ``-|x| <= 0`` (as the TF front end's)."""
    return unary(lw, site, args[0], UNARY[site.opcode])


@rule("HardSwish")
def _hard_swish(lw, site, args):
    """``x * clamp(x / 6 + 1/2, 0, 1)``: HardSigmoid with ONNX's fixed alpha 1/6 and beta 1/2, times x."""
    gate = _op("clamp", ZERO, _op("add", _op("mul", X, ir.Const(1.0 / 6.0)), ir.Const(0.5)), ir.Const(1.0))
    return unary(lw, site, args[0], _op("mul", X, gate))


@rule("Gelu")
def _gelu(lw, site, args):
    """Opset 20: ``x/2 (1 + erf(x / sqrt 2))``, or with approximate="tanh" ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    approximate = site.attr("approximate", "none")
    if approximate == "none":
        inner = _op("erf", _op("mul", X, ir.Const(float(1.0 / np.sqrt(2.0)))))
    elif approximate == "tanh":
        cubic = _op("add", X, _op("mul", _op("mul", _op("mul", X, X), X), ir.Const(0.044715)))
        inner = _op("tanh", _op("mul", cubic, ir.Const(float(np.sqrt(2.0 / np.pi)))))
    else:
        raise CompileError(f"{site.where()}: approximate={approximate!r} is not supported; supported: 'none', 'tanh'")
    return unary(lw, site, args[0], _op("mul", _op("mul", X, ir.Const(0.5)), _op("add", ir.Const(1.0), inner)))


@rule("Mish")
def _mish(lw, site, args):
    return unary(lw, site, args[0], _op("mul", X, _op("tanh", SOFTPLUS)))


@rule("Celu")
def _celu(lw, site, args):
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``."""
    alpha = float(site.attr("alpha", 1.0))
    negative = _op("mul", _op("expm1", _op("div", _op("min", X, ZERO), ir.Const(alpha))), ir.Const(alpha))
    return unary(lw, site, args[0], _op("add", _op("max", X, ZERO), negative))


@rule("ThresholdedRelu")
def _thresholded_relu(lw, site, args):
    alpha = float(site.attr("alpha", 1.0))
    return unary(lw, site, args[0], _op("select", _op("cmp_gt", X, ir.Const(alpha)), X, ZERO))


@rule("Shrink")
def _shrink(lw, site, args):
    """``x + bias`` below ``-lambd``, ``x - bias`` above ``lambd``, 0 between."""
    bias, lambd = float(site.attr("bias", 0.0)), float(site.attr("lambd", 0.5))
    above = _op("select", _op("cmp_gt", X, ir.Const(lambd)), _op("sub", X, ir.Const(bias)), ZERO)
    return unary(
        lw, site, args[0], _op("select", _op("cmp_lt", X, ir.Const(-lambd)), _op("add", X, ir.Const(bias)), above)
    )


@rule("PRelu")
def _prelu(lw, site, args):
    x, slope = args
    shape = shape_of(x)
    operands = [x, broadcast(lw, site, slope, tuple(int(n) for n in np.broadcast_shapes(shape, shape_of(slope))))]
    if shape_of(operands[1]) != shape:
        raise CompileError(f"{site.where()}: the slope {shape_of(slope)} must broadcast to the input {shape}")
    negative = elementwise(lw, site.at(shape), "mul", operands)
    positive = elementwise(lw, site.at(shape), "cmp_gt", [x, scalar(0.0, shape)])
    return elementwise(lw, site.at(shape), "select", [positive, x, negative])


@rule("Pow")
def _pow(lw, site, args):
    """A constant exponent: multiplies (small integers), sqrt, rsqrt or a reciprocal; else ``exp(y * log(x))``,
    which needs ``x > 0`` -- the TF front end's ``power`` rule."""
    shape = tuple(int(n) for n in np.broadcast_shapes(*(shape_of(a) for a in args)))
    return TF_RULES["power"](lw, site.at(shape), [broadcast(lw, site, a, shape) for a in args])


@rule("Clip")
def _clip(lw, site, args):
    low = known_input(lw, site, args, 1, "minimum")
    high = known_input(lw, site, args, 2, "maximum")
    low = float(low.reshape(-1)[0]) if low is not None else site.attr("min")
    high = float(high.reshape(-1)[0]) if high is not None else site.attr("max")
    expr = X
    if low is not None and high is not None:
        expr = _op("clamp", ir.Const(float(low)), X, ir.Const(float(high)))
    elif low is not None:
        expr = _op("max", X, ir.Const(float(low)))
    elif high is not None:
        expr = _op("min", X, ir.Const(float(high)))
    return args[0] if expr is X else unary(lw, site, args[0], expr)
