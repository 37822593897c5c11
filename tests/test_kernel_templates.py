"""Every kernel template, at every dtype it is rendered for, launched through clgrad's ops.

The list of kernels comes from the templates' SIGNATURES blocks (one entry per `<%def>` that
is a kernel); RENDERED_FOR says which dtypes each is rendered for, and the coverage test fails
when a kernel is missing from it or is not launched at one of its dtypes by the drivers
below. The shapes are small because tools/oclgrind_tests.py runs this file on the Oclgrind
simulator (uninitialised reads checked, once at Oclgrind's limits and once at a small GPU's),
where each value is also compared with the cpu device's.
"""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F
from clgrad.backends import backend_for
from helpers import device_supports_fp64, to_numpy

pytestmark = pytest.mark.kernel

cl = pytest.importorskip("pyopencl")
from clgrad.backends.cl import programs, runtime  # noqa: E402

FLOATS = ("float32", "float64", "float16", "bfloat16")
INTS = ("int8", "int16", "int32", "int64", "uint8")
ALL = FLOATS + INTS + ("bool",)
NO_BOOL = FLOATS + INTS
# Kernels specialised on no dtype (their buffers have fixed types): launched once is enough.
UNTYPED = ("-",)

# (template, kernel) -> the dtypes it is rendered for. A kernel rendered for a dtype is one
# whose render parameters name that dtype (an input's, an output's or a parameter's).
RENDERED_FOR = {
    ("elementwise.cl.mako", "pointwise"): ALL,
    ("creation.cl.mako", "arange"): NO_BOOL,
    ("creation.cl.mako", "linspace"): NO_BOOL,
    ("creation.cl.mako", "eye"): ALL,
    ("creation.cl.mako", "tri"): ALL,
    ("reduce.cl.mako", "reduce"): ALL,
    ("reduce.cl.mako", "partial"): ALL,
    ("reduce.cl.mako", "chunks"): ALL,  # CPU devices (Oclgrind is one too)
    ("scan.cl.mako", "scan"): ALL,
    ("sort.cl.mako", "sort_init"): ALL,
    ("sort.cl.mako", "sort_step"): UNTYPED,
    ("sort.cl.mako", "sort_select"): ALL,
    # bincount is rendered for its output (int64 counts) and its weights' dtype.
    ("sort.cl.mako", "bincount"): ("int64",) + FLOATS,
    ("index.cl.mako", "index_map"): ALL,
    ("index.cl.mako", "nonzero"): UNTYPED,
    # The pair that places gradients at indices (max with dim, sort, cummax and their
    # double backward).
    ("index.cl.mako", "gather_dim"): FLOATS,
    ("index.cl.mako", "scatter_dim"): FLOATS,
    ("gemm.cl.mako", "gemm"): FLOATS,
    ("gemm.cl.mako", "pack"): UNTYPED,  # copies bits: specialised on the element's width
    ("conv.cl.mako", "im2col"): FLOATS,
    ("conv.cl.mako", "col2im"): FLOATS,
    ("pool.cl.mako", "pool_fwd"): FLOATS,
    ("pool.cl.mako", "pool_bwd"): FLOATS,
    ("norm.cl.mako", "moments"): FLOATS,
    ("norm.cl.mako", "apply"): FLOATS,
    ("norm.cl.mako", "bwd_sums"): FLOATS,
    ("norm.cl.mako", "bwd_apply"): FLOATS,
    ("softmax.cl.mako", "softmax_fwd"): FLOATS,
    ("softmax.cl.mako", "softmax_bwd"): FLOATS,
    # contiguous rows on CPU devices (Oclgrind is one too)
    ("softmax.cl.mako", "softmax_rows"): ("float32", "float64"),
    ("softmax.cl.mako", "softmax_rows_bwd"): ("float32", "float64"),
    ("loss.cl.mako", "nll_none"): FLOATS,
    ("loss.cl.mako", "nll_reduce"): FLOATS,
    ("loss.cl.mako", "nll_bwd"): FLOATS,
    **{("optim.cl.mako", kind): FLOATS for kind in (
        "sgd", "adam", "adagrad", "adadelta", "adamax", "nadam", "radam", "rmsprop")},
    ("random.cl.mako", "fill"): FLOATS,
    ("random.cl.mako", "randint"): INTS,
    ("random.cl.mako", "bernoulli_tensor"): FLOATS,
    ("random.cl.mako", "philox_raw"): UNTYPED,
    ("random.cl.mako", "perm_keys"): UNTYPED,
    ("random.cl.mako", "bitonic_step"): UNTYPED,
    ("random.cl.mako", "mn_cdf"): FLOATS,
    ("random.cl.mako", "mn_draw"): UNTYPED,
    ("random.cl.mako", "mn_draw_noreplace"): FLOATS,
    ("check.cl.mako", "in_range"): FLOATS,  # bernoulli's p, binary_cross_entropy's input
    ("check.cl.mako", "probabilities"): FLOATS,  # multinomial's
}


