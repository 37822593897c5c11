"""Every elementwise op of API §2: forward values on every device and dtype, strided and
broadcast operands, in-place forms, result dtypes (a literal table taken from PyTorch and a
parity test against torch), Python operators and PyTorch's exceptions."""
from __future__ import annotations

import math

import numpy as np
import pytest

import clgrad
from clgrad import _tensor
from helpers import DEVICES, device_supports_fp64

FLOATS = ("float32", "float64", "float16")
INTS = ("int32", "int64", "uint8")


class P:
    """One op: clgrad.<name>(*tensors, **kw) against ref(*numpy arrays), on input domains.

    kinds: dtype groups the op is valid for: f (float32/64/16), i (int32/int64/uint8), b (bool).
    inplace: whether Tensor.<name>_ exists.
    """

    def __init__(self, name, ref, domains, kinds, kw=None, inplace=True, id=None):
        self.name, self.ref, self.domains, self.kinds = name, ref, domains, kinds
        self.kw = kw or {}
        self.inplace = inplace
        self.id = id or name

    def dtypes(self):
        return ((FLOATS if "f" in self.kinds else ()) + (INTS if "i" in self.kinds else ())
                + (("bool",) if "b" in self.kinds else ()))


def _trunc_div(a, b):
    return np.trunc(np.true_divide(a, b))


def _torch_remainder(a, b):
    return a - np.floor_divide(a, b) * b if a.dtype.kind != "f" else np.remainder(a, b)


def _vec(fn):
    return lambda a: np.vectorize(fn, otypes=[np.float64])(a)


def _erfinv_ref(y):
    # Newton on math.erf from a bisection-quality start: independent of clgrad's npmath.
    x = np.zeros_like(y, dtype=np.float64)
    lo, hi = np.full_like(x, -6.0), np.full_like(x, 6.0)
    for _ in range(80):
        x = (lo + hi) / 2
        below = _vec(math.erf)(x) < y
        lo, hi = np.where(below, x, lo), np.where(below, hi, x)
    return (lo + hi) / 2


