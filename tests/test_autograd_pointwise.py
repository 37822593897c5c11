"""Gradients of every differentiable elementwise op: gradcheck in float64 on every device,
double backward, PyTorch's node names, in-place forms and the version counter."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from clgrad.autograd import gradcheck, gradgradcheck

from helpers import device_supports_fp64, skip_without_fp64

BINARY = [(2, 3), (3,)]        # broadcast: the engine sums the second gradient back
BROADCAST2 = [(2, 1), (1, 3)]
UNARY = [(2, 3)]


def _pos(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _signed(lo, hi):
    """Values of magnitude in [lo, hi] with random signs (away from kinks at 0)."""
    return lambda rng, shape: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


ANY = _pos(-1.5, 1.5)
POS = _pos(0.5, 2.0)
UNIT = _pos(-0.8, 0.8)
PROB = _pos(0.2, 0.8)
FRACTION = _pos(0.1, 0.4)  # away from integers and halves: rounding stays constant

# name, fn(M, *tensors) for M in (clgrad, torch), input shapes, domain of each input.
# Every differentiable pointwise op of API §2 has a line; so do their forms (Scalar overloads,
# alpha, value, decimals, eps) and the broadcasting of each operand.
OPS = [
    ("add", lambda M, a, b: a + b, BINARY, [ANY, ANY]),
    ("add_alpha", lambda M, a, b: M.add(a, b, alpha=2.5), BROADCAST2, [ANY, ANY]),
    ("add_scalar", lambda M, a: a + 1.5, UNARY, [ANY]),
    ("sub", lambda M, a, b: a - b, BINARY, [ANY, ANY]),
    ("sub_alpha", lambda M, a, b: M.sub(a, b, alpha=-0.5), BINARY, [ANY, ANY]),
    ("rsub", lambda M, a, b: M.rsub(a, b, alpha=2), BINARY, [ANY, ANY]),
    ("rsub_scalar", lambda M, a: 1 - a, UNARY, [ANY]),
    ("mul", lambda M, a, b: a * b, BINARY, [ANY, ANY]),
    ("mul_scalar", lambda M, a: 2.5 * a, UNARY, [ANY]),
    ("div", lambda M, a, b: a / b, BROADCAST2, [ANY, POS]),
    ("div_scalar", lambda M, a: a / 4.0, UNARY, [ANY]),
    ("rdiv_scalar", lambda M, a: 2 / a, UNARY, [POS]),
    ("div_trunc", lambda M, a, b: M.div(a, b, rounding_mode="trunc"), BINARY,
     [_pos(1.1, 1.4), POS]),
    ("div_floor", lambda M, a, b: M.div(a, b, rounding_mode="floor"), BINARY,
     [_pos(1.1, 1.4), _pos(1.6, 2.0)]),
    ("remainder", lambda M, a, b: M.remainder(a, b), BINARY, [_pos(2.2, 2.8), _pos(1.6, 2.0)]),
    ("remainder_scalar", lambda M, a: M.remainder(a, 1.5), UNARY, [_pos(0.1, 1.4)]),
    ("fmod", lambda M, a, b: M.fmod(a, b), BINARY, [_signed(2.2, 2.8), _pos(1.6, 2.0)]),
    ("fmod_scalar", lambda M, a: M.fmod(a, 1.5), UNARY, [_signed(0.1, 1.4)]),
    ("pow", lambda M, a, b: a.pow(b), BINARY, [POS, ANY]),
    ("pow_scalar", lambda M, a: a ** 3, UNARY, [ANY]),
    ("pow_fractional", lambda M, a: a ** 2.5, UNARY, [POS]),
    ("pow_zero", lambda M, a: a ** 0, UNARY, [ANY]),
    ("rpow_scalar", lambda M, a: 2 ** a, UNARY, [ANY]),
    ("neg", lambda M, a: -a, UNARY, [ANY]),
    ("abs", lambda M, a: a.abs(), UNARY, [_signed(0.2, 1.5)]),
    ("sign", lambda M, a: a.sign(), UNARY, [_signed(0.2, 1.5)]),
    ("sqrt", lambda M, a: a.sqrt(), UNARY, [POS]),
    ("rsqrt", lambda M, a: a.rsqrt(), UNARY, [POS]),
    ("square", lambda M, a: a.square(), UNARY, [ANY]),
    ("reciprocal", lambda M, a: a.reciprocal(), UNARY, [POS]),
    ("exp", lambda M, a: a.exp(), UNARY, [ANY]),
    ("exp2", lambda M, a: a.exp2(), UNARY, [ANY]),
    ("expm1", lambda M, a: a.expm1(), UNARY, [ANY]),
    ("log", lambda M, a: a.log(), UNARY, [POS]),
    ("log2", lambda M, a: a.log2(), UNARY, [POS]),
    ("log10", lambda M, a: a.log10(), UNARY, [POS]),
    ("log1p", lambda M, a: a.log1p(), UNARY, [POS]),
    ("sigmoid", lambda M, a: a.sigmoid(), UNARY, [ANY]),
    ("logit", lambda M, a: a.logit(), UNARY, [PROB]),
    ("logit_eps", lambda M, a: a.logit(0.1), UNARY, [_pos(0.05, 0.95)]),
    ("sin", lambda M, a: a.sin(), UNARY, [ANY]),
    ("cos", lambda M, a: a.cos(), UNARY, [ANY]),
    ("tan", lambda M, a: a.tan(), UNARY, [UNIT]),
    ("asin", lambda M, a: a.asin(), UNARY, [UNIT]),
    ("acos", lambda M, a: a.acos(), UNARY, [UNIT]),
    ("atan", lambda M, a: a.atan(), UNARY, [ANY]),
    ("sinh", lambda M, a: a.sinh(), UNARY, [ANY]),
    ("cosh", lambda M, a: a.cosh(), UNARY, [ANY]),
    ("tanh", lambda M, a: a.tanh(), UNARY, [ANY]),
    ("asinh", lambda M, a: a.asinh(), UNARY, [ANY]),
    ("acosh", lambda M, a: a.acosh(), UNARY, [_pos(1.2, 3.0)]),
    ("atanh", lambda M, a: a.atanh(), UNARY, [UNIT]),
    ("atan2", lambda M, a, b: M.atan2(a, b), BINARY, [_signed(0.2, 1.5), _signed(0.2, 1.5)]),
    ("hypot", lambda M, a, b: M.hypot(a, b), BINARY, [_signed(0.2, 1.5), _signed(0.2, 1.5)]),
    ("copysign", lambda M, a, b: M.copysign(a, b), BINARY,
     [_signed(0.2, 1.5), _signed(0.2, 1.5)]),
    ("copysign_scalar", lambda M, a: M.copysign(a, -1.0), UNARY, [_signed(0.2, 1.5)]),
    ("erf", lambda M, a: a.erf(), UNARY, [ANY]),
    ("erfc", lambda M, a: a.erfc(), UNARY, [ANY]),
    ("erfinv", lambda M, a: a.erfinv(), UNARY, [UNIT]),
    ("floor", lambda M, a: a.floor(), UNARY, [FRACTION]),
    ("ceil", lambda M, a: a.ceil(), UNARY, [FRACTION]),
    ("trunc", lambda M, a: a.trunc(), UNARY, [FRACTION]),
    ("round", lambda M, a: a.round(), UNARY, [FRACTION]),
    ("round_decimals", lambda M, a: a.round(decimals=1), UNARY, [_pos(0.11, 0.14)]),
    ("frac", lambda M, a: a.frac(), UNARY, [_pos(1.1, 1.9)]),
    ("clamp", lambda M, a: a.clamp(-0.5, 0.5), UNARY, [ANY]),
    ("clamp_min", lambda M, a: a.clamp(min=0.2), UNARY, [ANY]),
    ("clamp_max", lambda M, a: a.clamp(max=0.2), UNARY, [ANY]),
    ("clamp_tensors", lambda M, a, lo, hi: a.clamp(lo, hi), [(2, 3), (3,), (2, 1)],
     [ANY, _pos(-1.0, -0.3), _pos(0.3, 1.0)]),
    ("clamp_min_tensor", lambda M, a, lo: a.clamp(min=lo), BINARY, [ANY, ANY]),
    ("clamp_max_tensor", lambda M, a, hi: a.clamp(max=hi), BINARY, [ANY, ANY]),
    ("clamp_min_fn", lambda M, a: M.clamp_min(a, 0.1), UNARY, [ANY]),
    ("clamp_min_fn_tensor", lambda M, a, b: M.clamp_min(a, b), BINARY, [ANY, ANY]),
    ("clamp_max_fn", lambda M, a: M.clamp_max(a, 0.1), UNARY, [ANY]),
    ("clamp_max_fn_tensor", lambda M, a, b: M.clamp_max(a, b), BINARY, [ANY, ANY]),
    ("maximum", lambda M, a, b: M.maximum(a, b), BINARY, [ANY, ANY]),
    ("minimum", lambda M, a, b: M.minimum(a, b), BINARY, [ANY, ANY]),
    ("fmax", lambda M, a, b: M.fmax(a, b), BINARY, [ANY, ANY]),
    ("fmin", lambda M, a, b: M.fmin(a, b), BINARY, [ANY, ANY]),
    ("lerp", lambda M, a, b: M.lerp(a, b, 0.3), BINARY, [ANY, ANY]),
    ("lerp_tensor", lambda M, a, b, w: M.lerp(a, b, w), [(2, 3), (3,), (2, 1)],
     [ANY, ANY, PROB]),
    ("addcmul", lambda M, a, b, c: M.addcmul(a, b, c, value=-2), [(3,), (2, 3), (2, 1)],
     [ANY, ANY, ANY]),
    ("addcdiv", lambda M, a, b, c: M.addcdiv(a, b, c, value=0.5), [(2, 3), (3,), (2, 1)],
     [ANY, ANY, POS]),
    ("nan_to_num", lambda M, a: a.nan_to_num(), UNARY, [ANY]),
    ("where", lambda M, a, b: M.where(a > 0, a, b), BINARY, [ANY, ANY]),
    ("where_scalar", lambda M, a: M.where(a > 0, a, 0.5), UNARY, [ANY]),
    # In-place forms: the node rebases the history of a non-leaf.
    ("add_", lambda M, a, b: (a * 1).add_(b, alpha=2), BINARY, [ANY, ANY]),
    ("mul_", lambda M, a, b: (a * 1).mul_(b), BINARY, [ANY, ANY]),
    ("div_", lambda M, a, b: (a * 1).div_(b), BINARY, [ANY, POS]),
    ("pow_", lambda M, a: (a * 1).pow_(2), UNARY, [ANY]),
    ("sigmoid_", lambda M, a: (a * 1).sigmoid_(), UNARY, [ANY]),
    ("clamp_", lambda M, a: (a * 1).clamp_(min=0.0), UNARY, [ANY]),
    ("imul_self", lambda M, a: _imul_self(a), UNARY, [ANY]),
]
# Not in the table, with the reason:
# - floor_divide / `//` and number % tensor: PyTorch records a NotImplemented node whose
#   backward raises (tested below), so there is no gradient to check.
# - positive / unary +: returns its input (no node), as PyTorch does.
# - comparisons, logical, bitwise, isnan & co, signbit, isclose: bool results, never tracked.


def _imul_self(a):
    y = a * 1
    y *= y
    return y


def _inputs(device, shapes, domains, seed=0):
    rng = np.random.default_rng(seed)
    return [clgrad.tensor(domain(rng, shape), dtype=clgrad.float64, device=device,
                          requires_grad=True) for shape, domain in zip(shapes, domains)]


def _need_fp64(device):
    skip_without_fp64(device)


@pytest.mark.parametrize("name, fn, shapes, domains", OPS, ids=[op[0] for op in OPS])
def test_gradcheck(device, name, fn, shapes, domains):
    _need_fp64(device)
    inputs = _inputs(device, shapes, domains)
    assert gradcheck(lambda *xs: fn(clgrad, *xs), inputs)


GRADGRAD = ["mul", "div", "pow", "pow_scalar", "rpow_scalar", "exp", "tanh", "sigmoid",
            "where", "clamp", "clamp_tensors", "maximum", "sqrt", "mul_"]


@pytest.mark.parametrize("name", GRADGRAD)
def test_double_backward(device, name):
    _need_fp64(device)
    _, fn, shapes, domains = next(op for op in OPS if op[0] == name)
    assert gradgradcheck(lambda *xs: fn(clgrad, *xs), _inputs(device, shapes, domains))


def test_double_backward_records_only_under_create_graph(device):
    x = clgrad.tensor([0.5, 1.5], device=device, requires_grad=True)
    (g,) = clgrad.autograd.grad(x.exp().sum(), x)
    assert not g.requires_grad
    (g,) = clgrad.autograd.grad(x.exp().sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None


# The node names PyTorch 2 prints for each form (type(y.grad_fn).__name__), and which inputs
# get an edge (None: an empty edge for a number or an absent argument).
NAMES = [
    ("a + b", "AddBackward0", "ab"), ("a + 1", "AddBackward0", "a_"),
    ("1 + a", "AddBackward0", "a_"), ("clgrad.add(a, b, alpha=2)", "AddBackward0", "ab"),
    ("a - b", "SubBackward0", "ab"), ("a - 1", "SubBackward0", "a_"),
    ("1 - a", "RsubBackward1", "a"), ("clgrad.rsub(a, b)", "RsubBackward0", "ab"),
    ("clgrad.sub(2, a)", "SubBackward0", "_a"),
    ("a * b", "MulBackward0", "ab"), ("a * 2", "MulBackward0", "a_"),
    ("2 * a", "MulBackward0", "a_"), ("a / b", "DivBackward0", "ab"),
    ("a / 2", "DivBackward0", "a_"), ("clgrad.div(2, a)", "DivBackward0", "_a"),
    ("2 / a", "MulBackward0", "R_"),
    ("clgrad.div(a, b, rounding_mode='trunc')", "DivBackward2", "ab"),
    ("clgrad.div(a, b, rounding_mode='floor')", "DivBackward2", "ab"),
    ("a // b", "NotImplemented", "ab"), ("a // 2", "NotImplemented", "a"),
    ("a % b", "RemainderBackward1", "ab"), ("a % 2", "RemainderBackward0", "a"),
    ("2 % a", "NotImplemented", "a"), ("clgrad.fmod(a, b)", "FmodBackward1", "ab"),
    ("clgrad.fmod(a, 2)", "FmodBackward0", "a"),
    ("a ** 2", "PowBackward0", "a"), ("a.pow(b)", "PowBackward1", "ab"),
    ("2 ** a", "PowBackward2", "a"), ("a.square()", "PowBackward0", "a"),
    ("-a", "NegBackward0", "a"), ("a.abs()", "AbsBackward0", "a"),
    ("abs(a)", "AbsBackward0", "a"), ("a.absolute()", "AbsBackward0", "a"),
    ("a.sign()", "SignBackward0", "a"), ("a.sqrt()", "SqrtBackward0", "a"),
    ("a.rsqrt()", "RsqrtBackward0", "a"), ("a.reciprocal()", "ReciprocalBackward0", "a"),
    ("a.exp()", "ExpBackward0", "a"), ("a.exp2()", "Exp2Backward0", "a"),
    ("a.expm1()", "Expm1Backward0", "a"), ("a.log()", "LogBackward0", "a"),
    ("a.log2()", "Log2Backward0", "a"), ("a.log10()", "Log10Backward0", "a"),
    ("a.log1p()", "Log1PBackward0", "a"), ("a.sigmoid()", "SigmoidBackward0", "a"),
    ("a.logit()", "LogitBackward0", "a"), ("a.logit(0.1)", "LogitBackward0", "a"),
    ("a.sin()", "SinBackward0", "a"), ("a.cos()", "CosBackward0", "a"),
    ("a.tan()", "TanBackward0", "a"), ("a.asin()", "AsinBackward0", "a"),
    ("a.acos()", "AcosBackward0", "a"), ("a.atan()", "AtanBackward0", "a"),
    ("a.arctan()", "AtanBackward0", "a"),
    ("a.sinh()", "SinhBackward0", "a"), ("a.cosh()", "CoshBackward0", "a"),
    ("a.tanh()", "TanhBackward0", "a"), ("a.asinh()", "AsinhBackward0", "a"),
    ("(a + 1).acosh()", "AcoshBackward0", "A"), ("a.atanh()", "AtanhBackward0", "a"),
    ("clgrad.atan2(a, b)", "Atan2Backward0", "ab"), ("clgrad.hypot(a, b)", "HypotBackward0", "ab"),
    ("clgrad.copysign(a, b)", "CopysignBackward0", "ab"),
    ("clgrad.copysign(a, -1.0)", "CopysignBackward1", "a"),
    ("a.erf()", "ErfBackward0", "a"), ("a.erfc()", "ErfcBackward0", "a"),
    ("a.erfinv()", "ErfinvBackward0", "a"), ("a.floor()", "FloorBackward0", "a"),
    ("a.ceil()", "CeilBackward0", "a"), ("a.trunc()", "TruncBackward0", "a"),
    ("a.fix()", "TruncBackward0", "a"), ("a.round()", "RoundBackward0", "a"),
    ("a.round(decimals=2)", "RoundBackward1", "a"), ("a.frac()", "FracBackward0", "a"),
    ("a.clamp(min=0)", "ClampBackward1", "a"), ("a.clamp(max=0)", "ClampBackward1", "a"),
    ("a.clamp(0, 1)", "ClampBackward1", "a"), ("a.clip(0, 1)", "ClampBackward1", "a"),
    ("a.clamp(min=b)", "ClampBackward0", "ab_"), ("a.clamp(max=b)", "ClampBackward0", "a_b"),
    ("a.clamp(b, c)", "ClampBackward0", "abc"),
    ("a.clamp_min(0.5)", "ClampMinBackward0", "a"), ("a.clamp_min(b)", "ClampMinBackward1", "ab"),
    ("a.clamp_max(0.5)", "ClampMaxBackward0", "a"), ("a.clamp_max(b)", "ClampMaxBackward1", "ab"),
    ("clgrad.maximum(a, b)", "MaximumBackward0", "ab"),
    ("clgrad.minimum(a, b)", "MinimumBackward0", "ab"),
    ("clgrad.fmax(a, b)", "FmaxBackward0", "ab"), ("clgrad.fmin(a, b)", "FminBackward0", "ab"),
    ("clgrad.lerp(a, b, 0.3)", "LerpBackward0", "ab"),
    ("clgrad.lerp(a, b, c)", "LerpBackward1", "abc"),
    ("clgrad.addcmul(a, b, c, value=2)", "AddcmulBackward0", "abc"),
    ("clgrad.addcdiv(a, b, c, value=2)", "AddcdivBackward0", "abc"),
    ("a.nan_to_num()", "NanToNumBackward0", "a"),
    ("clgrad.where(m, a, b)", "WhereBackward0", "ab"),
    ("clgrad.where(m, a, 0.0)", "WhereBackward0", "a_"),
    ("clgrad.where(m, 0.0, b)", "WhereBackward0", "_b"),
    ("a.where(m, b)", "WhereBackward0", "ab"),
    ("clgrad.true_divide(a, b)", "DivBackward0", "ab"),
    ("(a * 1).add_(b)", "AddBackward0", "Mb"), ("(a * 1).mul_(2)", "MulBackward0", "M_"),
    ("(a * 1).clamp_(min=0)", "ClampBackward1", "M"),
    ("(a * 1).sigmoid_()", "SigmoidBackward0", "M"), ("(a * 1).pow_(2)", "PowBackward0", "M"),
    ("(a * 1).floor_()", "FloorBackward0", "M"), ("(a * 1).square_()", "PowBackward0", "M"),
    ("(a * 1).sub_(1)", "SubBackward0", "M_"), ("(a * 1).lerp_(b, 0.5)", "LerpBackward0", "Mb"),
    ("(a * 1).fmod_(2)", "FmodBackward0", "M"),
    ("(a * 1).round_(decimals=1)", "RoundBackward1", "M"),
    ("(a * 1).addcmul_(b, c)", "AddcmulBackward0", "Mbc"),
]
# Edge letters: a/b/c the leaves (AccumulateGrad), _ an empty edge, R ReciprocalBackward0,
# A AddBackward0, M MulBackward0.
_EDGE = {"a": "AccumulateGrad", "b": "AccumulateGrad", "c": "AccumulateGrad", "_": None,
         "R": "ReciprocalBackward0", "A": "AddBackward0", "M": "MulBackward0"}


def _structure(y):
    return type(y.grad_fn).__name__, [type(n).__name__ if n is not None else None
                                      for n, _ in y.grad_fn.next_functions]


def _name_env(M, device=None):
    place = {} if device is None else {"device": device}
    kw = {"dtype": M.float64, "requires_grad": True, **place}
    return {"a": M.tensor([0.25, 0.5, 0.75], **kw), "b": M.tensor([0.5, 0.25, 0.6], **kw),
            "c": M.tensor([0.75, 0.9, 0.1], **kw), "m": M.tensor([True, False, True], **place),
            "clgrad": M}


@pytest.mark.parametrize("expr, node, edges", NAMES, ids=[n[0] for n in NAMES])
def test_node_names(device, expr, node, edges):
    env = _name_env(clgrad, device)
    if not device_supports_fp64(device):
        env.update({k: v.float().detach().requires_grad_() for k, v in env.items()
                    if k in "abc"})
    name, next_functions = _structure(eval(expr, {}, env))
    assert (name, next_functions) == (node, [_EDGE[e] for e in edges])


@pytest.mark.parametrize("expr", [n[0] for n in NAMES])
def test_node_names_match_torch(expr):
    torch = pytest.importorskip("torch")
    expected = _structure(eval(expr, {}, _name_env(torch)))
    assert _structure(eval(expr, {}, _name_env(clgrad))) == expected


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_gradients_match_torch_at_kinks():
    """PyTorch's conventions where the op is not differentiable (ties, bounds, zeros)."""
    torch = pytest.importorskip("torch")
    cases = [
        (lambda M, a, b: M.maximum(a, b), [[1.0, 2.0, 3.0, np.nan], [1.0, 3.0, 2.0, 1.0]]),
        (lambda M, a, b: M.minimum(a, b), [[1.0, 2.0, 3.0, np.nan], [1.0, 3.0, 2.0, 1.0]]),
        (lambda M, a, b: M.fmax(a, b), [[1.0, 2.0, np.nan, 1.0], [1.0, 3.0, 1.0, np.nan]]),
        (lambda M, a, b: M.fmin(a, b), [[1.0, 2.0, np.nan, 1.0], [1.0, 3.0, 1.0, np.nan]]),
        (lambda M, a: a.abs(), [[0.0, -1.0, 2.0]]),
        (lambda M, a: a.clamp(0, 1), [[0.0, 1.0, 0.5, -1.0, 2.0]]),
        (lambda M, a: a.clamp(1, 0), [[0.0, 1.0, 0.5, -1.0, 2.0]]),
        (lambda M, a, lo, hi: a.clamp(lo, hi),
         [[0.0, 1.0, 0.5, -1.0, 2.0], [0.0, 1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 1.0, 1.0, 1.0]]),
        (lambda M, a, lo: a.clamp_min(lo), [[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]),
        (lambda M, a, hi: a.clamp_max(hi), [[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]),
        (lambda M, a, b: M.hypot(a, b), [[0.0, 3.0], [0.0, 4.0]]),
        (lambda M, a, b: M.copysign(a, b), [[0.0, -1.0, 2.0, 0.0], [1.0, 1.0, -1.0, -0.0]]),
        (lambda M, a: a.sqrt(), [[0.0, 1.0]]),
        (lambda M, a: a ** 2, [[0.0, 1.0]]), (lambda M, a: a ** 0.5, [[0.0, 1.0]]),
        (lambda M, a: a ** 0, [[0.0, 1.0]]), (lambda M, a: a ** -1, [[0.0, 1.0]]),
        (lambda M, a, b: a ** b, [[0.0, 0.0, 0.0, -2.0, -2.0], [2.0, 0.0, -1.0, 0.0, 0.5]]),
        (lambda M, a: 0 ** a, [[0.0, 1.0, -1.0]]), (lambda M, a: (-2) ** a, [[0.0, 1.0]]),
        (lambda M, a, b: a % b, [[5.0, -5.0], [3.0, 3.0]]),
        (lambda M, a, b: M.fmod(a, b), [[5.0, -5.0], [3.0, 3.0]]),
        (lambda M, a: a.nan_to_num(), [[np.nan, np.inf, 1.0]]),
        (lambda M, a: a.logit(0.2), [[0.1, 0.5, 0.9, 0.2]]),
        (lambda M, a: a.logit(), [[-0.5, 0.5, 1.5]]),
        (lambda M, a, b: M.atan2(a, b), [[0.0], [0.0]]),
        (lambda M, a: a.sign() + a.floor() + a.round(), [[0.0, -1.5, 2.5]]),
    ]
    for fn, values in cases:
        grads = []
        for M in (clgrad, torch):
            xs = [M.tensor(v, dtype=M.float64, requires_grad=True) for v in values]
            fn(M, *xs).sum().backward()
            grads.append([np.asarray(x.grad.tolist()) for x in xs])
        for ours, theirs in zip(*grads):
            np.testing.assert_array_equal(ours, theirs, err_msg=str(values))


def test_gradients_match_torch_on_the_table():
    torch = pytest.importorskip("torch")
    for name, fn, shapes, domains in OPS:
        if name == "imul_self":
            continue  # PyTorch raises (y's saved value was modified); clgrad clones it
        xs = _inputs("cpu", shapes, domains, seed=3)
        ts = [torch.tensor(x.detach().numpy(), requires_grad=True) for x in xs]
        fn(clgrad, *xs).sum().backward()
        fn(torch, *ts).sum().backward()
        for x, t in zip(xs, ts):
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12,
                                       err_msg=name)


# -- in-place forms -----------------------------------------------------------------------
def test_inplace_refuses_leaves(device):
    x = clgrad.ones(3, device=device, requires_grad=True)
    for write in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.sigmoid_(),
                  lambda: x.clamp_(min=0), lambda: x.__iadd__(1), lambda: x.floor_()):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                               "used in an in-place operation."):
            write()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[1:].add_(1)
    with clgrad.no_grad():
        x.add_(1)  # allowed outside grad mode, and not recorded
    assert x.grad_fn is None and x.is_leaf


