"""Pointwise operations as functions, Tensor methods, in-place forms and Python operators."""
from __future__ import annotations

import builtins
from typing import Optional, Union

import numpy as np

from .. import _dtype as dt
from .._checks import check_tensor
from .._tensor import Tensor, register
from ..autograd.graph import needs_grad
from . import pointwise_table as T
from .pointwise_dispatch import as_operands, run
from .pointwise_spec import torch_type_name

Number = Union[int, float, bool]
TensorOrNumber = Union[Tensor, int, float, bool]

__all__ = [
    'add', 'sub', 'subtract', 'rsub', 'mul', 'multiply', 'div', 'divide', 'true_divide',
    'floor_divide', 'remainder', 'fmod', 'pow', 'neg', 'negative', 'positive', 'abs',
    'absolute', 'sign', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'exp', 'exp2', 'expm1', 'log',
    'log2', 'log10', 'log1p', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'arcsin', 'arccos',
    'arctan', 'atan2', 'arctan2', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'arcsinh',
    'arccosh', 'arctanh', 'sigmoid', 'logit', 'erf', 'erfc', 'erfinv', 'floor', 'ceil', 'round',
    'trunc', 'fix', 'frac', 'clamp', 'clip', 'clamp_min', 'clamp_max', 'maximum', 'minimum',
    'fmax', 'fmin', 'lerp', 'addcmul', 'addcdiv', 'hypot', 'nan_to_num', 'isnan', 'isinf',
    'isposinf', 'isneginf', 'isfinite', 'isreal', 'signbit', 'copysign', 'nextafter',
    'logical_and', 'logical_or', 'logical_xor', 'logical_not', 'bitwise_and', 'bitwise_or',
    'bitwise_xor', 'bitwise_not', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'greater', 'greater_equal',
    'less', 'less_equal', 'not_equal', 'where', 'isclose', 'allclose', 'equal',
]


# -- argument checks ----------------------------------------------------------------------
def _is_bool(x) -> builtins.bool:
    if isinstance(x, Tensor):
        return x.dtype is dt.bool
    return isinstance(x, (builtins.bool, np.bool_))


def _check_bool_sub(a, b) -> None:
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")


def _param(value, compute: dt.dtype):
    """A scalar parameter (alpha, eps, value, ...) cast to the compute dtype, as C++ casts."""
    if isinstance(value, Tensor):
        value = value.item()
    return np.array(value).astype(compute.np).item()


def _run_params(op, inputs: tuple, params: tuple, out, name: Optional[str] = None):
    """Run `op` promoting over `inputs` only; trailing `params` are cast to the compute type."""
    operands = as_operands(name or op.name, inputs)
    compute, result = op.dtypes(dt.result_dtype(operands))
    return run(op, (*operands, *(_param(p, compute) for p in params)), out=out,
               dtypes=(compute, result))


def _check_alpha(fn: str, alpha, result: dt.dtype) -> None:
    if alpha is None or isinstance(alpha, (str, Tensor)):
        raise TypeError(f"{fn}(): argument 'alpha' must be Number, not {type(alpha).__name__}")
    if isinstance(alpha, builtins.bool) and result is not dt.bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, builtins.float) and not result.is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


def _with_alpha(op_plain, op_alpha, fn: str, input, other, alpha, out, grad=None):
    if alpha == 1 and type(alpha) is builtins.int:
        return run(op_plain, (input, other), out=out, grad=grad)
    operands = as_operands(fn, (input, other))
    compute, result = op_alpha.dtypes(dt.result_dtype(operands))
    _check_alpha(fn, alpha, result)
    return run(op_alpha, (*operands, _param(alpha, compute)), out=out, dtypes=(compute, result),
               grad=grad)


# -- arithmetic ---------------------------------------------------------------------------
def add(input: TensorOrNumber, other: TensorOrNumber, *, alpha: Number = 1,
        out: Optional[Tensor] = None) -> Tensor:
    """input + alpha * other, broadcasting, with PyTorch's type promotion."""
    return _with_alpha(T.ADD, T.ADD_ALPHA, "add", input, other, alpha, out)


