"""numpy kernels of the conv family (mixed into CpuBackend): im2col and col2im, mirroring
the OpenCL backend's conv module argument for argument."""
from __future__ import annotations

import numpy as np


def compute_dtype(dtype) -> np.dtype:
    """The numpy dtype conv and pooling accumulate a numpy dtype in: float64 or float32."""
    return np.dtype(np.float64 if dtype == np.float64 else np.float32)


def pad_to(a: np.ndarray, ph: int, pw: int, need_h: int, need_w: int, fill) -> np.ndarray:
    """a padded by (ph, pw) before and enough after to hold need_h x need_w."""
    h, w = a.shape[-2:]
    after_h = max(ph, need_h - h - ph)
    after_w = max(pw, need_w - w - pw)
    if not (ph or pw or after_h or after_w):
        return a
    pad = [(0, 0)] * (a.ndim - 2) + [(ph, after_h), (pw, after_w)]
    return np.pad(a, pad, constant_values=fill)


class CpuConv:
    """numpy forms of the cl conv kernels (same arguments, same results up to rounding)."""

    def im2col(self, cols, x, geometry) -> None:
        kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = geometry
        if cols.numel() == 0:
            return
        a = self.view(x)
        n, c = a.shape[:2]
        padded = pad_to(a, ph, pw, (oh - 1) * sh + (kh - 1) * dh + 1,
                        (ow - 1) * sw + (kw - 1) * dw + 1, 0)
        s = padded.strides
        windows = np.lib.stride_tricks.as_strided(
            padded, (n, c, kh, kw, oh, ow),
            (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw), writeable=False)
        # One copy, into a 6-d view of the columns (splitting their row and position dims
        # needs no copy whatever their strides).
        dst = self.view(cols).view()
        dst.shape = (n, c, kh, kw, oh, ow)
        np.copyto(dst, windows, casting="unsafe")

    def col2im(self, x, cols, geometry) -> None:
        kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = geometry
        target = self.view(x)
        n, c, h, w = target.shape
        if target.size == 0:
            return
        compute = compute_dtype(target.dtype)
        c6 = self.view(cols).reshape(n, c, kh, kw, oh, ow).astype(compute, copy=False)
        hp = max(h + 2 * ph, (oh - 1) * sh + (kh - 1) * dh + 1 + ph)
        wp = max(w + 2 * pw, (ow - 1) * sw + (kw - 1) * dw + 1 + pw)
        if (hp, wp) == (h, w) and not (ph or pw) and target.dtype == compute and \
                target.flags.c_contiguous and not np.may_share_memory(target, c6):
            acc = target  # no padding to crop: sum straight into x
            acc.fill(0)
        else:
            acc = np.zeros((n, c, hp, wp), compute)
        for i in range(kh):
            for j in range(kw):
                acc[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                    j * dw:j * dw + (ow - 1) * sw + 1:sw] += c6[:, :, i, j]
        if acc is not target:
            target[...] = acc[:, :, ph:ph + h, pw:pw + w]
