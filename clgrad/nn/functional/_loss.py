"""Loss functions (torch.nn.functional's) with reduction 'none' | 'mean' | 'sum'.

Losses PyTorch records as one node (MseLossBackward0, NllLossBackward0, ...) are one node
here too, computed without recording and given PyTorch's gradient formula (written with
Tensor ops, so double backward works). nll_loss is ops.fused.nll_loss (one fused kernel each
way, its backward differentiable again); cross_entropy is log_softmax (fused) followed by
nll_loss, as in PyTorch.
"""
from __future__ import annotations

import math
import warnings
from typing import Optional

from ... import _dtype as dt
from ..._checks import not_tensor
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.graph import needs_grad, record
from ...ops.fused import nll_loss as _fused_nll_loss
from ...ops.value_checks import check_in_range

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
           "soft_margin_loss", "hinge_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='mean' instead." if (size_average is None or size_average)
                  and (reduce is None or reduce) else "size_average and reduce args will be "
                  "deprecated, please use reduction='none' instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _need_tensor(fn: str, x, arg: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise not_tensor(fn, x, arg, pos)


def _size_warning(input: Tensor, target: Tensor, fn: str) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)


# -- elementwise differences: one node per loss -------------------------------------------
def _difference_loss(name: str, node: str, input: Tensor, target: Tensor, reduction: str,
                     value, grad) -> Tensor:
    """A loss of d = input - target: value(d) elementwise, reduced; grad(d, g) its
    derivative with respect to d (times the incoming gradient g, already broadcast)."""
    _need_tensor(name, input, "input", 1)
    _need_tensor(name, target, "target", 2)
    _check_reduction(reduction)
    _size_warning(input, target, name)
    with no_grad():
        d = input - target
        out = _reduce(value(d), reduction)
    if needs_grad(input, target):
        dd = d.detach()
        shape = dd._shape
        count = dd.numel()
        track_target = target.requires_grad

        def rule(g):
            diff = input - target if is_grad_enabled() else dd
            if reduction == "mean":
                g = g / count
            if g._shape != shape:
                g = g.expand(shape)
            gd = grad(diff, g)
            return gd, (-gd if track_target else None)

        record(node, out, (input, target), rule, saved=(input, target))
    return out


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """(input - target)^2, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        _check_reduction(reduction)
        return _reduce((input - target) ** 2 * weight, reduction)
    return _difference_loss("mse_loss", "MseLossBackward0", input, target, reduction,
                            lambda d: d * d, lambda d, g: g * d * 2)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    """|input - target|, reduced (a composite in PyTorch too)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _need_tensor("l1_loss", input, "input", 1)
    _check_reduction(reduction)
    _size_warning(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _where(cond: Tensor, a, b) -> Tensor:
    from ...ops.pointwise import where
    return where(cond, a, b)


def _sign(d: Tensor) -> Tensor:
    return d.sign()


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)

    def value(d):
        a = d.abs()
        return _where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)

    def grad(d, g):
        return _where(d.abs() < beta, g * d / beta, g * _sign(d))

    return _difference_loss("smooth_l1_loss", "SmoothL1LossBackward0", input, target,
                            reduction, value, grad)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")

    def value(d):
        a = d.abs()
        return _where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)

    def grad(d, g):
        return _where(d.abs() <= delta, g * d, g * _sign(d) * delta)

    if weight is not None:
        _check_reduction(reduction)
        return _reduce(value(input - target) * weight, reduction)
    return _difference_loss("huber_loss", "HuberLossBackward0", input, target, reduction,
                            value, grad)


# -- negative log-likelihood and cross entropy ----------------------------------------------
def _check_nll(input: Tensor, target: Tensor, weight: Optional[Tensor]) -> None:
    _need_tensor("nll_loss", input, "input", 1)
    _need_tensor("nll_loss", target, "target", 2)
    if target.dtype not in (dt.int64, dt.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_scalar_name(target.dtype)}")
    for other in (target, weight):
        if other is not None and other.device != input.device:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {input.device} and {other.device}!")
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() == 1:
        if target.dim() != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    else:
        if input.shape[0] != (target.shape[0] if target.dim() else 1) or target.dim() == 0:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({target.shape[0] if target.dim() else 0}).")
        if input.dim() == 2 and target.dim() != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.dim() > 2:
            expected = (input.shape[0],) + tuple(input._shape[2:])
            if target._shape != expected:
                raise RuntimeError(f"Expected target size {list(expected)}, got "
                                   f"{list(target.shape)}")
    C = input.shape[0] if input.dim() == 1 else input.shape[1]
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")


