"""Activation functions (torch.nn.functional's), each one kernel and one autograd node.

Activations PyTorch records as a single node (ReluBackward0, GeluBackward0, ...) are
pointwise primitives declared here like the op table's, with PyTorch's node names and
gradient formulas (derivatives.yaml) written with Tensor ops, so double backward works.
softmax / log_softmax are ops.fused.softmax: one fused kernel per direction.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from ..._checks import not_tensor
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.graph import needs_grad, record
from ...ops import npmath
from ...ops.fused import softmax as _fused_softmax
from ...ops.pointwise_dispatch import run
from ...ops.pointwise_spec import OUT, Derivative, PointwiseOp

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_",
           "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "sigmoid", "tanh",
           "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "softplus", "softsign",
           "threshold", "threshold_", "logsigmoid", "tanhshrink", "hardshrink", "softshrink",
           "glu", "softmax", "log_softmax", "softmin"]

_FLOAT = ("float",)
_NUMERIC = ("int", "float")
_SQRT1_2 = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _op(name: str, arity: int, cl, numpy, accepts=_FLOAT, helpers=()) -> PointwiseOp:
    return PointwiseOp(name, arity, cl, numpy, accepts=accepts, helpers=helpers)


def _where(cond, a, b):
    from ...ops.pointwise import where
    return where(cond, a, b)


def _sig(v):
    return v.sigmoid()


def _stable_softplus_np(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


_INT_OF_SIZE = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}


def _kept(x: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """x where keep, else 0: np.where's result bit for bit (NaN and -0.0 kept as they are,
    +0 elsewhere) by masking x's bits, which is branch-free: np.where ran 5-6 ms over
    LeNet's first activation (1.4M floats, a random mask), this about 1 ms."""
    bits = _INT_OF_SIZE.get(x.dtype.itemsize)
    if bits is None or x.dtype.kind not in "fiu":
        return np.where(keep, x, 0).astype(x.dtype, copy=False)
    mask = -keep.view(np.int8).astype(bits)  # all ones where kept
    return (x.view(bits) & mask).view(x.dtype)


# -- primitives: (name, arity, OpenCL C over a, b, c, d, numpy form) -----------------------
# The numpy forms keep a's dtype without a copy when the expression already has it (astype's
# default copy was one more pass over every activation on the cpu device).
RELU = _op("relu", 1, {"int": "(a < 0 ? 0 : a)", "float": "(a < 0 ? ({T})0 : a)"},
           lambda a: _kept(a, ~(a < 0)), _NUMERIC)
HARDTANH = _op("hardtanh", 3, {"int": "(a < b ? b : (a > c ? c : a))",
                               "float": "(a < b ? b : (a > c ? c : a))"},
               lambda a, b, c: np.where(a < b, b, np.where(a > c, c, a))
               .astype(a.dtype, copy=False),
               _NUMERIC)
THRESHOLD = _op("threshold", 3, "(a <= b ? c : a)",
                lambda a, b, c: np.where(a <= b, c, a).astype(a.dtype, copy=False), _NUMERIC)
LEAKY_RELU = _op("leaky_relu", 2, "(a > 0 ? a : a * b)",
                 lambda a, b: np.where(a > 0, a, a * b).astype(a.dtype, copy=False))
# elu(x; alpha, scale, input_scale) = scale * (x > 0 ? x : alpha * (exp(x * input_scale) - 1))
ELU = _op("elu", 4, "(a > 0 ? a * c : c * b * (exp(a * d) - ({T})1))",
          lambda a, b, c, d: np.where(a > 0, a * c, c * b * np.expm1(a * d))
          .astype(a.dtype, copy=False))
GELU = _op("gelu", 1, "(a * ({T})0.5 * (({T})1 + erf(a * ({T})%r)))" % _SQRT1_2,
           lambda a: (a * 0.5 * (1 + npmath.erf(a * _SQRT1_2))).astype(a.dtype, copy=False))
