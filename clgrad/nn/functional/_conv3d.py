"""conv3d and the 3-d poolings, composed from strided views, stack and matmul (im2col).

Each kernel offset is one strided view of the padded input; stacking the views gives the
(N, C, K, D', H', W') patch tensor, so autograd and every device come for free.
"""
from __future__ import annotations

import math
from typing import Optional

from ..._tensor import Tensor
from ...ops.creation import ones
from ...ops.join import cat, stack

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
           "adaptive_max_pool3d"]


def _triple(value, name: str = "") -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return (int(value[0]),) * 3
        return tuple(int(v) for v in value)
    return (int(value),) * 3


def _pad(input: Tensor, pads: list, value: float) -> Tensor:
    from . import pad
    if not any(pads):
        return input
    return pad(input, pads, "constant", value)


def _patches(x: Tensor, kernel: tuple, stride: tuple, dilation: tuple, out: tuple) -> Tensor:
    """(N, C, D, H, W) already padded -> (N, C, K, D', H', W') with K = kd * kh * kw."""
    views = []
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            for c in range(kernel[2]):
                starts = (a * dilation[0], b * dilation[1], c * dilation[2])
                index = tuple(slice(s, s + st * (o - 1) + 1, st)
                              for s, st, o in zip(starts, stride, out))
                views.append(x[(slice(None), slice(None)) + index])
    return stack(views, 2)


def _batched(input: Tensor, op: str):
    if input.dim() not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to {op}, but got "
                           f"input of size: {list(input.shape)}")
    return (input, False) if input.dim() == 5 else (input.unsqueeze(0), True)


def conv3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W)."""
    x, unbatched = _batched(input, "conv3d")
    stride, dilation = _triple(stride), _triple(dilation)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = [0] * 6
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in reversed(list(zip(kernel, dilation))):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
        else:
            raise ValueError(f"Invalid padding string '{padding}'")
    else:
        pads = []
        for p in reversed(_triple(padding)):
            pads += [p, p]
    n, c = x.shape[:2]
    if c != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {weight.shape[1] * groups} "
                           f"channels, but got {c} channels instead")
    x = _pad(x, pads, 0.0)
    out = tuple((size - d * (k - 1) - 1) // s + 1
                for size, k, s, d in zip(x.shape[2:], kernel, stride, dilation))
    if any(o <= 0 for o in out):
        raise RuntimeError("conv3d: kernel size can't be greater than actual input size")
    cols = _patches(x, kernel, stride, dilation, out)  # (N, C, K, D', H', W')
    span = weight.shape[1] * math.prod(kernel)
    cols = cols.reshape(n, groups, span, math.prod(out))
    w = weight.reshape(groups, weight.shape[0] // groups, span)
    y = (w.unsqueeze(0) @ cols).reshape((n, weight.shape[0]) + out)
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1, 1)
    return y.squeeze(0) if unbatched else y


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-d transposed convolution: conv3d of the stride-dilated, padded input with the
    flipped, in/out-swapped kernel."""
    from ...ops.creation import zeros
    from ...ops.join import flip
    x, unbatched = _batched(input, "conv_transpose3d")
    stride, padding = _triple(stride), _triple(padding)
    output_padding, dilation = _triple(output_padding), _triple(dilation)
    n, c = x.shape[:2]
    if c != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {weight.shape[0]} channels, but got "
                           f"{c} channels instead")
    kernel = tuple(weight.shape[2:])
    if any(s > 1 for s in stride):
        # Insert stride - 1 zeros between input elements.
        size = tuple((d - 1) * s + 1 for d, s in zip(x.shape[2:], stride))
        spread = zeros((n, c) + size, dtype=x.dtype, device=x.device)
        spread[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)] = x
        x = spread
    pads = []
    for k, d, p, op in reversed(list(zip(kernel, dilation, padding, output_padding))):
        edge = d * (k - 1) - p
        pads += [edge, edge + op]
    if any(p < 0 for p in pads):
        # Padding beyond the kernel's reach crops the output instead.
        from . import pad
        x = pad(x, [min(p, 0) for p in pads])
        pads = [max(p, 0) for p in pads]
    x = _pad(x, pads, 0.0)
    cin_g, cout_g = weight.shape[0] // groups, weight.shape[1]
    w = weight.reshape((groups, cin_g, cout_g) + kernel).transpose(1, 2)
    w = flip(w.reshape((groups * cout_g, cin_g) + kernel), (2, 3, 4))
    y = conv3d(x, w, bias, 1, 0, dilation, groups)
    return y.squeeze(0) if unbatched else y