def test_inplace_rebases_history(device):
    a = clgrad.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    b = clgrad.tensor([4.0, 5.0, 6.0], device=device, requires_grad=True)
    y = a * 2
    z = y.mul_(b)
    assert z is y and type(y.grad_fn).__name__ == "MulBackward0"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"
    y += 1
    y.exp_()
    assert type(y.grad_fn).__name__ == "ExpBackward0"
    y.sum().backward()
    e = np.exp(2 * np.array([1.0, 2, 3]) * np.array([4.0, 5, 6]) + 1)
    np.testing.assert_allclose(a.grad.cpu().numpy(), e * 2 * np.array([4.0, 5, 6]), rtol=1e-6)
    np.testing.assert_allclose(b.grad.cpu().numpy(), e * 2 * np.array([1.0, 2, 3]), rtol=1e-6)


def test_inplace_on_a_view_rewrites_the_base(device):
    a = clgrad.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    base = a * 1
    base[1:3].mul_(3)
    assert type(base.grad_fn).__name__ == "CopySlices"
    base.sum().backward()
    np.testing.assert_array_equal(a.grad.cpu().numpy(), [1, 3, 3, 1])


def test_inplace_into_untracked_tensor_tracks_other(device):
    w = clgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = clgrad.zeros(2, device=device)
    y.add_(w, alpha=3)
    assert y.requires_grad and type(y.grad_fn).__name__ == "AddBackward0"
    (y * y).sum().backward()
    np.testing.assert_allclose(w.grad.cpu().numpy(), [18.0, 36.0])