GELU_TANH = _op("gelu_tanh", 1,
                "(({T})0.5 * a * (({T})1 + tanh(({T})%r * (a + ({T})0.044715 * a * a * a))))"
                % _SQRT_2_OVER_PI,
                lambda a: (0.5 * a * (1 + np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a ** 3))))
                .astype(a.dtype, copy=False))
SILU = _op("silu", 1, "(a / (({T})1 + exp(-a)))",
           lambda a: (a / (1 + np.exp(-a))).astype(a.dtype, copy=False))
MISH = _op("mish", 1, "(a * tanh(a > ({T})20 ? a : log1p(exp(a))))",
           lambda a: (a * np.tanh(np.where(a > 20, a, np.log1p(np.exp(np.minimum(a, 20))))))
           .astype(a.dtype, copy=False))
HARDSIGMOID = _op("hardsigmoid", 1, "(a <= ({T})-3 ? ({T})0 : (a >= ({T})3 ? ({T})1 : "
                  "a / ({T})6 + ({T})0.5))",
                  lambda a: np.clip(a / 6 + 0.5, 0, 1).astype(a.dtype, copy=False))
HARDSWISH = _op("hardswish", 1, "(a <= ({T})-3 ? ({T})0 : (a >= ({T})3 ? a : "
                "a * (a + ({T})3) / ({T})6))",
                lambda a: (a * np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False))
# softplus(x; beta, threshold): x where x * beta > threshold (linear regime)
SOFTPLUS = _op("softplus", 3, "(a * b > c ? a : log1p(exp(a * b)) / b)",
               lambda a, b, c: np.where(a * b > c, a,
                                        np.log1p(np.exp(np.minimum(a * b, c))) / b)
               .astype(a.dtype, copy=False))
LOGSIGMOID = _op("logsigmoid", 1, "(fmin(a, ({T})0) - log1p(exp(-fabs(a))))",
                 lambda a: (np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a))))
                 .astype(a.dtype, copy=False))
HARDSHRINK = _op("hardshrink", 2, "((a >= -b && a <= b) ? ({T})0 : a)",
                 lambda a, b: np.where((a >= -b) & (a <= b), 0, a).astype(a.dtype, copy=False))
# The backward of relu (s: its result) and of threshold (s: its input), one kernel:
# threshold_backward(g, s, threshold) = g where s > threshold, else 0 (NaN s passes g, as in
# PyTorch).
THRESHOLD_BACKWARD = _op("threshold_backward", 3, "(b <= c ? ({T})0 : a)",
                         lambda a, b, c: _kept(a, ~(b <= c)),
                         _NUMERIC)
SOFTSHRINK = _op("softshrink", 2, "(a > b ? a - b : (a < -b ? a + b : ({T})0))",
                 lambda a, b: np.where(a > b, a - b, np.where(a < -b, a + b, 0))
                 .astype(a.dtype, copy=False))


def _grad(op: PointwiseOp, node: str, rule, saves=None) -> None:
    op.grad = Derivative(node, rule, (0,), saves=saves or {0: (0,)})


def _threshold_backward(g, s, threshold):
    return run(THRESHOLD_BACKWARD, (g, s, threshold), dtypes=(g.dtype, g.dtype))


def _threshold_backward_rule(gg, x, r, need):
    """ThresholdBackwardBackward0: linear in the gradient, constant in s."""
    from ...ops.creation import zeros_like
    return (_threshold_backward(gg, x[1], x[2]),
            zeros_like(x[1]) if need[1] else None)


THRESHOLD_BACKWARD.grad = Derivative("ThresholdBackwardBackward0", _threshold_backward_rule,
                                     (0, 1), saves={1: (0,)})
_grad(RELU, "ReluBackward0", lambda g, x, r, need: (_threshold_backward(g, r(), 0.0),),
      {OUT: (0,)})
_grad(HARDTANH, "HardtanhBackward0",
      lambda g, x, r, need: (_where((x[0] > x[1]) & (x[0] < x[2]), g, 0.0),))
