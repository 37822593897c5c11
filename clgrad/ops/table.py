"""The pointwise op table: each primitive declared once, as data, for every backend.

Expressions are OpenCL C over a, b, c, d converted to the compute type {T}; numpy forms take
arrays already in the compute dtype. Composite ops belong in pointwise.py, not here; a
primitive here needs a reason (speed or numerical stability), given where it is not obvious.
Extra scalar parameters (alpha, eps, rtol, ...) are trailing operands that take no part in
promotion: pointwise.py passes the dtypes explicitly for those ops.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import npmath
from .spec import BOOL, FLOAT, PROMOTE, PointwiseOp

# PyTorch computes inf and nan silently; numpy warns (see backends/cpu.py).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)

OPS: dict = {}

INT_FLOAT = ("int", "float")
FLOAT_ONLY = ("float",)
BITS = ("bool", "int")


def declare(name: str, arity: int, cl, numpy, **kw) -> PointwiseOp:
    op = OPS[name] = PointwiseOp(name, arity, cl, numpy, **kw)
    return op


def _float_unary(name: str, cl_fn: str, ufunc) -> PointwiseOp:
    """A float function (ints and bool compute in the default float dtype)."""
    return declare(name, 1, f"{cl_fn}(a)", ufunc, ufunc=ufunc, result=FLOAT, compute_in=FLOAT)


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

# -- special functions ------------------------------------------------------------------------
ERF = declare("erf", 1, "erf(a)", npmath.erf, result=FLOAT, compute_in=FLOAT)
ERFC = declare("erfc", 1, "erfc(a)", npmath.erfc, result=FLOAT, compute_in=FLOAT)
ERFINV = declare("erfinv", 1, "erfinv_{T}(a)", npmath.erfinv, result=FLOAT, compute_in=FLOAT,
                 helpers=("erfinv",))

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
                    np.maximum, ufunc=np.maximum, accepts=INT_FLOAT)
CLAMP_MAX = declare("clamp_max", 2, {"int": "(b < a ? b : a)",
                                     "float": "(isnan(b) ? b : (b < a ? b : a))"},
                    np.minimum, ufunc=np.minimum, accepts=INT_FLOAT)
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
ADDCMUL = declare("addcmul", 4, "a + d * b * c", lambda a, b, c, d: a + d * b * c)
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
