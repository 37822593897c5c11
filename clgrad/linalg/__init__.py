"""clgrad.linalg: norms and decompositions with PyTorch's conventions.

Norms are reductions (kernels on every device). The decompositions (inv, solve, det,
slogdet, cholesky, qr, svd, eigh, lstsq, pinv) compute their values with numpy's LAPACK: on
cl through the counted fallback (clgrad.cl.fallback_stats()). Their gradients are written
with Tensor ops (matmul, solve, ...), so backward runs on the tensors' own device and double
backward works.
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import _dtype as dt
from .._checks import not_tensor
from .._tensor import Tensor
from .._typenames import SCALAR_NAMES as _TYPE
from ..autograd.graph import needs_grad, record
from ..ops import creation
from ..ops.linalg import matmul
from ..ops.reduce import norm as _norm

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "inv_ex", "solve", "det", "slogdet",
           "cholesky", "qr", "svd", "svdvals", "eigh", "eigvalsh", "lstsq", "pinv", "matmul",
           "LinAlgError"]


class LinAlgError(RuntimeError):
    """A matrix was singular or not positive-definite (PyTorch's torch.linalg.LinAlgError)."""


SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
QRResult = namedtuple("qr", ["Q", "R"])
SVDResult = namedtuple("svd", ["U", "S", "Vh"])
EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
LstsqResult = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])
InvExResult = namedtuple("inv_ex", ["inverse", "info"])


# -- host round trip -----------------------------------------------------------------------------
def _check(name: str, A: Tensor, square: bool = True, min_dim: int = 2) -> None:
    if not isinstance(A, Tensor):
        # PyTorch's schemas name A 'input' in these three.
        arg = "input" if name in ("cholesky", "eigh", "lstsq") else "A"
        raise not_tensor(f"linalg_{name}", A, arg)
    if A.dim() < min_dim:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {_TYPE[A.dtype.name]}")
    if A.dtype.name == "float16":
        raise RuntimeError(f"linalg.{name}: Low precision dtypes not supported. Got Half")
    if square and A._shape[-1] != A._shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they "
                           f"are {A._shape[-2]} by {A._shape[-1]} matrices")


def _host(name: str, t: Tensor) -> np.ndarray:
    if t.is_cl:
        from ..backends.cl.fallback import note_fallback
        note_fallback(f"linalg.{name}", t.device)
    return t.detach()._host()


def _back(arr, like: Tensor, dtype=None) -> Tensor:
    arr = np.ascontiguousarray(arr, dtype=(dtype or like.dtype).np)
    return creation.tensor(arr, dtype=dtype or like.dtype, device=like.device)


def _sym(x: Tensor) -> Tensor:
    return (x + x.mT) * 0.5


def _eye_like(n: int, like: Tensor) -> Tensor:
    return creation.eye(n, dtype=like.dtype, device=like.device)


# -- norms ------------------------------------------------------------------------------------
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """Vector ord-norm over dim (all elements when dim is None)."""
    if dtype is not None and x.dtype is not dtype:
        x = x.to(dtype)
    result = _norm(x, float(ord), dim, keepdim)
    return result if out is None else out.copy_(result)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """Matrix norm: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2 over the two dims `dim`."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if dtype is not None and A.dtype is not dtype:
        A = A.to(dtype)
    d0, d1 = (d % A.dim() for d in dim)
    if ord == "fro":
        result = vector_norm(A, 2, (d0, d1), keepdim)
    elif ord == "nuc" or ord in (2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        result = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                result = result.unsqueeze(d)
    elif ord in (1, -1, math.inf, -math.inf):
        # 1: max column sum; inf: max row sum.
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(sum_dim, keepdim=True)
        result = (sums.amax(red_dim, keepdim=True) if ord > 0
                  else sums.amin(red_dim, keepdim=True))
        if not keepdim:
            result = result.squeeze((d0, d1)) if A.dim() > 2 else result.reshape(())
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return result if out is None else out.copy_(result)


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None,
         out=None) -> Tensor:
    """linalg.norm: a vector norm, or a matrix norm for 2-D input/dims with ord given."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is not None and (isinstance(ord, str) or (dim is not None and len(dim) == 2)
                            or (dim is None and A.dim() == 2)):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype,
                           out=out)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: ord {ord!r} requires a 2-D input or 2 dims")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