def sub(input: TensorOrNumber, other: TensorOrNumber, *, alpha: Number = 1,
        out: Optional[Tensor] = None) -> Tensor:
    """input - alpha * other (not defined for bool operands)."""
    _check_bool_sub(input, other)
    return _with_alpha(T.SUB, T.SUB_ALPHA, "sub", input, other, alpha, out)


def rsub(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """other - alpha * input."""
    _check_bool_sub(other, input)
    return _with_alpha(T.SUB, T.SUB_ALPHA, "rsub", other, input, alpha, None, T.RSUB)


def mul(input: TensorOrNumber, other: TensorOrNumber, *, out: Optional[Tensor] = None) -> Tensor:
    """input * other."""
    return run(T.MUL, (input, other), out=out)


def div(input: TensorOrNumber, other: TensorOrNumber, *, rounding_mode: Optional[str] = None,
        out: Optional[Tensor] = None) -> Tensor:
    """input / other: true division (ints give floats), or rounded 'trunc' / 'floor'."""
    if rounding_mode is None:
        return run(T.DIV, (input, other), out=out)
    if rounding_mode == "trunc":
        return run(T.DIV_TRUNC, (input, other), out=out, grad=T.DIV_ROUNDED)
    if rounding_mode == "floor":
        return run(T.DIV_FLOOR, (input, other), out=out, grad=T.DIV_ROUNDED)
    raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


def true_divide(input: TensorOrNumber, other: TensorOrNumber, *,
                out: Optional[Tensor] = None) -> Tensor:
    """Alias of div(input, other)."""
    return run(T.DIV, (input, other), out=out)


def floor_divide(input: TensorOrNumber, other: TensorOrNumber, *,
                 out: Optional[Tensor] = None) -> Tensor:
    """input // other, rounding towards minus infinity (Python's //)."""
    return run(T.DIV_FLOOR, (input, other), out=out)


def remainder(input: TensorOrNumber, other: TensorOrNumber, *,
              out: Optional[Tensor] = None) -> Tensor:
    """Python's modulus: the result has the sign of the divisor."""
    return run(T.REMAINDER, (input, other), out=out)


def fmod(input: Tensor, other: TensorOrNumber, *, out: Optional[Tensor] = None) -> Tensor:
    """C's fmod: the result has the sign of the dividend."""
    check_tensor("fmod", input)
    return run(T.FMOD, (input, other), out=out)


def pow(input: TensorOrNumber, exponent: TensorOrNumber, *,
        out: Optional[Tensor] = None) -> Tensor:
    """input ** exponent; an integer tensor to a negative integer scalar power raises."""
    if (type(exponent) is builtins.int and exponent < 0 and isinstance(input, Tensor)
            and not dt.result_dtype((input, exponent)).is_floating_point):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if isinstance(exponent, builtins.bool) and isinstance(input, Tensor) and input.dtype is dt.bool:
        # PyTorch's scalar-exponent path accepts bool ** bool (x ** True is x, x ** False is 1).
        return run(T.POW, (input, exponent), out=out, dtypes=(dt.bool, dt.bool))
    return run(T.POW, (input, exponent), out=out)


def neg(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """-input."""
    check_tensor("neg", input)
    if input.dtype is dt.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return run(T.NEG, (input,), out=out)


def positive(input: Tensor) -> Tensor:
    """Returns input itself (bool tensors raise, as PyTorch's unary + does)."""
    check_tensor("positive", input)
    if input.dtype is dt.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def square(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """input * input; bool squares to int64 as pow(input, 2) does."""
    check_tensor("square", input)
    if input.dtype is dt.bool:
        return run(T.POW, (input, 2), out=out)
    return run(T.SQUARE, (input,), out=out)


def _unary(op, doc: str, name: Optional[str] = None):
    name = name or op.name

    def fn(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
        if not isinstance(input, Tensor):
            check_tensor(name, input)
        return run(op, (input,), out=out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _binary(op, doc: str, name: Optional[str] = None, tensors_only: builtins.bool = False):
    """A binary function; tensors_only: both arguments must be tensors, as in PyTorch."""
    name = name or op.name

    def fn(input: Tensor, other: TensorOrNumber, *, out: Optional[Tensor] = None) -> Tensor:
        check_tensor(name, input)
        if tensors_only:
            check_tensor(name, other, "other", 2)
        return run(op, (input, other), out=out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


abs = _unary(T.ABS, "|input|.")
sign = _unary(T.SIGN, "-1, 0 or 1 by the sign of input (0 for NaN).")
sqrt = _unary(T.SQRT, "Square root.")
rsqrt = _unary(T.RSQRT, "1 / sqrt(input).")
reciprocal = _unary(T.RECIPROCAL, "1 / input (ints give floats).")
exp = _unary(T.EXP, "e ** input.")
exp2 = _unary(T.EXP2, "2 ** input.")
expm1 = _unary(T.EXPM1, "exp(input) - 1, accurate near 0.")
log = _unary(T.LOG, "Natural logarithm.")
log2 = _unary(T.LOG2, "Base-2 logarithm.")
log10 = _unary(T.LOG10, "Base-10 logarithm.")
log1p = _unary(T.LOG1P, "log(1 + input), accurate near 0.")
sin = _unary(T.SIN, "Sine.")
cos = _unary(T.COS, "Cosine.")
tan = _unary(T.TAN, "Tangent.")
asin = _unary(T.ASIN, "Arcsine.")
acos = _unary(T.ACOS, "Arccosine.")
atan = _unary(T.ATAN, "Arctangent.")
sinh = _unary(T.SINH, "Hyperbolic sine.")
cosh = _unary(T.COSH, "Hyperbolic cosine.")
tanh = _unary(T.TANH, "Hyperbolic tangent.")
asinh = _unary(T.ASINH, "Inverse hyperbolic sine.")
acosh = _unary(T.ACOSH, "Inverse hyperbolic cosine.")
atanh = _unary(T.ATANH, "Inverse hyperbolic tangent.")
sigmoid = _unary(T.SIGMOID, "1 / (1 + exp(-input)).")
erf = _unary(T.ERF, "The error function.")
erfc = _unary(T.ERFC, "1 - erf(input), accurate for large input.")
erfinv = _unary(T.ERFINV, "The inverse error function on (-1, 1).")
floor = _unary(T.FLOOR, "Largest integer <= input (integer tensors are returned as copies).")
ceil = _unary(T.CEIL, "Smallest integer >= input.")
trunc = _unary(T.TRUNC, "input rounded towards zero.")
frac = _unary(T.FRAC, "input - trunc(input).")
isnan = _unary(T.ISNAN, "True where input is NaN.")
isinf = _unary(T.ISINF, "True where input is +-inf.")
isposinf = _unary(T.ISPOSINF, "True where input is +inf.")
isneginf = _unary(T.ISNEGINF, "True where input is -inf.")
isfinite = _unary(T.ISFINITE, "True where input is neither inf nor NaN.")
isreal = _unary(T.ISREAL, "True everywhere (clgrad has no complex dtypes).")
signbit = _unary(T.SIGNBIT, "True where the sign bit of input is set.")
logical_not = _unary(T.LOGICAL_NOT, "Elementwise logical NOT (a bool tensor).")
bitwise_not = _unary(T.BITWISE_NOT, "Bitwise NOT of an integer or bool tensor.")

atan2 = _binary(T.ATAN2, "The angle of the point (other, input).", tensors_only=True)
hypot = _binary(T.HYPOT, "sqrt(input ** 2 + other ** 2).", tensors_only=True)
copysign = _binary(T.COPYSIGN, "|input| with the sign of other.")
lshift = _binary(T.LSHIFT, "input << other for integers (0 for counts outside the width).")
rshift = _binary(T.RSHIFT, "input >> other for integers, arithmetic.")
nextafter = _binary(T.NEXTAFTER, "The next float after input towards other.", tensors_only=True)
maximum = _binary(T.MAXIMUM, "Elementwise maximum (NaN propagates).", tensors_only=True)
minimum = _binary(T.MINIMUM, "Elementwise minimum (NaN propagates).", tensors_only=True)
fmax = _binary(T.FMAX, "Elementwise maximum ignoring NaN.", tensors_only=True)
fmin = _binary(T.FMIN, "Elementwise minimum ignoring NaN.", tensors_only=True)
logical_and = _binary(T.LOGICAL_AND, "Elementwise logical AND.", tensors_only=True)
logical_or = _binary(T.LOGICAL_OR, "Elementwise logical OR.", tensors_only=True)
logical_xor = _binary(T.LOGICAL_XOR, "Elementwise logical XOR.", tensors_only=True)

# Aliases keep their own names (for error messages and __name__), as PyTorch's do.
absolute = _unary(T.ABS, "Alias of abs().", "absolute")
fix = _unary(T.TRUNC, "Alias of trunc().", "fix")
arcsin = _unary(T.ASIN, "Alias of asin().", "arcsin")
arccos = _unary(T.ACOS, "Alias of acos().", "arccos")
arctan = _unary(T.ATAN, "Alias of atan().", "arctan")
arcsinh = _unary(T.ASINH, "Alias of asinh().", "arcsinh")
arccosh = _unary(T.ACOSH, "Alias of acosh().", "arccosh")
arctanh = _unary(T.ATANH, "Alias of atanh().", "arctanh")
arctan2 = _binary(T.ATAN2, "Alias of atan2().", "arctan2", tensors_only=True)


def negative(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """Alias of neg()."""
    return neg(input, out=out)


def _bitwise(op, doc: str):
    def fn(input: TensorOrNumber, other: TensorOrNumber, *,
           out: Optional[Tensor] = None) -> Tensor:
        return run(op, (input, other), out=out)
    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = doc
    return fn


bitwise_and = _bitwise(T.BITWISE_AND, "Bitwise AND of integer or bool operands.")
bitwise_or = _bitwise(T.BITWISE_OR, "Bitwise OR of integer or bool operands.")
bitwise_xor = _bitwise(T.BITWISE_XOR, "Bitwise XOR of integer or bool operands.")
subtract = sub
multiply = mul
divide = div


def logit(input: Tensor, eps: Optional[float] = None, *, out: Optional[Tensor] = None) -> Tensor:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    check_tensor("logit", input)
    if eps is None or eps < 0:
        return run(T.LOGIT, (input,), out=out)
    return _run_params(T.LOGIT_EPS, (input,), (eps,), out)


def round(input: Tensor, *, decimals: int = 0, out: Optional[Tensor] = None) -> Tensor:
    """Rounds half to even, to `decimals` decimal places."""
    check_tensor("round", input)
    if decimals == 0:
        return run(T.ROUND, (input,), out=out)
    op = T.ROUND_SCALED if decimals > 0 else T.ROUND_UNSCALED
    return _run_params(op, (input,), (10.0 ** builtins.abs(decimals),), out)


# -- clamping, interpolation, fused multiply-adds -----------------------------------------
def clamp(input: Tensor, min: Optional[TensorOrNumber] = None,
          max: Optional[TensorOrNumber] = None, *, out: Optional[Tensor] = None) -> Tensor:
    """Clamps input into [min, max] (either may be None; min > max gives max)."""
    check_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    # PyTorch's node names: ClampBackward1 for number bounds, ClampBackward0 for tensors.
    if max is None:
        _refuse_bool_scalar_bound("clamp_min", input, min)
        return run(T.CLAMP_MIN, (input, min), out=out, grad=T.CLAMP_LO_ONLY)
    if min is None:
        _refuse_bool_scalar_bound("clamp_max", input, max)
        return run(T.CLAMP_MAX, (input, max), out=out, grad=T.CLAMP_HI_ONLY)
    scalars = not isinstance(min, Tensor) and not isinstance(max, Tensor)
    return run(T.CLAMP, (input, min, max), out=out, grad=T.CLAMP_SCALARS if scalars else None)


def clip(input: Tensor, min: Optional[TensorOrNumber] = None,
         max: Optional[TensorOrNumber] = None, *, out: Optional[Tensor] = None) -> Tensor:
    """Alias of clamp()."""
    return clamp(input, min, max, out=out)


def _refuse_bool_scalar_bound(op: str, input: Tensor, bound) -> None:
    # PyTorch clamps bool by a bool tensor but has no kernel for a bool by a number.
    if input.dtype is dt.bool and not isinstance(bound, Tensor):
        raise NotImplementedError(f'"{op}_scalar_cpu" not implemented for \'Bool\'')


def clamp_min(input: Tensor, min: TensorOrNumber, *, out: Optional[Tensor] = None) -> Tensor:
    """clamp(input, min=min)."""
    check_tensor("clamp_min", input)
    _refuse_bool_scalar_bound("clamp_min", input, min)
    return run(T.CLAMP_MIN, (input, min), out=out)


def clamp_max(input: Tensor, max: TensorOrNumber, *, out: Optional[Tensor] = None) -> Tensor:
    """clamp(input, max=max)."""
    check_tensor("clamp_max", input)
    _refuse_bool_scalar_bound("clamp_max", input, max)
    return run(T.CLAMP_MAX, (input, max), out=out)


def _cpp_name(d: dt.dtype) -> str:
    return {"float16": "c10::Half", "float32": "float", "float64": "double", "int32": "int",
            "int64": "long int", "bool": "bool"}.get(d.name, d.name)


def lerp(input: Tensor, end: Tensor, weight: TensorOrNumber, *,
         out: Optional[Tensor] = None) -> Tensor:
    """input + weight * (end - input); input, end (and a dimensioned weight) share a dtype."""
    check_tensor("lerp", input)
    check_tensor("lerp", end, "end", 2)
    for arg, x in (("end", end), ("weight", weight)):
        if isinstance(x, Tensor) and x.dtype is not input.dtype and (arg == "end" or x.ndim):
            raise RuntimeError(f"expected dtype {_cpp_name(input.dtype)} for `{arg}` but got "
                               f"dtype {_cpp_name(x.dtype)}")
    compute, result = T.LERP.dtypes(input.dtype)
    if not isinstance(weight, Tensor):
        weight = _param(weight, compute)
    return run(T.LERP, (input, end, weight), out=out, dtypes=(compute, result))


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1,
            out: Optional[Tensor] = None) -> Tensor:
    """input + value * tensor1 * tensor2."""
    check_tensor("addcmul", input)
    return _run_params(T.ADDCMUL, (input, tensor1, tensor2), (value,), out)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1,
            out: Optional[Tensor] = None) -> Tensor:
    """input + value * tensor1 / tensor2 (integer tensor1 and tensor2 raise)."""
    check_tensor("addcdiv", input)
    if all(isinstance(t, Tensor) and not t.is_floating_point() for t in (tensor1, tensor2)):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
            "for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return _run_params(T.ADDCDIV, (input, tensor1, tensor2), (value,), out)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: Optional[float] = None,
               neginf: Optional[float] = None, *, out: Optional[Tensor] = None) -> Tensor:
    """Replaces NaN, +inf and -inf (by default with 0 and the dtype's largest/lowest value)."""
    check_tensor("nan_to_num", input)
    if not input.is_floating_point():
        return run(T.COPY, (input,), out=out, dtypes=(input.dtype, input.dtype))
    info = dt.finfo(input.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    return _run_params(T.NAN_TO_NUM, (input,), (nan, posinf, neginf), out)


# -- comparisons --------------------------------------------------------------------------
eq = _binary(T.EQ, "input == other, elementwise.")
ne = _binary(T.NE, "input != other, elementwise.")
lt = _binary(T.LT, "input < other, elementwise.")
le = _binary(T.LE, "input <= other, elementwise.")
gt = _binary(T.GT, "input > other, elementwise.")
ge = _binary(T.GE, "input >= other, elementwise.")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def where(condition: Tensor, input: Optional[TensorOrNumber] = None,
          other: Optional[TensorOrNumber] = None) -> Tensor:
    """input where condition is True, other elsewhere (broadcasting all three)."""
    check_tensor("where", condition, "condition")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition.dtype not in (dt.bool, dt.uint8):
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {torch_type_name(condition.dtype)}")
    operands = as_operands("where", (input, other))
    result = dt.result_dtype(operands)
    return run(T.WHERE, (condition, *operands), dtypes=(result, result))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: builtins.bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise (a bool tensor)."""
    check_tensor("isclose", input)
    check_tensor("isclose", other, "other", 2)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{torch_type_name(input.dtype)} did not match "
                           f"{torch_type_name(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    op = T.ISCLOSE_NAN if equal_nan and input.is_floating_point() else T.ISCLOSE
    return _run_params(op, (input, other), (rtol, atol), None, "isclose")


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: builtins.bool = False) -> builtins.bool:
    """Whether isclose() holds everywhere (waits for the device)."""
    return builtins.bool(np.all(isclose(input, other, rtol, atol, equal_nan)._host()))


def equal(input: Tensor, other: Tensor) -> builtins.bool:
    """True if both have the same shape and elements (waits for the device)."""
    check_tensor("equal", input)
    check_tensor("equal", other, "other", 2)
    if input._shape != other._shape:
        return False
    return builtins.bool(np.all(eq(input, other)._host()))


# -- Tensor methods and in-place forms ------------------------------------------------------
def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _inplace(fn, name: Optional[str] = None):
    def method(self, *args, **kwargs):
        return fn(self, *args, out=self, **kwargs)
    method.__name__ = name or fn.__name__ + "_"
    method.__doc__ = f"In-place form of {fn.__name__}()."
    return method


# Functions that are Tensor methods with an in-place `_` form.
_WITH_INPLACE = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div,
    "divide": div, "true_divide": true_divide, "floor_divide": floor_divide,
    "remainder": remainder, "fmod": fmod, "pow": pow, "neg": neg, "negative": neg,
    "abs": abs, "absolute": abs, "sign": sign, "sqrt": sqrt, "rsqrt": rsqrt, "square": square,
    "reciprocal": reciprocal, "exp": exp, "exp2": exp2, "expm1": expm1, "log": log,
    "log2": log2, "log10": log10, "log1p": log1p, "sin": sin, "cos": cos, "tan": tan,
    "asin": asin, "acos": acos, "atan": atan, "arcsin": asin, "arccos": acos, "arctan": atan,
    "atan2": atan2, "arctan2": atan2, "sinh": sinh, "cosh": cosh, "tanh": tanh,
    "asinh": asinh, "acosh": acosh, "atanh": atanh, "arcsinh": asinh, "arccosh": acosh,
    "arctanh": atanh, "sigmoid": sigmoid, "logit": logit, "erf": erf, "erfc": erfc,
    "erfinv": erfinv, "floor": floor, "ceil": ceil, "round": round, "trunc": trunc,
    "fix": trunc, "frac": frac, "clamp": clamp, "clip": clip, "clamp_min": clamp_min,
    "clamp_max": clamp_max, "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv,
    "hypot": hypot, "nan_to_num": nan_to_num, "copysign": copysign, "nextafter": nextafter,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not, "eq": eq, "ne": ne, "lt": lt,
    "le": le, "gt": gt, "ge": ge, "greater": gt, "greater_equal": ge, "less": lt,
    "less_equal": le, "not_equal": ne,
}
_METHOD_ONLY = {
    "positive": positive, "maximum": maximum, "minimum": minimum, "fmax": fmax, "fmin": fmin,
    "isnan": isnan, "isinf": isinf, "isposinf": isposinf, "isneginf": isneginf,
    "isfinite": isfinite, "isreal": isreal, "signbit": signbit, "isclose": isclose,
    "allclose": allclose, "equal": equal, "rsub": rsub,
}
for _name, _fn in _WITH_INPLACE.items():
    register(_name)(_method(_fn))
    register(_name + "_")(_inplace(_fn, _name + "_"))
for _name, _fn in _METHOD_ONLY.items():
    register(_name)(_method(_fn))


@register("where")
def _tensor_where(self, condition: Tensor, y: TensorOrNumber) -> Tensor:
    """self where condition is True, y elsewhere."""
    return where(condition, self, y)


# -- Python operators ---------------------------------------------------------------------
def _is_operand(x) -> builtins.bool:
    return isinstance(x, (Tensor, builtins.int, builtins.float, np.number, np.bool_))


def _comparison(op):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        return run(op, (self, other))
    return method


def _invert(self) -> Tensor:
    if self.is_floating_point():
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return run(T.BITWISE_NOT, (self,))


register("__add__", "__radd__")(lambda self, other: run(T.ADD, (self, other)))
register("__sub__")(lambda self, other: sub(self, other))
register("__rsub__")(lambda self, other: rsub(self, other))
register("__mul__", "__rmul__")(lambda self, other: run(T.MUL, (self, other)))
register("__truediv__")(lambda self, other: run(T.DIV, (self, other)))


@register("__rtruediv__")
def _rtruediv(self, other):
    if needs_grad(self):
        # PyTorch's number / tensor is reciprocal(tensor) * number (MulBackward0 on top).
        return run(T.MUL, (run(T.RECIPROCAL, (self,)), other))
    return run(T.DIV, (other, self))


register("__floordiv__")(lambda self, other: run(T.DIV_FLOOR, (self, other)))
register("__rfloordiv__")(lambda self, other: run(T.DIV_FLOOR, (other, self)))
register("__mod__")(lambda self, other: run(T.REMAINDER, (self, other)))
register("__rmod__")(lambda self, other: run(T.REMAINDER, (other, self)))
register("__pow__")(lambda self, other: pow(self, other))
register("__rpow__")(lambda self, other: pow(other, self))
register("__and__", "__rand__")(lambda self, other: run(T.BITWISE_AND, (self, other)))
register("__or__", "__ror__")(lambda self, other: run(T.BITWISE_OR, (self, other)))
register("__xor__", "__rxor__")(lambda self, other: run(T.BITWISE_XOR, (self, other)))
register("__invert__")(_invert)
register("__neg__")(lambda self: neg(self))
register("__pos__")(lambda self: positive(self))
register("__abs__")(lambda self: run(T.ABS, (self,)))
register("__eq__")(_comparison(T.EQ))
register("__ne__")(_comparison(T.NE))
register("__lt__")(_comparison(T.LT))
register("__le__")(_comparison(T.LE))
register("__gt__")(_comparison(T.GT))
register("__ge__")(_comparison(T.GE))
register("__iadd__")(lambda self, other: add(self, other, out=self))
register("__isub__")(lambda self, other: sub(self, other, out=self))
register("__imul__")(lambda self, other: run(T.MUL, (self, other), out=self))
register("__itruediv__")(lambda self, other: run(T.DIV, (self, other), out=self))
register("__ifloordiv__")(lambda self, other: run(T.DIV_FLOOR, (self, other), out=self))
register("__imod__")(lambda self, other: run(T.REMAINDER, (self, other), out=self))
register("__ipow__")(lambda self, other: pow(self, other, out=self))
register("__iand__")(lambda self, other: run(T.BITWISE_AND, (self, other), out=self))
register("__ior__")(lambda self, other: run(T.BITWISE_OR, (self, other), out=self))
register("__ixor__")(lambda self, other: run(T.BITWISE_XOR, (self, other), out=self))