VERSION_ERROR = ("one of the variables needed for gradient computation has been modified by an "
                 "inplace operation")


def test_saved_input_modified_in_place_raises(device):
    a = clgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = clgrad.tensor([3.0, 4.0], device=device, requires_grad=True)
    y = a * b  # saves a and b
    with clgrad.no_grad():
        a.add_(1)
    with pytest.raises(RuntimeError, match=VERSION_ERROR) as info:
        y.sum().backward()
    assert "is at version 1; expected version 0 instead" in str(info.value)


def test_saved_output_modified_in_place_raises(device):
    x = clgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x.exp()  # saves its result
    y.add_(1)
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        y.sum().backward()


def test_unsaved_input_may_change(device):
    # add saves nothing; mul saves a only when b needs a gradient (as PyTorch).
    a = clgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    h = a * 1
    b = clgrad.tensor([3.0, 4.0], device=device)
    y = h + b
    z = h * b
    with clgrad.no_grad():
        h.add_(1)
        b.add_(0)
    y.sum().backward()
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        z.sum().backward()


def test_out_argument_refuses_autograd(device):
    a = clgrad.ones(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out=\.\.\. arguments "
                                           "don't support automatic differentiation"):
        clgrad.add(a, 1, out=clgrad.empty(2, device=device))
    with clgrad.no_grad():
        clgrad.add(a, 1, out=clgrad.empty(2, device=device))


