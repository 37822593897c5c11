"""numpy kernels of the nn family (mixed into CpuBackend): im2col/col2im, pooling and
normalisation, mirroring clgrad/backends/cl/nn.py argument for argument."""
from __future__ import annotations

import numpy as np


from .cpu_nn_core import CpuNnCore  # noqa: E402


class CpuNn(CpuNnCore):
    """numpy forms of the ClNn kernels (same arguments, same results up to rounding)."""

    # -- convolution helpers ----------------------------------------------------------------
    def im2col(self, cols, x, geometry) -> None:
        kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = geometry
        if cols.numel() == 0:
            return
        a = self.view(x)
        n, c = a.shape[:2]
        padded = _padded(a, ph, pw, (oh - 1) * sh + (kh - 1) * dh + 1,
                         (ow - 1) * sw + (kw - 1) * dw + 1, 0)
        s = padded.strides
        windows = np.lib.stride_tricks.as_strided(
            padded, (n, c, kh, kw, oh, ow),
            (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw), writeable=False)
        self.view(cols)[...] = windows.reshape(n, c * kh * kw, oh * ow)

    def col2im(self, x, cols, geometry) -> None:
        kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = geometry
        target = self.view(x)
        n, c, h, w = target.shape
        if target.size == 0:
            return
        compute = _acc_np(target.dtype)
        c6 = self.view(cols).reshape(n, c, kh, kw, oh, ow).astype(compute, copy=False)
        hp = max(h + 2 * ph, (oh - 1) * sh + (kh - 1) * dh + 1 + ph)
        wp = max(w + 2 * pw, (ow - 1) * sw + (kw - 1) * dw + 1 + pw)
        acc = np.zeros((n, c, hp, wp), compute)
        for i in range(kh):
            for j in range(kw):
                acc[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                    j * dw:j * dw + (ow - 1) * sw + 1:sw] += c6[:, :, i, j]
        target[...] = acc[:, :, ph:ph + h, pw:pw + w]

    # -- pooling ----------------------------------------------------------------------------
    def pool_forward(self, mode: str, adaptive: bool, out, indices, x, geometry,
                     count_include_pad: bool = True, divisor: int = 0) -> None:
        if out.numel() == 0:
            return
        a = self.view(x)
        H, W = a.shape[-2:]
        planes = a.reshape(-1, H, W)
        target = self.view(out)
        oh, ow = target.shape[-2:]
        compute = _acc_np(a.dtype)
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
        if mode == "max":
            padded = _padded(planes, ph, pw, (oh - 1) * sh + (kh - 1) * dh + 1,
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
        padded = _padded(planes.astype(compute), ph, pw, (oh - 1) * sh + kh, (ow - 1) * sw + kw,
                         0)
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
        compute = _acc_np(target.dtype)
        g = g.reshape(-1, oh * ow).astype(compute)
        P = g.shape[0]
        if mode == "max":
            acc = np.zeros((P, H * W), compute)
            idx = self.view(indices).reshape(P, oh * ow)
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

    # -- normalisation ----------------------------------------------------------------------
    def _groups_view(self, x, layout, groups: int) -> np.ndarray:
        A, B, sa, sg = layout
        flat = self.flat(x)[x._offset:]
        size = flat.itemsize
        return np.lib.stride_tricks.as_strided(flat, (A, groups, B),
                                               (sa * size, sg * size, size), writeable=False)

    def norm_moments(self, mean, rstd, var, x, layout, eps: float) -> None:
        groups = mean.numel()
        if groups == 0:
            return
        compute = self.view(mean).dtype
        v = self._groups_view(x, layout, groups).astype(compute)
        m = v.mean((0, 2))
        var_ = ((v - m[None, :, None]) ** 2).mean((0, 2))
        self.view(mean)[...] = m.reshape(mean._shape)
        self.view(var)[...] = var_.reshape(var._shape)
        self.view(rstd)[...] = (1 / np.sqrt(var_ + compute.type(eps))).reshape(rstd._shape)

    @staticmethod
    def _mapped(n: int, index_map) -> np.ndarray:
        div, mod = index_map
        return (np.arange(n) // div) % mod

    def norm_apply(self, y, x, mean, rstd, stat_map, weight, bias, affine_map) -> None:
        n = y.numel()
        if n == 0:
            return
        compute = self.view(mean).dtype
        s = self._mapped(n, stat_map)
        v = (self.view(x).reshape(-1).astype(compute) - self.view(mean).reshape(-1)[s])
        v *= self.view(rstd).reshape(-1)[s]
        if weight is not None or bias is not None:
            f = self._mapped(n, affine_map)
            if weight is not None:
                v *= self.view(weight).reshape(-1)[f].astype(compute)
            if bias is not None:
                v += self.view(bias).reshape(-1)[f].astype(compute)
        self.view(y)[...] = v.reshape(y._shape)

    def norm_bwd_sums(self, s1, s2, grad, x, mean, rstd, layout, weight, affine_map) -> None:
        groups = s1.numel()
        if groups == 0:
            return
        compute = self.view(mean).dtype
        g = self._groups_view(grad, layout, groups).astype(compute)
        if weight is not None:
            A, B, sa, sg = layout
            idx = (np.arange(A)[:, None, None] * sa + np.arange(groups)[None, :, None] * sg
                   + np.arange(B)[None, None, :])
            g = g * self.view(weight).reshape(-1)[(idx // affine_map[0]) % affine_map[1]]
        xhat = ((self._groups_view(x, layout, groups).astype(compute)
                 - self.view(mean).reshape(-1)[None, :, None])
                * self.view(rstd).reshape(-1)[None, :, None])
        self.view(s1)[...] = g.sum((0, 2)).reshape(s1._shape)
        self.view(s2)[...] = (g * xhat).sum((0, 2)).reshape(s2._shape)

    def norm_bwd_apply(self, dx, grad, x, mean, rstd, s1, s2, count: int, stat_map, weight,
                       affine_map) -> None:
        n = dx.numel()
        if n == 0:
            return
        compute = self.view(mean).dtype
        s = self._mapped(n, stat_map)
        r = self.view(rstd).reshape(-1)[s]
        xhat = (self.view(x).reshape(-1).astype(compute) - self.view(mean).reshape(-1)[s]) * r
        d = self.view(grad).reshape(-1).astype(compute)
        if weight is not None:
            d = d * self.view(weight).reshape(-1)[self._mapped(n, affine_map)].astype(compute)
        out = r * (d - (self.view(s1).reshape(-1)[s] + xhat * self.view(s2).reshape(-1)[s])
                   / compute.type(count))
        self.view(dx)[...] = out.reshape(dx._shape)


def _acc_np(dtype) -> np.dtype:
    return np.dtype(np.float64 if dtype == np.float64 else np.float32)


def _padded(a: np.ndarray, ph: int, pw: int, need_h: int, need_w: int, fill) -> np.ndarray:
    """a padded by (ph, pw) before and enough after to hold need_h x need_w."""
    h, w = a.shape[-2:]
    after_h = max(ph, need_h - h - ph)
    after_w = max(pw, need_w - w - pw)
    if not (ph or pw or after_h or after_w):
        return a
    pad = [(0, 0)] * (a.ndim - 2) + [(ph, after_h), (pw, after_w)]
    return np.pad(a, pad, constant_values=fill)


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
