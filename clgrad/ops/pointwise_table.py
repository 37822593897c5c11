"""The pointwise op table: each primitive declared once, as data, for every backend.

Expressions are OpenCL C over a, b, c, d converted to the compute type {T}; numpy forms take
arrays already in the compute dtype. Composite ops belong in pointwise.py, not here; a
primitive here needs a reason (speed or numerical stability), given where it is not obvious.
Extra scalar parameters (alpha, eps, rtol, ...) are trailing operands that take no part in
promotion: pointwise.py passes the dtypes explicitly for those ops.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import npmath, npspecial
from .pointwise_spec import BOOL, FLOAT, OUT, Derivative, PointwiseOp

# PyTorch computes inf and nan silently; numpy warns (see backends/cpu.py).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)

OPS: dict = {}

INT_FLOAT = ("int", "float")
FLOAT_ONLY = ("float",)
BITS = ("bool", "int")


def declare(name: str, arity: int, opencl_c, numpy, **kw) -> PointwiseOp:
    op = OPS[name] = PointwiseOp(name, arity, opencl_c, numpy, **kw)
    return op


def _float_unary(name: str, opencl_c_fn: str, ufunc) -> PointwiseOp:
    """A float function (ints and bool compute in the default float dtype)."""
    return declare(name, 1, f"{opencl_c_fn}(a)", ufunc, ufunc=ufunc, result=FLOAT, compute_in=FLOAT)


# The identity, used by copies and casts.
COPY = declare("copy", 1, "a", lambda a: a)

# -- arithmetic ---------------------------------------------------------------------------
ADD = declare("add", 2, "a + b", np.add, ufunc=np.add)
SUB = declare("sub", 2, "a - b", np.subtract, ufunc=np.subtract)
# a + alpha * b in one kernel (alpha is operand c, cast to the compute type).
ADD_ALPHA = declare("add_alpha", 3, "a + c * b", lambda a, b, c: a + c * b)
SUB_ALPHA = declare("sub_alpha", 3, "a - c * b", lambda a, b, c: a - c * b)
MUL = declare("mul", 2, "a * b", np.multiply, ufunc=np.multiply)
# true division computes ints in the default float dtype (result rule FLOAT).
DIV = declare("div", 2, "a / b", np.true_divide, ufunc=np.true_divide, result=FLOAT,
              compute_in=FLOAT)
DIV_TRUNC = declare("div_trunc", 2, "truncdiv_{T}(a, b)", npmath.trunc_divide,
                    accepts=INT_FLOAT, helpers=("truncdiv",))
DIV_FLOOR = declare("div_floor", 2, "floordiv_{T}(a, b)", npmath.floor_divide,
                    accepts=INT_FLOAT, helpers=("floordiv",))
REMAINDER = declare("remainder", 2, "floormod_{T}(a, b)", npmath.remainder, accepts=INT_FLOAT,
                    helpers=("floordiv",))
FMOD = declare("fmod", 2, "truncmod_{T}(a, b)", npmath.fmod, accepts=INT_FLOAT,
               helpers=("truncdiv",))
POW = declare("pow", 2, {"int": "ipow_{T}(a, b)", "float": "pow(a, b)"}, npmath.power,
              accepts=INT_FLOAT, helpers=("ipow",))
NEG = declare("neg", 1, "-a", np.negative, ufunc=np.negative, accepts=INT_FLOAT)
ABS = declare("abs", 1, {"int": "(a < 0 ? -a : a)", "float": "fabs(a)"}, np.abs, ufunc=np.abs,
              accepts=INT_FLOAT)
SIGN = declare("sign", 1, {"bool": "a", "int": "(a > 0) - (a < 0)",
                           "float": "({T})((a > 0) - (a < 0))"}, npmath.sign)
SQUARE = declare("square", 1, "a * a", np.square, ufunc=np.square, accepts=INT_FLOAT)
RECIPROCAL = declare("reciprocal", 1, "({T})1 / a", np.reciprocal, ufunc=np.reciprocal,
                     result=FLOAT, compute_in=FLOAT)
SQRT = _float_unary("sqrt", "sqrt", np.sqrt)
RSQRT = declare("rsqrt", 1, "rsqrt(a)", lambda a: 1 / np.sqrt(a), result=FLOAT,
                compute_in=FLOAT)

# -- exponentials and logarithms ------------------------------------------------------------
EXP = _float_unary("exp", "exp", np.exp)
EXP2 = _float_unary("exp2", "exp2", np.exp2)
EXPM1 = _float_unary("expm1", "expm1", np.expm1)
LOG = _float_unary("log", "log", np.log)
LOG2 = _float_unary("log2", "log2", np.log2)
LOG10 = _float_unary("log10", "log10", np.log10)
LOG1P = _float_unary("log1p", "log1p", np.log1p)
# sigmoid and logit: one kernel each instead of four, with no overflowing intermediate.
SIGMOID = declare("sigmoid", 1, "({T})1 / (({T})1 + exp(-a))", lambda a: 1 / (1 + np.exp(-a)),
                  result=FLOAT, compute_in=FLOAT)
LOGIT = declare("logit", 1, "log(a / (({T})1 - a))", lambda a: np.log(a / (1 - a)),
                result=FLOAT, compute_in=FLOAT)
LOGIT_EPS = declare("logit_eps", 2, "logit_eps_{T}(a, b)", npmath.logit_eps, result=FLOAT,
                    compute_in=FLOAT, helpers=("logit_eps",))

# -- trigonometric and hyperbolic -------------------------------------------------------------
SIN = _float_unary("sin", "sin", np.sin)
COS = _float_unary("cos", "cos", np.cos)
TAN = _float_unary("tan", "tan", np.tan)
ASIN = _float_unary("asin", "asin", np.arcsin)
ACOS = _float_unary("acos", "acos", np.arccos)
ATAN = _float_unary("atan", "atan", np.arctan)
SINH = _float_unary("sinh", "sinh", np.sinh)
COSH = _float_unary("cosh", "cosh", np.cosh)
TANH = _float_unary("tanh", "tanh", np.tanh)
ASINH = _float_unary("asinh", "asinh", np.arcsinh)
ACOSH = _float_unary("acosh", "acosh", np.arccosh)
ATANH = _float_unary("atanh", "atanh", np.arctanh)
ATAN2 = declare("atan2", 2, "atan2(a, b)", np.arctan2, ufunc=np.arctan2, result=FLOAT,
                compute_in=FLOAT)
HYPOT = declare("hypot", 2, "hypot(a, b)", np.hypot, ufunc=np.hypot, accepts=FLOAT_ONLY)
COPYSIGN = declare("copysign", 2, "copysign(a, b)", np.copysign, ufunc=np.copysign,
                   result=FLOAT, compute_in=FLOAT)
# Not differentiable, as in PyTorch (derivatives.yaml: not_implemented).
NEXTAFTER = declare("nextafter", 2, "nextafter(a, b)", np.nextafter, ufunc=np.nextafter,
                    accepts=FLOAT_ONLY)

# -- special functions ------------------------------------------------------------------------
ERF = declare("erf", 1, "erf(a)", npmath.erf, result=FLOAT, compute_in=FLOAT)
ERFC = declare("erfc", 1, "erfc(a)", npmath.erfc, result=FLOAT, compute_in=FLOAT)
ERFINV = declare("erfinv", 1, "erfinv_{T}(a)", npmath.erfinv, result=FLOAT, compute_in=FLOAT,
                 helpers=("erfinv",))

# Gamma-family and Bessel functions: no composition of other ops computes them accurately.
LGAMMA = declare("lgamma", 1, "lgamma(a)", npspecial.lgamma, result=FLOAT, compute_in=FLOAT)
DIGAMMA = declare("digamma", 1, "digamma_{T}(a)", npspecial.digamma, result=FLOAT,
                  compute_in=FLOAT, helpers=("digamma",))
# zeta(s, q): Hurwitz's; polygamma(n >= 1, x) is (-1)^(n+1) n! zeta(n + 1, x).
ZETA = declare("zeta", 2, "zeta_{T}(a, b)", npspecial.zeta, result=FLOAT, compute_in=FLOAT,
               helpers=("zeta",))
# polygamma(n, x): n is the trailing scalar parameter b.
POLYGAMMA = declare("polygamma", 2, "polygamma_{T}(b, a)", npspecial.polygamma, result=FLOAT,
                    compute_in=FLOAT, helpers=("digamma", "zeta", "polygamma"))
I0 = declare("i0", 1, "bessel_i_{T}(a, 0, 0)", npspecial.i0, result=FLOAT, compute_in=FLOAT,
             helpers=("bessel_i",))
I0E = declare("i0e", 1, "bessel_i_{T}(a, 0, 1)", npspecial.i0e, result=FLOAT,
              compute_in=FLOAT, helpers=("bessel_i",))
I1 = declare("i1", 1, "bessel_i_{T}(a, 1, 0)", npspecial.i1, result=FLOAT, compute_in=FLOAT,
             helpers=("bessel_i",))
I1E = declare("i1e", 1, "bessel_i_{T}(a, 1, 1)", npspecial.i1e, result=FLOAT,
              compute_in=FLOAT, helpers=("bessel_i",))

# One kernel each, with PyTorch's values at the removable points (sinc(0) = 1, 0 * log(0) = 0,
# entr(0) = 0), which compositions reach only through extra where() kernels.
SINC = declare("sinc", 1,
               "(a == 0 ? ({T})1 : sin(({T})M_PI * a) / (({T})M_PI * a))",
               lambda a: np.sinc(a).astype(a.dtype), result=FLOAT, compute_in=FLOAT)
XLOGY = declare("xlogy", 2, "((a == 0 && !isnan(b)) ? ({T})0 : a * log(b))",
                lambda a, b: np.where((a == 0) & ~np.isnan(b), 0, a * np.log(b)).astype(
                    np.result_type(a, b)), result=FLOAT, compute_in=FLOAT)
XLOG1PY = declare("xlog1py", 2, "((a == 0 && !isnan(b)) ? ({T})0 : a * log1p(b))",
                  lambda a, b: np.where((a == 0) & ~np.isnan(b), 0, a * np.log1p(b)).astype(
                      np.result_type(a, b)), result=FLOAT, compute_in=FLOAT)
ENTR = declare("entr", 1,
               "(isnan(a) ? a : (a > 0 ? -a * log(a) : (a == 0 ? ({T})0 : -({T})INFINITY)))",
               lambda a: np.where(np.isnan(a), a, np.where(a > 0, -a * np.log(np.where(
                   a > 0, a, 1)), np.where(a == 0, 0, -np.inf))).astype(a.dtype),
               result=FLOAT, compute_in=FLOAT)

# -- rounding (identity on integers; rint rounds half to even) -----------------------------
FLOOR = declare("floor", 1, {"int": "a", "float": "floor(a)"}, np.floor, ufunc=np.floor,
                accepts=INT_FLOAT)
CEIL = declare("ceil", 1, {"int": "a", "float": "ceil(a)"}, np.ceil, ufunc=np.ceil,
               accepts=INT_FLOAT)
TRUNC = declare("trunc", 1, {"int": "a", "float": "trunc(a)"}, np.trunc, ufunc=np.trunc,
                accepts=INT_FLOAT)
# np.rint turns ints into floats, so no ufunc fast path here.
ROUND = declare("round", 1, {"int": "a", "float": "rint(a)"},
                lambda a: np.rint(a) if a.dtype.kind == "f" else a, accepts=INT_FLOAT)
# round(decimals=d): b is 10**|d| in the compute type, as PyTorch scales.
ROUND_SCALED = declare("round_decimals", 2, "rint(a * b) / b", npmath.round_half_even_scaled,
                       accepts=FLOAT_ONLY)
ROUND_UNSCALED = declare("round_neg_decimals", 2, "rint(a / b) * b",
                         npmath.round_half_even_unscaled, accepts=FLOAT_ONLY)
FRAC = declare("frac", 1, "a - trunc(a)", lambda a: a - np.trunc(a), accepts=FLOAT_ONLY)

# -- clamping, extrema, interpolation -------------------------------------------------------
# PyTorch: min(max(a, lo), hi) with NaN propagating from a and from either bound.
CLAMP = declare("clamp", 3, {
    "int": "(c < (a < b ? b : a) ? c : (a < b ? b : a))",
    "float": "((isnan(b) || isnan(c)) ? b + c : (c < (a < b ? b : a) ? c : (a < b ? b : a)))"},
    npmath.clamp, accepts=INT_FLOAT)
CLAMP_MIN = declare("clamp_min", 2, {"int": "(a < b ? b : a)",
                                     "float": "(isnan(b) ? b : (a < b ? b : a))"},
                    np.maximum, ufunc=np.maximum)  # bool: with a tensor bound (pointwise.py)
CLAMP_MAX = declare("clamp_max", 2, {"int": "(b < a ? b : a)",
                                     "float": "(isnan(b) ? b : (b < a ? b : a))"},
                    np.minimum, ufunc=np.minimum)
MAXIMUM = declare("maximum", 2, {"int": "(a > b ? a : b)",
                                 "float": "((a > b || isnan(a)) ? a : b)"},
                  np.maximum, ufunc=np.maximum)
MINIMUM = declare("minimum", 2, {"int": "(a < b ? a : b)",
                                 "float": "((a < b || isnan(a)) ? a : b)"},
                  np.minimum, ufunc=np.minimum)
FMAX = declare("fmax", 2, {"int": "(a > b ? a : b)", "float": "fmax(a, b)"}, np.fmax,
               ufunc=np.fmax)
FMIN = declare("fmin", 2, {"int": "(a < b ? a : b)", "float": "fmin(a, b)"}, np.fmin,
               ufunc=np.fmin)
# PyTorch's lerp: exact at both ends (weight 0 gives start, weight 1 gives end).
LERP = declare("lerp", 3, "(fabs(c) < ({T})0.5 ? a + c * (b - a) : b - (b - a) * (({T})1 - c))",
               npmath.lerp, accepts=FLOAT_ONLY)
# addcmul / addcdiv: value is the scalar operand d.
ADDCMUL = declare("addcmul", 4, "a + d * b * c", lambda a, b, c, d: a + d * b * c,
                  accepts=INT_FLOAT)
ADDCDIV = declare("addcdiv", 4, "a + d * (b / c)", lambda a, b, c, d: a + d * (b / c),
                  accepts=FLOAT_ONLY)
NAN_TO_NUM = declare("nan_to_num", 4,
                     "(isnan(a) ? b : (isinf(a) ? (a > 0 ? c : d) : a))", npmath.nan_to_num,
                     accepts=FLOAT_ONLY)

# -- classification -----------------------------------------------------------------------
ISNAN = declare("isnan", 1, {"int": "0", "float": "isnan(a)"}, np.isnan, result=BOOL)
ISINF = declare("isinf", 1, {"int": "0", "float": "isinf(a)"}, np.isinf, result=BOOL)
ISPOSINF = declare("isposinf", 1, {"int": "0", "float": "(isinf(a) && a > 0)"}, np.isposinf,
                   result=BOOL)
ISNEGINF = declare("isneginf", 1, {"int": "0", "float": "(isinf(a) && a < 0)"}, np.isneginf,
                   result=BOOL)
ISFINITE = declare("isfinite", 1, {"int": "1", "float": "isfinite(a)"}, np.isfinite,
                   result=BOOL)
ISREAL = declare("isreal", 1, "1", lambda a: np.ones(np.shape(a), np.bool_), result=BOOL)
SIGNBIT = declare("signbit", 1, {"bool": "0", "int": "(a < 0)", "float": "signbit(a)"},
                  np.signbit, result=BOOL)
ISCLOSE = declare("isclose", 4,
                  "(a == b || (isfinite(fabs(a - b)) && fabs(a - b) <= d + fabs(c * b)))",
                  npmath.isclose, result=BOOL, compute_in=FLOAT)
ISCLOSE_NAN = declare("isclose_equal_nan", 4,
                      "(a == b || (isnan(a) && isnan(b)) || "
                      "(isfinite(fabs(a - b)) && fabs(a - b) <= d + fabs(c * b)))",
                      lambda a, b, c, d: npmath.isclose(a, b, c, d, True), result=BOOL,
                      compute_in=FLOAT)

# -- logical and bitwise ------------------------------------------------------------------
LOGICAL_AND = declare("logical_and", 2, "(a != 0) && (b != 0)", np.logical_and, result=BOOL)
LOGICAL_OR = declare("logical_or", 2, "(a != 0) || (b != 0)", np.logical_or, result=BOOL)
LOGICAL_XOR = declare("logical_xor", 2, "(a != 0) != (b != 0)", np.logical_xor, result=BOOL)
LOGICAL_NOT = declare("logical_not", 1, "a == 0", np.logical_not, result=BOOL)
BITWISE_AND = declare("bitwise_and", 2, "a & b", np.bitwise_and, ufunc=np.bitwise_and,
                      accepts=BITS)
BITWISE_OR = declare("bitwise_or", 2, "a | b", np.bitwise_or, ufunc=np.bitwise_or,
                     accepts=BITS)
BITWISE_XOR = declare("bitwise_xor", 2, "a ^ b", np.bitwise_xor, ufunc=np.bitwise_xor,
                      accepts=BITS)
# Shifts by a count outside [0, width) give PyTorch's answers (0, or -1 for a negative a >> b);
# OpenCL masks the count and leaves a negative a >> b to the implementation, so both are spelt
# out. Primitives rather than multiply/divide by 2 ** b: exact, and no division by zero.
_OUTSIDE = "(b < 0 || b >= ({T})(sizeof({T}) * 8))"
LSHIFT = declare("lshift", 2, f"{_OUTSIDE} ? ({{T}})0 : ({{T}})(a << b)", npmath.left_shift,
                 accepts=("int",))
RSHIFT = declare("rshift", 2, f"{_OUTSIDE} ? (a < 0 ? ({{T}})-1 : ({{T}})0) : "
                 "(a < 0 ? ({T})~(~a >> b) : ({T})(a >> b))", npmath.right_shift,
                 accepts=("int",))
BITWISE_NOT = declare("bitwise_not", 1, {"bool": "!a", "int": "~a"}, np.invert,
                      ufunc=np.invert, accepts=BITS)

# -- comparisons --------------------------------------------------------------------------
EQ = declare("eq", 2, "a == b", np.equal, result=BOOL)
NE = declare("ne", 2, "a != b", np.not_equal, result=BOOL)
LT = declare("lt", 2, "a < b", np.less, result=BOOL)
LE = declare("le", 2, "a <= b", np.less_equal, result=BOOL)
GT = declare("gt", 2, "a > b", np.greater, result=BOOL)
GE = declare("ge", 2, "a >= b", np.greater_equal, result=BOOL)

# -- selection ----------------------------------------------------------------------------
# where(cond, x, y): the condition is operand a (bool), promotion is over b and c only.
WHERE = declare("where", 3, "(a != 0) ? b : c", lambda a, b, c: np.where(a != 0, b, c))


# -- gradients ----------------------------------------------------------------------------
# Each rule follows PyTorch's derivatives.yaml formula for the op (same conventions at the
# non-differentiable points), written with Tensor ops so that double backward records.
# rule(g, x, result, need): see spec.Derivative.
LN2 = math.log(2.0)
LN10 = math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


def _zeros(g):
    from .creation import zeros_like
    return zeros_like(g)


def _zero_rule(n: int):
    """floor, sign, round, div(rounding_mode=...): gradient zero almost everywhere."""
    return lambda g, x, r, need: (_zeros(g),) * n


def _not_implemented(aten: str, inputs: tuple) -> Derivative:
    def rule(g, x, r, need):
        raise RuntimeError(f"derivative for aten::{aten} is not implemented")
    return Derivative("NotImplemented", rule, inputs)


def _grad(op: PointwiseOp, node: str, rule, inputs: tuple = (0,), **kw) -> Derivative:
    op.grad = Derivative(node, rule, inputs, **kw)
    return op.grad


def _unary_grad(op: PointwiseOp, node: str, fn, uses: str = "x") -> None:
    """A one-input rule g * fn(v), v the input (uses="x") or the output (uses="out")."""
    if uses == "x":
        _grad(op, node, lambda g, x, r, need: (fn(g, x[0]),), saves={0: (0,)})
    else:
        _grad(op, node, lambda g, x, r, need: (fn(g, r()),), saves={OUT: (0,)})


def _where(condition, x, y):
    from .pointwise import where
    return where(condition, x, y)


def _masked(mask, g):
    """g where mask holds, 0 elsewhere (masked_fill(~mask, 0))."""
    return _where(mask, g, 0.0)


def _only(need, *pairs):
    """Gradients computed only for the inputs that need them: pairs of (flag, thunk)."""
    return tuple(thunk() if flag else None for flag, thunk in pairs)


# arithmetic
_grad(ADD, "AddBackward0", lambda g, x, r, need: (g, g), (0, 1))
_grad(ADD_ALPHA, "AddBackward0", lambda g, x, r, need: (g, g * x[2] if need[1] else None),
      (0, 1))
_grad(SUB, "SubBackward0", lambda g, x, r, need: (g, -g if need[1] else None), (0, 1))
_grad(SUB_ALPHA, "SubBackward0",
      lambda g, x, r, need: (g, g * -x[2] if need[1] else None), (0, 1))
# rsub(input, other) runs sub(other, input): node inputs are (input, other).
_RSUB_SCALAR = Derivative("RsubBackward1", lambda g, x, r, need: (
    g * -(x[2] if len(x) > 2 else 1),), (1,))
RSUB = Derivative("RsubBackward0", lambda g, x, r, need: (
    g * -(x[2] if len(x) > 2 else 1) if need[1] else None, g), (1, 0),
    scalar_forms={0: _RSUB_SCALAR})
_grad(MUL, "MulBackward0", lambda g, x, r, need: _only(
    need, (need[0], lambda: g * x[1]), (need[1], lambda: g * x[0])), (0, 1),
    saves={0: (1,), 1: (0,)})
_grad(DIV, "DivBackward0", lambda g, x, r, need: _only(
    need, (need[0], lambda: g / x[1]), (need[1], lambda: -g * x[0] / (x[1] * x[1]))), (0, 1),
    saves={0: (1,), 1: (0, 1)})
DIV_ROUNDED = Derivative("DivBackward2", _zero_rule(2), (0, 1))
_grad(DIV_TRUNC, "DivBackward2", _zero_rule(2), (0, 1))
_grad(DIV_FLOOR, "NotImplemented", _not_implemented("floor_divide", (0, 1)).rule, (0, 1),
      scalar_forms={1: _not_implemented("floor_divide", (0,)),
                    0: _not_implemented("floor_divide", (1,))})
_grad(REMAINDER, "RemainderBackward1", lambda g, x, r, need: _only(
    need, (need[0], lambda: g), (need[1], lambda: -g * x[0].div(x[1], rounding_mode="floor"))),
    (0, 1), saves={0: (1,), 1: (1,)},
    scalar_forms={1: Derivative("RemainderBackward0", lambda g, x, r, need: (g,)),
                  0: _not_implemented("remainder", (1,))})
_grad(FMOD, "FmodBackward1", lambda g, x, r, need: _only(
    need, (need[0], lambda: g), (need[1], lambda: -g * x[0].div(x[1], rounding_mode="trunc"))),
    (0, 1), saves={0: (1,), 1: (1,)},
    scalar_forms={1: Derivative("FmodBackward0", lambda g, x, r, need: (g,))})


def _pow_scalar_exponent(g, x, r, need):
    exponent = x[1]
    if exponent == 0:
        return (_zeros(g),)
    return (g * (x[0].pow(exponent - 1) * exponent),)


def _pow_scalar_base(g, x, r, need):
    base = x[0]
    if base == 0:
        return (g * _where(x[1] >= 0, 0.0, r() * -math.inf),)
    return (g * (r() * (math.log(base) if base > 0 else math.nan)),)


def _pow_tensors(g, x, r, need):
    base, exponent = x[0], x[1]
    return _only(
        need,
        (need[0], lambda: _where(exponent == 0, 0.0, g * (exponent * base.pow(exponent - 1)))),
        (need[1], lambda: g * _where((base == 0) & (exponent >= 0), 0.0, r() * base.log())))


_grad(POW, "PowBackward1", _pow_tensors, (0, 1), saves={0: (0, 1), 1: (0, 1), OUT: (1,)},
      scalar_forms={1: Derivative("PowBackward0", _pow_scalar_exponent, (0,), saves={0: (0,)}),
                    0: Derivative("PowBackward2", _pow_scalar_base, (1,), saves={OUT: (1,)})})
_grad(SQUARE, "PowBackward0", lambda g, x, r, need: (g * (x[0] * 2.0),), saves={0: (0,)})
_grad(NEG, "NegBackward0", lambda g, x, r, need: (-g,))
_unary_grad(ABS, "AbsBackward0", lambda g, v: g * v.sign())
_grad(SIGN, "SignBackward0", _zero_rule(1))
_unary_grad(RECIPROCAL, "ReciprocalBackward0", lambda g, v: -g * (v * v), "out")
_unary_grad(SQRT, "SqrtBackward0", lambda g, v: g / (v * 2), "out")
_unary_grad(RSQRT, "RsqrtBackward0", lambda g, v: -0.5 * g * v.pow(3), "out")

# exponentials and logarithms
_unary_grad(EXP, "ExpBackward0", lambda g, v: g * v, "out")
_unary_grad(EXP2, "Exp2Backward0", lambda g, v: g * (v * LN2), "out")
_unary_grad(EXPM1, "Expm1Backward0", lambda g, v: g * (v + 1), "out")
_unary_grad(LOG, "LogBackward0", lambda g, v: g / v)
_unary_grad(LOG2, "Log2Backward0", lambda g, v: g / (v * LN2))
_unary_grad(LOG10, "Log10Backward0", lambda g, v: g / (v * LN10))
_unary_grad(LOG1P, "Log1PBackward0", lambda g, v: g / (v + 1))
_unary_grad(SIGMOID, "SigmoidBackward0", lambda g, v: g * (1 - v) * v, "out")


def _logit(g, x, r, need):
    v = x[0]
    d = g / (v * (1 - v))
    if len(x) == 1:
        return (_where((v < 0) | (v > 1), math.nan, d),)
    eps = x[1]
    return (_where((v < eps) | (v > 1 - eps), 0.0, d),)


_grad(LOGIT, "LogitBackward0", _logit, saves={0: (0,)})
_grad(LOGIT_EPS, "LogitBackward0", _logit, saves={0: (0,)})

# trigonometric and hyperbolic
_unary_grad(SIN, "SinBackward0", lambda g, v: g * v.cos())
_unary_grad(COS, "CosBackward0", lambda g, v: g * -v.sin())
_unary_grad(TAN, "TanBackward0", lambda g, v: g * (v * v + 1), "out")
_unary_grad(ASIN, "AsinBackward0", lambda g, v: g * (-v * v + 1).rsqrt())
_unary_grad(ACOS, "AcosBackward0", lambda g, v: g * -(-v * v + 1).rsqrt())
_unary_grad(ATAN, "AtanBackward0", lambda g, v: g / (v * v + 1))
_unary_grad(SINH, "SinhBackward0", lambda g, v: g * v.cosh())
_unary_grad(COSH, "CoshBackward0", lambda g, v: g * v.sinh())
_unary_grad(TANH, "TanhBackward0", lambda g, v: g * (1 - v * v), "out")
_unary_grad(ASINH, "AsinhBackward0", lambda g, v: g * (v * v + 1).rsqrt())
_unary_grad(ACOSH, "AcoshBackward0", lambda g, v: g * (v * v - 1).rsqrt())
_unary_grad(ATANH, "AtanhBackward0", lambda g, v: g / (1 - v * v))


def _atan2(g, x, r, need):
    recip = (x[0] * x[0] + x[1] * x[1]).reciprocal()
    recip = _where(recip.isinf(), 0.0, recip)  # PyTorch: zero gradient at the origin
    return _only(need, (need[0], lambda: g * x[1] * recip),
                 (need[1], lambda: g * -x[0] * recip))


_grad(ATAN2, "Atan2Backward0", _atan2, (0, 1), saves={0: (0, 1), 1: (0, 1)})
_grad(HYPOT, "HypotBackward0", lambda g, x, r, need: _only(
    need, (need[0], lambda: g * x[0] / r()), (need[1], lambda: g * x[1] / r())), (0, 1),
    saves={0: (0,), 1: (1,), OUT: (0, 1)})


def _copysign_self(g, x, r):
    return g * _where(x[0] == 0, 0.0, r() / x[0])


_grad(COPYSIGN, "CopysignBackward0", lambda g, x, r, need: (
    _copysign_self(g, x, r) if need[0] else None, _zeros(g) if need[1] else None), (0, 1),
    saves={0: (0,), OUT: (0,)},
    scalar_forms={1: Derivative("CopysignBackward1", lambda g, x, r, need: (
        _copysign_self(g, x, r),), saves={0: (0,), OUT: (0,)})})

# special functions
_unary_grad(ERF, "ErfBackward0", lambda g, v: g * ((-v * v).exp() * TWO_OVER_SQRT_PI))
_unary_grad(ERFC, "ErfcBackward0", lambda g, v: g * ((-v * v).exp() * -TWO_OVER_SQRT_PI))
_unary_grad(ERFINV, "ErfinvBackward0",
            lambda g, v: g * ((v.erfinv() * v.erfinv()).exp() * SQRT_PI_OVER_TWO))


def _zeta_op(s, q):
    from .pointwise_dispatch import run
    return run(ZETA, (s, q))


def _polygamma_run(n, v):
    from .pointwise_dispatch import run
    compute, result = POLYGAMMA.dtypes(v.dtype)
    return run(POLYGAMMA, (v, float(n)), dtypes=(compute, result))


_unary_grad(LGAMMA, "LgammaBackward0", lambda g, v: g * v.digamma())
_unary_grad(DIGAMMA, "DigammaBackward0", lambda g, v: g * _polygamma_run(1, v))
_grad(POLYGAMMA, "PolygammaBackward0",
      lambda g, x, r, need: (g * _polygamma_run(x[1] + 1, x[0]),), saves={0: (0,)})
_grad(ZETA, "SpecialZetaBackward0", lambda g, x, r, need: (
    _not_implemented("special_zeta", (0,)).rule(g, x, r, need) if need[0] else None,
    g * -x[0] * _zeta_op(x[0] + 1, x[1]) if need[1] else None), (0, 1),
    saves={0: (1,), 1: (1,)},
    scalar_forms={0: Derivative("SpecialZetaBackward1", lambda g, x, r, need: (
        g * -x[0] * _zeta_op(x[0] + 1, x[1]),), (1,)),
        1: _not_implemented("special_zeta", (0,))})


def _apply(op, v):
    from .pointwise_dispatch import run
    return run(op, (v,))


def _i1_rule(g, v):
    """i1'(x) = i0(x) - i1(x) / x, and 1/2 at 0."""
    safe = _where(v == 0, 1.0, v)
    return g * _where(v == 0, 0.5, _apply(I0, v) - _apply(I1, v) / safe)