def declared_kernels() -> set:
    """(template, kernel) of every kernel the templates declare a signature for."""
    found = set()
    for path in programs.template_dir().glob("*.cl.mako"):
        module = programs._lookup().get_template(path.name).module
        found.update((path.name, name) for name in getattr(module, "SIGNATURES", {}))
    return found


def rendered_dtypes(params: dict) -> set:
    """Names of the clgrad dtypes among a kernel's render parameters (nested one level)."""
    found = set()
    stack = list(params.values())
    while stack:
        value = stack.pop()
        if isinstance(value, clgrad.dtype):
            found.add(value.name)
        elif isinstance(value, (tuple, list)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return found


# -- the drivers: small shapes, every family a dtype reaches --------------------------------
def _pattern(shape, dtype, dev, modulo=5, offset=0):
    arr = (np.arange(int(np.prod(shape))) % modulo + offset).reshape(shape)
    if dtype == "bool":
        arr = arr.astype(bool)
    return clgrad.tensor(arr, dtype=getattr(clgrad, dtype), device=dev)


def _exercise(dev: str, dtype: str) -> dict:
    """Results of ops that reach every kernel family rendered for `dtype` (deterministic ones
    only: these are compared with the cpu device's)."""
    d = getattr(clgrad, dtype)
    floating = dtype in FLOATS
    out = {}
    x = _pattern((3, 4), dtype, dev)
    y = _pattern((4, 3), dtype, dev, modulo=3, offset=1 if dtype != "bool" else 0)
    # pointwise: contiguous, strided, scalar operand, comparisons, casts
    out["add"] = x + y.t()
    out["mul_scalar"] = x.t() * (2 if dtype != "bool" else True)
    out["eq"] = x == y.t()
    out["cast"] = x.to(clgrad.float32) if dtype != "float32" else x.to(clgrad.int32)
    # creation
    out["eye"] = clgrad.eye(3, 4, dtype=d, device=dev)
    out["triu"] = x.triu(1)
    out["tril"] = x.tril()
    if dtype != "bool":
        out["arange"] = clgrad.arange(1, 7, 2, dtype=d, device=dev)
        out["linspace"] = clgrad.linspace(0, 4, 5, dtype=d, device=dev)
    # reductions: one work-item per output, strided inner range, two stages, arg reductions
    out["sum"] = x.sum(1)
    out["sum_strided"] = x.t().sum(0)
    out["prod"] = x.prod(0)
    out["amax"] = x.amax(0)
    out["max_dim"] = x.max(1)
    out["min_dim"] = x.t().min(1)
    long = _pattern((4100,), dtype, dev, modulo=7)
    out["sum_two_stage"] = long.sum()
    out["max_two_stage"] = long.max(0)
    out["all"] = x.all(1)
    out["any"] = x.any(0)
    if floating:
        out["mean"] = x.mean(0)
        out["var"] = x.var(1)
    # scans
    out["cumsum"] = x.cumsum(1)
    out["cumprod"] = x.t().cumprod(0)
    out["cummax"] = x.cummax(1)
    out["cummin"] = x.t().cummin(1)
    # sorting and selections
    out["sort"] = x.sort(1)
    out["sort_desc"] = x.t().sort(1, descending=True)
    out["argsort"] = x.argsort(0)
    if dtype != "bool":
        out["median"] = x.median(1)
    if floating:
        out["nanmedian"] = x.nanmedian(1)
    if dtype in INTS:
        out["bincount"] = clgrad.bincount(x.reshape(-1))
    if floating:
        counted = _pattern((12,), "int64", dev)
        out["bincount_w"] = clgrad.bincount(counted, weights=x.reshape(-1))
    # indexing: advanced get/put, masks (nonzero), gather/scatter
    rows = clgrad.tensor([2, 0, 2], device=dev)
    out["take_rows"] = x[rows]
    out["take_points"] = x[rows, clgrad.tensor([1, 3, 0], device=dev)]
    z = x.clone()
    z[rows[:2]] = y.t()[:2]
    out["index_put"] = z
    z = x.clone()
    z.index_put_((rows,), y.t()[:3], accumulate=True)
    out["index_put_acc"] = z
    mask = _pattern((3, 4), "bool", dev, modulo=3)
    out["masked"] = x[mask]
    out["nonzero"] = x.nonzero()
    idx = clgrad.tensor([[0, 3], [1, 2], [2, 0]], device=dev)  # distinct in a row: no race
    out["gather"] = x.gather(1, idx)
    out["scatter"] = clgrad.zeros(3, 4, dtype=d, device=dev).scatter(1, idx, x[:, :2])
    if dtype != "bool":
        out["scatter_add"] = clgrad.zeros(3, 4, dtype=d, device=dev).scatter_add(1, idx,
                                                                                 x[:, :2])
    if floating:
        _exercise_nn(dev, d, x, out)
    return out


def _exercise_nn(dev: str, d, x, out: dict) -> None:
    """The floating families: gemm, conv, pool, norm, softmax, loss, optimizers (with
    gradients, so every backward kernel runs)."""
    a = x.detach().requires_grad_()
    out["matmul"] = a @ x.t()
    # Gradients placed at indices (scatter_dim) and, under create_graph, gathered back.
    picked = a.max(1).values.sum() + (a.sort(1).values * a).sum() + a.cummax(1).values.sum()
    (grad,) = clgrad.autograd.grad(picked, a, create_graph=True)
    (grad * grad).sum().backward()
    out["index_grad"], out["index_gradgrad"] = grad, a.grad
    out["bmm"] = x.reshape(1, 3, 4).expand(2, 3, 4) @ x.t()
    # Large enough that gemm packs both transposed operands (the pack kernel) first.
    p = _pattern((40, 36), d.name, dev)
    out["matmul_packed"] = p.t() @ p
    img = _pattern((1, 2, 5, 5), d.name, dev, modulo=7).requires_grad_()
    w = _pattern((3, 2, 3, 3), d.name, dev, modulo=3, offset=-1) / 4
    conv = F.conv2d(img, w, padding=1)
    pooled = F.max_pool2d(conv, 2) + F.avg_pool2d(conv, 2) + F.adaptive_avg_pool2d(conv, 2)
    normed = F.layer_norm(pooled, pooled.shape[-1:]) + F.batch_norm(
        pooled, None, None, training=True)
    logits = normed.reshape(3, -1)
    target = clgrad.tensor([1, 0, 3], device=dev)
    loss = (F.cross_entropy(logits, target) + F.nll_loss(logits.log_softmax(1), target,
                                                         reduction="sum")
            + F.nll_loss(logits.softmax(1), target, reduction="none").sum()
            + logits.softmax(0)[0].sum())  # over a leading dim: not the rows kernels
    loss.backward()
    out["bce"] = F.binary_cross_entropy(clgrad.linspace(0.1, 0.9, 5, dtype=d, device=dev),
                                        clgrad.linspace(0, 1, 5, dtype=d, device=dev))
    out["conv"], out["pooled"], out["normed"], out["loss"] = conv, pooled, normed, loss
    out["img_grad"] = img.grad
    steps = {}
    for name, make in (("SGD", lambda p: clgrad.optim.SGD(p, lr=0.1, momentum=0.9)),
                       ("Adam", clgrad.optim.Adam), ("Adagrad", clgrad.optim.Adagrad),
                       ("Adadelta", clgrad.optim.Adadelta), ("Adamax", clgrad.optim.Adamax),
                       ("NAdam", clgrad.optim.NAdam), ("RAdam", clgrad.optim.RAdam),
                       ("RMSprop", clgrad.optim.RMSprop)):
        param = clgrad.nn.Parameter(clgrad.linspace(-1, 1, 6, dtype=d, device=dev))
        opt = make([param])
        for _ in range(2):
            param.grad = param.detach() * 0.5 + 0.25
            opt.step()
        steps[name] = param.detach()
    out.update(("optim_" + k, v) for k, v in steps.items())


def _exercise_random(dev: str, dtype: str) -> dict:
    """Random kernels: their values differ by design between devices; only shapes, dtypes and
    ranges are compared."""
    d = getattr(clgrad, dtype)
    clgrad.manual_seed(0)
    out = {}
    if dtype in FLOATS:
        out["rand"] = clgrad.rand(7, dtype=d, device=dev)
        out["randn"] = clgrad.randn(7, dtype=d, device=dev)
        p = clgrad.full((7,), 0.5, dtype=d, device=dev)
        out["bernoulli"] = clgrad.bernoulli(p)
        probs = clgrad.tensor([[0.1, 0.0, 0.6, 0.3]], dtype=d, device=dev)
        out["multinomial"] = clgrad.multinomial(probs, 2)
        out["multinomial_r"] = clgrad.multinomial(probs, 5, replacement=True)
    if dtype in INTS:
        out["randint"] = clgrad.randint(0, 5, (7,), dtype=d, device=dev)
    if dtype == "int64":
        out["randperm"] = clgrad.randperm(9, device=dev)
        # Philox's raw words are reached through the backend only (known-answer tests).
        counters = np.arange(8, dtype=np.uint32).reshape(2, 4)
        words = backend_for(clgrad.device(dev)).philox_raw(counters, counters[:, :2] * 3)
        out["philox"] = clgrad.tensor(words.astype(np.int64), device=dev)
    return out


# -- running them, once per dtype and device ------------------------------------------------
_RUNS: dict = {}


def _run(cl_device: str, dtype: str):
    """(cl results, cpu results, random cl results, {(template, kernel): rendered dtypes})."""
    key = (cl_device, dtype)
    if key not in _RUNS:
        if dtype == "float64" and not device_supports_fp64(cl_device):
            pytest.skip(f"{cl_device} has no float64")
        rt = runtime.runtime(clgrad.device(cl_device).index or 0)
        seen = {}

        def hook(kernel, gsize, lsize, args):
            seen.setdefault((kernel.template, kernel.def_name), set()).update(
                rendered_dtypes(kernel.params) or {"-"})

        rt.launch_hook = hook
        try:
            got = {k: _host(v) for k, v in _exercise(cl_device, dtype).items()}
            rand = {k: _host(v) for k, v in _exercise_random(cl_device, dtype).items()}
            clgrad.cl.synchronize()
        finally:
            rt.launch_hook = None
        want = {k: _host(v) for k, v in _exercise("cpu", dtype).items()}
        _RUNS[key] = got, want, rand, seen
    return _RUNS[key]


def _host(value):
    """numpy arrays of a result (a tensor or a (values, indices) pair)."""
    if isinstance(value, tuple):
        return tuple(_host(v) for v in value)
    if value.dtype == clgrad.bfloat16:  # numpy has no bfloat16: every value fits float32
        value = value.float()
    return to_numpy(value)


@pytest.mark.parametrize("dtype", ALL)
def test_every_family_matches_cpu(cl_device, dtype):
    got, want, _, _ = _run(cl_device, dtype)
    assert got.keys() == want.keys()
    tol = {"float16": 2e-2, "bfloat16": 8e-2, "float32": 1e-4, "float64": 1e-10}.get(dtype, 0)
    for name in want:
        assert len(_pairs(got[name])) == len(_pairs(want[name])), name
        for g, w in zip(_pairs(got[name]), _pairs(want[name])):
            assert (g.dtype, g.shape) == (w.dtype, w.shape), name
            np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=tol,
                                       atol=tol, err_msg=f"{name} at {dtype}")


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_random_kernels_give_valid_draws(cl_device, dtype):
    _, _, rand, _ = _run(cl_device, dtype)
    want = {k: _host(v) for k, v in _exercise_random("cpu", dtype).items()}
    assert rand.keys() == want.keys()
    for name, w in want.items():
        assert (rand[name].dtype, rand[name].shape) == (w.dtype, w.shape), name
    if dtype in FLOATS:
        assert ((rand["rand"] >= 0) & (rand["rand"] < 1)).all()
        assert np.isin(rand["bernoulli"], [0, 1]).all()
        assert np.isin(rand["multinomial"], [0, 2, 3]).all()
        assert len(set(rand["multinomial"][0])) == 2  # without replacement
        assert np.isin(rand["multinomial_r"], [0, 2, 3]).all()
    else:
        assert ((rand["randint"] >= 0) & (rand["randint"] < 5)).all()
    if "randperm" in rand:
        assert sorted(rand["randperm"]) == list(range(9))
        np.testing.assert_array_equal(rand["philox"], want["philox"])


def _pairs(value):
    return value if isinstance(value, tuple) else (value,)


def test_rendered_for_names_every_declared_kernel():
    assert set(RENDERED_FOR) == declared_kernels()


def test_every_kernel_is_launched_at_every_dtype_it_is_rendered_for(cl_device):
    launched = {}
    for dtype in ALL:
        if dtype == "float64" and not device_supports_fp64(cl_device):
            continue
        for kernel, dtypes in _run(cl_device, dtype)[3].items():
            # Counted for the dtype being driven: a float32 kernel met while driving int8
            # (an intermediate) covers float32 only when float32 is driven.
            if dtype in dtypes or dtypes == {"-"}:
                launched.setdefault(kernel, set()).add(dtype if dtypes != {"-"} else "-")
    missing = {}
    for kernel, dtypes in RENDERED_FOR.items():
        wanted = set(dtypes)
        if not device_supports_fp64(cl_device):
            wanted.discard("float64")
        gap = wanted - launched.get(kernel, set())
        if gap:
            missing[kernel] = sorted(gap)
    assert not missing, f"kernels not launched at dtypes they are rendered for: {missing}"