# -- what is never recorded -----------------------------------------------------------------
def test_no_recording_under_no_grad(device):
    a = clgrad.ones(3, device=device, requires_grad=True)
    with clgrad.no_grad():
        for y in (a + a, a * 2, a.exp(), a.clamp(0, 1), clgrad.where(a > 0, a, 0.0), 2 / a):
            assert not y.requires_grad and y.grad_fn is None
    y = a * 1
    with clgrad.no_grad():
        y.mul_(2)
    assert type(y.grad_fn).__name__ == "MulBackward0"  # the history before the write stays


def test_bool_and_integer_results_never_require_grad(device):
    a = clgrad.tensor([0.5, -1.0, float("nan")], device=device, requires_grad=True)
    for y in (a > 0, a == a, a.isnan(), a.isfinite(), a.signbit(), clgrad.isclose(a, a),
              clgrad.logical_and(a, a), a.logical_not()):
        assert y.dtype is clgrad.bool and not y.requires_grad and y.grad_fn is None
    i = clgrad.tensor([1, 2, 3], device=device)
    assert not (i * 2).requires_grad and not (i + i).requires_grad
    assert (i * a).requires_grad  # a float result with a tracked input
    # PyTorch's rounding ops keep float results and record zero gradients.
    assert a.floor().requires_grad and a.sign().requires_grad


