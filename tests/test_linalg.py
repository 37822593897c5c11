"""Matrix products and clgrad.linalg forward values against numpy, on every device."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from helpers import device_supports_fp64

RNG = np.random.default_rng(0)
TOL = {"float32": 1e-4, "float64": 1e-10, "float16": 2e-2}


def rand(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def T(a, device):
    return clgrad.tensor(a, device=device)


def close(got, want, dtype="float32"):
    got = got.cpu().numpy() if isinstance(got, clgrad.Tensor) else got
    assert got.shape == np.shape(want)
    tol = TOL[dtype]
    scale = max(1.0, float(np.abs(want).max())) if np.size(want) else 1.0
    np.testing.assert_allclose(got.astype(np.float64), np.asarray(want, np.float64),
                               rtol=tol, atol=tol * scale)


SHAPES = [((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (3, 4)),
          ((5, 2, 3), (3,)), ((2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
          ((2, 1, 2, 3), (5, 3, 4)), ((1, 2, 3), (4, 3, 5)), ((3, 1, 4, 2), (1, 6, 2, 3))]


@pytest.mark.kernel
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_broadcasting(device, sa, sb):
    a, b = rand(*sa), rand(*sb)
    close(T(a, device) @ T(b, device), a @ b)
    close(clgrad.matmul(T(a, device), T(b, device)), np.matmul(a, b))


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (1, 17, 3), (3, 5, 1), (17, 65, 33), (65, 3, 17),
                                   (7, 130, 9), (100, 37, 70)])
def test_mm_odd_sizes(device, m, k, n):
    a, b = rand(m, k), rand(k, n)
    close(clgrad.mm(T(a, device), T(b, device)), a @ b)


@pytest.mark.kernel
@pytest.mark.parametrize("ta,tb", [(False, True), (True, False), (True, True)])
def test_transposed_operands_read_in_place(device, ta, tb):
    a = rand(19, 13) if not ta else rand(13, 19)
    b = rand(13, 21) if not tb else rand(21, 13)
    x, y = T(a, device), T(b, device)
    x, a = (x.t(), a.T) if ta else (x, a)
    y, b = (y.t(), b.T) if tb else (y, b)
    close(x @ y, a @ b)


@pytest.mark.kernel
def test_strided_and_offset_operands(device):
    a, b = rand(12, 20), rand(30, 16)
    x = T(a, device)[1::2, 3::2]  # (6, 9) with strides (40, 2)
    y = T(b, device)[2:20:2, ::3]  # (9, 6)
    close(x @ y, a[1::2, 3::2] @ b[2:20:2, ::3])
    close(x.t().t() @ y.t().t(), a[1::2, 3::2] @ b[2:20:2, ::3])


def test_batched_broadcast_stride_zero(device):
    a, b = rand(1, 4, 5), rand(3, 5, 6)
    x = T(a, device).expand(3, 4, 5)
    close(clgrad.bmm(x, T(b, device)), np.broadcast_to(a, (3, 4, 5)) @ b)
    close(T(b, device).mT @ T(a, device).mT, b.transpose(0, 2, 1) @ a.transpose(0, 2, 1))


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_dtypes_float(device, dtype):
    if dtype == "float64" and not device_supports_fp64(device):
        pytest.skip("no fp64")
    a, b = rand(9, 33, dtype=dtype), rand(33, 10, dtype=dtype)
    want = a.astype(np.float64) @ b.astype(np.float64)
    got = T(a, device) @ T(b, device)
    assert got.dtype is getattr(clgrad, dtype)
    close(got, want, dtype)
    x, v = rand(4, 3, 5, dtype=dtype), rand(5, dtype=dtype)
    close(T(x, device) @ T(v, device), x.astype(np.float64) @ v.astype(np.float64), dtype)


@pytest.mark.parametrize("dtype", ["int32", "int64", "int8", "uint8"])
def test_dtypes_int(device, dtype):
    a = RNG.integers(-5, 6, (7, 9)).astype(dtype)
    b = RNG.integers(-5, 6, (9, 4)).astype(dtype)
    got = T(a, device) @ T(b, device)
    assert got.dtype is getattr(clgrad, dtype)
    np.testing.assert_array_equal(got.cpu().numpy(), (a @ b).astype(dtype))
    v = RNG.integers(-5, 6, 9).astype(dtype)
    np.testing.assert_array_equal(clgrad.mv(T(a, device), T(v, device)).cpu().numpy(),
                                  (a @ v).astype(dtype))


def test_mv_dot_vdot_outer_inner(device):
    m, v, w = rand(5, 4), rand(4), rand(4)
    close(clgrad.mv(T(m, device), T(v, device)), m @ v)
    d = clgrad.dot(T(v, device), T(w, device))
    assert d.shape == ()
    close(d, np.dot(v, w))
    close(clgrad.vdot(T(v, device), T(w, device)), np.vdot(v, w))
    close(clgrad.outer(T(v, device), T(w[:3], device)), np.outer(v, w[:3]))
    close(clgrad.ger(T(v, device), T(w, device)), np.outer(v, w))
    x, y = rand(2, 3, 4), rand(5, 4)
    close(clgrad.inner(T(x, device), T(y, device)), np.inner(x, y))


@pytest.mark.kernel
def test_addmm_family(device):
    i, a, b = rand(3, 5), rand(3, 4), rand(4, 5)
    close(clgrad.addmm(T(i, device), T(a, device), T(b, device)), i + a @ b)
    close(clgrad.addmm(T(i[0], device), T(a, device), T(b, device), beta=0.5, alpha=2.0),
          0.5 * i[0] + 2 * (a @ b))
    bad = np.full((3, 5), np.nan, np.float32)
    close(clgrad.addmm(T(bad, device), T(a, device), T(b, device), beta=0), a @ b)
    vi, v = rand(3), rand(4)
    close(clgrad.addmv(T(vi, device), T(a, device), T(v, device), beta=2, alpha=-1),
          2 * vi - a @ v)
    bi, b1, b2 = rand(2, 3, 5), rand(2, 3, 4), rand(2, 4, 5)
    close(clgrad.baddbmm(T(bi, device), T(b1, device), T(b2, device), beta=0.25, alpha=3),
          0.25 * bi + 3 * (b1 @ b2))
    close(clgrad.addbmm(T(i, device), T(b1, device), T(b2, device), alpha=0.5),
          i + 0.5 * (b1 @ b2).sum(0))
    x = T(i, device)
    x.addmm_(T(a, device), T(b, device))
    close(x, i + a @ b)


def test_imatmul(device):
    a, b = rand(2, 3), rand(3, 3)
    x = T(a, device)
    x @= T(b, device)
    close(x, a @ b)


def test_einsum(device):
    a, b, c = rand(2, 3), rand(3, 4), rand(4, 5)
    sq, bt, bu = rand(4, 4), rand(6, 2, 3), rand(6, 3, 5)
    cases = [("ij,jk->ik", (a, b)), ("ij,jk,kl->il", (a, b, c)), ("ii->", (sq,)),
             ("ii->i", (sq,)), ("ij->ji", (a,)), ("ij->", (a,)), ("i,j->ij", (a[0], b[0])),
             ("bij,bjk->bik", (bt, bu)), ("...ij,...jk->...ik", (bt, bu)),
             ("bij,bjk", (bt, bu)), ("ij,ij->ij", (a, a)), ("ij,ij->", (a, a)),
             ("i,i", (a[0], a[1])), ("bij->bj", (bt,)), ("ij,kj->ik", (a, rand(5, 3))),
             ("...j,j->...", (bt, a[0])), ("iij->j", (rand(3, 3, 2),))]
    for eq, ops in cases:
        got = clgrad.einsum(eq, *[T(o, device) for o in ops])
        close(got, np.einsum(eq, *ops))
    close(clgrad.einsum("ij,jk", [T(a, device), T(b, device)]), a @ b)


def test_tensordot_kron_trace(device):
    a, b = rand(2, 3, 4), rand(3, 4, 5)
    close(clgrad.tensordot(T(a, device), T(b, device), dims=2), np.tensordot(a, b, 2))
    close(clgrad.tensordot(T(a, device), T(b, device), dims=([1], [0])),
          np.tensordot(a, b, ([1], [0])))
    close(clgrad.tensordot(T(a, device), T(b, device), dims=0), np.tensordot(a, b, 0))
    x, y = rand(2, 3), rand(3, 2)
    close(clgrad.kron(T(x, device), T(y, device)), np.kron(x, y))
    close(clgrad.kron(T(x[0], device), T(y, device)), np.kron(x[0], y))
    m = rand(3, 5)
    close(clgrad.trace(T(m, device)), np.trace(m))
    ti = clgrad.trace(T(np.arange(9, dtype=np.int32).reshape(3, 3), device))
    assert ti.dtype is clgrad.int64 and ti.item() == 12


def test_shape_errors(device):
    a, b = T(rand(2, 3), device), T(rand(4, 5), device)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(2x3 and 4x5\)"):
        a @ b
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        clgrad.mm(a, b)
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D"):
        clgrad.matmul(T(np.float32(1), device), a)
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        clgrad.dot(T(rand(3), device), T(rand(4), device))
    with pytest.raises(RuntimeError, match="size mismatch"):
        clgrad.mv(a, T(rand(4), device))
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        clgrad.bmm(a, a)
    with pytest.raises(RuntimeError, match="Expected size for first two dimensions"):
        clgrad.bmm(T(rand(2, 2, 3), device), T(rand(3, 3, 4), device))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        a @ T(rand(3, 2, dtype="float64"), device) if device_supports_fp64(device) else \
            a @ T(rand(3, 2).astype(np.int32), device)
    with pytest.raises(NotImplementedError):
        T(np.ones((2, 2), bool), device) @ T(np.ones((2, 2), bool), device)
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self"):
        clgrad.outer(a, T(rand(2), device))


def test_zero_sizes(device):
    close(T(rand(0, 3), device) @ T(rand(3, 4), device), np.zeros((0, 4)))
    close(T(rand(2, 0), device) @ T(rand(0, 4), device), np.zeros((2, 4)))
    close(clgrad.addmm(T(np.ones((2, 4), np.float32), device), T(rand(2, 0), device),
                       T(rand(0, 4), device)), np.ones((2, 4)))


# -- clgrad.linalg -----------------------------------------------------------------------------
def spd(n, batch=()):
    x = rand(*batch, n, n, dtype="float64")
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


@pytest.mark.filterwarnings("ignore:clgrad")
def test_linalg_decompositions(device):
    dtype = "float64" if device_supports_fp64(device) else "float32"
    a = spd(4, (2,)).astype(dtype)
    A = T(a, device)
    close(clgrad.linalg.inv(A), np.linalg.inv(a), dtype)
    close(clgrad.linalg.det(A), np.linalg.det(a), dtype)
    s = clgrad.linalg.slogdet(A)
    close(s.sign, np.linalg.slogdet(a)[0], dtype)
    close(s.logabsdet, np.linalg.slogdet(a)[1], dtype)
    b = rand(2, 4, 3, dtype=dtype)
    close(clgrad.linalg.solve(A, T(b, device)), np.linalg.solve(a, b), dtype)
    v = rand(2, 4, dtype=dtype)
    close(clgrad.linalg.solve(A, T(v, device)), np.linalg.solve(a, v[..., None])[..., 0], dtype)
    close(clgrad.linalg.cholesky(A), np.linalg.cholesky(a), dtype)
    close(clgrad.linalg.cholesky(A, upper=True), np.swapaxes(np.linalg.cholesky(a), -1, -2),
          dtype)
    w, V = clgrad.linalg.eigh(A)
    close(w, np.linalg.eigh(a)[0], dtype)
    assert np.all(np.diff(w.cpu().numpy(), axis=-1) >= 0)
    close(V @ clgrad.diag_embed(w) @ V.mT, a, dtype)
    m = rand(5, 3, dtype=dtype)
    Q, R = clgrad.linalg.qr(T(m, device))
    assert Q.shape == (5, 3) and R.shape == (3, 3)
    close(Q @ R, m, dtype)
    Qc, Rc = clgrad.linalg.qr(T(m, device), mode="complete")
    assert Qc.shape == (5, 5) and Rc.shape == (5, 3)
    U, S, Vh = clgrad.linalg.svd(T(m, device))
    assert U.shape == (5, 5) and S.shape == (3,) and Vh.shape == (3, 3)
    U, S, Vh = clgrad.linalg.svd(T(m, device), full_matrices=False)
    close(U @ clgrad.diag_embed(S) @ Vh, m, dtype)
    close(clgrad.linalg.pinv(T(m, device)), np.linalg.pinv(m), dtype)
    y = rand(5, 2, dtype=dtype)
    res = clgrad.linalg.lstsq(T(m, device), T(y, device))
    close(res.solution, np.linalg.lstsq(m, y, rcond=None)[0], dtype)
    with pytest.raises(RuntimeError, match="not positive-definite"):
        clgrad.linalg.cholesky(T(-np.eye(3, dtype=dtype), device))
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        clgrad.linalg.inv(T(np.eye(3, dtype=np.int64), device))
    with pytest.raises(RuntimeError, match="square matrices"):
        clgrad.linalg.inv(T(m, device))


@pytest.mark.filterwarnings("ignore:clgrad")
def test_linalg_norms(device):
    x = rand(3, 4)
    X = T(x, device)
    close(clgrad.linalg.vector_norm(X), np.linalg.norm(x.ravel()))
    close(clgrad.linalg.vector_norm(X, 1, dim=1), np.linalg.norm(x, 1, axis=1))
    close(clgrad.linalg.norm(X), np.linalg.norm(x))
    close(clgrad.linalg.norm(X, dim=0), np.linalg.norm(x, axis=0))
    for ord in ("fro", 1, -1, np.inf, -np.inf):
        close(clgrad.linalg.matrix_norm(X, ord), np.linalg.norm(x, ord))
        close(clgrad.linalg.norm(X, ord), np.linalg.norm(x, ord))
    for ord in ("nuc", 2, -2):
        close(clgrad.linalg.matrix_norm(X, ord), np.linalg.norm(x, ord))
    b = rand(2, 3, 4)
    close(clgrad.linalg.matrix_norm(T(b, device), keepdim=True),
          np.linalg.norm(b, axis=(-2, -1), keepdims=True))


@pytest.mark.filterwarnings("ignore:clgrad")
def test_linalg_fallback_counted(cl_device):
    from clgrad.backends.cl.fallback import STATS
    before = STATS["linalg.inv"]
    clgrad.linalg.inv(T(np.eye(3, dtype=np.float32) * 2, cl_device))
    assert STATS["linalg.inv"] == before + 1


def test_parity_with_torch(device):
    torch = pytest.importorskip("torch")
    for sa, sb in SHAPES:
        a, b = rand(*sa), rand(*sb)
        got = (T(a, device) @ T(b, device)).cpu().numpy()
        want = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    for f in (lambda m: m.randn(2, 3) @ m.randn(4, 5),
              lambda m: m.mv(m.randn(2, 3), m.randn(4)),
              lambda m: m.bmm(m.randn(2, 2, 3), m.randn(3, 3, 4)),
              lambda m: m.dot(m.randn(2), m.randn(3)),
              lambda m: m.matmul(m.randn(2, 2, 3), m.randn(3, 3, 5))):
        with pytest.raises(RuntimeError) as ours:
            f(clgrad)
        with pytest.raises(RuntimeError) as theirs:
            f(torch)
        assert str(ours.value) == str(theirs.value)
    assert (T(np.arange(6).reshape(2, 3), device) @ T(np.arange(3), device)).dtype is \
        clgrad.int64


VARIANTS = [dict(TM=3, TN=8, VW=4, WGM=2, WGN=2, LK=0), dict(TM=2, TN=3, VW=4, WGM=4, WGN=1),
            dict(TM=3, TN=2, VW=4, WGM=2, WGN=4, LK=8), dict(TM=1, TN=4, VW=1, WGM=0, WGN=0)]


@pytest.mark.kernel
@pytest.mark.parametrize("params", VARIANTS, ids=["nn", "nt", "lnt", "scalar"])
def test_gemm_kernel_variants(cl_device, params):
    """Each kernel variant the tuner may pick, on every layout, edges and batches."""
    from clgrad.backends import backend_for
    a, b = rand(2, 11, 13), rand(2, 13, 7)
    x, y = T(a, cl_device), T(b, cl_device)
    backend = backend_for(x.device)
    layouts = [(x, y, a, b), (x, T(np.swapaxes(b, 1, 2).copy(), cl_device).mT, a, b),
               (T(np.swapaxes(a, 1, 2).copy(), cl_device).mT, y, a, b),
               (x[:, ::2, ::3], y[:, ::3, 1:], a[:, ::2, ::3], b[:, ::3, 1:])]
    for p, q, pa, qb in layouts:
        out = clgrad.empty(*(p.shape[:-1] + (q.shape[-1],)), device=cl_device)
        backend.gemm(out, p, q, params=params)
        close(out, pa @ qb)
        c0 = rand(*out.shape)
        out2 = T(c0, cl_device)
        backend.gemm(out2, p, q, 2.0, 0.5, params=params)
        close(out2, 2 * (pa @ qb) + 0.5 * c0)


def _packed_kernels(device) -> int:
    """How many pack kernels the device's program cache holds (0 on cpu)."""
    if not str(device).startswith("cl"):
        return 0
    from clgrad.backends import backend_for
    backend = backend_for(clgrad.empty(1, device=device).device)
    return sum(1 for key in backend.rt.kernels if key[:2] == ("gemm.cl.mako", "pack"))