_grad(THRESHOLD, "ThresholdBackward0",
      lambda g, x, r, need: (_threshold_backward(g, x[0], x[1]),))
_grad(LEAKY_RELU, "LeakyReluBackward0",
      lambda g, x, r, need: (_where(x[0] > 0, g, g * x[1]),))


def _elu_rule(g, x, r, need):
    a, alpha, scale, input_scale = x
    neg = g * (input_scale * alpha * scale) * (a * input_scale).exp()
    return (_where(a > 0, g * scale, neg),)


_grad(ELU, "EluBackward0", _elu_rule)
_CELU = Derivative("CeluBackward0", _elu_rule, (0,), saves={0: (0,)})


def _gelu_rule(g, x, r, need):
    a = x[0]
    cdf = ((a * _SQRT1_2).erf() + 1) * 0.5
    pdf = (a * a * -0.5).exp() * _INV_SQRT_2PI
    return (g * (cdf + a * pdf),)


def _gelu_tanh_rule(g, x, r, need):
    a = x[0]
    inner = (a + a * a * a * 0.044715) * _SQRT_2_OVER_PI
    t = inner.tanh()
    d_inner = (a * a * (3 * 0.044715) + 1) * _SQRT_2_OVER_PI
    return (g * ((t + 1) * 0.5 + a * 0.5 * (1 - t * t) * d_inner),)


GELU.grad = Derivative("GeluBackward0", _gelu_rule, (0,), saves={0: (0,)})
GELU_TANH.grad = Derivative("GeluBackward0", _gelu_tanh_rule, (0,), saves={0: (0,)})


def _silu_rule(g, x, r, need):
    s = _sig(x[0])
    return (g * s * (1 + x[0] * (1 - s)),)


def _mish_rule(g, x, r, need):
    a = x[0]
    tsp = softplus(a).tanh()
    return (g * (tsp + a * _sig(a) * (1 - tsp * tsp)),)


_grad(SILU, "SiluBackward0", _silu_rule)
_grad(MISH, "MishBackward0", _mish_rule)
_grad(HARDSIGMOID, "HardsigmoidBackward0",
      lambda g, x, r, need: (_where((x[0] > -3) & (x[0] < 3), g / 6, 0.0),))
_grad(HARDSWISH, "HardswishBackward0",
      lambda g, x, r, need: (_where(x[0] < -3, 0.0,
                                    _where(x[0] <= 3, g * (x[0] / 3 + 0.5), g)),))


def _softplus_rule(g, x, r, need):
    a, beta, threshold_ = x
    z = (a * beta).exp()
    return (_where(a * beta > threshold_, g, g * z / (z + 1)),)


_grad(SOFTPLUS, "SoftplusBackward0", _softplus_rule)
_grad(LOGSIGMOID, "LogSigmoidBackward0", lambda g, x, r, need: (g * _sig(-x[0]),))
_grad(HARDSHRINK, "HardshrinkBackward0",
      lambda g, x, r, need: (_where((x[0] >= -x[1]) & (x[0] <= x[1]), 0.0, g),))
_grad(SOFTSHRINK, "SoftshrinkBackward0",
      lambda g, x, r, need: (_where((x[0] >= -x[1]) & (x[0] <= x[1]), 0.0, g),))


# -- running a primitive ------------------------------------------------------------------
def _check(fn: str, input) -> None:
    if not isinstance(input, Tensor):
        raise not_tensor(fn, input)