def _i1e_rule(g, v):
    """i1e'(x) = i0e(x) - i1e(x) (sign(x) + 1 / x), and 1/2 at 0."""
    safe = _where(v == 0, 1.0, v)
    return g * _where(v == 0, 0.5,
                      _apply(I0E, v) - _apply(I1E, v) * (v.sign() + safe.reciprocal()))


_unary_grad(I0, "I0Backward0", lambda g, v: g * _apply(I1, v))
_unary_grad(I0E, "SpecialI0EBackward0",
            lambda g, v: g * (_apply(I1E, v) - v.sign() * _apply(I0E, v)))
_unary_grad(I1, "SpecialI1Backward0", _i1_rule)
_unary_grad(I1E, "SpecialI1EBackward0", _i1e_rule)


def _sinc_grad(g, v):
    """(cos(pi x) - sinc(x)) / x, and 0 at 0."""
    from .pointwise_dispatch import run
    safe = _where(v == 0, 1.0, v)
    return g * _where(v == 0, 0.0, ((v * math.pi).cos() - run(SINC, (v,))) / safe)


def _xlog_self(g, x, log_fn, pole):
    """d/dself of self * log_fn(other): log_fn(other), 0 where self == 0 and other <= pole."""
    other = x[1]
    value = g * log_fn(other)
    if hasattr(x[0], "_requires_grad") and hasattr(other, "_requires_grad"):
        return _where((x[0] == 0) & (other <= pole), 0.0, value)
    return value