# -- inverse, solve, determinants ------------------------------------------------------------------
def _np_inv(name: str, a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"linalg.{name}: The diagonal element could not be inverted: the "
                          "input matrix is singular.") from None


def inv(A: Tensor, *, out=None) -> Tensor:
    """The inverse of each square matrix."""
    _check("inv", A)
    result = _back(_np_inv("inv", _host("inv", A)), A)
    if needs_grad(A):
        y = result.detach()
        record("LinalgInvExBackward0", result, (A,), lambda g: (-(y.mT @ g @ y.mT),))
    return result if out is None else out.copy_(result)


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    return InvExResult(inv(A), creation.zeros(A._shape[:-2], dtype=dt.int32, device=A.device))


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """X with A @ X = B (X @ A = B when left=False); B may be a (batch of) vector(s)."""
    _check("solve", A)
    if not left:
        return solve(A.mT, B.mT).mT
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_TYPE[A.dtype.name]} and B of type "
                           f"{_TYPE[B.dtype.name]} instead")
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and B._shape == A._shape[:-1])
    Bm = B.unsqueeze(-1) if vector else B
    if Bm._shape[-2] != A._shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A._shape[-2]}x{A._shape[-1]} and "
                           f"{Bm._shape[-2]}x{Bm._shape[-1]})")
    a, b = _host("solve", A), _host("solve", Bm)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    try:
        x = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                            np.broadcast_to(b, batch + b.shape[-2:]))
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                          "singular.") from None
    result = _back(x, A)
    if vector:
        result = result.squeeze(-1)
    if needs_grad(A, B):
        Ad, X = A.detach(), result.detach()

        def rule(g):
            gB = solve(Ad.mT, g)
            gBm = gB.unsqueeze(-1) if vector else gB
            Xm = X.unsqueeze(-1) if vector else X
            return -(gBm @ Xm.mT), gB
        record("LinalgSolveExBackward0", result, (A, B), rule, saved=(A,))
    return result if out is None else out.copy_(result)


def det(A: Tensor, *, out=None) -> Tensor:
    """Determinant of each square matrix."""
    _check("det", A)
    result = _back(np.linalg.det(_host("det", A)), A)
    if needs_grad(A):
        Ad, d = A.detach(), result.detach()
        record("LinalgDetBackward0", result, (A,),
               lambda g: ((g * d).unsqueeze(-1).unsqueeze(-1) * inv(Ad).mT,), saved=(A,))
    return result if out is None else out.copy_(result)


def slogdet(A: Tensor, *, out=None) -> SlogdetResult:
    """(sign, log|det|) of each square matrix."""
    _check("slogdet", A)
    sign, logabs = np.linalg.slogdet(_host("slogdet", A))
    s, la = _back(sign, A), _back(logabs, A)
    if needs_grad(A):
        Ad = A.detach()

        def rule(g_sign, g_log):
            if g_log is None:
                return (None,)
            return (g_log.unsqueeze(-1).unsqueeze(-1) * inv(Ad).mT,)
        record("LinalgSlogdetBackward0", (s, la), (A,), rule, saved=(A,))
        s._requires_grad = False
        s._grad_fn = None
    return SlogdetResult(s, la)


# -- factorisations --------------------------------------------------------------------------------
def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """Lower (or upper) Cholesky factor of each symmetric positive-definite matrix."""
    _check("cholesky", A)
    try:
        L = np.linalg.cholesky(_host("cholesky", A))
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.cholesky: The factorization could not be completed because "
                          "the input is not positive-definite.") from None
    result = _back(L.swapaxes(-1, -2) if upper else L, A)
    if needs_grad(A):
        Ld = result.detach().mT if upper else result.detach()

        def rule(g):
            gL = g.mT if upper else g
            phi = Ld.mT @ gL
            phi = phi.tril(-1) + phi.diagonal(0, -2, -1).diag_embed() * 0.5
            Linv = inv(Ld)
            return (_sym(Linv.mT @ phi @ Linv),)
        record("LinalgCholeskyExBackward0", result, (A,), rule)
    return result if out is None else out.copy_(result)


