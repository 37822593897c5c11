"""Cross-device differential fuzzing (issue 14): the same random inputs on cpu, on every cl
device and, where installed, in PyTorch must give the same values, dtypes and shapes, or the
same exception type.

Inputs are drawn by hypothesis: shapes with 0- and 1-sized dims, broadcasting partners, and
layouts that are contiguous, transposed, sliced with a step or expanded (stride 0); dtypes from
bool to float64; values that include NaN, +-inf, -0.0, denormals and the integer limits.
The budget per test is small in the README's test command; CLGRAD_FUZZ_EXAMPLES=N runs more.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import clgrad
from helpers import DEVICES, device_supports_fp64

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

try:
    import torch
except ImportError:  # parity with PyTorch is checked only where it is installed
    torch = None

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
EXAMPLES = int(os.environ.get("CLGRAD_FUZZ_EXAMPLES", "30"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

CL_DEVICES = [d for d in DEVICES if d.startswith("cl")]
FP64 = all(device_supports_fp64(d) for d in CL_DEVICES)
FLOATS = ["float32", "float64"] if FP64 else ["float32"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
DTYPES = ["bool"] + INTS + FLOATS

_SPECIAL = {
    "float": [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40, -1e-40, 1e30, -1e30, 0.5, -2.5, 3.0],
    "int": ["min", "max", 0, 1, -1, 7, -8],
}


def _values(dtype: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n values of dtype: mostly ordinary, with the dtype's special values mixed in."""
    npd = np.dtype(dtype)
    if dtype == "bool":
        return rng.integers(0, 2, n).astype(bool)
    if npd.kind == "f":
        base = rng.standard_normal(n) * 4
        specials = np.array(_SPECIAL["float"], dtype=np.float64)
    else:
        info = np.iinfo(npd)
        base = rng.integers(max(info.min, -20), min(info.max, 20) + 1, n)
        specials = np.array([info.min if v == "min" else info.max if v == "max" else v
                             for v in _SPECIAL["int"]
                             if v in ("min", "max") or info.min <= v <= info.max], dtype=npd)
    pick = rng.random(n) < 0.25
    base = base.astype(npd)
    if n and pick.any():
        base[pick] = rng.choice(specials, pick.sum()).astype(npd)
    return base


@st.composite
def operand(draw, dtype=None, shape=None):
    """(numpy base array, layout, dtype) describing one input tensor."""
    dtype = dtype or draw(st.sampled_from(DTYPES))
    if shape is None:
        shape = tuple(draw(st.lists(st.sampled_from([0, 1, 1, 2, 3, 4]), min_size=0,
                                    max_size=3)))
    layout = draw(st.sampled_from(["contiguous", "transposed", "stepped", "expanded"]))
    seed = draw(st.integers(0, 2 ** 31 - 1))
    return dtype, shape, layout, seed


def build(spec, lib, device=None):
    """The tensor a spec describes, in clgrad (on `device`) or torch, with its layout."""
    dtype, shape, layout, seed = spec
    rng = np.random.default_rng(seed)
    if layout == "transposed" and len(shape) >= 2:
        base_shape = shape[::-1]
    elif layout == "stepped" and len(shape) >= 1:
        base_shape = shape[:-1] + (shape[-1] * 2,)
    elif layout == "expanded" and len(shape) >= 1:
        base_shape = (1,) + shape[1:]
    else:
        base_shape = shape
    data = _values(dtype, int(np.prod(base_shape, dtype=np.int64)), rng).reshape(base_shape)
    if lib is torch:
        t = torch.from_numpy(data.copy())
    else:
        t = clgrad.from_numpy(data.copy()).to(device)
    if layout == "transposed" and len(shape) >= 2:
        t = t.permute(*reversed(range(len(shape))))
    elif layout == "stepped" and len(shape) >= 1:
        t = t[..., ::2]
    elif layout == "expanded" and len(shape) >= 1:
        t = t.expand(*shape)
    return t


def _outcome(fn):
    """('ok', value as numpy or a tuple of them, dtype name) or ('raise', exception type).

    The read to the host is inside the try: on cl a value only the device sees (a zero
    divisor, an index out of range) raises at that read, as CUDA's device-side asserts do.
    """
    try:
        result = fn()
        results = result if isinstance(result, tuple) else (result,)
        return ("ok", tuple(_host(r) for r in results))
    except Exception as exc:  # the exception's type is the outcome compared
        return ("raise", _kinds(exc), f"{type(exc).__name__}: {exc}"[:200])


