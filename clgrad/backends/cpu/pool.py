"""numpy kernels of the pool family (mixed into CpuBackend): max, average and adaptive
pooling forward and backward, mirroring the OpenCL backend's pool module."""
from __future__ import annotations

import numpy as np

from .conv import compute_dtype, pad_to


class CpuPool:
    """numpy forms of the cl pooling kernels (same arguments, same results up to rounding)."""

    def pool_forward(self, mode: str, adaptive: bool, out, indices, x, geometry,
                     count_include_pad: bool = True, divisor: int = 0) -> None:
        if out.numel() == 0:
            return
        a = self.view(x)
        H, W = a.shape[-2:]
        planes = a.reshape(-1, H, W)
        target = self.view(out)
        oh, ow = target.shape[-2:]
        compute = compute_dtype(a.dtype)
        if adaptive:
            if mode == "avg":
                ph_, pw_ = _adaptive_matrix(H, oh, compute), _adaptive_matrix(W, ow, compute)
                target[...] = (ph_ @ planes.astype(compute) @ pw_.T).reshape(target.shape)
                return
            vals = np.empty((planes.shape[0], oh, ow), a.dtype)
            idx = np.empty((planes.shape[0], oh, ow), np.int64)
            for oy in range(oh):
                hs, he = (oy * H) // oh, -(-((oy + 1) * H) // oh)
                for ox in range(ow):
                    ws, we = (ox * W) // ow, -(-((ox + 1) * W) // ow)
                    win = planes[:, hs:he, ws:we].reshape(planes.shape[0], -1)
                    k = _nan_argmax(win)
                    vals[:, oy, ox] = np.take_along_axis(win, k[:, None], 1)[:, 0]
                    idx[:, oy, ox] = (hs + k // (we - ws)) * W + ws + k % (we - ws)
            target[...] = vals.reshape(target.shape)
            self.view(indices)[...] = idx.reshape(target.shape)
            return
        kh, kw, sh, sw, ph, pw, dh, dw = geometry
        if mode == "max" and not (ph or pw) and (oh - 1) * sh + (kh - 1) * dh < H and \
                (ow - 1) * sw + (kw - 1) * dw < W:
            _max_unpadded(planes, target, self.view(indices), geometry)
            return
        if mode == "max":
            padded = pad_to(planes, ph, pw, (oh - 1) * sh + (kh - 1) * dh + 1,
                            (ow - 1) * sw + (kw - 1) * dw + 1, 0)
            s = padded.strides
            win = np.lib.stride_tricks.as_strided(
                padded, (planes.shape[0], oh, ow, kh, kw),
                (s[0], s[1] * sh, s[2] * sw, s[1] * dh, s[2] * dw), writeable=False)
            flat = win.reshape(planes.shape[0], oh, ow, kh * kw)
            # Padding never wins: the first in-bounds element is the default, as in PyTorch.
            valid = _valid_window(H, W, oh, ow, geometry)
            masked = np.where(valid, flat, -np.inf)
            k = _nan_argmax(masked.reshape(-1, kh * kw)).reshape(masked.shape[:3])
            first = np.argmax(valid, axis=-1)
            allneg = ~(masked.reshape(-1, kh * kw) > -np.inf).any(1).reshape(k.shape)
            allneg &= ~np.isnan(masked).any(-1)
            k = np.where(allneg, first[None], k)
            vals = np.take_along_axis(flat, k[..., None], -1)[..., 0]
            ki, kj = k // kw, k % kw
            ys = np.arange(oh)[:, None] * sh - ph + ki * dh
            xs = np.arange(ow)[None, :] * sw - pw + kj * dw
            target[...] = vals.reshape(target.shape)
            self.view(indices)[...] = (ys * W + xs).reshape(target.shape)
            return
        padded = pad_to(planes.astype(compute), ph, pw, (oh - 1) * sh + kh,
                        (ow - 1) * sw + kw, 0)
        s = padded.strides
        win = np.lib.stride_tricks.as_strided(
            padded, (planes.shape[0], oh, ow, kh, kw), (s[0], s[1] * sh, s[2] * sw, s[1], s[2]),
            writeable=False)
        div = _avg_divisor(H, W, oh, ow, geometry, count_include_pad, divisor, compute)
        target[...] = (win.sum((-1, -2)) / div).reshape(target.shape)

    def pool_backward(self, mode: str, adaptive: bool, grad_in, grad_out, indices, geometry,
                      count_include_pad: bool = True, divisor: int = 0) -> None:
        target = self.view(grad_in)
        if target.size == 0:
            return
        H, W = target.shape[-2:]
        g = self.view(grad_out)
        oh, ow = g.shape[-2:]
        compute = compute_dtype(target.dtype)
        g = g.reshape(-1, oh * ow).astype(compute)
        P = g.shape[0]
        if mode == "max":
            acc = np.zeros((P, H * W), compute)
            idx = self.view(indices).reshape(P, oh * ow)
            if not adaptive and geometry[2] > (geometry[0] - 1) * geometry[6] and \
                    geometry[3] > (geometry[1] - 1) * geometry[7]:
                # windows apart: each input element is read by one window at most, so the
                # indices of a plane are distinct and a scatter store is the sum
                flat = idx + (np.arange(P) * (H * W))[:, None]
                acc.reshape(-1)[flat.reshape(-1)] = g.reshape(-1)
            else:
                rows = np.broadcast_to(np.arange(P)[:, None], idx.shape)
                np.add.at(acc, (rows, idx), g)
            target[...] = acc.reshape(target.shape)
            return
        if adaptive:
            ph_, pw_ = _adaptive_matrix(H, oh, compute), _adaptive_matrix(W, ow, compute)
            target[...] = (ph_.T @ g.reshape(P, oh, ow) @ pw_).reshape(target.shape)
            return
        kh, kw, sh, sw, ph, pw, dh, dw = geometry
        div = _avg_divisor(H, W, oh, ow, geometry, count_include_pad, divisor, compute)
        scaled = g.reshape(P, oh, ow) / div
        hp = max(H + 2 * ph, (oh - 1) * sh + kh)
        wp = max(W + 2 * pw, (ow - 1) * sw + kw)
        acc = np.zeros((P, hp, wp), compute)
        for i in range(kh):
            for j in range(kw):
                acc[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw] += scaled
        target[...] = acc[:, ph:ph + H, pw:pw + W].reshape(target.shape)


def _max_unpadded(planes: np.ndarray, target: np.ndarray, indices: np.ndarray,
                  geometry) -> None:
    """Max pooling whose windows all lie inside the planes: one strided slice per kernel
    offset, a running max and the window position that holds it (no window gather, no masked
    stores). Same picks as the general path: the last NaN of a window if any, else its first
    maximum."""
    kh, kw, sh, sw, _, _, dh, dw = geometry
    P, H, W = planes.shape
    oh, ow = target.shape[-2:]
    code = np.uint8 if kh * kw < 256 else np.int64
    best = k = None
    floating = planes.dtype.kind in "fc"
    for i in range(kh):
        for j in range(kw):
            v = planes[:, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                       j * dw:j * dw + (ow - 1) * sw + 1:sw]
            if best is None:
                best, k = v.copy(), np.zeros(v.shape, code)
                continue
            wins = v > best
            if floating:
                wins |= np.isnan(v)
            # the position codes grow along the loop, so "code where wins else k" is a max
            np.maximum(k, wins.view(np.uint8) * code(i * kw + j), out=k)
            np.maximum(best, v, out=best)  # NaN stays NaN, as the picks do
    table = (np.arange(kh)[:, None] * (dh * W) + np.arange(kw)[None, :] * dw).reshape(-1)
    pos = table.take(k)  # a small table lookup (integer division of k costs far more)
    pos += np.arange(oh)[:, None] * (sh * W) + np.arange(ow)[None, :] * sw
    target[...] = best.reshape(target.shape)
    indices[...] = pos.reshape(target.shape)


def _nan_argmax(a: np.ndarray) -> np.ndarray:
    """argmax along the last axis: the last NaN if any (PyTorch's CPU kernel), else the first
    maximum."""
    nan = np.isnan(a)
    k = np.argmax(np.where(nan, -np.inf, a), axis=-1)
    if nan.any():
        last_nan = a.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
        k = np.where(nan.any(-1), last_nan, k)
    return k


def _valid_window(H, W, oh, ow, geometry) -> np.ndarray:
    """(oh, ow, kh*kw) mask of window positions inside the input."""
    kh, kw, sh, sw, ph, pw, dh, dw = geometry
    ys = np.arange(oh)[:, None] * sh - ph + np.arange(kh)[None, :] * dh
    xs = np.arange(ow)[:, None] * sw - pw + np.arange(kw)[None, :] * dw
    vy = (ys >= 0) & (ys < H)
    vx = (xs >= 0) & (xs < W)
    return (vy[:, None, :, None] & vx[None, :, None, :]).reshape(oh, ow, kh * kw)


def _avg_divisor(H, W, oh, ow, geometry, count_include_pad, divisor, compute) -> np.ndarray:
    """(oh, ow) divisors of avg pooling, PyTorch's rules."""
    kh, kw, sh, sw, ph, pw, _, _ = geometry
    if divisor:
        return np.full((oh, ow), divisor, compute)

    def counts(size, out, k, s, p):
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        full = end - start
        clipped = np.minimum(end, size) - np.maximum(start, 0)
        return full if count_include_pad else clipped

    return (counts(H, oh, kh, sh, ph)[:, None] * counts(W, ow, kw, sw, pw)[None, :]).astype(
        compute)


def _adaptive_matrix(size: int, out: int, compute) -> np.ndarray:
    """(out, size) averaging matrix of adaptive pooling along one axis."""
    m = np.zeros((out, size), compute)
    for o in range(out):
        start, end = (o * size) // out, -(-((o + 1) * size) // out)
        m[o, start:end] = 1.0 / (end - start)
    return m