def _xlog_derivative(node: str, log_fn, pole: float, shift: float) -> Derivative:
    def both(g, x, r, need):
        return _only(need, (need[0], lambda: _xlog_self(g, x, log_fn, pole)),
                     (need[1], lambda: g * x[0] / (x[1] + shift)))
    return Derivative(node + "0", both, (0, 1), saves={0: (1,), 1: (0, 1)}, scalar_forms={
        0: Derivative(node + "1", lambda g, x, r, need: (g * x[0] / (x[1] + shift),), (1,),
                      saves={1: (1,)}),
        1: Derivative(node + "2", lambda g, x, r, need: (g * log_fn(x[1]),), (0,))})


def _log_number_or_tensor(fn):
    def apply(v):
        return getattr(v, fn)() if hasattr(v, "_requires_grad") else getattr(math, fn)(v)
    return apply


_unary_grad(SINC, "SincBackward0", _sinc_grad)
XLOGY.grad = _xlog_derivative("XlogyBackward", _log_number_or_tensor("log"), 0.0, 0.0)
XLOG1PY.grad = _xlog_derivative("SpecialXlog1PyBackward", _log_number_or_tensor("log1p"),
                                -1.0, 1.0)
_unary_grad(ENTR, "SpecialEntrBackward0", lambda g, v: g * -(v.log() + 1))