OPS = [
    # arithmetic
    P("add", np.add, ("any", "any"), "fib"),
    P("add", lambda a, b: a + 2 * b, ("any", "any"), "fi", {"alpha": 2}, id="add_alpha"),
    P("sub", np.subtract, ("any", "any"), "fi"),
    P("sub", lambda a, b: a - 0.5 * b, ("any", "any"), "f", {"alpha": 0.5}, id="sub_alpha"),
    P("mul", np.multiply, ("any", "any"), "fib"),
    P("div", np.true_divide, ("any", "nonzero"), "fib"),
    P("div", _trunc_div, ("any", "nonzero"), "fi", {"rounding_mode": "trunc"}, id="div_trunc"),
    P("div", np.floor_divide, ("any", "nonzero"), "fi", {"rounding_mode": "floor"},
      id="div_floor"),
    P("true_divide", np.true_divide, ("any", "nonzero"), "fi"),
    P("floor_divide", np.floor_divide, ("any", "nonzero"), "fi"),
    P("remainder", _torch_remainder, ("any", "nonzero"), "fi"),
    P("fmod", np.fmod, ("any", "nonzero"), "fi"),
    P("pow", np.power, ("pos", "exponent"), "fi"),
    P("neg", np.negative, ("any",), "fi"),
    P("negative", np.negative, ("any",), "f"),
    P("abs", np.abs, ("any",), "fi"),
    P("absolute", np.abs, ("any",), "f"),
    P("sign", lambda a: a if a.dtype == bool else np.sign(a), ("any",), "fib"),
    P("sqrt", np.sqrt, ("pos",), "fib"),
    P("rsqrt", lambda a: 1 / np.sqrt(a), ("pos",), "fi"),
    P("square", np.square, ("any",), "fi"),
    P("reciprocal", np.reciprocal, ("nonzero",), "fi"),
    # exponentials, logarithms, trigonometry
    P("exp", np.exp, ("small",), "fib"),
    P("exp2", np.exp2, ("small",), "fi"),
    P("expm1", np.expm1, ("small",), "fi"),
    P("log", np.log, ("pos",), "fi"),
    P("log2", np.log2, ("pos",), "fi"),
    P("log10", np.log10, ("pos",), "fi"),
    P("log1p", np.log1p, ("pos",), "fi"),
    P("sin", np.sin, ("any",), "fi"),
    P("cos", np.cos, ("any",), "fi"),
    P("tan", np.tan, ("unit",), "fi"),
    P("asin", np.arcsin, ("unit",), "fi"),
    P("acos", np.arccos, ("unit",), "fi"),
    P("atan", np.arctan, ("any",), "fi"),
    P("arcsin", np.arcsin, ("unit",), "f"),
    P("arctan2", np.arctan2, ("any", "any"), "f"),
    P("atan2", np.arctan2, ("any", "any"), "fi"),
    P("sinh", np.sinh, ("small",), "fi"),
    P("cosh", np.cosh, ("small",), "fi"),
    P("tanh", np.tanh, ("any",), "fi"),
    P("asinh", np.arcsinh, ("any",), "fi"),
    P("acosh", np.arccosh, ("ge1",), "fi"),
    P("atanh", np.arctanh, ("unit",), "fi"),
    P("sigmoid", lambda a: 1 / (1 + np.exp(-a)), ("any",), "fib"),
    P("logit", lambda a: np.log(a / (1 - a)), ("prob",), "f"),
    P("logit", lambda a: np.log(np.clip(a, 0.2, 0.8) / (1 - np.clip(a, 0.2, 0.8))), ("prob",),
      "f", {"eps": 0.2}, id="logit_eps"),
    P("erf", _vec(math.erf), ("any",), "fi"),
    P("erfc", _vec(math.erfc), ("any",), "fi"),
    P("erfinv", _erfinv_ref, ("unit",), "f"),
    # rounding
    P("floor", np.floor, ("any",), "fi"),
    P("ceil", np.ceil, ("any",), "fi"),
    P("round", np.round, ("any",), "fi"),
    P("round", lambda a: np.round(a, 2), ("any",), "f", {"decimals": 2}, id="round_decimals"),
    P("round", lambda a: np.round(a, -1), ("large",), "f", {"decimals": -1},
      id="round_negative_decimals"),
    P("trunc", np.trunc, ("any",), "fi"),
    P("fix", np.trunc, ("any",), "f"),
    P("frac", lambda a: a - np.trunc(a), ("any",), "f"),
    # clamping, extrema, interpolation
    P("clamp", lambda a: np.clip(a, 0, 2), ("any",), "fi", {"min": 0, "max": 2}),
    P("clamp", lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi), ("any", "any", "any"), "fi",
      id="clamp_tensors"),
    P("clip", lambda a: np.maximum(a, 0.5), ("any",), "f", {"min": 0.5}),
    P("clamp_min", lambda a, b: np.maximum(a, b), ("any", "any"), "fi"),
    P("clamp_max", lambda a, b: np.minimum(a, b), ("any", "any"), "fi"),
    P("maximum", np.maximum, ("any", "any"), "fib", inplace=False),
    P("minimum", np.minimum, ("any", "any"), "fib", inplace=False),
    P("fmax", np.fmax, ("any", "any"), "fi", inplace=False),
    P("fmin", np.fmin, ("any", "any"), "fi", inplace=False),
    P("lerp", lambda a, b, w: a + w * (b - a), ("any", "any", "unit"), "f"),
    P("lerp", lambda a, b: a + 0.7 * (b - a), ("any", "any"), "f", {"weight": 0.7},
      id="lerp_scalar"),
    P("addcmul", lambda a, b, c: a + 2 * b * c, ("any", "any", "any"), "fi", {"value": 2}),
    P("addcdiv", lambda a, b, c: a + 0.5 * b / c, ("any", "any", "nonzero"), "f",
      {"value": 0.5}),
    P("hypot", np.hypot, ("any", "any"), "f"),
    P("copysign", np.copysign, ("any", "any"), "fi"),
    P("nextafter", np.nextafter, ("any", "any"), "f"),
    P("nan_to_num", lambda a: np.nan_to_num(a, nan=0.5, posinf=100.0, neginf=-100.0),
      ("special",), "fi", {"nan": 0.5, "posinf": 100.0, "neginf": -100.0}),
    # classification
    P("isnan", np.isnan, ("special",), "fib", inplace=False),
    P("isinf", np.isinf, ("special",), "fi", inplace=False),
    P("isposinf", np.isposinf, ("special",), "fi", inplace=False),
    P("isneginf", np.isneginf, ("special",), "fi", inplace=False),
    P("isfinite", np.isfinite, ("special",), "fi", inplace=False),
    P("isreal", lambda a: np.ones(a.shape, bool), ("any",), "fi", inplace=False),
    P("signbit", np.signbit, ("any",), "fi", inplace=False),
    # logical, bitwise, comparisons, selection
    P("logical_and", np.logical_and, ("any", "any"), "fib"),
    P("logical_or", np.logical_or, ("any", "any"), "fib"),
    P("logical_xor", np.logical_xor, ("any", "any"), "fib"),
    P("logical_not", np.logical_not, ("any",), "fib"),
    P("bitwise_and", np.bitwise_and, ("any", "any"), "ib"),
    P("bitwise_or", np.bitwise_or, ("any", "any"), "ib"),
    P("bitwise_xor", np.bitwise_xor, ("any", "any"), "ib"),
    P("bitwise_not", np.invert, ("any",), "ib"),
    P("eq", np.equal, ("int_valued", "int_valued"), "fib"),
    P("ne", np.not_equal, ("int_valued", "int_valued"), "fi"),
    P("lt", np.less, ("int_valued", "int_valued"), "fib"),
    P("le", np.less_equal, ("int_valued", "int_valued"), "fi"),
    P("gt", np.greater, ("int_valued", "int_valued"), "fi"),
    P("ge", np.greater_equal, ("int_valued", "int_valued"), "fi"),
    P("greater_equal", np.greater_equal, ("int_valued", "int_valued"), "f"),
    P("less", np.less, ("int_valued", "int_valued"), "f"),
    P("not_equal", np.not_equal, ("int_valued", "int_valued"), "f"),
    P("isclose", lambda a, b: np.isclose(a, b, rtol=1e-5, atol=1e-8), ("any", "near"), "fi",
      inplace=False),
]
OPS_BY_ID = {p.id: p for p in OPS}
SHAPE = (3, 4)