def qr(A: Tensor, mode: str = "reduced", *, out=None) -> QRResult:
    """A = Q R with Q orthonormal columns; mode 'reduced' (default), 'complete' or 'r'."""
    _check("qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    a = _host("qr", A)
    q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    Q = _back(q, A) if mode != "r" else _back(np.empty((0,)), A)
    R = _back(r, A)
    if needs_grad(A):
        m, n = A._shape[-2:]
        if mode == "r" or (mode == "complete" and m > n) or m < n:
            def rule(gQ, gR):
                raise RuntimeError("The derivative of linalg.qr depends on Q, which is not "
                                   "computed when mode='r', or is not defined for "
                                   "mode='complete' with more rows than columns or for wide "
                                   "inputs in clgrad")
        else:
            Qd, Rd = Q.detach(), R.detach()

            def rule(gQ, gR):
                gQ = gQ if gQ is not None else Qd * 0
                gR = gR if gR is not None else Rd * 0
                M = Rd @ gR.mT - gQ.mT @ Qd
                low = M.tril(-1)
                copyltu = low + low.mT + M.diagonal(0, -2, -1).diag_embed()
                b = gQ + Qd @ copyltu
                return (solve(Rd, b.mT).mT,)
        record("LinalgQrBackward0", (Q, R), (A,), rule)
    return QRResult(Q, R)


def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None) -> SVDResult:
    """A = U diag(S) Vh, singular values descending."""
    _check("svd", A, square=False)
    u, s, vh = np.linalg.svd(_host("svd", A), full_matrices=full_matrices)
    U, S, Vh = _back(u, A), _back(s, A), _back(vh, A)
    if needs_grad(A):
        m, n = A._shape[-2:]
        k = min(m, n)
        Ud, Sd, Vhd = U.detach(), S.detach(), Vh.detach()

        def rule(gU, gS, gVh):
            if full_matrices and m != n and (gU is not None or gVh is not None):
                raise RuntimeError("linalg.svd: The derivative of full_matrices=True is not "
                                   "defined for non-square inputs; use full_matrices=False")
            return (_svd_backward(Ud[..., :, :k], Sd, Vhd[..., :k, :], gU, gS, gVh, k),)
        record("LinalgSvdBackward0", (U, S, Vh), (A,), rule)
    return SVDResult(U, S, Vh)


def _svd_backward(U, S, Vh, gU, gS, gVh, k):
    V = Vh.mT
    Sm = S.diag_embed()
    total = None
    if gS is not None:
        total = U @ gS.diag_embed() @ Vh
    if gU is None and gVh is None:
        return total if total is not None else U @ (S * 0).diag_embed() @ Vh
    s2 = S * S
    diff = s2.unsqueeze(-2) - s2.unsqueeze(-1)  # s_j^2 - s_i^2
    eye = _eye_like(k, S)
    F = 1 / (diff + eye) * (1 - eye)
    inner = None
    if gU is not None:
        gU = gU[..., :, :k]
        J = F * (U.mT @ gU - gU.mT @ U)
        inner = J @ Sm
        extra = (gU - U @ (U.mT @ gU)) / S.unsqueeze(-2)
        total = _add(total, extra @ Vh)
    if gVh is not None:
        gV = gVh[..., :k, :].mT
        K = F * (V.mT @ gV - gV.mT @ V)
        inner = _add(inner, Sm @ K)
        extra = (gV - V @ (V.mT @ gV)) / S.unsqueeze(-2)
        total = _add(total, U @ extra.mT)
    return _add(total, U @ inner @ Vh)


def _add(a, b):
    return b if a is None else a + b


def svdvals(A: Tensor, *, out=None) -> Tensor:
    """Singular values, descending."""
    _check("svdvals", A, square=False)
    if needs_grad(A):
        return svd(A, full_matrices=False).S
    return _back(np.linalg.svd(_host("svdvals", A), compute_uv=False), A)