def _apply(op: PointwiseOp, input: Tensor, *params, inplace: bool = False,
           grad: Optional[Derivative] = None) -> Tensor:
    """op(input, *params): params are scalars cast to the compute dtype (no promotion)."""
    _check(op.name, input)
    out = input if inplace else None
    if input.dtype.is_floating_point:
        return run(op, (input, *(float(p) for p in params)), out=out, grad=grad)
    compute, result = op.dtypes(input.dtype)
    cast = tuple(np.array(p).astype(compute.np).item() for p in params)
    return run(op, (input, *cast), out=out, dtypes=(compute, result), grad=grad)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x) elementwise."""
    return _apply(RELU, input, inplace=inplace)


def relu_(input: Tensor) -> Tensor:
    return _apply(RELU, input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply(HARDTANH, input, min_val, max_val, inplace=inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6) (recorded as HardtanhBackward0, as in PyTorch)."""
    return _apply(HARDTANH, input, 0.0, 6.0, inplace=inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    return _apply(THRESHOLD, input, threshold, value, inplace=inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _apply(THRESHOLD, input, threshold, value, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return _apply(LEAKY_RELU, input, negative_slope, inplace=inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _apply(LEAKY_RELU, input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return _apply(ELU, input, alpha, 1.0, 1.0, inplace=inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return _apply(ELU, input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace=inplace)


def selu_(input: Tensor) -> Tensor:
    return selu(input, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _apply(ELU, input, alpha, 1.0, 1.0 / alpha, inplace=inplace, grad=_CELU)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), exact (erf) or with the tanh approximation."""
    if approximate == "none":
        return _apply(GELU, input)
    if approximate == "tanh":
        return _apply(GELU_TANH, input)
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _apply(SILU, input, inplace=inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _apply(MISH, input, inplace=inplace)


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _apply(HARDSIGMOID, input, inplace=inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _apply(HARDSWISH, input, inplace=inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""
    return _apply(SOFTPLUS, input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed stably."""
    return _apply(LOGSIGMOID, input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _apply(HARDSHRINK, input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _apply(SOFTSHRINK, input, lambd)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|) (a composite in PyTorch too: DivBackward0)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), a and b the halves of input along dim."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension "
                           f"{dim % input.dim()} is size {input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x; weight has 1 or C (= input.shape[1]) elements."""
    _check("prelu", input)
    n = weight.numel()
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {n} and channel size = {channels}.")
    if n != 1 and input.dim() >= 2:
        w = weight.reshape((1, n) + (1,) * (input.dim() - 2))
    else:
        w = weight.reshape(()) if weight.dim() else weight
    with no_grad():
        out = _where(input > 0, input, input * w)
    if needs_grad(input, weight):
        x, wd = input.detach(), w.detach()

        def rule(g):
            gx = _where(x > 0, g, g * wd) if input.requires_grad else None
            gw = None
            if weight.requires_grad:
                gw = _where(x > 0, 0.0, g * x)
                if n == 1:
                    gw = gw.sum()
                elif gw.dim() > 2 or gw.dim() == 2:
                    gw = gw.sum(tuple(d for d in range(gw.dim()) if d != 1))
                gw = gw.reshape(weight._shape)
            return gx, gw

        record("PreluKernelBackward0", out, (input, weight), rule, saved=(input, weight))
    return out


# -- softmax family -----------------------------------------------------------------------
def _softmax_dim(ndim: int) -> int:
    # PyTorch's legacy implicit choice, with its warning
    import warnings
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(fn: str, input: Tensor, dim, dtype) -> tuple:
    _check(fn, input)
    if dim is None:
        dim = _softmax_dim(input.dim())
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        from ..._typenames import scalar_name
        name = scalar_name(input.dtype)
        raise RuntimeError(f'"{fn}_lastdim_kernel_impl" not implemented for \'{name}\'')
    return input, dim


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim (one fused, numerically stable kernel)."""
    input, dim = _softmax_input("softmax", input, dim, dtype)
    return _fused_softmax(input, dim, False)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """x - logsumexp(x) along dim (one fused kernel)."""
    input, dim = _softmax_input("log_softmax", input, dim, dtype)
    return _fused_softmax(input, dim, True)


def softmin(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(-x) along dim."""
    input, dim = _softmax_input("softmax", input, dim, dtype)
    return _fused_softmax(-input, dim, False)