def _operand(arr, device, trans, offset):
    """arr as a device tensor stored transposed (trans) and/or at an offset in a larger
    buffer with a padded row stride (offset)."""
    src = np.ascontiguousarray(np.swapaxes(arr, -1, -2)) if trans else arr
    if offset:
        big = np.zeros(src.shape[:-2] + (src.shape[-2] + 3, src.shape[-1] + 5), src.dtype)
        big[..., 2:2 + src.shape[-2], 1:1 + src.shape[-1]] = src
        x = T(big, device)[..., 2:2 + src.shape[-2], 1:1 + src.shape[-1]]
    else:
        x = T(src, device)
    return x.mT if trans else x


@pytest.mark.parametrize("m,k,n", [(65, 63, 33), (7, 1000, 65), (63, 65, 1), (1, 1000, 100),
                                   (64, 100, 1000)])
@pytest.mark.parametrize("layout", ["nn", "nt", "tn", "tt"])
def test_gemm_packed_layouts(device, m, k, n, layout):
    """Every transposition of the operands, large enough that cl packs the ones not
    contiguous along K (odd sizes: the pack's and the kernel's edge blocks)."""
    a, b = rand(m, k), rand(k, n)
    for offset in (False, True):
        x = _operand(a, device, layout[0] == "t", offset)
        y = _operand(b, device, layout[1] == "t", offset)
        close(x @ y, a @ b)


