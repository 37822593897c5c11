"""max_unpool1d/2d/3d: the partial inverse of max pooling (PyTorch's MaxUnpool*d).

Each value goes back to the flat position its max pooling saved; everything else is zero.
The gradient gathers the incoming gradient at those positions (its own gradient scatters
again), recorded as MaxUnpool2DBackward0 / MaxUnpool3DBackward0; 1-d runs as 2-d with W = 1,
as PyTorch's does.
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.graph import needs_grad, record
from ...ops.creation import zeros

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value) * (n if len(value) == 1 else 1)
    return (int(value),) * n


def _output_size(input: Tensor, kernel: tuple, stride: tuple, padding: tuple,
                 output_size) -> list:
    """PyTorch's _unpool_output_default_size: the pooled input's size, or a checked
    output_size (2 + n numbers allowed: the leading two are dropped)."""
    n = len(kernel)
    default = [(input._shape[-n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(n)]
    if output_size is None:
        return default
    sizes = list(output_size)
    if len(sizes) == n + 2:
        sizes = sizes[2:]
    if len(sizes) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                         f"elements, but it has a length of '{len(sizes)}'")
    for d in range(n):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < sizes[d] < high:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                             f'{low} and {high})')
    return [int(v) for v in sizes]


def _check_indices(indices: Tensor, limit: int, sizes: list) -> None:
    """PyTorch's 'Found an invalid max index' (one host read: this op is no hot path)."""
    if not indices.numel():
        return
    low, high = int(indices.min().item()), int(indices.max().item())
    if low >= 0 and high < limit:
        return
    flat = indices.detach().reshape(-1).cpu().tolist()
    bad = next(v for v in flat if v < 0 or v >= limit)
    raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                       f"{'x'.join(str(s) for s in sizes)})")


def _unpool(input: Tensor, indices: Tensor, sizes: list, name: str, dims: int) -> Tensor:
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Input to max_unpooling{dims}d should be a {dims + 1}d or "
                           f"{dims + 2}d Tensor, but got a tensor with {input.dim()} "
                           "dimensions.")
    if indices.dtype.name != "int64":
        raise RuntimeError("elements in indices should be type int64")
    if indices._shape != input._shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input._shape)}) but got indices tensor with shape: "
                           f"{list(indices._shape)}")
    lead = input._shape[:-dims]
    volume = 1
    for s in sizes:
        volume *= s
    _check_indices(indices, volume, sizes)
    planes = 1
    for s in lead:
        planes *= s
    where = indices.reshape(planes, -1)
    with no_grad():
        out = zeros((planes, volume), dtype=input.dtype, device=input.device)
        out.scatter_(1, where, input.reshape(planes, -1))
        out = out.view(lead + tuple(sizes))
    if needs_grad(input):
        shape = input._shape
        record(name, out, (input,), lambda g: (
            g.reshape(planes, volume).gather(1, where).view(shape),))
    return out


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool1d over (N, C, L) or (C, L)."""
    kernel = _ntuple(kernel_size, 1)
    stride = _ntuple(stride, 1) if stride else kernel
    sizes = _output_size(input, kernel, stride, _ntuple(padding, 1), output_size)
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), sizes + [1],
                   "MaxUnpool2DBackward0", 2).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool2d over (N, C, H, W) or (C, H, W)."""
    kernel = _ntuple(kernel_size, 2)
    stride = _ntuple(stride, 2) if stride else kernel
    sizes = _output_size(input, kernel, stride, _ntuple(padding, 2), output_size)
    return _unpool(input, indices, sizes, "MaxUnpool2DBackward0", 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool3d over (N, C, D, H, W) or (C, D, H, W)."""
    kernel = _ntuple(kernel_size, 3)
    stride = _ntuple(stride, 3) if stride else kernel
    sizes = _output_size(input, kernel, stride, _ntuple(padding, 3), output_size)
    return _unpool(input, indices, sizes, "MaxUnpool3DBackward0", 3)