def test_not_implemented_derivatives_raise_at_backward(device):
    a = clgrad.tensor([1.5, 2.5], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not "
                                           "implemented"):
        (a // 2).sum().backward()
    with pytest.raises(RuntimeError, match="derivative for aten::remainder is not implemented"):
        (2 % a).sum().backward()


def test_mixed_dtypes_cast_gradients_back(device):
    a = clgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = clgrad.tensor([3, 4], device=device)
    h = clgrad.tensor([0.5, 0.25], dtype=clgrad.float16, device=device, requires_grad=True)
    (a * b + h).sum().backward()
    assert a.grad.dtype is clgrad.float32 and h.grad.dtype is clgrad.float16
    np.testing.assert_array_equal(a.grad.cpu().numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(h.grad.cpu().numpy(), [1.0, 1.0])


def test_recorded_outputs_are_freed_without_the_cycle_collector(device):
    import gc
    import weakref
    a = clgrad.ones(3, device=device, requires_grad=True)
    gc.disable()
    try:
        for make in (lambda: a.exp(), lambda: a.sigmoid() * a, lambda: (a * 1).add_(a),
                     lambda: (a * 1).mul_(a), lambda: (a * 1).tanh_()):
            y = make()
            ref = weakref.ref(y)
            del y
            assert ref() is None
    finally:
        gc.enable()