# rounding
_grad(FLOOR, "FloorBackward0", _zero_rule(1))
_grad(CEIL, "CeilBackward0", _zero_rule(1))
_grad(TRUNC, "TruncBackward0", _zero_rule(1))
_grad(ROUND, "RoundBackward0", _zero_rule(1))
_grad(ROUND_SCALED, "RoundBackward1", _zero_rule(1))
_grad(ROUND_UNSCALED, "RoundBackward1", _zero_rule(1))
_grad(FRAC, "FracBackward0", lambda g, x, r, need: (g,))


# clamping and extrema
def _clamp_tensors(g, x, r, need):
    """ClampBackward0: operands (input, min, max), either bound a tensor or a number."""
    v, lo, hi = x[0], x[1], x[2]
    return _only(need, (need[0], lambda: _masked((v >= lo) & (v <= hi), g)),
                 (need[1], lambda: _masked((v < lo) & (lo < hi), g)),
                 (need[2], lambda: _masked((v > hi) | (hi < lo), g)))


_ALL3 = (0, 1, 2)
_grad(CLAMP, "ClampBackward0", _clamp_tensors, _ALL3, saves={0: _ALL3, 1: _ALL3, 2: _ALL3})
# clamp(input, number, number)
CLAMP_SCALARS = Derivative("ClampBackward1", lambda g, x, r, need: (
    _masked((x[0] >= x[1]) & (x[0] <= x[2]), g),), saves={0: (0,)})