_KINDS = (TypeError, IndexError, ValueError, RuntimeError)


def _kinds(exc: Exception) -> frozenset:
    """The standard exception types exc is an instance of (clgrad's IndexOutOfRange is both
    IndexError and RuntimeError, where PyTorch raises one or the other by op)."""
    kinds = frozenset(k.__name__ for k in _KINDS if isinstance(exc, k))
    return kinds or frozenset([type(exc).__name__])


def _host(r):
    if torch is not None and isinstance(r, torch.Tensor):
        return r.numpy(), str(r.dtype).replace("torch.", ""), tuple(r.shape)
    if isinstance(r, clgrad.Tensor):
        return r.cpu().numpy(), str(r.dtype).replace("clgrad.", ""), tuple(r.shape)
    return np.asarray(r), type(r).__name__, ()


def _assert_same(ref, got, what: str, exact: bool, poles_differ: str = "") -> None:
    """ref: torch's or the cpu's outcome; got: clgrad's on another device (or its cpu's)."""
    assert ref[0] == got[0], f"{what}: {ref[1:]} vs {got[1:]}"
    if ref[0] == "raise":
        assert ref[1] & got[1], f"{what}: raises {ref[2]} vs {got[2]}"
        return
    assert len(ref[1]) == len(got[1]), what
    for (a, da, sa), (b, db, sb) in zip(ref[1], got[1]):
        assert da == db, f"{what}: dtype {da} vs {db}"
        assert sa == sb, f"{what}: shape {sa} vs {sb}"
        if poles_differ == "poles":
            a = np.where(np.isinf(b), b, a)
        elif poles_differ == "fma":  # one side overflowed where the other's fma did not
            a = np.where(~np.isfinite(a) & ~np.isfinite(b), b, a)
        if a.dtype.kind == "f" and not exact:
            tol = 1e-3 if a.dtype == np.float32 or b.dtype == np.float32 else 1e-9
            np.testing.assert_allclose(b.astype(np.float64), a.astype(np.float64), rtol=tol,
                                       atol=tol, equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(b, a, err_msg=what)


def _traps_in_torch(call, specs) -> bool:
    """Whether PyTorch's CPU kernel would divide the integer minimum by -1 (x86's idiv traps:
    torch 2.13 dies of SIGFPE in div(rounding_mode="trunc"); clgrad wraps, as numpy does)."""
    if not getattr(call, "divides", False):
        return False
    a, b = (build(s, clgrad, "cpu").numpy() for s in specs[:2])
    if a.dtype.kind not in "iu" or b.dtype.kind not in "iu":
        return False
    wide = np.result_type(a, b)
    return bool(np.any((a.astype(wide) == np.iinfo(wide).min) & (b.astype(wide) == -1)))


def differential(call, specs, exact=False, torch_call=None, torch_differs=""):
    """Run call(lib, *tensors) on cpu, every cl device and torch; all must agree.

    torch_differs: where PyTorch's CPU kernels differ from clgrad's on both devices, and
    both answers are accepted: "poles", PyTorch returns a finite value at a pole where
    clgrad returns inf (polygamma(1, x) at negative integers: 1.2e6 at -32768, 20.9 at
    -2 ** 31 in float32);
    "fma", PyTorch contracts a + v * b * c into an fma, so an overflowing product gives -inf
    or inf there and NaN here (clgrad's pointwise kernels round like numpy).
    """
    ref = _outcome(lambda: call(clgrad, *[build(s, clgrad, "cpu") for s in specs]))
    for device in CL_DEVICES:
        got = _outcome(lambda: call(clgrad, *[build(s, clgrad, device) for s in specs]))
        _assert_same(ref, got, f"cpu vs {device}: {specs}", exact)
    if torch is not None and not _traps_in_torch(call, specs):
        got = _outcome(lambda: (torch_call or call)(torch, *[build(s, torch) for s in specs]))
        _assert_same(got, ref, f"torch vs clgrad cpu: {specs}", exact, torch_differs)


# One public call per primitive of the op table (the table's name -> how a user reaches it),
# so every primitive is fuzzed; test_every_primitive_is_fuzzed keeps this list complete.
UNARY = {name: (lambda n: lambda lib, x: getattr(lib, n)(x))(name) for name in (
    "abs", "neg", "sign", "square", "reciprocal", "sqrt", "rsqrt", "exp", "exp2", "expm1",
    "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
    "tanh", "asinh", "acosh", "atanh", "sigmoid", "logit", "erf", "erfc", "erfinv", "floor",
    "ceil", "round", "trunc", "frac", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
    "isreal", "signbit", "logical_not", "bitwise_not", "lgamma", "digamma", "i0", "sinc",
    "nan_to_num")}
UNARY.update({
    "copy": lambda lib, x: x.clone(),
    "entr": lambda lib, x: lib.special.entr(x),
    "i0e": lambda lib, x: lib.special.i0e(x),
    "i1": lambda lib, x: lib.special.i1(x),
    "i1e": lambda lib, x: lib.special.i1e(x),
    "logit_eps": lambda lib, x: lib.logit(x, eps=0.1),
    "round_decimals": lambda lib, x: lib.round(x, decimals=2),
    "round_neg_decimals": lambda lib, x: lib.round(x, decimals=-1),
    "polygamma": lambda lib, x: lib.polygamma(1, x),
})
BINARY = {name: (lambda n: lambda lib, x, y: getattr(lib, n)(x, y))(name) for name in (
    "add", "sub", "mul", "div", "remainder", "fmod", "pow", "maximum", "minimum", "fmax",
    "fmin", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
    "bitwise_and", "bitwise_or", "bitwise_xor", "atan2", "hypot", "copysign", "xlogy",
    "nextafter", "clamp_min", "clamp_max", "isclose")}
BINARY.update({
    "add_alpha": lambda lib, x, y: lib.add(x, y, alpha=2),
    "sub_alpha": lambda lib, x, y: lib.sub(x, y, alpha=2),
    "div_floor": lambda lib, x, y: lib.div(x, y, rounding_mode="floor"),
    "div_trunc": lambda lib, x, y: lib.div(x, y, rounding_mode="trunc"),
    "lshift": lambda lib, x, y: lib.bitwise_left_shift(x, y),
    "rshift": lambda lib, x, y: lib.bitwise_right_shift(x, y),
    "isclose_equal_nan": lambda lib, x, y: lib.isclose(x, y, equal_nan=True),
    "xlog1py": lambda lib, x, y: lib.special.xlog1py(x, y),
    "zeta": lambda lib, x, y: lib.special.zeta(x, y),
})
for _name in ("div", "remainder", "fmod", "div_floor", "div_trunc"):
    BINARY[_name].divides = True  # see _traps_in_torch
TERNARY = {
    "addcdiv": lambda lib, x, y, z: lib.addcdiv(x, y, z, value=0.5),
    "addcmul": lambda lib, x, y, z: lib.addcmul(x, y, z, value=2),
    "clamp": lambda lib, x, y, z: lib.clamp(x, y, z),
    "lerp": lambda lib, x, y, z: lib.lerp(x, y, z),
    "where": lambda lib, x, y, z: lib.where(x.bool(), y, z),
}
REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "all", "any", "argmax", "argmin", "std",
              "var", "logsumexp", "nansum", "nanmean", "count_nonzero", "cumsum", "cumprod",
              "cummax", "max", "min", "sort", "argsort", "norm", "norm0", "norm1", "norm2",
              "norminf",
              "normninf", "normp", "notnan"]
