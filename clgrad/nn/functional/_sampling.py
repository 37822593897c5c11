"""Padding, interpolation (nearest, nearest-exact, linear, bilinear) and pixel shuffling.

Resampling is separable: along each spatial dim the output gathers source rows with
index_select (and, for linear modes, blends two of them), and the gradient is the adjoint,
an index_add. Both are differentiable Tensor ops, so double backward works.
"""
from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.graph import needs_grad, record

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle"]


# -- padding --------------------------------------------------------------------------------
def _constant_pad(x: Tensor, pads: tuple, value: float) -> Tensor:
    from ...ops.creation import full
    shape = list(x._shape)
    src = x
    regions = []
    for i in range(len(pads) // 2):
        d = x.dim() - 1 - i
        left, right = pads[2 * i], pads[2 * i + 1]
        new = shape[d] + left + right
        if new < 0:
            raise RuntimeError(f"The input size {shape[d]}, plus negative padding {left} and "
                               f"{right} resulted in a negative output size, which is invalid. "
                               f"Check dimension {d} of your input.")
        crop_l, crop_r = max(-left, 0), max(-right, 0)
        src = src.narrow(d, crop_l, shape[d] - crop_l - crop_r)
        regions.append((d, max(left, 0), src._shape[d]))
        shape[d] = new
    out = full(tuple(shape), value, dtype=x.dtype, device=x.device)
    target = out
    for d, start, length in regions:
        target = target.narrow(d, start, length)
    target.copy_(src)
    return out


def _edge_index(n: int, left: int, right: int, mode: str) -> np.ndarray:
    i = np.arange(-left, n + right)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    period = 2 * (n - 1)  # reflect without repeating the edge
    i = np.abs(i) % period if period else np.zeros_like(i)
    return np.where(i >= n, period - i, i)


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the last len(pad) // 2 dims: pad = (last_left, last_right, prev_left, ...)."""
    pads = tuple(int(p) for p in pad)
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pads) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           "input dimension but got padding length "
                           f"{len(pads)} and input of dimension {input.dim()}")
    if mode == "constant":
        with no_grad():
            out = _constant_pad(input, pads, 0 if value is None else value)
        if needs_grad(input):
            neg = tuple(-p for p in pads)
            record("ConstantPadNdBackward0", out, (input,), lambda g: (_pad(g, neg),))
        return out
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unsupported padding mode: {mode}")
    if value is not None and value != 0:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument.")
    k = len(pads) // 2
    if k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for "
                                  f"{input.dim()}D input tensor.")
    dims, indices = [], []
    for i in range(k):
        d = input.dim() - 1 - i
        n = input._shape[d]
        left, right = pads[2 * i], pads[2 * i + 1]
        if mode == "reflect" and (left >= n or right >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({left}, "
                               f"{right}) at dimension {d} of input {list(input._shape)}")
        dims.append(d)
        indices.append(_edge_index(n, left, right, mode))
    name = {"reflect": "ReflectionPad", "replicate": "ReplicationPad"}.get(mode)
    return _gather_dims(input, dims, indices, None,
                        f"{name}{k}DBackward0" if name else "CopySlices")


_pad = pad


# -- separable gathers (nearest, linear) with their adjoint ----------------------------------
def _gather_dims(x: Tensor, dims, indices, weights, name: str) -> Tensor:
    """Along each d in dims: out = sum_j w_j[o] * x[idx_j[o]] (one term without weights)."""
    from ...ops.creation import tensor
    idx_t = [[tensor(np.asarray(i, np.int64), device=x.device) for i in
              (ix if isinstance(ix, tuple) else (ix,))] for ix in indices]
    w_t = None
    if weights is not None:
        w_t = [tuple(tensor(np.asarray(w), dtype=x.dtype, device=x.device) for w in ws)
               for ws in weights]

    def view_w(w: Tensor, d: int, nd: int) -> Tensor:
        return w.view((-1,) + (1,) * (nd - 1 - d))

    def forward(t: Tensor) -> Tensor:
        for k, d in enumerate(dims):
            if w_t is None:
                t = t.index_select(d, idx_t[k][0])
            else:
                acc = None
                for i, w in zip(idx_t[k], w_t[k]):
                    term = t.index_select(d, i) * view_w(w, d, t.dim())
                    acc = term if acc is None else acc + term
                t = acc
        return t

    def adjoint(g: Tensor, shapes) -> Tensor:
        from ...ops.creation import zeros
        for k in reversed(range(len(dims))):
            d = dims[k]
            base = zeros(shapes[k], dtype=g.dtype, device=g.device)
            if w_t is None:
                g = base.index_add(d, idx_t[k][0], g)
            else:
                for i, w in zip(idx_t[k], w_t[k]):
                    base = base.index_add(d, i, g * view_w(w, d, g.dim()))
                g = base
        return g

    shapes = []
    t_shape = list(x._shape)
    for k, d in enumerate(dims):
        shapes.append(tuple(t_shape))
        t_shape[d] = len(indices[k][0] if isinstance(indices[k], tuple) else indices[k])
    with no_grad():
        out = forward(x)
    if needs_grad(x):
        record(name, out, (x,), lambda g: (adjoint(g, shapes),))
    return out


def _scales(input: Tensor, size, scale_factor, k: int, recompute: bool | None):
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = input._shape[-k:]
    if size is not None:
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * k
        if len(sizes) != k:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(spatial)} and output size of {list(sizes)}. Please provide "
                             f"input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                             f"(o1, o2, ...,oK) format.")
        return tuple(int(s) for s in sizes), (None,) * k
    factors = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) \
        else (scale_factor,) * k
    if len(factors) != k:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of "
                         f"{list(spatial)} and scale_factor of shape {list(factors)}. Please "
                         f"provide input tensor in (N, C, d1, d2, ...,dK) format and "
                         f"scale_factor in (s1, s2, ...,sK) format.")
    sizes = tuple(int(math.floor(float(n) * float(f))) for n, f in zip(spatial, factors))
    return sizes, ((None,) * k if recompute else tuple(float(f) for f in factors))