_CLAMP_LO = Derivative("ClampBackward1", lambda g, x, r, need: (_masked(x[0] >= x[1], g),),
                       saves={0: (0,)})
_CLAMP_HI = Derivative("ClampBackward1", lambda g, x, r, need: (_masked(x[0] <= x[1], g),),
                       saves={0: (0,)})
# clamp(input, min=t) and clamp(input, max=t), which run clamp_min / clamp_max kernels.
CLAMP_LO_ONLY = Derivative("ClampBackward0", lambda g, x, r, need: _only(
    need, (need[0], lambda: _masked(x[0] >= x[1], g)),
    (need[1], lambda: _masked(x[0] < x[1], g)), (False, None)), (0, 1, None),
    saves={0: (0, 1), 1: (0, 1)}, scalar_forms={1: _CLAMP_LO})
CLAMP_HI_ONLY = Derivative("ClampBackward0", lambda g, x, r, need: _only(
    need, (need[0], lambda: _masked(x[0] <= x[1], g)), (False, None),
    (need[1], lambda: _masked(x[0] > x[1], g))), (0, None, 1),
    saves={0: (0, 1), 1: (0, 1)}, scalar_forms={1: _CLAMP_HI})
_grad(CLAMP_MIN, "ClampMinBackward1", lambda g, x, r, need: _only(
    need, (need[0], lambda: _masked(x[0] >= x[1], g)),
    (need[1], lambda: _masked(x[0] < x[1], g))), (0, 1), saves={0: (0, 1), 1: (0, 1)},
    scalar_forms={1: Derivative("ClampMinBackward0", _CLAMP_LO.rule, saves={0: (0,)})})
