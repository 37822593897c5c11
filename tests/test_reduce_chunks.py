"""The CPU devices' reduction strategy (backends/cl/reduce.py, the chunks kernel): rows folded
in contiguous runs, columns read side by side in blocks of adjacent outputs, the reduced
range split into partials and a second pass, at sizes and layouts small enough to run on
Oclgrind. Every result is compared with numpy in float64."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad

cl = pytest.importorskip("pyopencl")
from clgrad.backends.cl.reduce import ClReduce  # noqa: E402


@pytest.fixture(params=["whole", "split"])
def strategy(request, cl_device, monkeypatch):
    """cl with the chunked strategy forced; "split" makes ranges of 16+ elements take
    partials and a second pass (up to 512 work-items aimed for), with blocks of 8 adjacent
    outputs (tails included)."""
    monkeypatch.setattr(ClReduce, "reduce_chunked", True)
    if request.param == "split":
        monkeypatch.setattr(ClReduce, "reduce_cpu_min_chunk", 8)
        monkeypatch.setattr(ClReduce, "reduce_cpu_items_per_unit", 256)
        monkeypatch.setattr(ClReduce, "reduce_cpu_lanes", 8)
        monkeypatch.setattr(ClReduce, "reduce_cpu_unroll", 4)
    return cl_device


def _data(shape, seed=0, nan=False):
    rng = np.random.default_rng(seed)
    a = (rng.integers(-4, 5, shape) * 0.5 + rng.random(shape)).astype(np.float32)
    if nan:
        a[rng.random(shape) < 0.05] = np.nan
    return a


# (shape of the base, how the view is taken, dims): rows, columns, both, strided runs
CASES = [
    ((37, 29), lambda a: a, 1),
    ((37, 29), lambda a: a, 0),
    ((37, 29), lambda a: a, (0, 1)),
    ((29, 37), lambda a: a.T, 1),            # outer stride 1: blocks of adjacent outputs
    ((6, 7, 9), lambda a: a, (0, 2)),        # inner runs of 9 contiguous elements
    ((6, 7, 9), lambda a: a, (0, 1)),        # columns over two coalesced strided dims
    ((5, 6, 7), lambda a: a.transpose(2, 0, 1), (1, 2)),
    ((8, 30), lambda a: a[1::2, ::3], 1),    # every dim strided, no run of two
    ((8, 30), lambda a: a[1::2, ::3], 0),
    ((300,), lambda a: a, 0),
]


def _on_device(base, view, device, dtype=None):
    t = clgrad.tensor(base, dtype=dtype, device=device)
    item = base.itemsize
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item
    return t._view(view.shape, tuple(s // item for s in view.strides), offset)


def _close(got, want, rtol=1e-5, atol=1e-4):
    if got.dtype is clgrad.bfloat16:
        got = got.float()
    np.testing.assert_allclose(np.asarray(got.cpu().numpy(), np.float64), want, rtol=rtol,
                               atol=atol, equal_nan=True)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_chunked_float(strategy, case):
    shape, make, dims = CASES[case]
    base = _data(shape, case)
    view = make(base)
    t = _on_device(base, view, strategy)
    v = view.astype(np.float64)
    axis = dims if isinstance(dims, tuple) else (dims,)
    _close(t.sum(dims), v.sum(axis))
    _close(t.sum(dims, keepdim=True), v.sum(axis, keepdims=True))
    _close(t.mean(dims), v.mean(axis))
    _close(t.var(dims), v.var(axis, ddof=1), 1e-4)
    _close(t.std(dims, correction=0), v.std(axis), 1e-4)
    _close(t.amax(dims), v.max(axis), 0, 0)
    _close(t.amin(dims), v.min(axis), 0, 0)
    _close(t.norm(dim=dims), np.sqrt((v * v).sum(axis)))
    _close(t.logsumexp(dims), np.log(np.exp(v).sum(axis)))
    _close(t.abs().mul(0.02).add(0.95).prod(dims), (np.abs(v) * 0.02 + 0.95).prod(axis), 1e-4)


@pytest.mark.parametrize("case", [0, 1, 3, 5, 8])
def test_chunked_nan(strategy, case):
    shape, make, dims = CASES[case]
    base = _data(shape, case, nan=True)
    view = make(base)
    t = _on_device(base, view, strategy)
    v = view.astype(np.float64)
    axis = dims if isinstance(dims, tuple) else (dims,)
    _close(t.sum(dims), v.sum(axis))
    _close(t.amax(dims), v.max(axis), 0, 0)
    _close(t.amin(dims), v.min(axis), 0, 0)
    _close(t.nansum(dims), np.nansum(v, axis))
    _close(t.nanmean(dims), np.nanmean(v, axis))


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("case", [0, 1, 3, 6])
def test_chunked_dtypes(strategy, dtype, case):
    if dtype == "float64" and not clgrad.cl.get_device_properties(0).fp64:
        pytest.skip("no fp64 on this device")
    shape, make, dims = CASES[case]
    rng = np.random.default_rng(case)
    if dtype == "bool":
        base = rng.random(shape) < 0.5
    elif dtype in ("int32", "uint8"):
        base = rng.integers(0, 9, shape).astype(dtype)
    else:
        base = _data(shape, case)
    view = make(base)
    t = _on_device(base, view, strategy, getattr(clgrad, dtype))
    # what the device holds, exactly (bfloat16 rounds on the way in)
    v = np.asarray(t.float().cpu().numpy(), np.float64)
    axis = dims if isinstance(dims, tuple) else (dims,)
    s = t.sum(dims)
    want_dt = clgrad.int64 if dtype in ("int32", "uint8", "bool") else t.dtype
    assert s.dtype is want_dt
    tol = 1e-2 if dtype in ("float16", "bfloat16") else 1e-6
    _close(s, v.sum(axis), tol, tol)
    _close(t.amax(dims), v.max(axis), 0, 0)
    if dtype == "bool":
        _close(t.all(dims), v.all(axis), 0, 0)
        _close(t.any(dims), v.any(axis), 0, 0)
    else:
        _close(t.count_nonzero(dims), (v != 0).sum(axis), 0, 0)


def test_split_takes_two_passes(strategy, request):
    """The split geometry really splits: two launches for one column sum."""
    from clgrad.backends.cl import runtime
    t = clgrad.tensor(_data((37, 29)), device=strategy)
    before = runtime.launch_count()
    t.sum(0)
    want = 2 if "split" in request.node.callspec.id else 1
    assert runtime.launch_count() - before == want


def test_chunked_empty_and_one(strategy):
    e = clgrad.zeros(3, 0, device=strategy)
    _close(e.sum(1), np.zeros(3))
    _close(e.sum(0), np.zeros(0))
    _close(e.mean(1), np.full(3, np.nan))
    one = clgrad.tensor(_data((1, 50)), device=strategy)
    _close(one.sum(0), _data((1, 50)).astype(np.float64).sum(0))
    _close(one.sum(1), _data((1, 50)).astype(np.float64).sum(1))


def test_chunked_long_range(strategy):
    """A range long enough that the default geometry splits it too (16 partials)."""
    a = _data((300_001,), 3)
    t = clgrad.tensor(a, device=strategy)
    _close(t.sum(), a.astype(np.float64).sum(), 1e-5, 1e-2)
    _close(t.amax(), a.max(), 0, 0)
    two = clgrad.tensor(np.stack([a[:150_000], a[150_000:300_000]], 1), device=strategy)
    _close(two.sum(0), np.stack([a[:150_000], a[150_000:300_000]], 1).astype(np.float64)
           .sum(0), 1e-5, 1e-2)