def make_input(domain: str, dtype: str, shape=SHAPE, seed: int = 0) -> np.ndarray:
    """Random values of `domain` as numpy `dtype` (ints draw small integers)."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INTS:
        low, high = {"pos": (1, 6), "ge1": (1, 6), "nonzero": (1, 6), "unit": (-1, 2),
                     "prob": (0, 2), "small": (-3, 4), "exponent": (0, 4)}.get(domain, (-5, 6))
        values = rng.integers(low, high, shape)
        if domain == "nonzero":
            values = values * rng.choice([-1, 1], shape)
        if dtype == "uint8":
            values = np.abs(values)
        return values.astype(dtype)
    u = rng.random(shape)
    values = {
        "any": -3 + 6 * u, "large": -300 + 600 * u, "near": -3 + 6 * u, "pos": 0.1 + 3 * u,
        "unit": -0.9 + 1.8 * u,
        "prob": 0.05 + 0.9 * u, "small": -2 + 4 * u, "ge1": 1.1 + 3 * u,
        "exponent": -2 + 4 * u, "nonzero": (0.5 + 2.5 * u) * rng.choice([-1, 1], shape),
        "int_valued": rng.integers(-2, 3, shape).astype(float),
        "special": np.where(u < 0.2, np.nan, np.where(u < 0.4, np.inf, np.where(
            u < 0.6, -np.inf, -3 + 6 * u))),
    }[domain]
    return values.astype(dtype)


def op_inputs(p: P, dtype: str) -> list:
    arrays = [make_input(d, dtype, seed=i) for i, d in enumerate(p.domains)]
    if "near" in p.domains:  # isclose: half the elements within tolerance of input
        arrays[1] = np.where(np.arange(arrays[0].size).reshape(SHAPE) % 2 == 0,
                             arrays[0], arrays[1]).astype(dtype)
    return arrays


def tolerance(dtype) -> dict:
    return {"float64": dict(rtol=1e-9, atol=1e-11), "float32": dict(rtol=3e-5, atol=1e-6),
            "float16": dict(rtol=4e-3, atol=4e-3)}[dtype.name]


def check_values(result, expected, result_dtype) -> None:
    got = np.asarray(result.tolist(), dtype=np.float64 if result_dtype.is_floating_point
                     else None)
    expected = np.asarray(expected)
    if result_dtype.is_floating_point:
        np.testing.assert_allclose(got, expected.astype(np.float64), equal_nan=True,
                                   **tolerance(result_dtype))
    else:
        np.testing.assert_array_equal(got, expected.astype(got.dtype))


def reference(p: P, arrays: list, result_dtype):
    """The numpy reference; float results are computed from float64 copies of the inputs."""
    if result_dtype.is_floating_point:
        arrays = [a.astype(np.float64) for a in arrays]
    return p.ref(*arrays)


# -- forward values ---------------------------------------------------------------------------
@pytest.mark.parametrize("p", OPS, ids=lambda p: p.id)
def test_forward(p, device):
    """Function and method forms against numpy, for every valid dtype, on every device."""
    for dtype in p.dtypes():
        if dtype == "float64" and not device_supports_fp64(device):
            continue
        arrays = op_inputs(p, dtype)
        tensors = [clgrad.tensor(a, device=device) for a in arrays]
        result = getattr(clgrad, p.name)(*tensors, **p.kw)
        assert result.device == clgrad.device(device)
        assert result.shape == SHAPE, dtype
        try:
            check_values(result, reference(p, arrays, result.dtype), result.dtype)
            method = getattr(tensors[0], p.name)(*tensors[1:], **p.kw)
            check_values(method, reference(p, arrays, result.dtype), result.dtype)
        except AssertionError as exc:
            raise AssertionError(f"{p.id} {dtype}: {exc}") from None


BINARY = [p for p in OPS if len(p.domains) >= 2 and "f" in p.kinds]


@pytest.mark.parametrize("p", BINARY, ids=lambda p: p.id)
def test_strided_broadcast_and_scalar_operands(p, device, monkeypatch):
    """A transposed operand, a stride-0 expanded one and a 0-dim one, read without copies."""
    arrays = op_inputs(p, "float32")
    first = clgrad.tensor(np.ascontiguousarray(arrays[0].T), device=device).t()
    row = clgrad.tensor(arrays[1][:1], device=device).expand(*SHAPE)
    scalar = clgrad.tensor(arrays[1][0, 0], device=device)
    rest = [clgrad.tensor(a, device=device) for a in arrays[2:]]
    assert not first.is_contiguous() and row.stride(0) == 0

    def no_copies(*args, **kwargs):
        raise AssertionError("the op copied a strided input")
    monkeypatch.setattr(_tensor.Tensor, "contiguous", no_copies, raising=False)
    monkeypatch.setattr(_tensor.Tensor, "clone", no_copies, raising=False)
    fn = getattr(clgrad, p.name)
    results = [(fn(first, second, *rest, **p.kw), expected_second)
               for second, expected_second in ((row, np.broadcast_to(arrays[1][:1], SHAPE)),
                                               (scalar, arrays[1][0, 0]))]
    monkeypatch.undo()  # the results are transposed like `first` (as in PyTorch): reads copy
    for result, expected_second in results:
        check_values(result, reference(p, [arrays[0], np.asarray(expected_second)] + arrays[2:],
                                       result.dtype), result.dtype)


INPLACE = [p for p in OPS if p.inplace and "f" in p.kinds]


@pytest.mark.parametrize("p", INPLACE, ids=lambda p: p.id)
def test_inplace(p, device):
    """x.op_(...) writes into x (a strided view included), returns x and bumps its version."""
    arrays = op_inputs(p, "float32")
    expected = reference(p, arrays, clgrad.float32)
    base = clgrad.tensor(np.ascontiguousarray(arrays[0].T), device=device)
    x = base.t()
    others = [clgrad.tensor(a, device=device) for a in arrays[1:]]
    version = x._version[0]
    result = getattr(x, p.name + "_")(*others, **p.kw)
    assert result is x
    assert x._version[0] == version + 1 and base._version[0] == version + 1
    check_values(x, expected, clgrad.float32)


def test_inplace_operators(device):
    x = clgrad.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    y = x
    x += 1
    x -= clgrad.tensor([1.0, 1.0], device=device)
    x *= 2
    x /= 4
    x **= 2
    assert x is y and x._version[0] == 5
    assert x.tolist() == [[0.25, 1.0], [2.25, 4.0]]
    i = clgrad.tensor([7, -7, 12], device=device)
    j = i
    i //= 2
    i %= 3
    i &= 3
    i |= 4
    i ^= 1
    assert i is j and i.tolist() == [5, 7, 5]
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        clgrad.ones(3, device=device).add_(clgrad.ones(2, 3, device=device))


# -- operators and special values ---------------------------------------------------------
def test_python_operators(device):
    a = clgrad.tensor([-3, 1, 4], device=device)
    f = clgrad.tensor([-1.5, 0.0, 2.5], device=device)
    b = clgrad.tensor([True, False, True], device=device)
    cases = [
        (a + 1, [-2, 2, 5]), (1 + a, [-2, 2, 5]), (a - 1, [-4, 0, 3]), (10 - a, [13, 9, 6]),
        (a * 2, [-6, 2, 8]), (2 * a, [-6, 2, 8]), (a / 2, [-1.5, 0.5, 2.0]),
        (6 / a, [-2.0, 6.0, 1.5]), (a // 2, [-2, 0, 2]), (7 // a, [-3, 7, 1]),
        (a % 3, [0, 1, 1]), (7 % a, [-2, 0, 3]), (a ** 2, [9, 1, 16]), (2 ** a.abs(), [8, 2, 16]),
        (2.0 ** f, [2 ** -1.5, 1.0, 2 ** 2.5]), (f ** 2, [2.25, 0.0, 6.25]),
        (a & 6, [4, 0, 4]), (6 & a, [4, 0, 4]), (a | 1, [-3, 1, 5]), (1 | a, [-3, 1, 5]),
        (a ^ 1, [-4, 0, 5]), (1 ^ a, [-4, 0, 5]), (~a, [2, -2, -5]), (~b, [False, True, False]),
        (-a, [3, -1, -4]), (+a, [-3, 1, 4]), (abs(a), [3, 1, 4]), (abs(f), [1.5, 0.0, 2.5]),
        (a < 1, [True, False, False]), (a <= 1, [True, True, False]), (a > 1, [False, False, True]),
        (a >= 1, [False, True, True]), (a == 1, [False, True, False]),
        (a != 1, [True, False, True]), (1 < a, [False, False, True]),
        (b & True, [True, False, True]), (b | False, [True, False, True]),
        (f < 0.5, [True, True, False]), (a < 1.5, [True, True, False]),
    ]
    for result, expected in cases:
        assert result.tolist() == pytest.approx(expected), (result, expected)
    assert (+a) is a
    assert (a == None) is False and (a != None) is True  # noqa: E711
    assert (a + True).dtype == clgrad.int64 and (b + True).dtype == clgrad.bool


def test_special_values(device):
    t = lambda v, **kw: clgrad.tensor(v, device=device, **kw)  # noqa: E731
    nan, inf = float("nan"), float("inf")

    def same(result, expected):
        np.testing.assert_array_equal(np.asarray(result.tolist(), dtype=result.dtype.np),
                                      np.asarray(expected, dtype=float).astype(result.dtype.np))
    same(clgrad.round(t([0.5, 1.5, 2.5, -0.5, -2.5])), [0, 2, 2, -0.0, -2])
    same(clgrad.round(t([1.25, 1.35]), decimals=1), [1.2, 1.4])
    same(clgrad.sign(t([nan, -0.0, -2.0, 3.0])), [0, 0, -1, 1])
    same(clgrad.clamp(t([nan, 1.0, 5.0]), min=3, max=2), [nan, 2, 2])
    same(clgrad.clamp(t([nan, 1.0]), min=nan), [nan, nan])
    same(clgrad.clamp(t([1, 5, 9]), min=t([2]), max=t([6])), [2, 5, 6])
    same(clgrad.maximum(t([nan, 1.0]), t([1.0, nan])), [nan, nan])
    same(clgrad.fmax(t([nan, 1.0]), t([1.0, nan])), [1, 1])
    same(clgrad.fmin(t([nan, 3.0]), t([1.0, 2.0])), [1, 2])
    big = 3.4028234663852886e38  # float32's largest value
    same(clgrad.nan_to_num(t([nan, inf, -inf, 1.0])), [0, big, -big, 1])
    same(clgrad.nan_to_num(t([nan, inf, -inf], dtype=clgrad.float16)), [0, 65504, -65504])
    same(clgrad.nan_to_num(t([1, 2])), [1, 2])
    same(t([-7.0, 7.0, 0.0]) // 0.0, [-inf, inf, nan])
    same(t([-7.0, 7.0]) % t([2.0, -2.0]), [1, -1])
    same(clgrad.fmod(t([-7.0, 7.0]), t([2.0, -2.0])), [-1, 1])
    same(t([-7, 7]) // t([2, -2]), [-4, -4])
    same(t([-7, 7]) % t([2, -2]), [1, -1])
    same(clgrad.fmod(t([-7, 7]), t([2, -2])), [-1, 1])
    same(clgrad.div(t([-7, 7]), t([2, -2]), rounding_mode="trunc"), [-3, -3])
    same(t([-128, 5], dtype=clgrad.int8) // t([-1, -1], dtype=clgrad.int8), [-128, -5])
    same(clgrad.pow(t([-1, 1, 2, 0, -1]), t([-3, -2, -1, -1, -2])), [-1, 1, 0, 0, 1])
    same(clgrad.pow(2, t([-1, 2])), [0, 4])
    same(clgrad.erfinv(t([1.0, -1.0, 1.5, 0.0])), [inf, -inf, nan, 0])
    same(clgrad.logit(t([0.0, 1.0]), eps=-1), [-inf, inf])
    same(clgrad.isclose(t([inf, nan, nan, 1.0]), t([inf, nan, 1.0, 1.0 + 1e-6])),
         [True, False, False, True])
    same(clgrad.isclose(t([nan, 1.0]), t([nan, 2.0]), equal_nan=True), [True, False])
    same(clgrad.isclose(t([1, 5]), t([1, 6]), atol=1), [True, True])
    same(clgrad.where(t([True, False]), 1.5, t([3, 4])), [1.5, 4])
    same(clgrad.where(t([1, 0], dtype=clgrad.uint8), t([1, 2]), 0), [1, 0])
    same(clgrad.addcmul(t([1, 2, 3]), t([1, 2, 3]), t([1, 2, 3]), value=0.5), [1, 2, 3])
    same(clgrad.lerp(t([1.0, 2.0]), t([3.0, 4.0]), t(1.0, dtype=clgrad.float64)), [3, 4])
    assert clgrad.allclose(t([1.0, 2.0]), t([1.0, 2.0 + 1e-7]))
    assert not clgrad.allclose(t([1.0, nan]), t([1.0, nan]))
    assert clgrad.allclose(t([1.0, nan]), t([1.0, nan]), equal_nan=True)
    assert clgrad.equal(t([1, 2]), t([1.0, 2.0])) and not clgrad.equal(t([1, 2]), t([1, 3]))
    assert not clgrad.equal(t([1, 2]), t([1]))
    b = t([True, False])
    same(clgrad.square(b), [1, 0])
    assert clgrad.square(b).dtype == clgrad.int64


def test_where_shapes_and_dtypes(device):
    cond = clgrad.tensor([[True], [False]], device=device)
    x = clgrad.tensor([1, 2, 3], device=device, dtype=clgrad.int32)
    result = clgrad.where(cond, x, 0.5)
    assert result.shape == (2, 3) and result.dtype == clgrad.float32
    assert result.tolist() == [[1, 2, 3], [0.5, 0.5, 0.5]]
    assert clgrad.where(cond, 1, 0).dtype == clgrad.int64
    assert x.where(cond, -1).tolist() == [[1, 2, 3], [-1, -1, -1]]


def test_integer_division_by_zero(device):
    a = clgrad.tensor([5, -3], device=device)
    zero = clgrad.tensor([0, 1], device=device)
    ops = [lambda: a // zero, lambda: a % zero, lambda: clgrad.fmod(a, zero),
           lambda: clgrad.div(a, 0, rounding_mode="trunc")]
    for op in ops:  # cpu raises at the op, cl at the read (the device-side check)
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            op().tolist()
    assert (a / 0).tolist() == [math.inf, -math.inf]


# -- result dtypes ----------------------------------------------------------------------------
DTYPE_ORDER = ("bool", "uint8", "int32", "int64", "float16", "float32", "float64")
UNARY_DTYPES = {
    'abs': 'E uint8 int32 int64 float16 float32 float64',
    'neg': 'E uint8 int32 int64 float16 float32 float64',
    'sign': 'bool uint8 int32 int64 float16 float32 float64',
    'sqrt': 'float32 float32 float32 float32 float16 float32 float64',
    'square': 'int64 uint8 int32 int64 float16 float32 float64',
    'reciprocal': 'float32 float32 float32 float32 float16 float32 float64',
    'exp': 'float32 float32 float32 float32 float16 float32 float64',
    'log': 'float32 float32 float32 float32 float16 float32 float64',
    'sin': 'float32 float32 float32 float32 float16 float32 float64',
    'erfinv': 'float32 float32 float32 float32 float16 float32 float64',
    'sigmoid': 'float32 float32 float32 float32 float16 float32 float64',
    'logit': 'float32 float32 float32 float32 float16 float32 float64',
    'floor': 'E uint8 int32 int64 float16 float32 float64',
    'round': 'E uint8 int32 int64 float16 float32 float64',
    'trunc': 'E uint8 int32 int64 float16 float32 float64',
    'frac': 'E E E E float16 float32 float64',
    'isnan': 'bool bool bool bool bool bool bool',
    'signbit': 'bool bool bool bool bool bool bool',
    'logical_not': 'bool bool bool bool bool bool bool',
    'bitwise_not': 'bool uint8 int32 int64 E E E',
    'nan_to_num': 'bool uint8 int32 int64 float16 float32 float64',
}
# (op, lhs, rhs, expected): a dtype name is a 1-d tensor, "0d_<dtype>" a 0-dim tensor,
# a number a Python scalar; "E": RuntimeError; "TypeError". Taken from PyTorch 2.13.
BINARY_DTYPES = [
    ('add', 'int32', 'int32', 'int32'),
    ('add', 'int32', 'int64', 'int64'),
    ('add', 'uint8', 'int8', 'int16'),
    ('add', 'bool', 'int32', 'int32'),
    ('add', 'int32', 'float32', 'float32'),
    ('add', 'float16', 'float32', 'float32'),
    ('add', 'int64', 2, 'int64'),
    ('add', 'int32', 2.5, 'float32'),
    ('add', 'uint8', 300, 'uint8'),
    ('add', 'bool', True, 'bool'),
    ('add', 'bool', 1, 'int64'),
    ('add', 'float16', 2.5, 'float16'),
    ('add', 'int32', '0d_float64', 'float64'),
    ('add', 'float32', '0d_float64', 'float32'),
    ('add', 'int32', '0d_int64', 'int32'),
    ('add', 3, 'int32', 'int32'),
    ('add', 2.5, 'int32', 'float32'),
    ('add', 'bool', 'bool', 'bool'),
    ('mul', 'int32', 'int32', 'int32'),
    ('mul', 'int32', 'int64', 'int64'),
    ('mul', 'uint8', 'int8', 'int16'),
    ('mul', 'bool', 'int32', 'int32'),
    ('mul', 'int32', 'float32', 'float32'),
    ('mul', 'float16', 'float32', 'float32'),
    ('mul', 'int64', 2, 'int64'),
    ('mul', 'int32', 2.5, 'float32'),
    ('mul', 'uint8', 300, 'uint8'),
    ('mul', 'bool', True, 'bool'),
    ('mul', 'bool', 1, 'int64'),
    ('mul', 'float16', 2.5, 'float16'),
    ('mul', 'int32', '0d_float64', 'float64'),
    ('mul', 'float32', '0d_float64', 'float32'),
    ('mul', 'int32', '0d_int64', 'int32'),
    ('mul', 3, 'int32', 'int32'),
    ('mul', 2.5, 'int32', 'float32'),
    ('mul', 'bool', 'bool', 'bool'),
    ('div', 'int32', 'int32', 'float32'),
    ('div', 'int32', 'int64', 'float32'),
    ('div', 'uint8', 'int8', 'float32'),
    ('div', 'bool', 'int32', 'float32'),
    ('div', 'int32', 'float32', 'float32'),
    ('div', 'float16', 'float32', 'float32'),
    ('div', 'int64', 2, 'float32'),
    ('div', 'int32', 2.5, 'float32'),
    ('div', 'uint8', 300, 'float32'),
    ('div', 'bool', True, 'float32'),
    ('div', 'bool', 1, 'float32'),
    ('div', 'float16', 2.5, 'float16'),
    ('div', 'int32', '0d_float64', 'float64'),
    ('div', 'float32', '0d_float64', 'float32'),
    ('div', 'int32', '0d_int64', 'float32'),
    ('div', 3, 'int32', 'float32'),
    ('div', 2.5, 'int32', 'float32'),
    ('div', 'bool', 'bool', 'float32'),
    ('floor_divide', 'int32', 'int32', 'int32'),
    ('floor_divide', 'int32', 'int64', 'int64'),
    ('floor_divide', 'uint8', 'int8', 'int16'),
    ('floor_divide', 'bool', 'int32', 'int32'),
    ('floor_divide', 'int32', 'float32', 'float32'),
    ('floor_divide', 'float16', 'float32', 'float32'),
    ('floor_divide', 'int64', 2, 'int64'),
    ('floor_divide', 'int32', 2.5, 'float32'),
    ('floor_divide', 'uint8', 300, 'uint8'),
    ('floor_divide', 'bool', True, 'E'),
    ('floor_divide', 'bool', 1, 'int64'),
    ('floor_divide', 'float16', 2.5, 'float16'),
    ('floor_divide', 'int32', '0d_float64', 'float64'),
    ('floor_divide', 'float32', '0d_float64', 'float32'),
    ('floor_divide', 'int32', '0d_int64', 'int32'),
    ('floor_divide', 3, 'int32', 'int32'),
    ('floor_divide', 2.5, 'int32', 'float32'),
    ('floor_divide', 'bool', 'bool', 'E'),
    ('remainder', 'int32', 'int32', 'int32'),
    ('remainder', 'int32', 'int64', 'int64'),
    ('remainder', 'uint8', 'int8', 'int16'),
    ('remainder', 'bool', 'int32', 'int32'),
    ('remainder', 'int32', 'float32', 'float32'),
    ('remainder', 'float16', 'float32', 'float32'),
    ('remainder', 'int64', 2, 'int64'),
    ('remainder', 'int32', 2.5, 'float32'),
    ('remainder', 'uint8', 300, 'uint8'),
    ('remainder', 'bool', True, 'E'),
    ('remainder', 'bool', 1, 'int64'),
    ('remainder', 'float16', 2.5, 'float16'),
    ('remainder', 'int32', '0d_float64', 'float64'),
    ('remainder', 'float32', '0d_float64', 'float32'),
    ('remainder', 'int32', '0d_int64', 'int32'),
    ('remainder', 3, 'int32', 'int32'),
    ('remainder', 2.5, 'int32', 'float32'),
    ('remainder', 'bool', 'bool', 'E'),
    ('pow', 'int32', 'int32', 'int32'),
    ('pow', 'int32', 'int64', 'int64'),
    ('pow', 'uint8', 'int8', 'int16'),
    ('pow', 'bool', 'int32', 'int32'),
    ('pow', 'int32', 'float32', 'float32'),
    ('pow', 'float16', 'float32', 'float32'),
    ('pow', 'int64', 2, 'int64'),
    ('pow', 'int32', 2.5, 'float32'),
    ('pow', 'bool', True, 'bool'),
    ('pow', 'bool', 1, 'int64'),
    ('pow', 'float16', 2.5, 'float16'),
    ('pow', 'int32', '0d_float64', 'float64'),
    ('pow', 'float32', '0d_float64', 'float32'),
    ('pow', 'int32', '0d_int64', 'int32'),
    ('pow', 3, 'int32', 'int32'),
    ('pow', 2.5, 'int32', 'float32'),
    ('pow', 'bool', 'bool', 'E'),
    ('eq', 'int32', 'int32', 'bool'),
    ('eq', 'int32', 'int64', 'bool'),
    ('eq', 'uint8', 'int8', 'bool'),
    ('eq', 'bool', 'int32', 'bool'),
    ('eq', 'int32', 'float32', 'bool'),
    ('eq', 'float16', 'float32', 'bool'),
    ('eq', 'int64', 2, 'bool'),
    ('eq', 'int32', 2.5, 'bool'),
    ('eq', 'uint8', 300, 'bool'),
    ('eq', 'bool', True, 'bool'),
    ('eq', 'bool', 1, 'bool'),
    ('eq', 'float16', 2.5, 'bool'),
    ('eq', 'int32', '0d_float64', 'bool'),
    ('eq', 'float32', '0d_float64', 'bool'),
    ('eq', 'int32', '0d_int64', 'bool'),
    ('eq', 3, 'int32', 'TypeError'),
    ('eq', 2.5, 'int32', 'TypeError'),
    ('eq', 'bool', 'bool', 'bool'),
    ('bitwise_and', 'int32', 'int32', 'int32'),
    ('bitwise_and', 'int32', 'int64', 'int64'),
    ('bitwise_and', 'uint8', 'int8', 'int16'),
    ('bitwise_and', 'bool', 'int32', 'int32'),
    ('bitwise_and', 'int32', 'float32', 'E'),
    ('bitwise_and', 'float16', 'float32', 'E'),
    ('bitwise_and', 'int64', 2, 'int64'),
    ('bitwise_and', 'int32', 2.5, 'E'),
    ('bitwise_and', 'uint8', 300, 'uint8'),
    ('bitwise_and', 'bool', True, 'bool'),
    ('bitwise_and', 'bool', 1, 'int64'),
    ('bitwise_and', 'float16', 2.5, 'E'),
    ('bitwise_and', 'int32', '0d_float64', 'E'),
    ('bitwise_and', 'float32', '0d_float64', 'E'),
    ('bitwise_and', 'int32', '0d_int64', 'int32'),
    ('bitwise_and', 3, 'int32', 'int32'),
    ('bitwise_and', 2.5, 'int32', 'E'),
    ('bitwise_and', 'bool', 'bool', 'bool'),
    ('maximum', 'int32', 'int32', 'int32'),
    ('maximum', 'int32', 'int64', 'int64'),
    ('maximum', 'uint8', 'int8', 'int16'),
    ('maximum', 'bool', 'int32', 'int32'),
    ('maximum', 'int32', 'float32', 'float32'),
    ('maximum', 'float16', 'float32', 'float32'),
    ('maximum', 'int64', 2, 'TypeError'),
    ('maximum', 'int32', 2.5, 'TypeError'),
    ('maximum', 'uint8', 300, 'TypeError'),
    ('maximum', 'bool', True, 'TypeError'),
    ('maximum', 'bool', 1, 'TypeError'),
    ('maximum', 'float16', 2.5, 'TypeError'),
    ('maximum', 'int32', '0d_float64', 'float64'),
    ('maximum', 'float32', '0d_float64', 'float32'),
    ('maximum', 'int32', '0d_int64', 'int32'),
    ('maximum', 3, 'int32', 'TypeError'),
    ('maximum', 2.5, 'int32', 'TypeError'),
    ('maximum', 'bool', 'bool', 'bool'),
    ('atan2', 'int32', 'int32', 'float32'),
    ('atan2', 'int32', 'int64', 'float32'),
    ('atan2', 'uint8', 'int8', 'float32'),
    ('atan2', 'bool', 'int32', 'float32'),
    ('atan2', 'int32', 'float32', 'float32'),
    ('atan2', 'float16', 'float32', 'float32'),
    ('atan2', 'int64', 2, 'TypeError'),
    ('atan2', 'int32', 2.5, 'TypeError'),
    ('atan2', 'uint8', 300, 'TypeError'),
    ('atan2', 'bool', True, 'TypeError'),
    ('atan2', 'bool', 1, 'TypeError'),
    ('atan2', 'float16', 2.5, 'TypeError'),
    ('atan2', 'int32', '0d_float64', 'float64'),
    ('atan2', 'float32', '0d_float64', 'float32'),
    ('atan2', 'int32', '0d_int64', 'float32'),
    ('atan2', 3, 'int32', 'TypeError'),
    ('atan2', 2.5, 'int32', 'TypeError'),
    ('atan2', 'bool', 'bool', 'float32'),
    ('where', 'int32', 'int32', 'int32'),
    ('where', 'int32', 'int64', 'int64'),
    ('where', 'uint8', 'int8', 'int16'),
    ('where', 'bool', 'int32', 'int32'),
    ('where', 'int32', 'float32', 'float32'),
    ('where', 'float16', 'float32', 'float32'),
    ('where', 'int64', 2, 'int64'),
    ('where', 'int32', 2.5, 'float32'),
    ('where', 'bool', True, 'bool'),
    ('where', 'bool', 1, 'int64'),
    ('where', 'float16', 2.5, 'float16'),
    ('where', 'int32', '0d_float64', 'float64'),
    ('where', 'float32', '0d_float64', 'float32'),
    ('where', 'int32', '0d_int64', 'int32'),
    ('where', 3, 'int32', 'int32'),
    ('where', 2.5, 'int32', 'float32'),
    ('where', 'bool', 'bool', 'bool'),
]


def _operand(spec, device):
    if isinstance(spec, str):
        if spec.startswith("0d_"):
            return clgrad.tensor(1, dtype=getattr(clgrad, spec[3:]), device=device)
        return clgrad.ones(2, dtype=getattr(clgrad, spec), device=device)
    return spec


def _call(op: str, lhs, rhs):
    if op == "where":
        cond = clgrad.ones(2, dtype=clgrad.bool, device=(lhs if isinstance(lhs, clgrad.Tensor)
                                                         else rhs).device)
        return clgrad.where(cond, lhs, rhs)
    return getattr(clgrad, op)(lhs, rhs)


@pytest.mark.parametrize("op", sorted(UNARY_DTYPES))
def test_unary_result_dtypes(op):
    for name, expected in zip(DTYPE_ORDER, UNARY_DTYPES[op].split()):
        x = clgrad.ones(2, dtype=getattr(clgrad, name))
        if expected == "E":
            with pytest.raises(RuntimeError):
                getattr(clgrad, op)(x)
        else:
            assert getattr(clgrad, op)(x).dtype == getattr(clgrad, expected), (op, name)


def test_binary_result_dtypes():
    for op, lhs, rhs, expected in BINARY_DTYPES:
        a, b = _operand(lhs, "cpu"), _operand(rhs, "cpu")
        if expected in ("E", "TypeError"):
            with pytest.raises(RuntimeError if expected == "E" else TypeError):
                _call(op, a, b)
        else:
            assert _call(op, a, b).dtype == getattr(clgrad, expected), (op, lhs, rhs)


def test_result_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    for op, lhs, rhs, _ in BINARY_DTYPES:
        def torch_operand(spec):
            if isinstance(spec, str):
                if spec.startswith("0d_"):
                    return torch.tensor(1, dtype=getattr(torch, spec[3:]))
                return torch.ones(2, dtype=getattr(torch, spec))
            return spec
        try:
            if op == "where":
                r = torch.where(torch.ones(2, dtype=torch.bool), torch_operand(lhs),
                                torch_operand(rhs))
            else:
                r = getattr(torch, op)(torch_operand(lhs), torch_operand(rhs))
            expected = str(r.dtype).replace("torch.", "")
        except TypeError:
            expected = "TypeError"
        except RuntimeError:
            expected = "E"
        assert (op, lhs, rhs, expected) in BINARY_DTYPES


def test_values_match_torch():
    """Every op of the table, every valid dtype, on cpu: torch's dtype and values."""
    torch = pytest.importorskip("torch")
    for p in OPS:
        for dtype in p.dtypes():
            arrays = op_inputs(p, dtype)
            ours = getattr(clgrad, p.name)(*[clgrad.tensor(a) for a in arrays], **p.kw)
            theirs = getattr(torch, p.name)(*[torch.tensor(a) for a in arrays], **p.kw)
            assert ours.dtype.name == str(theirs.dtype).replace("torch.", ""), (p.id, dtype)
            check_values(ours, theirs.double().numpy() if theirs.is_floating_point()
                         else theirs.numpy(), ours.dtype)