@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", "int64", "int8"])
def test_gemm_packed_dtypes(device, dtype):
    if dtype == "float64" and not device_supports_fp64(device):
        pytest.skip("no float64 on this device")
    if dtype.startswith("int"):
        a = RNG.integers(-3, 4, (45, 70)).astype(dtype)
        b = RNG.integers(-3, 4, (70, 38)).astype(dtype)
    else:
        a, b = rand(45, 70, dtype=dtype), rand(70, 38, dtype=dtype)
    want = (a.astype(np.float64) @ b.astype(np.float64)).astype(dtype)
    for ta, tb in ((True, False), (False, False), (True, True)):
        x, y = _operand(a, device, ta, False), _operand(b, device, tb, ta)
        got = (x @ y).cpu().numpy()
        if dtype.startswith("int"):
            np.testing.assert_array_equal(got, want)
        else:
            close(got, want, dtype)


def test_gemm_packed_batched_broadcast(device):
    """Batched products whose operands broadcast (stride-0 batch dims, packed once) and are
    stored transposed or sliced."""
    a, b = rand(1, 40, 50), rand(3, 50, 30)
    x = _operand(a, device, True, True).expand(3, 40, 50)
    y = _operand(b, device, False, False)
    close(clgrad.bmm(x, y), np.broadcast_to(a, (3, 40, 50)) @ b)
    c, e = rand(2, 1, 33, 64), rand(1, 3, 64, 31)
    close(_operand(c, device, True, False) @ _operand(e, device, False, True), c @ e)
    # Strided in both dims (the pack's row-by-row path), batched.
    f = rand(2, 80, 90)
    z = T(f, device)[:, ::2, ::3]  # (2, 40, 30), strides (7200, 180, 3)
    close(z.mT @ z, np.swapaxes(f[:, ::2, ::3], 1, 2) @ f[:, ::2, ::3])
    if str(device).startswith("cl"):
        assert _packed_kernels(device) > 0
