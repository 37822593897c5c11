"""Power-average pooling (lp_pool1d/2d/3d) and the *_with_indices names PyTorch exports."""
from __future__ import annotations

from ..._tensor import Tensor
from ._activation import relu
from ._conv3d import adaptive_max_pool3d, avg_pool3d
from ._pooling import adaptive_max_pool1d, adaptive_max_pool2d, avg_pool1d, avg_pool2d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices"]


def _tuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _lp(pooled: Tensor, norm_type: float, count: int) -> Tensor:
    # sign * relu(abs) keeps PyTorch's gradient at zero windows (and its NaN for negatives)
    return (pooled.sign() * relu(pooled.abs())).mul(count).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over each window of x^p)^(1/p)."""
    k = _tuple(kernel_size, 1)[0]
    pooled = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, k)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    kh, kw = _tuple(kernel_size, 2)
    pooled = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kh * kw)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    kd, kh, kw = _tuple(kernel_size, 3)
    pooled = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kd * kh * kw)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool3d(input, output_size, return_indices=True)
