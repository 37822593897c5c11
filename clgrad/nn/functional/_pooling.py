"""Max, average and adaptive pooling in 1-d and 2-d.

Every form is ops.fused.pool2d over (N*C, H, W) planes (1-d as H = 1); this module holds
PyTorch's argument checks and output sizes. Max pooling saves the flat index of each maximum,
and its backward gathers through those indices (deterministic, no atomics).
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...ops.fused import pool2d

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "max_pool1d_with_indices", "max_pool2d_with_indices"]


def _pair(value, n: int, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        value = tuple(int(v) for v in value)
        if len(value) == 1:
            return value * n
        if len(value) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints")
        return value
    return (int(value),) * n


def _pooled_size(size: int, k: int, pad: int, stride: int, dilation: int, ceil: bool) -> int:
    """PyTorch's pooling_output_shape."""
    numer = size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil else 0)
    out = numer // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _check_float(x: Tensor, op: str) -> None:
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"\"{op}\" not implemented for '{x.dtype.name.capitalize()}'")


def _geometry(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool, n: int):
    k = _pair(kernel_size, n, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _pair(stride, n, "stride")
    p = _pair(padding, n, "padding")
    d = _pair(dilation, n, "dilation")
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[-1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[-1]}")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    sizes = x._shape[-n:]
    out = tuple(_pooled_size(sz, kk, pp, ss, dd, ceil_mode)
                for sz, kk, pp, ss, dd in zip(sizes, k, p, s, d))
    if any(o < 1 for o in out):
        plane = x._shape[-n - 1] if x.dim() > n else 1
        given = "x".join(str(v) for v in (plane,) + tuple(sizes))
        calc = "x".join(str(v) for v in (plane,) + out)
        raise RuntimeError(f"Given input size: ({given}). Calculated output size: ({calc}). "
                           "Output size is too small")
    if n == 1:
        return (1, k[0], 1, s[0], 0, p[0], 1, d[0]), (1, out[0])
    return (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]), out


# -- max pooling ----------------------------------------------------------------------------
def _max_pool(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool, n: int,
              op: str):
    _check_float(x, op)
    geometry, out = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, n)
    return pool2d("max", False, x, geometry, out, "MaxPool2DWithIndicesBackward0")


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    if input.dim() not in (3, 4) or input.numel() == 0:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 2,
                     "max_pool2d")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-d max pooling over (N, C, H, W) or (C, H, W)."""
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    return (out, idx) if return_indices else out


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input._shape)}")
    out, idx = _max_pool(input.unsqueeze(-2), kernel_size, stride, padding, dilation,
                         ceil_mode, 1, "max_pool1d")
    return out.squeeze(-2), idx.squeeze(-2)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-d max pooling over (N, C, L) or (C, L)."""
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    return (out, idx) if return_indices else out


# -- average pooling ------------------------------------------------------------------------
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """2-d average pooling over (N, C, H, W) or (C, H, W)."""
    if input.dim() not in (3, 4) or input.numel() == 0:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    _check_float(input, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geometry, out = _geometry(input, kernel_size, stride, padding, 1, ceil_mode, 2)
    return pool2d("avg", False, input, geometry, out, "AvgPool2DBackward0", count_include_pad,
                  int(divisor_override or 0))[0]


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    _check_float(input, "avg_pool1d")
    x = input.unsqueeze(-2)
    geometry, out = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, 1)
    return pool2d("avg", False, x, geometry, out, "AvgPool2DBackward0",
                  count_include_pad)[0].squeeze(-2)


# -- adaptive pooling -----------------------------------------------------------------------
def _adaptive_size(x: Tensor, output_size, n: int) -> tuple:
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != n:
            raise RuntimeError(f"adaptive pool: output_size must be {n}")
        sizes = tuple(x._shape[-n + i] if v is None else int(v)
                      for i, v in enumerate(output_size))
    else:
        sizes = (int(output_size),) * n
    if any(v < 0 for v in sizes):
        raise RuntimeError(f"adaptive pool: elements of output_size must be greater than or "
                           f"equal to 0 but received {list(sizes)}")
    return sizes


def _check_adaptive(x: Tensor, op: str, n: int) -> None:
    if x.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got "
                           f"{list(x._shape)}")
    for d in range(1, x.dim()):
        if x._shape[d] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(x._shape)} with "
                               f"dimension {d} being empty")
    _check_float(x, op)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """2-d average pooling to a fixed output size."""
    _check_adaptive(input, "adaptive_avg_pool2d", 2)
    size = _adaptive_size(input, output_size, 2)
    if size == (1, 1):
        return input.mean((-1, -2), keepdim=True)  # PyTorch takes the mean here too
    return pool2d("avg", True, input, (0,) * 8, size, "AdaptiveAvgPool2DBackward0")[0]


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """1-d average pooling to a fixed output size."""
    _check_adaptive(input, "adaptive_avg_pool1d", 1)
    size = _adaptive_size(input, output_size, 1)
    return pool2d("avg", True, input.unsqueeze(-2), (0,) * 8, (1,) + size,
                  "AdaptiveAvgPool2DBackward0")[0].squeeze(-2)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """2-d max pooling to a fixed output size."""
    _check_adaptive(input, "adaptive_max_pool2d", 2)
    size = _adaptive_size(input, output_size, 2)
    out, idx = pool2d("max", True, input, (0,) * 8, size, "AdaptiveMaxPool2DBackward0")
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """1-d max pooling to a fixed output size."""
    _check_adaptive(input, "adaptive_max_pool1d", 1)
    size = _adaptive_size(input, output_size, 1)
    out, idx = pool2d("max", True, input.unsqueeze(-2), (0,) * 8, (1,) + size,
                      "AdaptiveMaxPool2DBackward0")
    out, idx = out.squeeze(-2), idx.squeeze(-2)
    return (out, idx) if return_indices else out
