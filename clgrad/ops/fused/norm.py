"""Normalisation kernels (batch, layer, group) and their recorded backward.

Each norm is one statistics kernel (a one-pass Welford per group) and one apply kernel; the
backward is one reduction kernel (sum(g*w), sum(g*w*xhat) per group) and one elementwise
kernel. Under create_graph the kernels still compute the gradient, recorded as PyTorch's
double-backward node (or, for norms PyTorch differentiates as a composite, taken through the
caller's composite directly), so double backward works.
"""
from __future__ import annotations

from ... import _dtype as dt
from ..._tensor import Tensor
from ...autograd.grad_mode import enable_grad, is_grad_enabled
from ...autograd.graph import record
from .double_backward import backward_with_graph, independent

__all__ = ["NormPlan", "norm_moments", "norm_apply", "record_norm"]


def _acc(dtype):
    return dt.float64 if dtype is dt.float64 else dt.float32


def _same(p, x: Tensor):
    """A parameter as x's dtype (and contiguous) for the kernels, or None."""
    if p is None:
        return None
    if p.dtype is not x.dtype:
        p = p.to(x.dtype)
    return p if p.is_contiguous() else p.contiguous()


class NormPlan:
    """Where statistics and affine parameters sit in the flat input (see norm.cl.mako)."""

    def __init__(self, layout, groups, stat_map, affine_map, count, per_group_affine):
        self.layout = layout
        self.groups = groups
        self.stat_map = stat_map
        self.affine_map = affine_map
        self.count = count
        self.per_group_affine = per_group_affine  # batch norm: one parameter per group


def norm_moments(x: Tensor, plan: NormPlan, eps: float):
    """(mean, rstd, biased var) per group of contiguous x, in the accumulation dtype."""
    acc = _acc(x.dtype)
    mean = Tensor._empty((plan.groups,), acc, x.device)
    rstd = Tensor._empty((plan.groups,), acc, x.device)
    var = Tensor._empty((plan.groups,), acc, x.device)
    x._storage.backend.norm_moments(mean, rstd, var, x, plan.layout, eps)
    return mean, rstd, var


def norm_apply(x: Tensor, mean: Tensor, rstd: Tensor, weight, bias, plan: NormPlan) -> Tensor:
    """(x - mean) * rstd * weight + bias of contiguous x (weight, bias may be None)."""
    y = Tensor._empty(x._shape, x.dtype, x.device)
    x._storage.backend.norm_apply(y, x, mean, rstd, plan.stat_map, _same(weight, x),
                                  _same(bias, x), plan.affine_map)
    return y


def record_norm(name: str, out: Tensor, input: Tensor, xk: Tensor, weight, bias, mean, rstd,
                plan: NormPlan, composite, wgrad_dims, training: bool = True,
                double_name=None) -> None:
    """Record the norm's node over (input, weight, bias).

    xk is input as the kernels read it (contiguous); composite(x, w, b) is the norm written
    with Tensor ops; wgrad_dims(g, x, mean, rstd) gives (grad weight, grad bias) where the
    parameters are per element (layer, group norm). Under create_graph the gradients are
    recorded as `double_name`, or taken through `composite` where that is None.
    """
    want = (input._requires_grad, weight is not None and weight._requires_grad,
            bias is not None and bias._requires_grad)
    xd = xk.detach()

    def kernel_grads(g):
        gc = g.detach() if g.is_contiguous() else g.detach().contiguous()
        backend = gc._storage.backend
        acc = _acc(xd.dtype)
        wk = _same(weight, xd)
        s1 = Tensor._empty((plan.groups,), acc, g.device)
        s2 = Tensor._empty((plan.groups,), acc, g.device)
        backend.norm_bwd_sums(s1, s2, gc, xd, mean, rstd, plan.layout,
                              None if plan.per_group_affine else wk, plan.affine_map)
        gx = gw = gb = None
        if plan.per_group_affine:  # unweighted sums: the parameter gradients themselves
            gw, gb = s2.to(xd.dtype), s1.to(xd.dtype)
            if wk is not None:
                s1, s2 = s1 * wk.to(acc), s2 * wk.to(acc)
        if want[0]:
            if training:
                gx = Tensor._empty(xd._shape, xd.dtype, xd.device)
                backend.norm_bwd_apply(gx, gc, xd, mean, rstd, s1, s2, plan.count,
                                       plan.stat_map, wk, plan.affine_map)
            else:
                scale = rstd if wk is None else rstd * wk.to(acc)
                gx = gc * scale.to(xd.dtype).view((-1,) + (1,) * (xd.dim() - 2))
        if not plan.per_group_affine and (want[1] or want[2]):
            gw, gb = wgrad_dims(gc, xd, mean, rstd)
        return gx, gw if want[1] else None, gb if want[2] else None

    def composite_grads(g, x, w, b):
        from ...autograd.engine import grad as autograd_grad
        with enable_grad():
            x, w, b = (independent(t) if wt else t for t, wt in zip((x, w, b), want))
            inputs = [t for t, wt in zip((x, w, b), want) if wt]
            y = composite(x, w, b)
            grads = list(autograd_grad(y, inputs, g, create_graph=True, allow_unused=True))
        return tuple(grads.pop(0) if wt else None for wt in want)

    def rule(g):
        if not is_grad_enabled():
            return kernel_grads(g)
        if double_name is None:
            return composite_grads(g, input, weight, bias)
        return backward_with_graph(double_name, (g, input, weight, bias),
                                   lambda: kernel_grads(g), composite_grads)

    record(name, out, (input, weight, bias), rule, saved=(input,) + tuple(
        p for p in (weight, bias) if p is not None))