_grad(CLAMP_MAX, "ClampMaxBackward1", lambda g, x, r, need: _only(
    need, (need[0], lambda: _masked(x[0] <= x[1], g)),
    (need[1], lambda: _masked(x[0] > x[1], g))), (0, 1), saves={0: (0, 1), 1: (0, 1)},
    scalar_forms={1: Derivative("ClampMaxBackward0", _CLAMP_HI.rule, saves={0: (0,)})})


def _extremum(g, x, r, need, loses):
    """maximum/minimum: ties split the gradient in halves; NaN sends it to both inputs."""
    a, b = x[0], x[1]
    shared = _where(a == b, g / 2, g)
    return _only(need, (need[0], lambda: _where(loses(a, b), 0.0, shared)),
                 (need[1], lambda: _where(loses(b, a), 0.0, shared)))


def _nan_ignoring(g, x, r, need, keeps):
    """fmax/fmin: ties go to the first input; a NaN input loses to a number."""
    a, b = x[0], x[1]
    first = keeps(a, b) | b.isnan()
    return _only(need, (need[0], lambda: _where(first, g, 0.0)),
                 (need[1], lambda: _where(first, 0.0, g)))


_BOTH = {0: (0, 1), 1: (0, 1)}
_grad(MAXIMUM, "MaximumBackward0",
      lambda g, x, r, need: _extremum(g, x, r, need, lambda p, q: p < q), (0, 1), saves=_BOTH)