def _pool_geometry(x: Tensor, kernel, stride, padding, dilation, ceil_mode: bool):
    kernel = _triple(kernel)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and
                                          len(stride) == 0) else _triple(stride)
    padding, dilation = _triple(padding), _triple(dilation)
    for p, k, d in zip(padding, kernel, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    out, extra = [], []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1  # the last window must start inside the input or the left padding
        if o <= 0:
            raise RuntimeError(f"Given input size: {tuple(x.shape[1:])}. Calculated output "
                               "size is too small")
        out.append(o)
        extra.append(max(0, (o - 1) * s + d * (k - 1) + 1 - (size + 2 * p)))
    return kernel, stride, padding, dilation, tuple(out), extra


def _pads(padding: tuple, extra: list) -> tuple:
    """F.pad lists for (the symmetric padding) and (the ceil-mode overhang on the right)."""
    sym, over = [], []
    for p, e in zip(reversed(padding), reversed(extra)):
        sym += [p, p]
        over += [0, e]
    return sym, over


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-d max pooling; return_indices gives flat D*H*W positions as PyTorch."""
    from ...ops.creation import arange
    x, unbatched = _batched(input, "max_pool3d")
    kernel, stride, padding, dilation, out, extra = _pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode)
    sym, over = _pads(padding, extra)
    padded = _pad(_pad(x, sym, float("-inf")), over, float("-inf"))
    patches = _patches(padded, kernel, stride, dilation, out)
    values, arg = patches.max(2)
    if not return_indices:
        return values.squeeze(0) if unbatched else values
    k1, k2 = kernel[1], kernel[2]
    offsets = (arg // (k1 * k2), (arg // k2) % k1, arg % k2)
    coords = []
    for dim, (off, s, p, d) in enumerate(zip(offsets, stride, padding, dilation)):
        shape = [1, 1, 1, 1, 1]
        shape[2 + dim] = out[dim]
        base = (arange(out[dim], device=x.device) * s - p).reshape(shape)
        coords.append(base + off * d)
    h, w = x.shape[3], x.shape[4]
    indices = coords[0] * (h * w) + coords[1] * w + coords[2]
    if unbatched:
        return values.squeeze(0), indices.squeeze(0)
    return values, indices


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """3-d average pooling."""
    x, unbatched = _batched(input, "avg_pool3d")
    kernel, stride, padding, dilation, out, extra = _pool_geometry(
        x, kernel_size, stride, padding, 1, ceil_mode)
    sym, over = _pads(padding, extra)
    padded = _pad(_pad(x, sym, 0.0), over, 0.0)
    total = _patches(padded, kernel, stride, dilation, out).sum(2)
    if divisor_override:
        y = total / divisor_override
    else:
        # The divisor of each window: the same pooling of a ones tensor, where the padding
        # counts when count_include_pad and the ceil-mode overhang never does.
        one = ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        one = _pad(_pad(one, sym, 1.0 if count_include_pad else 0.0), over, 0.0)
        count = _patches(one, kernel, stride, dilation, out).sum(2)
        y = total / count
    return y.squeeze(0) if unbatched else y


def _adaptive_sizes(input: Tensor, output_size) -> tuple:
    sizes = output_size if isinstance(output_size, (list, tuple)) else (output_size,) * 3
    return tuple(input.shape[-3 + i] if s is None else int(s) for i, s in enumerate(sizes))


def _adaptive(input: Tensor, output_size, reduce, op: str) -> Tensor:
    x, unbatched = _batched(input, op)
    # A box reduction (mean or max) is separable: reduce one dimension at a time.
    for i, o in enumerate(_adaptive_sizes(x, output_size)):
        dim = 2 + i
        size = x.shape[dim]
        cells = []
        for j in range(o):
            start = (j * size) // o
            end = -(-((j + 1) * size) // o)
            cells.append(reduce(x.narrow(dim, start, end - start), dim))
        x = cat(cells, dim)
    return x.squeeze(0) if unbatched else x


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """3-d adaptive average pooling to output_size (int or triple; None keeps a size)."""
    return _adaptive(input, output_size, lambda t, d: t.mean(d, keepdim=True),
                     "adaptive_avg_pool3d")


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """3-d adaptive max pooling (values only: return_indices=True is not supported)."""
    if return_indices:
        raise NotImplementedError("clgrad's adaptive_max_pool3d does not return indices")
    return _adaptive(input, output_size, lambda t, d: t.amax(d, keepdim=True),
                     "adaptive_max_pool3d")
