"""Reductions, scans and sorting on every device against numpy (and PyTorch where installed)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import clgrad
from helpers import device_supports_fp64

# -- inputs -----------------------------------------------------------------------------------
SHAPE = (3, 4, 5)
# How each input is laid out: contiguous, a permutation of a contiguous base, or a stepped
# slice of a bigger base (read in place through the tensor's strides).
LAYOUTS = {
    "contig": ((3, 4, 5), lambda b: b),
    "perm": ((5, 3, 4), lambda b: b.transpose(1, 2, 0)),
    "step": ((7, 4, 11), lambda b: b[1::2, :, ::2][:3, :, :5]),
}


def sample(dtype: str, shape=SHAPE, layout: str = "contig", seed: int = 0, nan: bool = False,
           low: int = -4, high: int = 5):
    """(numpy view, clgrad base dtype name): values with ties, optionally NaNs."""
    rng = np.random.default_rng(seed)
    base_shape, make_view = LAYOUTS[layout]
    if shape != SHAPE:
        base_shape, make_view = shape, (lambda b: b)
    if dtype == "bool":
        base = rng.random(base_shape) < 0.5
    elif dtype.startswith("float"):
        base = rng.integers(low, high, base_shape).astype(dtype) * 0.5 \
            + rng.random(base_shape).astype(dtype) * (rng.random(base_shape) < 0.5)
        if nan:
            base[rng.random(base_shape) < 0.1] = np.nan
    else:
        lo = 0 if dtype == "uint8" else low
        base = rng.integers(lo, high, base_shape).astype(dtype)
    return base, make_view(base)


def on_device(base: np.ndarray, view: np.ndarray, device: str) -> clgrad.Tensor:
    """A clgrad view of a copy of `base` on device with the strides of numpy's `view`."""
    t = clgrad.tensor(base, device=device)
    item = base.itemsize
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item
    return t._view(view.shape, tuple(s // item for s in view.strides), offset)


def host(t) -> np.ndarray:
    return np.asarray(t.cpu().numpy())


def check(got: clgrad.Tensor, want, dtype: str, rtol=1e-5, atol=1e-5) -> None:
    want = np.asarray(want)
    assert got.dtype is getattr(clgrad, dtype), (got.dtype, dtype)
    assert tuple(got.shape) == want.shape, (tuple(got.shape), want.shape)
    np.testing.assert_allclose(host(got).astype(np.float64), want.astype(np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)


def _axis(dim):
    return None if dim is None else dim


def _np_var(a, axis, keepdims, correction=1.0):
    n = a.size if axis is None else int(np.prod([a.shape[d] for d in np.atleast_1d(axis)]))
    m = a.mean(axis=axis, keepdims=True)
    with np.errstate(all="ignore"):
        return ((a - m) ** 2).sum(axis=axis, keepdims=keepdims) / max(n - correction, 0)


def _np_logsumexp(a, axis, keepdims):
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isinf(m), 0, m)
    r = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


def _norm(p):
    def ref(a, axis, keepdims):
        b = np.abs(a.astype(np.float64))
        if p == math.inf:
            r = b.max(axis=axis, keepdims=keepdims)
        elif p == -math.inf:
            r = b.min(axis=axis, keepdims=keepdims)
        elif p == 0:
            r = (b != 0).sum(axis=axis, keepdims=keepdims)
        else:
            r = (b ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)
        return r.astype(a.dtype)
    return ref


F, I, B = ("float32", "float64"), ("int32", "int64", "uint8", "int8"), ("bool",)
WIDE = {"bool": "int64", "uint8": "int64", "int8": "int64", "int32": "int64", "int64": "int64",
        "float32": "float32", "float64": "float64"}
SAME = {d: d for d in WIDE}
LOGIC = dict({d: "bool" for d in WIDE}, uint8="uint8")
LONG = {d: "int64" for d in WIDE}

# name: (clgrad call, numpy reference, dtypes, result dtype map, keepdim allowed, NaNs, tol)
OPS = {
    "sum": (lambda t, d, k: t.sum(d, k), lambda a, d, k: a.astype(np.float64 if a.dtype.kind
            == "f" else np.int64).sum(axis=d, keepdims=k), F + I + B, WIDE, True, False, 1e-5),
    "nansum": (lambda t, d, k: clgrad.nansum(t, d, k), lambda a, d, k: np.nansum(
        a.astype(np.float64 if a.dtype.kind == "f" else np.int64), axis=d, keepdims=k),
        F + ("int32",), WIDE, True, True, 1e-5),
    "mean": (lambda t, d, k: t.mean(d, k), lambda a, d, k: a.astype(np.float64).mean(
        axis=d, keepdims=k), F, SAME, True, False, 1e-5),
    "nanmean": (lambda t, d, k: t.nanmean(d, k), lambda a, d, k: np.nanmean(
        a.astype(np.float64), axis=d, keepdims=k), ("float32",), SAME, True, True, 1e-5),
    "prod": (lambda t, d, k: t.prod(d, k), lambda a, d, k: np.prod(a.astype(
        np.float64 if a.dtype.kind == "f" else np.int64), axis=d, keepdims=k),
        ("float64", "int32", "bool"), WIDE, True, False, 1e-6),
    "amax": (lambda t, d, k: t.amax(() if d is None else d, k), lambda a, d, k: np.max(
        a, axis=d, keepdims=k), F + I + B, SAME, True, True, 0),
    "amin": (lambda t, d, k: clgrad.amin(t, () if d is None else d, k), lambda a, d, k: np.min(
        a, axis=d, keepdims=k), ("float32", "int8"), SAME, True, True, 0),
    "all": (lambda t, d, k: t.all(d, k), lambda a, d, k: np.all(a, axis=d, keepdims=k),
            ("float32", "uint8", "bool"), LOGIC, True, False, 0),
    "any": (lambda t, d, k: t.any(d, k), lambda a, d, k: np.any(a, axis=d, keepdims=k),
            ("float32", "int32", "bool"), LOGIC, True, False, 0),
    "count_nonzero": (lambda t, d, k: t.count_nonzero(d), lambda a, d, k: np.count_nonzero(
        a, axis=d), ("float32", "int64", "bool"), LONG, False, False, 0),
    "var": (lambda t, d, k: t.var(d, keepdim=k), lambda a, d, k: _np_var(a.astype(np.float64),
            d, k), F, SAME, True, False, 1e-5),
    "std": (lambda t, d, k: t.std(d, keepdim=k, correction=0), lambda a, d, k: np.sqrt(
        _np_var(a.astype(np.float64), d, k, 0)), ("float32",), SAME, True, False, 1e-5),
    "logsumexp": (lambda t, d, k: t.logsumexp((0, 1, 2) if d is None else d, k),
                  lambda a, d, k: _np_logsumexp(a.astype(np.float64), d, k),
                  ("float32",), SAME, True, False, 1e-5),
    "norm2": (lambda t, d, k: t.norm(2, d, k), _norm(2), F, SAME, True, False, 1e-5),
    "norm1": (lambda t, d, k: t.norm(1, d, k), _norm(1), ("float32",), SAME, True, False, 1e-5),
    "norminf": (lambda t, d, k: t.norm(math.inf, d, k), _norm(math.inf), ("float32",), SAME,
                True, False, 1e-6),
    "normninf": (lambda t, d, k: t.norm(-math.inf, d, k), _norm(-math.inf), ("float32",),
                 SAME, True, False, 1e-6),
    "norm0": (lambda t, d, k: t.norm(0, d, k), _norm(0), ("float32",), SAME, True, False, 0),
    "norm3": (lambda t, d, k: t.norm(3, d, k), _norm(3), ("float32",), SAME, True, False, 1e-5),
}
# (dim, keepdim, layout) combinations every op is checked on.
CASES = [(None, False, "contig"), (1, True, "perm"), (-1, False, "step"),
         ((0, 2), False, "perm"), ((2, 0), True, "step"), (0, False, "contig")]


@pytest.mark.parametrize("name", sorted(OPS))
def test_reduction_table(device, name):
    call, ref, dtypes, result, keepdim_ok, nans, tol = OPS[name]
    for dtype in dtypes:
        if dtype == "float64" and not device_supports_fp64(device):
            continue
        for dim, keepdim, layout in CASES:
            keepdim = keepdim and keepdim_ok
            base, view = sample(dtype, layout=layout, nan=nans)
            got = call(on_device(base, view, device), dim, keepdim)
            axis = tuple(d % 3 for d in dim) if isinstance(dim, tuple) else dim
            want = ref(view, axis, keepdim)
            try:
                check(got, want, result[dtype], rtol=tol, atol=tol)
            except AssertionError as exc:
                raise AssertionError(f"{name} {dtype} dim={dim} keepdim={keepdim} {layout}: "
                                     f"{exc}") from None


# -- values with indices ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_max_min_argmax(device, dtype):
    for layout in LAYOUTS:
        base, view = sample(dtype, layout=layout, nan=True)
        t = on_device(base, view, device)
        for dim, keepdim in ((1, False), (-1, True), (0, False)):
            for kind, pick in (("max", np.argmax), ("min", np.argmin)):
                values, indices = getattr(t, kind)(dim, keepdim)
                idx = pick(view, axis=dim)
                vals = np.take_along_axis(view, np.expand_dims(idx, dim), dim)
                if not keepdim:
                    vals = np.squeeze(vals, dim)
                else:
                    idx = np.expand_dims(idx, dim)
                check(values, vals, dtype, 0, 0)
                check(indices, idx, "int64", 0, 0)
                if dtype != "bool":  # argmax/argmin refuse bool, as in PyTorch
                    check(getattr(t, "arg" + kind)(dim, keepdim), idx, "int64", 0, 0)
            if dtype != "bool":
                check(t.argmax(), np.argmax(view), "int64", 0, 0)
                check(t.argmin(keepdim=True), np.argmin(view).reshape(1, 1, 1), "int64", 0, 0)
            check(t.max(), np.max(view), dtype, 0, 0)
        lo, hi = t.aminmax(dim=1)
        check(lo, view.min(1), dtype, 0, 0)
        check(hi, view.max(1), dtype, 0, 0)


@pytest.mark.parametrize("chunked", [None, False], ids=["auto", "strided"])
def test_long_reductions_two_stage(device, chunked, monkeypatch):
    """Few outputs over a long range take the two-stage path: check it and its NaN/ties,
    with the device's own strategy and with the strided (GPU) one forced."""
    if chunked is not None:
        if device == "cpu":
            pytest.skip("a cl strategy")
        from clgrad.backends.cl.reduce import ClReduce
        monkeypatch.setattr(ClReduce, "reduce_chunked", chunked)
    rng = np.random.default_rng(1)
    a = rng.random(50_001).astype(np.float32)
    a[[7, 40_000]] = 2.0  # tie: the first index wins
    t = clgrad.tensor(a, device=device)
    check(t.sum(), a.astype(np.float64).sum(), "float32", 1e-5, 1e-3)
    check(t.argmax(), 7, "int64", 0, 0)
    check(t.max(0).indices, 7, "int64", 0, 0)
    check(t.var(), a.astype(np.float64).var(ddof=1), "float32", 1e-4, 1e-6)
    check(t.norm(), np.sqrt((a.astype(np.float64) ** 2).sum()), "float32", 1e-5, 1e-5)
    check(t.logsumexp(0), np.log(np.exp(a.astype(np.float64)).sum()), "float32", 1e-5, 1e-5)
    two = clgrad.tensor(np.stack([a, -a]), device=device)
    check(two.sum(1), np.stack([a, -a]).astype(np.float64).sum(1), "float32", 1e-5, 1e-3)
    check(two.amin(1), [a.min(), -2.0], "float32", 0, 0)
    b = a.copy()
    b[[123, 30_000]] = np.nan
    tb = clgrad.tensor(b, device=device)
    check(tb.argmax(), 123, "int64", 0, 0)
    check(tb.argmin(), 123, "int64", 0, 0)
    check(tb.max(), np.nan, "float32", 0, 0)
    check(tb.nansum(), np.nansum(b.astype(np.float64)), "float32", 1e-5, 1e-3)
    ints = clgrad.tensor(rng.integers(-9, 9, 20_000).astype(np.int32), device=device)
    check(ints.sum(), host(ints).astype(np.int64).sum(), "int64", 0, 0)
    check(ints.argmin(), np.argmin(host(ints)), "int64", 0, 0)


def test_half(device):
    a = np.random.default_rng(2).random((6, 7)).astype(np.float16)
    t = clgrad.tensor(a, device=device)
    check(t.sum(1), a.astype(np.float32).sum(1), "float16", 1e-3, 1e-2)
    check(t.mean(), a.astype(np.float32).mean(), "float16", 1e-3, 1e-3)
    check(t.amax(0), a.max(0), "float16", 0, 0)
    check(t.sort(1).values, np.sort(a, 1), "float16", 0, 0)
    check(t.cumsum(0), np.cumsum(a.astype(np.float32), 0), "float16", 1e-3, 1e-2)


# -- scans ------------------------------------------------------------------------------------
def _np_cumext(a, dim, kind):
    a = np.moveaxis(a, dim, -1)
    vals, idxs = np.empty_like(a), np.zeros(a.shape, np.int64)
    for pos in np.ndindex(a.shape[:-1]):
        best, bi = None, 0
        for j, x in enumerate(a[pos]):
            nan = a.dtype.kind == "f" and np.isnan(x)
            better = best is None or nan or (not (a.dtype.kind == "f" and np.isnan(best))
                                             and (x >= best if kind == "max" else x <= best))
            if better:
                best, bi = x, j
            vals[pos + (j,)], idxs[pos + (j,)] = best, bi
    return np.moveaxis(vals, -1, dim), np.moveaxis(idxs, -1, dim)


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_scans(device, dtype):
    for layout, dim in (("contig", 1), ("perm", -1), ("step", 0)):
        base, view = sample(dtype, layout=layout, nan=True, low=-2, high=3)
        t = on_device(base, view, device)
        acc = np.float64 if dtype.startswith("float") else np.int64
        check(t.cumsum(dim), np.cumsum(view.astype(acc), dim), WIDE[dtype], 1e-5, 1e-5)
        check(clgrad.cumprod(t, dim), np.cumprod(view.astype(acc), dim), WIDE[dtype], 1e-5,
              1e-5)
        for kind in ("max", "min"):
            values, indices = getattr(t, "cum" + kind)(dim)
            want_v, want_i = _np_cumext(view, dim % 3, kind)
            check(values, want_v, dtype, 0, 0)
            check(indices, want_i, "int64", 0, 0)
    t = on_device(*sample(dtype), device)
    assert t.cumsum(0, dtype=clgrad.float64).dtype is clgrad.float64 or \
        not device_supports_fp64(device)


# -- sorting ------------------------------------------------------------------------------------
def _stable_order(row, descending):
    def key(i):
        x = row[i]
        nan = row.dtype.kind == "f" and np.isnan(x)
        if descending:
            return (0 if nan else 1, -float(x) if not nan else 0)
        return (1 if nan else 0, float(x) if not nan else 0)
    return sorted(range(len(row)), key=key)


def _np_sort(a, dim, descending):
    moved = np.moveaxis(a, dim, -1)
    order = np.empty(moved.shape, np.int64)
    for pos in np.ndindex(moved.shape[:-1]):
        order[pos] = _stable_order(moved[pos], descending)
    values = np.take_along_axis(moved, order, -1)
    return np.moveaxis(values, -1, dim), np.moveaxis(order, -1, dim)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_sort_argsort_topk(device, dtype):
    for layout, dim in (("contig", -1), ("perm", 1), ("step", 0)):
        base, view = sample(dtype, layout=layout, nan=True)
        t = on_device(base, view, device)
        for descending in (False, True):
            values, indices = t.sort(dim, descending=descending)
            want_v, want_i = _np_sort(view, dim % 3, descending)
            check(values, want_v, dtype, 0, 0)
            check(indices, want_i, "int64", 0, 0)
            check(t.argsort(dim, descending), want_i, "int64", 0, 0)
        k = 2
        values, indices = t.topk(k, dim)
        want_v, want_i = _np_sort(view, dim % 3, True)
        check(values, np.take(want_v, range(k), dim % 3), dtype, 0, 0)
        check(indices, np.take(want_i, range(k), dim % 3), "int64", 0, 0)
        values, _ = t.topk(k, dim, largest=False)
        check(values, np.take(_np_sort(view, dim % 3, False)[0], range(k), dim % 3), dtype, 0, 0)


def test_sort_long_rows(device):
    a = np.random.default_rng(3).integers(0, 50, (3, 1000)).astype(np.float32)
    t = clgrad.tensor(a, device=device)
    values, indices = t.sort(1, descending=True)
    want_v, want_i = _np_sort(a, 1, True)
    check(values, want_v, "float32", 0, 0)
    check(indices, want_i, "int64", 0, 0)


def _gathered(t, values, indices, dim):
    """The elements of t at indices equal values (NaN-aware)."""
    got = np.take_along_axis(host(t), np.expand_dims(host(indices), dim), dim)
    np.testing.assert_array_equal(np.squeeze(got, dim), host(values))


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_kthvalue_median(device, dtype):
    for layout, dim in (("contig", -1), ("perm", 1), ("step", 0)):
        base, view = sample(dtype, layout=layout, nan=True)
        t = on_device(base, view, device)
        srt = np.sort(view, dim)  # numpy sorts NaN last, like clgrad and PyTorch
        n = view.shape[dim]
        values, indices = t.kthvalue(2, dim)
        check(values, np.take(srt, 1, dim), dtype, 0, 0)
        _gathered(t, values, indices, dim)
        values, indices = t.median(dim)
        want = np.take(srt, (n - 1) // 2, dim)
        if dtype.startswith("float"):
            want = np.where(np.isnan(view).any(dim), np.nan, want)
        check(values, want, dtype, 0, 0)
        _gathered(t, values, indices, dim)
        values, indices = t.nanmedian(dim, keepdim=True)
        if dtype.startswith("float"):
            cnt = (~np.isnan(view)).sum(dim, keepdims=True)
            want = np.take_along_axis(srt, np.maximum(cnt - 1, 0) // 2, dim)
        else:
            want = np.take(srt, [(n - 1) // 2], dim)
        check(values, want, dtype, 0, 0)
        _gathered(t, values.squeeze(dim), indices.squeeze(dim), dim)
    flat = t.median()
    assert flat.shape == ()


def test_mode_unique_histc_bincount(device):
    a = np.array([[3, 1, 1, 2, 3], [5, 5, 4, 4, 0]], np.int64)
    t = clgrad.tensor(a, device=device)
    values, indices = t.mode(1)
    check(values, [1, 4], "int64", 0, 0)
    check(indices, [2, 3], "int64", 0, 0)
    u, inv, cnt = t.unique(return_inverse=True, return_counts=True)
    uw, invw, cntw = np.unique(a, return_inverse=True, return_counts=True)
    check(u, uw, "int64", 0, 0)
    check(inv, invw.reshape(a.shape), "int64", 0, 0)
    check(cnt, cntw, "int64", 0, 0)
    f = clgrad.tensor([1.0, 2.0, 1.0, 2.5, 7.0], device=device)
    check(f.histc(bins=4, min=0, max=3), [0, 2, 1, 1], "float32", 0, 0)
    check(f.histc(bins=3), [4, 0, 1], "float32", 0, 0)
    x = clgrad.tensor([1, 3, 3, 0, 7, 3], device=device)
    check(clgrad.bincount(x), np.bincount([1, 3, 3, 0, 7, 3]), "int64", 0, 0)
    check(x.bincount(minlength=10), np.bincount([1, 3, 3, 0, 7, 3], minlength=10), "int64", 0, 0)
    w = clgrad.tensor([0.5, 1.0, 2.0, 0.25, 1.0, 4.0], device=device)
    check(x.bincount(w), np.bincount([1, 3, 3, 0, 7, 3], [0.5, 1, 2, .25, 1, 4]), "float32",
          0, 0)
    check(clgrad.tensor([], dtype=clgrad.int64, device=device).bincount(minlength=3),
          [0, 0, 0], "int64", 0, 0)
    with pytest.raises(RuntimeError, match="non-negative"):
        clgrad.tensor([1, -1], device=device).bincount()


# -- edges, errors, dtypes ----------------------------------------------------------------------
def test_empty_reductions(device):
    e = clgrad.zeros(0, 3, device=device)
    check(e.sum(0), [0, 0, 0], "float32", 0, 0)
    check(e.prod(0), [1, 1, 1], "float32", 0, 0)
    check(e.sum(), 0.0, "float32", 0, 0)
    check(e.mean(), np.nan, "float32", 0, 0)
    check(e.all(), True, "bool", 0, 0)
    check(e.any(0), [False] * 3, "bool", 0, 0)
    check(e.count_nonzero(), 0, "int64", 0, 0)
    check(e.logsumexp(0), [-np.inf] * 3, "float32", 0, 0)
    check(e.amax(1), np.zeros(0), "float32", 0, 0)
    check(e.norm(), 0.0, "float32", 0, 0)
    check(e.cumsum(0), np.zeros((0, 3)), "float32", 0, 0)
    check(e.sort(0).values, np.zeros((0, 3)), "float32", 0, 0)
    values, indices = e.max(1)
    assert values.shape == (0,) and indices.dtype is clgrad.int64
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        e.max()
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        e.max(0)
    with pytest.raises(IndexError, match="amax"):
        e.amax(0)
    with pytest.raises(IndexError):
        e.argmax()
    with pytest.raises(RuntimeError):
        e.aminmax()
    with pytest.raises(IndexError):
        e.median(0)


def test_errors(device):
    t = clgrad.ones(2, 3, device=device)
    for fn in (lambda: t.sum(2), lambda: t.sum((0, -3)), lambda: t.max(5), lambda: t.cumsum(2),
               lambda: t.sort(-3), lambda: t.argmax(2), lambda: t.mean(7)):
        with pytest.raises(IndexError, match="Dimension out of range"):
            fn()
    with pytest.raises(RuntimeError, match="appears multiple times"):
        t.sum((0, 0))
    i = clgrad.ones(2, 3, dtype=clgrad.int32, device=device)
    with pytest.raises(RuntimeError, match="mean"):
        i.mean()
    with pytest.raises(RuntimeError, match="std and var"):
        i.var()
    with pytest.raises(RuntimeError):
        i.norm()
    with pytest.raises(RuntimeError, match="out of range"):
        t.topk(4)
    with pytest.raises(RuntimeError, match="out of range"):
        t.kthvalue(0)


def test_result_dtypes_and_scalars(device):
    b = clgrad.tensor([True, False, True], device=device)
    assert b.sum().dtype is clgrad.int64 and b.sum().item() == 2
    assert b.prod().dtype is clgrad.int64
    assert clgrad.tensor([1, 2], dtype=clgrad.int8, device=device).amax().dtype is clgrad.int8
    assert clgrad.tensor([1, 2], device=device).logsumexp(0).dtype is clgrad.float32
    f = clgrad.tensor([1.5, 2.5], device=device)
    check(f.sum(dtype=clgrad.int32), 3, "int32", 0, 0)
    check(clgrad.tensor([1, 2], device=device).mean(dtype=clgrad.float32), 1.5, "float32", 0, 0)
    s = clgrad.tensor(5.0, device=device)
    check(s.sum(0), 5.0, "float32", 0, 0)
    check(s.max(-1).indices, 0, "int64", 0, 0)
    check(s.sort().values, 5.0, "float32", 0, 0)
    check(s.cumsum(0), 5.0, "float32", 0, 0)
    check(s.sum(keepdim=True), 5.0, "float32", 0, 0)
    m = clgrad.tensor([[1.0, 2.0]], device=device)
    check(m.sum(keepdim=True), [[3.0]], "float32", 0, 0)
    check(clgrad.var(m, 1, False, True), [[0.25]], "float32", 0, 0)
    v, mu = clgrad.std_mean(m, 1)
    check(v, [math.sqrt(0.5)], "float32", 1e-6, 1e-6)
    check(mu, [1.5], "float32", 0, 0)
    v, mu = clgrad.var_mean(m, correction=0)
    check(v, 0.25, "float32", 0, 0)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        check(clgrad.tensor([1.0], device=device).var(), np.nan, "float32", 0, 0)


def test_no_fallback_on_cl(cl_device):
    """Only unique, mode and histc may leave the device."""
    before = clgrad.cl.fallback_stats()
    t = clgrad.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), device=cl_device)
    for fn in (lambda: t.sum(), lambda: t.mean(0), lambda: t.nansum(), lambda: t.nanmean(1),
               lambda: t.prod(1), lambda: t.max(), lambda: t.max(1), lambda: t.amin(0),
               lambda: t.aminmax(), lambda: t.argmax(), lambda: t.std(), lambda: t.var(1),
               lambda: clgrad.std_mean(t), lambda: t.norm(3), lambda: t.logsumexp(1),
               lambda: t.all(), lambda: t.any(0), lambda: t.count_nonzero(), lambda: t.cumsum(0),
               lambda: t.cumprod(1), lambda: t.cummax(0), lambda: t.cummin(1), lambda: t.sort(),
               lambda: t.argsort(0), lambda: t.topk(2), lambda: t.kthvalue(2), lambda: t.median(),
               lambda: t.median(0), lambda: t.nanmedian(1),
               lambda: clgrad.tensor([1, 2, 2], device=cl_device).bincount()):
        fn()
    assert clgrad.cl.fallback_stats() == before


# -- PyTorch parity -----------------------------------------------------------------------------
def test_torch_parity(device):
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, np.nan, 3.0, 3.0], [2.0, -1.0, -1.0, 0.0], [0.5, 0.5, 9.0, -7.0]],
                 np.float32)
    t, ta = clgrad.tensor(a, device=device), torch.tensor(a)
    pairs = [
        (t.sum(1), ta.sum(1)), (t.nansum(0), ta.nansum(0)), (t.amax(1), ta.amax(1)),
        (t.argmax(1), ta.argmax(1)), (t.argmin(0), ta.argmin(0)),
        (t.max(1).indices, ta.max(1).indices), (t.cummax(1).indices, ta.cummax(1).indices),
        (t.cummin(1).values, ta.cummin(1).values), (t.sort(1).values, ta.sort(1).values),
        (t.sort(dim=1, descending=True, stable=True).indices,
         ta.sort(dim=1, descending=True, stable=True).indices),
        (t.sort(dim=1, stable=True).indices, ta.sort(dim=1, stable=True).indices),
        (t.median(1).values, ta.median(1).values), (t.nanmedian(1).values,
                                                    ta.nanmedian(1).values),
        (t.topk(2, 1).values, ta.topk(2, 1).values), (t.var(0), ta.var(0)),
        (t.std(1, correction=0), ta.std(1, correction=0)), (t.logsumexp(1), ta.logsumexp(1)),
        (t.norm(dim=0), ta.norm(dim=0)), (t.norm(0.5, 1), ta.norm(0.5, 1)),
        (t.all(1), ta.all(1)), (t.count_nonzero(0), ta.count_nonzero(0)),
        (t.cumsum(0), ta.cumsum(0)), (t.mean((0, 1)), ta.mean((0, 1))),
    ]
    for ours, theirs in pairs:
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        np.testing.assert_allclose(host(ours), theirs.numpy(), rtol=1e-5, atol=1e-6,
                                   equal_nan=True)
    i = np.array([[3, 1, 1], [2, 2, 5]], np.int32)
    ti, tt = clgrad.tensor(i, device=device), torch.tensor(i)
    for ours, theirs in ((ti.sum(0), tt.sum(0)), (ti.prod(1), tt.prod(1)),
                         (ti.cumsum(1), tt.cumsum(1)), (ti.any(1), tt.any(1)),
                         (ti.mode(1).values, tt.mode(1).values),
                         (clgrad.tensor([1, 4, 4], device=device).bincount(),
                          torch.tensor([1, 4, 4]).bincount())):
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(host(ours), theirs.numpy())


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_reductions_refuse_bool_as_pytorch(op, device):
    x = clgrad.tensor([True, False], device=device)
    with pytest.raises(RuntimeError, match=f"{op}\\(\\): does not support bool input"):
        getattr(clgrad, op)(x)
    with pytest.raises(RuntimeError, match="does not support bool"):
        getattr(x, op)(dim=0)
