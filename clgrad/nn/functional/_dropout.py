"""Dropout (torch.nn.functional's), masks drawn from clgrad's Philox stream."""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape: tuple, p: float, like: Tensor) -> Tensor:
    """1 / (1 - p) where kept (probability 1 - p), 0 where dropped, in like's dtype."""
    from ...ops.creation import empty
    with no_grad():
        keep = empty(shape, dtype=like.dtype, device=like.device).bernoulli_(1.0 - p)
        return keep.mul_(1.0 / (1.0 - p)) if p < 1.0 else keep


def _apply(input: Tensor, mask: Tensor, inplace: bool) -> Tensor:
    return input.mul_(mask) if inplace else input * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _apply(input, _keep_mask(input._shape, p, input), inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     batched_dim: int, name: str) -> Tensor:
    _check_p(p)
    if input.dim() not in (batched_dim - 1, batched_dim):
        raise RuntimeError(f"{name}: Expected {batched_dim - 1}D or {batched_dim}D input, but "
                           f"received a {input.dim()}D input.")
    if not training or p == 0.0:
        return input
    lead = 2 if input.dim() == batched_dim else 1
    shape = input._shape[:lead] + (1,) * (input.dim() - lead)
    return _apply(input, _keep_mask(shape, p, input), inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) inputs."""
    _check_p(p)
    if input.dim() not in (3, 4):
        import warnings
        warnings.warn(f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release.",
                      stacklevel=2)
    if not training or p == 0.0:
        return input
    lead = 2 if input.dim() != 3 else 1
    shape = input._shape[:lead] + (1,) * (input.dim() - lead)
    return _apply(input, _keep_mask(shape, p, input), inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    if input.dim() not in (4, 5):
        import warnings
        warnings.warn(f"dropout3d: Received a {input.dim()}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release.",
                      stacklevel=2)
    if not training or p == 0.0:
        return input
    lead = 2 if input.dim() == 5 else 1
    shape = input._shape[:lead] + (1,) * (input.dim() - lead)
    return _apply(input, _keep_mask(shape, p, input), inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout keeping SELU's self-normalising mean and variance."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _alpha_apply(input, p, input._shape)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1) of batched inputs."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _alpha_apply(input, p, input._shape[:2] + (1,) * (input.dim() - 2))


def _alpha_apply(input: Tensor, p: float, shape: tuple) -> Tensor:
    alpha_p = -1.7580993408473766
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    from ...ops.creation import empty
    with no_grad():
        keep = empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
        mult = keep * a
        add = (1 - keep) * (alpha_p * a) + b
    return input * mult + add
