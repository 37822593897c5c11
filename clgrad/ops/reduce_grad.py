"""Gradient rules of the reductions (clgrad.ops.reduce), and the helpers that the scans and
sorts (scan.py, sort.py, host_fallback.py) record theirs with.

Rules follow PyTorch's derivatives.yaml formulas and are written with Tensor ops so that
double backward works. Rules never hold an op's output itself (that would make a cycle
output -> grad_fn -> output): they hold a detached copy and, when the rule runs under
create_graph, recompute the output from the input so its dependence on the input is recorded.
Placing gradients at indices (max with dim, sort, topk, cummax, ...) uses scatter_dim and its
backward gather_dim, a differentiable pair over the backends' index kernels.
"""
from __future__ import annotations

from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..autograd.graph import needs_grad, record
from .._tensor import Tensor
from .creation import ones, zeros
from .join import cat
from .pointwise import where


def kept_shape(shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if d in dims else s for d, s in enumerate(shape))


def unreduce(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """A reduced gradient (or value) broadcast back to the input's shape."""
    if not keepdim:
        g = g.reshape(kept_shape(shape, dims))
    return g.expand(shape) if g._shape != shape else g


def saved_output(detached: Tensor, recompute) -> Tensor:
    """The op's output for a rule: recomputed (and recorded) under create_graph."""
    return recompute() if is_grad_enabled() else detached


# -- placing values at indices along a dim -------------------------------------------------------
def _contiguous(t: Tensor) -> Tensor:
    return t if t.is_contiguous() else t.contiguous()


def scatter_dim(src: Tensor, dim: int, index: Tensor, size: int,
                accumulate: bool = False) -> Tensor:
    """Zeros with `size` along dim holding src at index along dim (added up when accumulate,
    for repeated indices); index (int64) is shaped like src."""
    shape = list(src._shape)
    shape[dim] = size
    out = zeros(tuple(shape), dtype=src.dtype, device=src.device)
    with no_grad():
        s, i = _contiguous(src.detach()), _contiguous(index)
    out._storage.backend.scatter_dim(out, s, i, dim, accumulate)
    if needs_grad(src):
        record("ScatterAddBackward0" if accumulate else "ScatterBackward0", out, (src,),
               lambda g: (gather_dim(g, dim, index, distinct=not accumulate),))
    return out


def record_select(name: str, values: Tensor, indices: Tensor, input: Tensor, d: int,
                  keepdim: bool) -> None:
    """Record an op whose values are input's elements at indices along d (max with dim,
    sort, topk, kthvalue, median, mode)."""
    shape = input._shape
    record(name, (values, None), (input,),
           lambda g, _: (select_backward(g, indices, shape, d, keepdim),), saved=(indices,))


def gather_dim(src: Tensor, dim: int, index: Tensor, distinct: bool = False) -> Tensor:
    """src at index along dim, shaped like index; distinct: no index repeats along dim."""
    out = Tensor._empty(index._shape, src.dtype, src.device)
    with no_grad():
        s, i = _contiguous(src.detach()), _contiguous(index)
    out._storage.backend.gather_dim(out, s, i, dim)
    if needs_grad(src):
        size = src._shape[dim]
        record("GatherBackward0", out, (src,),
               lambda g: (scatter_dim(g, dim, index, size, accumulate=not distinct),))
    return out


def select_backward(g: Tensor, index: Tensor, shape: tuple, dim: int, keepdim: bool) -> Tensor:
    """The gradient of values picked at index along dim (max/min with dim, sort, topk,
    kthvalue, median, mode): g at those positions, zeros elsewhere."""
    if len(shape) == 0:
        return g.reshape(())
    if not keepdim:
        g, index = g.unsqueeze(dim), index.unsqueeze(dim)
    return scatter_dim(g, dim, index, shape[dim])


# -- extremes -------------------------------------------------------------------------------
def evenly_distribute(g: Tensor, x: Tensor, value: Tensor) -> Tensor:
    """max()/min()/median() without dim: g shared equally among the elements equal to value
    (NaN matching NaN)."""
    mask = (x == value) | (x.isnan() & value.isnan())
    return mask * (g / mask.sum())


def scale_by_count(g: Tensor, x: Tensor, value: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    """amax/amin: g shared equally among the elements equal to the slice's extreme."""
    shape = x._shape
    mask = x == unreduce(value, shape, dims, keepdim)
    g = unreduce(g, shape, dims, keepdim)
    return (g / mask.sum(dims, keepdim=True)) * mask


# -- products -------------------------------------------------------------------------------
def _exclusive_prod(x: Tensor, dim: int) -> Tensor:
    """The product of all other elements along dim, exact with zeros (no division)."""
    n = x._shape[dim]
    shape = list(x._shape)
    shape[dim] = 1
    one = ones(tuple(shape), dtype=x.dtype, device=x.device)
    left = cat([one, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    right = cat([one, x.narrow(dim, 1, n - 1).flip(dim)], dim).cumprod(dim).flip(dim)
    return left * right


def prod_backward(g: Tensor, x: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    """PyTorch's prod_safe_zeros_backward, branch free (no host read of the zero count)."""
    shape = x._shape
    if x.ndim == 0:
        return g
    g = unreduce(g, shape, dims, keepdim)
    if x.numel() == 0:
        return g
    if len(dims) == 1:
        return g * _exclusive_prod(x, dims[0])
    # Several dims: move them last and flatten them into one.
    kept = [d for d in range(x.ndim) if d not in dims]
    moved = x.permute(kept + list(dims))
    flat = moved.reshape(tuple(moved._shape[:len(kept)]) + (-1,))
    others = _exclusive_prod(flat, len(kept)).reshape(moved._shape)
    inverse = [0] * x.ndim
    for i, d in enumerate(kept + list(dims)):
        inverse[d] = i
    return g * others.permute(inverse)


# -- moments, norms, logsumexp ----------------------------------------------------------------
def var_backward(g: Tensor, x: Tensor, dims: tuple, keepdim: bool, correction: float) -> Tensor:
    n = 1
    for d in dims:
        n *= x._shape[d]
    dof = n - correction
    scale = 2.0 / dof if dof != 0 else float("inf")
    g = unreduce(g, x._shape, dims, keepdim)
    return (g * scale) * (x - x.mean(dims, keepdim=True))


def std_backward(g: Tensor, x: Tensor, result: Tensor, dims: tuple, keepdim: bool,
                 correction: float) -> Tensor:
    g_var = where(result == 0, 0.0, g / (result * 2))
    return var_backward(g_var, x, dims, keepdim, correction)


def mean_backward(g: Tensor, x: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    n = 1
    for d in dims:
        n *= x._shape[d]
    return unreduce(g / n, x._shape, dims, keepdim)


def norm_backward(g: Tensor, x: Tensor, norm: Tensor, p: float, dims: tuple,
                  keepdim: bool):
    """PyTorch's norm_backward (linalg_vector_norm); None for p = 0."""
    if p == 0.0:
        return None
    shape = x._shape
    g = unreduce(g, shape, dims, keepdim)
    if p == 1.0:
        return x.sign() * g
    norm = unreduce(norm, shape, dims, keepdim)
    if p == 2.0:
        return g * where(norm == 0, 0.0, x / norm)
    if p in (float("inf"), float("-inf")):
        absolute = x.abs()
        mask = (absolute == norm) | absolute.isnan()
        return x.sign() * ((g / mask.sum(dims, keepdim=True)) * mask)
    if p < 1.0:
        scaled = x.sign() * where(x == 0, 0.0, x.abs().pow(p - 1))
        return scaled * g * norm.pow(1 - p)
    scaled = x.sign() * x.abs().pow(p - 1) if p < 2.0 else x * x.abs().pow(p - 2)
    return scaled * where(norm == 0, 0.0, g / norm.pow(p - 1))


def logsumexp_backward(g: Tensor, x: Tensor, result: Tensor, dims: tuple,
                       keepdim: bool) -> Tensor:
    shape = x._shape
    return unreduce(g, shape, dims, keepdim) * (x - unreduce(result, shape, dims, keepdim)).exp()


# -- ops with no derivative ---------------------------------------------------------------------
def not_implemented(name: str, outputs, input: Tensor, message: str, error=NotImplementedError):
    """Record a node whose backward raises, as PyTorch does for unique and bincount."""
    def rule(*grads):
        raise error(message)
    record(name, outputs, (input,), rule)