_grad(MINIMUM, "MinimumBackward0",
      lambda g, x, r, need: _extremum(g, x, r, need, lambda p, q: p > q), (0, 1), saves=_BOTH)
_grad(FMAX, "FmaxBackward0",
      lambda g, x, r, need: _nan_ignoring(g, x, r, need, lambda p, q: p >= q), (0, 1),
      saves=_BOTH)
_grad(FMIN, "FminBackward0",
      lambda g, x, r, need: _nan_ignoring(g, x, r, need, lambda p, q: p <= q), (0, 1),
      saves=_BOTH)

# interpolation, fused multiply-adds, nan_to_num, where
_grad(LERP, "LerpBackward1", lambda g, x, r, need: _only(
    need, (need[0], lambda: g * (1 - x[2])), (need[1], lambda: g * x[2]),
    (need[2], lambda: g * (x[1] - x[0]))), _ALL3, saves={0: (2,), 1: (2,), 2: (0, 1)},
    scalar_forms={2: Derivative("LerpBackward0", lambda g, x, r, need: _only(
        need, (need[0], lambda: g * (1 - x[2])), (need[1], lambda: g * x[2])), (0, 1))})
_grad(ADDCMUL, "AddcmulBackward0", lambda g, x, r, need: _only(
    need, (True, lambda: g), (need[1], lambda: g * x[2] * x[3]),
    (need[2], lambda: g * x[1] * x[3])), _ALL3, saves={1: (2,), 2: (1,)})
_grad(ADDCDIV, "AddcdivBackward0", lambda g, x, r, need: _only(
    need, (True, lambda: g), (need[1], lambda: g * (x[3] / x[2])),
    (need[2], lambda: -g * x[3] * x[1] / (x[2] * x[2]))), _ALL3, saves={1: (2,), 2: (1, 2)})
_grad(NAN_TO_NUM, "NanToNumBackward0", lambda g, x, r, need: (g * x[0].isfinite(),),
      saves={0: (0,)})
_grad(WHERE, "WhereBackward0", lambda g, x, r, need: _only(
    need, (need[1], lambda: _masked(x[0], g)), (need[2], lambda: _where(x[0], 0.0, g))),
    (1, 2), saves={0: (1, 2)})