# Reductions of the table reached through a public call with an argument (name -> call).
_REDUCTION_CALLS = {
    "norm0": lambda lib, t, dims: lib.linalg.vector_norm(t, 0, **dims),
    "norm1": lambda lib, t, dims: lib.linalg.vector_norm(t, 1, **dims),
    "norm2": lambda lib, t, dims: lib.linalg.vector_norm(t, 2, **dims),
    "norminf": lambda lib, t, dims: lib.linalg.vector_norm(t, float("inf"), **dims),
    "normninf": lambda lib, t, dims: lib.linalg.vector_norm(t, float("-inf"), **dims),
    "normp": lambda lib, t, dims: lib.linalg.vector_norm(t, 3, **dims),
    "notnan": lambda lib, t, dims: (~lib.isnan(t)).sum(**dims),
}


def test_every_primitive_is_fuzzed():
    from clgrad.ops import pointwise_table, reduce_table
    from clgrad.ops.pointwise_spec import PointwiseOp
    table = {v.name for v in vars(pointwise_table).values() if isinstance(v, PointwiseOp)}
    missing = table - set(UNARY) - set(BINARY) - set(TERNARY)
    assert not missing, f"op-table primitives without a fuzz case: {sorted(missing)}"
    specs = {v.name for v in vars(reduce_table).values()
             if isinstance(v, reduce_table.ReduceSpec)}
    assert not specs - set(REDUCTIONS), sorted(specs - set(REDUCTIONS))