def _src_scale(n_in: int, n_out: int, align_corners: bool, scale) -> float:
    """PyTorch's area_pixel_compute_scale."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resample the spatial dims of (N, C, *spatial): nearest, nearest-exact, linear,
    bilinear."""
    k = input.dim() - 2
    linear_modes = {"linear": 1, "bilinear": 2}
    if mode in ("nearest", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif mode in linear_modes:
        if k != linear_modes[mode]:
            raise NotImplementedError(
                f"Got {input.dim()}D input, but {mode} mode needs "
                f"{linear_modes[mode] + 2}D input")
        align_corners = bool(align_corners)
    else:
        raise NotImplementedError(f"Input Error: interpolate mode {mode!r} is not supported "
                                  "by clgrad")
    if k not in (1, 2):
        raise NotImplementedError(f"Input Error: Only 3D and 4D input Tensors supported (got "
                                  f"{input.dim()}D) for the modes: nearest | linear | bilinear"
                                  f" (got {mode})")
    sizes, scales = _scales(input, size, scale_factor, k, recompute_scale_factor)
    dims, indices, weights = [], [], []
    for i in range(k):
        d = 2 + i
        n_in, n_out = input._shape[d], sizes[i]
        dst = np.arange(n_out, dtype=np.float64)
        if mode in ("nearest", "nearest-exact"):
            scale = _src_scale(n_in, n_out, False, scales[i])
            src = np.floor((dst + (0.5 if mode == "nearest-exact" else 0.0)) * np.float32(scale))
            indices.append(np.minimum(src.astype(np.int64), n_in - 1))
        else:
            # PyTorch computes source positions in opmath_t: double for float64, else float
            ft = np.float64 if input.dtype.np == np.float64 else np.float32
            scale = ft(_src_scale(n_in, n_out, align_corners, scales[i]))
            if align_corners:
                src = dst.astype(ft) * scale
            else:
                src = np.maximum(scale * (dst.astype(ft) + ft(0.5)) - ft(0.5), ft(0))
            i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
            i1 = np.minimum(i0 + 1, n_in - 1)
            lam = (src - i0).astype(input.dtype.np if input.dtype.is_floating_point
                                    else np.float32)
            indices.append((i0, i1))
            weights.append((1 - lam, lam))
        dims.append(d)
    tag = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
           "bilinear": "Bilinear"}[mode]
    return _gather_dims(input, dims, indices, weights or None,
                        f"Upsample{tag}{k}DBackward0")


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners=None) -> Tensor:
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- pixel shuffle --------------------------------------------------------------------------
def _shuffle(x: Tensor, r: int, name: str, inverse: bool) -> Tensor:
    lead = x._shape[:-3]
    c, h, w = x._shape[-3:]
    nl = len(lead)
    with no_grad():
        if not inverse:
            t = x.reshape(lead + (c // (r * r), r, r, h, w))
            perm = tuple(range(nl)) + tuple(nl + p for p in (0, 3, 1, 4, 2))
            out = t.permute(perm).reshape(lead + (c // (r * r), h * r, w * r))
        else:
            t = x.reshape(lead + (c, h // r, r, w // r, r))
            perm = tuple(range(nl)) + tuple(nl + p for p in (0, 2, 4, 1, 3))
            out = t.permute(perm).reshape(lead + (c * r * r, h // r, w // r))
        out = out.contiguous()
    if needs_grad(x):
        back = pixel_unshuffle if not inverse else pixel_shuffle
        record(name, out, (x,), lambda g: (back(g, r),))
    return out


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if input._shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{input._shape[-3]} is not divisible by {r * r}")
    return _shuffle(input, r, "PixelShuffleBackward0", False)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but"
                           f" got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    if input._shape[-2] % r or input._shape[-1] % r:
        which, size = ("height", input._shape[-2]) if input._shape[-2] % r \
            else ("width", input._shape[-1])
        raise RuntimeError(f"pixel_unshuffle expects {which} to be divisible by "
                           f"downscale_factor, but input.size({-2 if which == 'height' else -1})"
                           f"={size} is not divisible by {r}")
    return _shuffle(input, r, "PixelUnshuffleBackward0", True)
