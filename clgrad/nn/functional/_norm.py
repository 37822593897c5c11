"""Batch, layer, group and instance normalisation.

Each norm runs ops.fused.norm's kernels (statistics, apply, and a two-kernel backward); this
module holds PyTorch's argument checks, the plans saying where statistics and parameters sit
in the flat input, running statistics, and each norm written with Tensor ops (the
composite), through which double backward is taken.
"""
from __future__ import annotations

from ... import _dtype as dt
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.graph import needs_grad
from ...ops.fused import NormPlan, norm_apply, norm_moments, record_norm

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


def _acc(dtype):
    return dt.float64 if dtype is dt.float64 else dt.float32


def _mean_var(x: Tensor, dims: tuple):
    """Mean and biased variance over dims, kept, with Tensor ops (differentiable)."""
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    return mean, (centered * centered).mean(dims, keepdim=True)


# -- batch norm ------------------------------------------------------------------------------
def _bn_plan(x: Tensor) -> NormPlan:
    n, c = x._shape[:2]
    hw = 1
    for s in x._shape[2:]:
        hw *= s
    return NormPlan((n, hw, c * hw, hw), c, (hw, c), (hw, c), n * hw, True)


def _bn_composite(eps, mean_rv=None):
    def composite(x, weight, bias):
        dims = (0,) + tuple(range(2, x.dim()))
        shape = (1, -1) + (1,) * (x.dim() - 2)
        if mean_rv is None:
            mean, var = _mean_var(x, dims)
        else:
            mean, var = (t.view(shape) for t in mean_rv)
        y = (x - mean) * (var + eps).rsqrt()
        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
        return y
    return composite


def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over (N, C, *): per-channel statistics of the batch (training) or
    the running statistics (eval)."""
    if input.dim() < 2:
        raise ValueError(f"expected 2D or more input (got {input.dim()}D input)")
    c = input._shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if training:
        size = input.numel() // c
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    x = input if input.is_contiguous() else input.detach().contiguous()
    plan = _bn_plan(x)
    acc = _acc(x.dtype)
    if training:
        mean, rstd, var = norm_moments(x, plan, eps)
        if running_mean is not None or running_var is not None:
            with no_grad():
                n = plan.count
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype),
                                                         alpha=momentum)
                if running_var is not None:
                    unbiased = var * (n / (n - 1)) if n > 1 else var
                    running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype),
                                                        alpha=momentum)
        composite = _bn_composite(eps)
    else:
        with no_grad():
            mean = running_mean.to(acc).contiguous()
            rstd = (running_var.to(acc) + eps).rsqrt()
        composite = _bn_composite(eps, (running_mean.detach(), running_var.detach()))
    out = norm_apply(x, mean, rstd, weight, bias, plan)
    if needs_grad(input, weight, bias):
        record_norm("NativeBatchNormBackward0", out, input, x, weight, bias, mean, rstd, plan,
                    composite, None, training, "NativeBatchNormBackwardBackward0")
    return out


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Instance normalisation: batch norm of each (sample, channel) plane on its own."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or more input (got {input.dim()}D input)")
    n, c = input._shape[:2]
    shape = (1, n * c) + input._shape[2:]
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    out = batch_norm(input.reshape(shape), rm, rv, w, b, use_input_stats, momentum, eps)
    with no_grad():
        if running_mean is not None and use_input_stats:
            running_mean.copy_(rm.view(n, c).mean(0))
        if running_var is not None and use_input_stats:
            running_var.copy_(rv.view(n, c).mean(0))
    return out.view(input._shape)


# -- layer norm ------------------------------------------------------------------------------
def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None,
               eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing `normalized_shape` dims."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input._shape[input.dim() - k:] != normalized_shape or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(str(s) for s in normalized_shape)}], "
                           f"but got input of size{list(input._shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._shape != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t._shape)} and normalized_shape = "
                               f"{list(normalized_shape)}")
    m = 1
    for s in normalized_shape:
        m *= s
    rows = input.numel() // m if m else 0
    x = input if input.is_contiguous() else input.detach().contiguous()
    plan = NormPlan((1, m, 0, m), rows, (m, max(rows, 1)), (1, m), m, False)
    mean, rstd, _ = norm_moments(x, plan, eps)
    out = norm_apply(x, mean, rstd, weight, bias, plan)
    if needs_grad(input, weight, bias):
        dims = tuple(range(input.dim() - k, input.dim()))

        def composite(x_, w_, b_):
            mu, var = _mean_var(x_, dims)
            y = (x_ - mu) * (var + eps).rsqrt()
            y = y * w_ if w_ is not None else y
            return y + b_ if b_ is not None else y

        def wgrad(g, xd, mean_, rstd_):
            g2 = g.reshape(rows, m)
            xhat = (xd.reshape(rows, m) - mean_.view(rows, 1).to(xd.dtype)) \
                * rstd_.view(rows, 1).to(xd.dtype)
            return ((g2 * xhat).sum(0).view(normalized_shape),
                    g2.sum(0).view(normalized_shape))
        record_norm("NativeLayerNormBackward0", out, input, x, weight, bias, mean, rstd, plan,
                    composite, wgrad, double_name="NativeLayerNormBackwardBackward0")
    return out


# -- group norm ------------------------------------------------------------------------------
def group_norm(input: Tensor, num_groups: int, weight=None, bias=None,
               eps: float = 1e-5) -> Tensor:
    """Group normalisation: statistics over groups of channels of each sample."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    n, c = input._shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input._shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape "
                               f"{list(t._shape)} and input of shape {list(input._shape)}")
    hw = 1
    for s in input._shape[2:]:
        hw *= s
    m = c // num_groups * hw
    x = input if input.is_contiguous() else input.detach().contiguous()
    plan = NormPlan((1, m, 0, m), n * num_groups, (m, max(n * num_groups, 1)), (hw, c), m, False)
    mean, rstd, _ = norm_moments(x, plan, eps)
    out = norm_apply(x, mean, rstd, weight, bias, plan)
    if needs_grad(input, weight, bias):
        shape_c = (1, c) + (1,) * (input.dim() - 2)

        def composite(x_, w_, b_):
            xg = x_.reshape(n, num_groups, -1)
            mu, var = _mean_var(xg, (-1,))
            y = ((xg - mu) * (var + eps).rsqrt()).reshape(x_._shape)
            y = y * w_.view(shape_c) if w_ is not None else y
            return y + b_.view(shape_c) if b_ is not None else y

        def wgrad(g, xd, mean_, rstd_):
            xg = xd.reshape(n, num_groups, m)
            xhat = (xg - mean_.view(n, num_groups, 1).to(xd.dtype)) \
                * rstd_.view(n, num_groups, 1).to(xd.dtype)
            g3 = g.reshape(n, c, hw)
            return ((g3 * xhat.reshape(n, c, hw)).sum((0, 2)), g3.sum((0, 2)))
        # PyTorch differentiates group norm's backward as a composite: no double name here.
        record_norm("NativeGroupNormBackward0", out, input, x, weight, bias, mean, rstd, plan,
                    composite, wgrad)
    return out