@pytest.mark.parametrize("name", sorted(UNARY))
@FUZZ
@given(x=operand())
def test_unary(name, x):
    differential(UNARY[name], [x], torch_differs="poles" if name == "polygamma" else "")


def _partner(data, shape, dtype=None):
    """An operand broadcasting against `shape`: same shape, trailing dims, or size 1."""
    b_shape = data.draw(st.sampled_from([shape, shape[1:], tuple(1 for _ in shape), ()]))
    return data.draw(operand(shape=b_shape, dtype=dtype))


@pytest.mark.parametrize("name", sorted(BINARY))
@FUZZ
@given(data=st.data())
def test_binary(name, data):
    a = data.draw(operand())
    differential(BINARY[name], [a, _partner(data, a[1])])


@pytest.mark.parametrize("name", sorted(TERNARY))
@FUZZ
@given(data=st.data())
def test_ternary(name, data):
    a = data.draw(operand())
    differential(TERNARY[name], [a, _partner(data, a[1]), _partner(data, a[1])],
                 torch_differs="fma" if name in ("addcmul", "addcdiv", "lerp") else "")


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "floor_divide", "remainder",
                                  "fmod", "pow", "eq", "lt", "maximum", "bitwise_and"])
@FUZZ
@given(x=operand(), scalar=st.sampled_from([0, 1, -3, 2.5, -0.0, float("inf"), True]))
def test_binary_with_scalar(name, x, scalar):
    if name in ("maximum",):
        return  # tensors only, in PyTorch as here (checked by test_pointwise)
    differential(lambda lib, t: getattr(lib, name)(t, scalar), [x])


@pytest.mark.parametrize("name", REDUCTIONS)
@FUZZ
@given(data=st.data())
def test_reduction(name, data):
    x = data.draw(operand())
    rank = len(x[1])
    dim = data.draw(st.sampled_from([None] + list(range(-rank, rank)) if rank else [None]))
    keepdim = data.draw(st.booleans())

    def call(lib, t):
        if name in _REDUCTION_CALLS:
            dims = {} if dim is None else {"dim": dim, "keepdim": keepdim}
            return _REDUCTION_CALLS[name](lib, t, dims)
        fn = getattr(lib, name)
        if name in ("cumsum", "cumprod", "cummax", "sort", "argsort"):
            return fn(t, dim=0 if dim is None else dim)
        if dim is None:
            return fn(t)
        if name == "count_nonzero":
            return fn(t, dim=dim)
        return fn(t, dim=dim, keepdim=keepdim)

    differential(call, [x], exact=name in ("argmax", "argmin", "sort", "argsort", "cummax",
                                           "max", "min", "amax", "amin"))


@FUZZ
@given(x=operand(), dtype=st.sampled_from(DTYPES))
def test_cast(x, dtype):
    differential(lambda lib, t: t.to(getattr(lib, dtype)), [x])


@st.composite
def indices(draw, size):
    """int64 indices into a dim of `size`: mostly valid, sometimes negative or out of range."""
    n = draw(st.integers(0, 4))
    low, high = (-size - 1, size) if size else (-1, 1)
    return draw(st.lists(st.integers(low, high), min_size=n, max_size=n))


@FUZZ
@given(data=st.data())
def test_index_select_and_gather(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    x = data.draw(operand(shape=shape))
    dim = data.draw(st.integers(0, len(x[1]) - 1))
    idx = data.draw(indices(x[1][dim]))

    def select(lib, t):
        return lib.index_select(t, dim, lib.tensor(idx, dtype=lib.int64, device=t.device))

    def take_rows(lib, t):
        return t[lib.tensor(idx, dtype=lib.int64, device=t.device)]

    # Out-of-range and negative indices raise on both devices (cl: at the read).
    differential(select, [x])
    differential(take_rows, [x])


@FUZZ
@given(data=st.data())
def test_where_clamp_matmul(data):
    shape = tuple(data.draw(st.lists(st.integers(0, 3), min_size=2, max_size=2)))
    a = data.draw(operand(shape=shape, dtype=data.draw(st.sampled_from(FLOATS + INTS))))
    c = data.draw(operand(shape=shape, dtype="bool"))
    b = data.draw(operand(shape=shape, dtype=a[0]))
    differential(lambda lib, cond, x, y: lib.where(cond, x, y), [c, a, b])
    differential(lambda lib, x: lib.clamp(x, -2, 3), [a])
    m = data.draw(operand(shape=(shape[1], 2), dtype=a[0]))
    differential(lambda lib, x, y: x @ y, [a, m])