# -- errors -----------------------------------------------------------------------------------
def test_errors(device):
    f = clgrad.ones(2, 3, device=device)
    i = clgrad.ones(2, 3, dtype=clgrad.int32, device=device)
    b = clgrad.ones(3, dtype=clgrad.bool, device=device)
    with pytest.raises(RuntimeError, match="must match the size"):
        f + clgrad.ones(4, device=device)
    with pytest.raises(RuntimeError, match="must match the size"):
        clgrad.where(b, f, clgrad.ones(2, 2, device=device))
    for bad in (lambda: f & f, lambda: clgrad.bitwise_not(f), lambda: clgrad.abs(b),
                lambda: -b, lambda: clgrad.frac(i), lambda: clgrad.hypot(i, i),
                lambda: clgrad.floor(b), lambda: clgrad.round(i, decimals=1),
                lambda: clgrad.lerp(f, f.double(), 0.5), lambda: clgrad.where(f, f, 0.0),
                lambda: clgrad.clamp(f),
                lambda: clgrad.pow(i, -1), lambda: b - b, lambda: i.add_(0.5),
                lambda: clgrad.addcdiv(f, i, i), lambda: clgrad.isclose(i, f),
                lambda: clgrad.add(i, i, alpha=0.5), lambda: clgrad.div(f, 2, rounding_mode="x"),
                lambda: +b, lambda: clgrad.sub(i, 1, alpha=True)):
        with pytest.raises(RuntimeError):
            bad()
    for bad in (lambda: f + "a", lambda: clgrad.add(f, None), lambda: clgrad.sqrt(2.0),
                lambda: clgrad.maximum(f, 1.0), lambda: clgrad.atan2(f, 2),
                lambda: clgrad.logical_and(f, 1), lambda: clgrad.isclose(f, 1.0),
                lambda: clgrad.eq(3, i), lambda: ~f, lambda: clgrad.add(1, 2),
                lambda: clgrad.add(f, f, alpha=None)):
        with pytest.raises(TypeError):
            bad()