def eigh(A: Tensor, UPLO: str = "L", *, out=None) -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices (lower triangle read)."""
    _check("eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    w, v = np.linalg.eigh(_host("eigh", A), UPLO=UPLO)
    W, V = _back(w, A), _back(v, A)
    if needs_grad(A):
        Wd, Vd = W.detach(), V.detach()
        n = A._shape[-1]

        def rule(gW, gV):
            inner = gW.diag_embed() if gW is not None else None
            if gV is not None:
                eye = _eye_like(n, Wd)
                E = Wd.unsqueeze(-2) - Wd.unsqueeze(-1)  # w_j - w_i
                inner = _add(inner, (Vd.mT @ gV) / (E + eye) * (1 - eye))
            if inner is None:
                return (None,)
            return (Vd @ inner @ Vd.mT,)
        record("LinalgEighBackward0", (W, V), (A,), rule)
    return EighResult(W, V)


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    return eigh(A, UPLO).eigenvalues


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """Moore-Penrose pseudo-inverse (singular values below max(atol, rtol * s_max) dropped)."""
    _check("pinv", A, square=False)
    a = _host("pinv", A)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    m, n = a.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else np.finfo(a.dtype).eps * max(m, n)
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    cutoff = np.maximum(atol or 0.0, rtol * smax)
    sinv = np.where(s > cutoff, 1 / np.where(s == 0, 1, s), 0)
    p = np.swapaxes(vh, -1, -2) @ (sinv[..., :, None] * np.swapaxes(u, -1, -2))
    result = _back(p, A)
    if needs_grad(A):
        Ad, P = A.detach(), result.detach()
        record("LinalgPinvBackward0", result, (A,), lambda g: (_pinv_backward(g, P, Ad),))
    return result if out is None else out.copy_(result)


def _pinv_backward(g: Tensor, P: Tensor, A: Tensor) -> Tensor:
    m, n = A._shape[-2:]
    gh, Ph = g.mT, P.mT
    if m <= n:
        K = gh @ P
        KPh = K @ Ph
        return -(P @ K).mT + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -(K @ P).mT + PhK - PhK @ P @ A + (gh - A @ K) @ P @ Ph


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None) -> LstsqResult:
    """Least-squares solution of A X = B (solution field; residuals for full-rank tall A)."""
    _check("lstsq", A, square=False)
    vector = B.dim() == A.dim() - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm._shape[-2] != A._shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    a, b = _host("lstsq", A), _host("lstsq", Bm)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    flat_a = a.reshape((-1,) + a.shape[-2:])
    flat_b = b.reshape((-1,) + b.shape[-2:])
    sols, ranks, svals, res = [], [], [], []
    m, n = a.shape[-2:]
    for x, y in zip(flat_a, flat_b):
        sol, r, rank, sv = np.linalg.lstsq(x, y, rcond=rcond)
        sols.append(sol)
        ranks.append(rank)
        svals.append(sv)
        res.append(r)
    sol = np.stack(sols).reshape(batch + (n, b.shape[-1])) if sols else \
        np.zeros(batch + (n, b.shape[-1]), a.dtype)
    X = _back(sol, A)
    if vector:
        X = X.squeeze(-1)
    full = m > n and all(rk == n for rk in ranks) and res
    residuals = _back(np.stack(res).reshape(batch + (b.shape[-1],)), A) if full else \
        _back(np.zeros((0,), a.dtype), A)
    rank = _back(np.array(ranks, np.int64).reshape(batch), A, dt.int64)
    sv = _back(np.zeros((0,), a.dtype), A)
    if needs_grad(A, B):
        Ad, Bd = A.detach(), Bm.detach()

        def rule(g):
            gm = g.unsqueeze(-1) if vector else g
            P = pinv(Ad)
            gB = P.mT @ gm
            gA = _pinv_backward(gm @ Bd.mT, P, Ad)
            return gA, (gB.squeeze(-1) if vector else gB)
        record("LinalgLstsqBackward0", X, (A, B), rule, saved=(A, B))
    return LstsqResult(X, residuals, rank, sv)
