"""RMS norm and local response norm, composed from Tensor ops."""
from __future__ import annotations

from typing import Optional

from ..._tensor import Tensor

__all__ = ["rms_norm", "local_response_norm"]


def rms_norm(input: Tensor, normalized_shape, weight: Optional[Tensor] = None,
             eps: Optional[float] = None) -> Tensor:
    """x / sqrt(mean(x^2 over the trailing normalized_shape dims) + eps) (* weight)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if input.dim() < k or tuple(input.shape[input.dim() - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*{', '.join(str(s) for s in normalized_shape)}], "
                           f"but got input of size{list(input.shape)}")
    if eps is None:
        from ... import _dtype as dt
        eps = dt.finfo(input.dtype).eps
    dims = tuple(range(input.dim() - k, input.dim()))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt() if dims \
        else input * (input * input + eps).rsqrt()
    return out * weight if weight is not None else out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """input / (k + alpha * mean of input^2 over `size` neighbouring channels)^beta."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    from ._sampling import pad
    sq = input * input
    c = input.shape[1]
    # zero-pad the channel dim as PyTorch does (size // 2 before, (size - 1) // 2 after)
    padded = pad(sq.movedim(1, -1), (size // 2, (size - 1) // 2)).movedim(-1, 1)
    window = padded.narrow(1, 0, c)
    for s in range(1, size):
        window = window + padded.narrow(1, s, c)
    div = (window * (alpha / size) + k) ** beta
    return input / div
