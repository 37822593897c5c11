"""numpy kernels of the softmax family (mixed into CpuBackend): softmax and log-softmax
along a dim and their backward, mirroring the OpenCL backend's softmax module."""
from __future__ import annotations

import numpy as np


def acc_dtype(dtype) -> np.dtype:
    """float16 computes in float32, as the OpenCL kernels do."""
    return np.dtype(np.float32) if dtype.name == "float16" else dtype.np


class CpuSoftmax:
    def softmax(self, out, x, dims: tuple, log: bool) -> None:
        """out = (log_)softmax of contiguous x viewed as dims = (O, N, I), along N."""
        if out.numel() == 0:
            return
        a = self.view(x).reshape(dims).astype(acc_dtype(x.dtype), copy=False)
        m = a.max(axis=1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0) if np.isinf(m).any() else m
        shifted = a - m
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        result = shifted - np.log(s) if log else e / s
        np.copyto(self.view(out), result.reshape(out._shape), casting="unsafe")

    def softmax_backward(self, out, g, y, dims: tuple, log: bool) -> None:
        if out.numel() == 0:
            return
        acc = acc_dtype(y.dtype)
        gv = self.view(g).reshape(dims).astype(acc, copy=False)
        yv = self.view(y).reshape(dims).astype(acc, copy=False)
        if log:
            result = gv - np.exp(yv) * gv.sum(axis=1, keepdims=True)
        else:
            result = yv * (gv - (gv * yv).sum(axis=1, keepdims=True))
        np.copyto(self.view(out), result.reshape(out._shape), casting="unsafe")
