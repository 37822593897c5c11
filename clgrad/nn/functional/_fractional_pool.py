"""Fractional max pooling (Graham, 2014): windows at pseudo-random, increasing offsets.

Each (sample, channel) plane draws its own offsets from _random_samples (uniform in [0, 1),
one per spatial dim), spaced as PyTorch's generate_intervals spaces them, so that given the
same samples the output and indices are PyTorch's. Composed from gather and max, so the
gradient (to each window's first maximum) comes from autograd.
"""
from __future__ import annotations

from ..._tensor import Tensor

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}
_OP_NAMES = {2: "fractional_max_pool2d()", 3: "fractional_max_pool3d_out()"}
# which column of _random_samples drives each spatial dim (PyTorch's kernels' choice)
_SAMPLE_COLUMN = {2: (1, 0), 3: (0, 1, 2)}


def _tuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _starts(sample: Tensor, size: int, out: int, k: int) -> Tensor:
    """(B, C, out) int64 window starts from (B, C) samples, as generate_intervals."""
    from ...ops.creation import arange, full
    last = full(sample.shape + (1,), size - k, dtype=sample.dtype, device=sample.device).long()
    if out == 1:
        return last
    alpha = (size - k) / (out - 1)
    i = arange(out - 1, dtype=sample.dtype, device=sample.device)
    s = sample.unsqueeze(-1)
    first = ((i + s) * alpha).long() - (s * alpha).long()
    from ...ops.join import cat
    return cat([first, last], -1)


def _fractional(input: Tensor, kernel_size, output_size, output_ratio, samples, n: int):
    name = f"fractional_max_pool{n}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    unbatched = input.dim() == n + 1
    x = input.unsqueeze(0) if unbatched else input
    spatial = tuple(x.shape[2:])
    kernel = _tuple(kernel_size, n)
    if output_size is None:
        ratio = _tuple(output_ratio, n)
        output_size = tuple(int(s * r) for s, r in zip(spatial, ratio))
    out = _tuple(output_size, n)
    b, c = x.shape[0], x.shape[1]
    for dim_name, size, k, o in zip(_DIM_NAMES[n], spatial, kernel, out):
        if o + k - 1 > size:
            raise RuntimeError(f"{_OP_NAMES[n]}: pool {dim_name} {k} too large relative to "
                               f"input {dim_name} {size}")
    if samples is None:
        from ...ops.random_ops import rand
        samples = rand(b, c, n, dtype=x.dtype, device=x.device)
    elif samples.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    # flat input index of every (window, offset) pair: (B, C, *out, *kernel)
    flat = None
    stride = 1
    from ...ops.creation import arange
    for d in reversed(range(n)):
        starts = _starts(samples.select(2, _SAMPLE_COLUMN[n][d]), spatial[d], out[d],
                         kernel[d])
        pos = starts.unsqueeze(-1) + arange(kernel[d], device=x.device)  # (B, C, o, k)
        shape = [b, c] + [1] * (2 * n)
        shape[2 + d], shape[2 + n + d] = out[d], kernel[d]
        term = pos.reshape(shape) * stride
        flat = term if flat is None else flat + term
        stride *= spatial[d]
    full_shape = (b, c) + out + kernel
    flat = flat.expand(full_shape).reshape(b, c, -1, _prod(kernel))
    window = x.reshape(b, c, -1).gather(2, flat.reshape(b, c, -1)).reshape(flat.shape)
    values, which = window.max(-1)
    indices = flat.gather(3, which.unsqueeze(-1)).squeeze(-1)
    values, indices = values.reshape((b, c) + out), indices.reshape((b, c) + out)
    if unbatched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def _prod(values) -> int:
    p = 1
    for v in values:
        p *= v
    return p


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples=None):
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    out = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples=None):
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    out = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return out if return_indices else out[0]