def test_device_mismatch_names_both_devices():
    cl = [d for d in DEVICES if d.startswith("cl")]
    if not cl:
        pytest.skip("no OpenCL device available")
    a = clgrad.ones(3)
    b = clgrad.ones(3, device=cl[0])
    for op in (lambda: a + b, lambda: clgrad.maximum(b, a), lambda: clgrad.where(a > 0, a, b)):
        with pytest.raises(RuntimeError) as info:
            op()
        assert "cpu" in str(info.value) and cl[0].split(":")[0] in str(info.value)
    # A 0-dim cpu tensor beside cl tensors is read as a number, as PyTorch allows.
    assert (b + clgrad.tensor(2.0)).tolist() == [3.0, 3.0, 3.0]


def test_float16_on_device(device):
    x = clgrad.tensor([0.5, 1.5, -2.0], dtype=clgrad.float16, device=device)
    y = clgrad.sigmoid(x) * 2 + clgrad.sqrt(x.abs())
    assert y.dtype == clgrad.float16
    expected = 2 / (1 + np.exp(-np.array([0.5, 1.5, -2.0]))) + np.sqrt([0.5, 1.5, 2.0])
    np.testing.assert_allclose(y.tolist(), expected, rtol=4e-3)


def test_shifts_follow_pytorchs_out_of_range_rule(device):
    # Values from torch 2.13: counts outside [0, width) give 0 (or -1 for a negative a >> b).
    a = clgrad.tensor([1, -1, 5, -7, 100], dtype=clgrad.int8, device=device)
    b = clgrad.tensor([1, -1, 7, 8, 9], dtype=clgrad.int8, device=device)
    assert (a << b).tolist() == [2, 0, -128, 0, 0]
    assert (a >> b).tolist() == [0, -1, 0, -1, 0]
    wide = clgrad.tensor([3, -3], device=device)
    assert (wide << 64).tolist() == [0, 0]
    assert (wide >> 64).tolist() == [0, -1]
    u = clgrad.tensor([200], dtype=clgrad.uint8, device=device)
    assert (u >> clgrad.tensor([3], dtype=clgrad.uint8, device=device)).tolist() == [25]
    assert (u << clgrad.tensor([True], device=device)).dtype == clgrad.uint8


