"""Multi-class and multi-label margin losses, and the triplet loss with any distance.

Composed from Tensor ops, so autograd, double backward and every device come with them.
"""
from __future__ import annotations

from typing import Callable, Optional

from ..._tensor import Tensor
from ._loss import _check_reduction, _legacy_reduction, _reduce

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
           "triplet_margin_with_distance_loss"]


def _class_rows(input: Tensor, target: Tensor):
    """(N, C) view of input and (N,) of target, accepting PyTorch's unbatched forms."""
    if input.dim() > 2 or (input.dim() == 2 and target.dim() != 1) \
            or (input.dim() < 2 and target.dim() > 1):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {list(input.shape)}")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    return x, target.reshape(-1)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Optional[Tensor] = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """sum_{j != y} max(0, margin - x[y] + x[j])^p (* weight[y]) / C per sample."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    x, y = _class_rows(input, target)
    c = x.shape[1]
    picked = x.gather(1, y.view(-1, 1))
    hinge = (margin - picked + x).clamp_min(0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.gather(0, y).view(-1, 1)
    from ...ops.creation import arange
    others = arange(c, device=x.device).view(1, c) != y.view(-1, 1)
    loss = (hinge * others).sum(1) / c
    if input.dim() < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """sum over target classes j and other classes k of max(0, 1 - (x[j] - x[k])) / C.

    Each row of target lists class indices and ends at its first -1 (PyTorch's layout).
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input.dim() > 2 or input.shape != target.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    t = target.reshape(x.shape)
    c = x.shape[1]
    from ...ops.creation import arange
    # positions before the first -1 are labels; a label listed twice counts twice (as torch)
    listed = (t >= 0).long().cumprod(1).bool()
    idx = t.clamp_min(0)
    hits = (idx.unsqueeze(2) == arange(c, device=x.device).view(1, 1, c)) & listed.unsqueeze(2)
    is_label = hits.any(1)
    pair = (1 - x.gather(1, idx).unsqueeze(2) + x.unsqueeze(1)).clamp_min(0)
    mask = listed.unsqueeze(2) & (~is_label).unsqueeze(1)
    loss = (pair * mask).sum((1, 2)) / c
    if input.dim() < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor,
                                weight: Optional[Tensor] = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Mean over classes of the binary cross-entropy of sigmoid(input) against target."""
    from ._activation import logsigmoid
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Optional[Callable] = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d defaulting to the pairwise 2-norm distance."""
    from ._misc import pairwise_distance
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not (anchor.dim() == positive.dim() == negative.dim()):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {anchor.dim()}D, "
                           f"positive {positive.dim()}D, and negative {negative.dim()}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)