def _scalar_name(d) -> str:
    from ..._typenames import scalar_name  # the one table of PyTorch type names
    return scalar_name(d)


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
             size_average=None, ignore_index: int = -100, reduce=None,
             reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] (times weight[target[n]]), reduced; input holds log-probabilities
    (N, C), (C,) or (N, C, d1, ...)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_nll(input, target, weight)
    if input.dim() in (1, 2):
        return _fused_nll_loss(input, target, weight, ignore_index, reduction, "NllLossBackward0")
    if input.dim() == 4:
        return _fused_nll_loss(input, target, weight, ignore_index, reduction, "NllLoss2DBackward0")
    # other K-dim inputs: seen as (N, C, 1, D) like PyTorch (views around a 2-D NLL node)
    n, c = input.shape[0], input.shape[1]
    x = input.contiguous().view(n, c, 1, -1)
    t = target.contiguous().view(n, 1, -1)
    out = _fused_nll_loss(x, t, weight, ignore_index, reduction, "NllLoss2DBackward0")
    if reduction == "none":
        out = out.view(target._shape)
    return out


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(input, 1), target): class indices or class probabilities."""
    from ._activation import log_softmax
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _need_tensor("cross_entropy_loss", input, "input", 1)
    _need_tensor("cross_entropy_loss", target, "target", 2)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    if target.dtype.is_floating_point:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing,
                                    class_dim, log_softmax)
    logp = log_softmax(input, class_dim)
    if label_smoothing <= 0.0:
        return nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    _check_nll(input, target, weight)
    n_classes = input.shape[class_dim]
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    ignore_mask = target == ignore_index
    if weight is not None:
        shape = [1] * input.dim()
        shape[class_dim] = n_classes
        smooth = -(logp * weight.view(shape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore_mask, 0.0)
    if reduction == "mean":
        if weight is not None:
            keep = target.masked_select(~ignore_mask).flatten()
            ret = smooth.sum() / weight.gather(0, keep).sum()
        else:
            ret = smooth.sum() / (~ignore_mask).sum()
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim,
                         log_softmax):
    if input.shape != target.shape:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    n_classes = input.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    logp = log_softmax(input, class_dim)
    if weight is not None:
        shape = [1] * input.dim()
        shape[class_dim] = n_classes
        prod = logp * target * weight.view(shape)
    else:
        prod = logp * target
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum() / (input.numel() / n_classes)


# -- binary cross entropy -----------------------------------------------------------------
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log x + (1 - t) log(1 - x)), logs clamped at -100 as in PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _need_tensor("binary_cross_entropy", input, "input", 1)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    check_in_range(input.detach(), 0, 1, "binary_cross_entropy",
                   "all elements of input should be between 0 and 1")
    with no_grad():
        x, t = input.detach(), target.detach()
        loss = -(t * x.log().clamp_min(-100) + (1 - t) * (1 - x).log().clamp_min(-100))
        if weight is not None:
            loss = loss * weight
        out = _reduce(loss, reduction)
    if needs_grad(input, target):
        count = input.numel()
        w = None if weight is None else weight.detach()

        def rule(g):
            xr, tr = (input, target) if is_grad_enabled() else (x, t)
            if reduction == "mean":
                g = g / count
            gx = g * (xr - tr) / (xr * (1 - xr)).clamp_min(1e-12)
            gt = None
            if target.requires_grad:
                gt = g * ((1 - xr).log().clamp_min(-100) - xr.log().clamp_min(-100))
            if w is not None:
                gx = gx * w
                gt = gt * w if gt is not None else None
            return gx, gt

        record("BinaryCrossEntropyBackward0", out, (input, target), rule,
               saved=(input, target))
    return out


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Optional[Tensor] = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """Sigmoid then binary cross entropy, computed stably in one node (pos_weight weighs the
    positive term)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _need_tensor("binary_cross_entropy_with_logits", input, "input", 1)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")

    def softplus_neg(x):  # log(1 + exp(-x)), stable
        return (-x).clamp_min(0) + (-x.abs()).exp().log1p()

    with no_grad():
        x, t = input.detach(), target.detach()
        if pos_weight is not None:
            log_weight = (pos_weight - 1) * t + 1
            loss = (1 - t) * x + log_weight * softplus_neg(x)
        else:
            loss = (1 - t) * x + softplus_neg(x)
        if weight is not None:
            loss = loss * weight
        out = _reduce(loss, reduction)
    if needs_grad(input, target):
        count = input.numel()

        def rule(g):
            xr, tr = (input, target) if is_grad_enabled() else (x, t)
            if reduction == "mean":
                g = g / count
            s = xr.sigmoid()
            if pos_weight is not None:
                gx = g * (((pos_weight - 1) * tr + 1) * s - pos_weight * tr)
            else:
                gx = g * (s - tr)
            gt = None
            if target.requires_grad:
                if pos_weight is not None:
                    gt = g * ((pos_weight - 1) * softplus_neg(xr) - xr)
                else:
                    gt = -g * xr
            if weight is not None:
                gx = gx * weight
                gt = gt * weight if gt is not None else None
            return gx, gt

        record("BinaryCrossEntropyWithLogitsBackward0", out, (input, target), rule,
               saved=(input, target))
    return out


# -- the rest: composites, as in PyTorch ----------------------------------------------------
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target * (log target - input) pointwise (input holds log-probabilities)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        xlogy = _where(target == 0, 0.0, target * target.log())
        loss = xlogy - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.dim() != input2.dim():
        raise RuntimeError(f"cosine_embedding_loss: All input tensors should have same "
                           f"dimension but got sizes: input1: {list(input1.shape)}, input2: "
                           f"{list(input2.shape)}, target: {list(target.shape)} ")
    dim = input1.dim() - 1
    eps = 1e-12
    prod_sum = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    out = _where(target == 1, pos, 0.0) + _where(target == -1, neg, 0.0)
    return _reduce(out, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (x1 - x2) + margin)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {input1.shape}, input2: "
                           f"{input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm distance."""
    from ._misc import pairwise_distance
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not (anchor.dim() == positive.dim() == negative.dim()):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {anchor.dim()}D, "
                           f"positive {positive.dim()}D, and negative {negative.dim()}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = d_neg.minimum(d_swap)
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _reduce((-target * input).exp().log1p(), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x for target 1, max(0, margin - x) for target -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    margin_clamp = (margin - input).clamp_min(0)
    out = _where(target == 1, 0.0, margin_clamp) + _where(target == -1, 0.0, input)
    return _reduce(out, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of a Poisson distribution with rate input (or exp(input))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (2 * math.pi * target).log() * 0.5
        loss = loss + _where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log var + (input - target)^2 / var) (+ const when full)."""
    _check_reduction(reduction)
    if not isinstance(var, Tensor):
        from ...ops.creation import full_like
        var = full_like(input, var)
    with no_grad():
        clamped = var.clamp_min(eps)
    var = var + (clamped - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