def test_bool_clamp_and_addcmul_as_pytorch(device):
    b = clgrad.tensor([True, False], device=device)
    assert clgrad.clamp_min(b, b).tolist() == [True, False]
    assert clgrad.clamp(b, max=b).dtype == clgrad.bool
    for call in (lambda: b.clamp_min(True), lambda: clgrad.clamp(b, max=False)):
        with pytest.raises(NotImplementedError, match="scalar_cpu"):
            call()
    with pytest.raises(NotImplementedError, match="addcmul"):
        clgrad.addcmul(b, b, b)
    one = clgrad.tensor([1], device=device)
    assert clgrad.addcmul(one, b[:1], b[:1]).tolist() == [2]


def test_unsigned_division_by_the_largest_value(device):
    # (uint8)-1 is 255: an unsigned divisor of 255 is no "divide by -1" (found by the fuzzer).
    a = clgrad.tensor([1, 254, 255, 0], dtype=clgrad.uint8, device=device)
    b = clgrad.tensor([255, 255, 255, 255], dtype=clgrad.uint8, device=device)
    assert (a // b).tolist() == [0, 0, 1, 0]
    assert a.div(b, rounding_mode="trunc").tolist() == [0, 0, 1, 0]
    assert a.fmod(b).tolist() == [1, 254, 0, 0]
    assert (a % b).tolist() == [1, 254, 0, 0]
