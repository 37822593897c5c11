"""numpy kernels of the core nn layers (mixed into CpuBackend through CpuNn): softmax and
log-softmax along a dim, and the negative log-likelihood, mirroring
clgrad/backends/cl/nn_core.py argument for argument."""
from __future__ import annotations

import numpy as np


def _acc(dtype) -> np.dtype:
    """float16 computes in float32, as the OpenCL kernels do."""
    return np.dtype(np.float32) if dtype.name == "float16" else dtype.np


class CpuNnCore:
    def softmax(self, out, x, dims: tuple, log: bool) -> None:
        """out = (log_)softmax of contiguous x viewed as dims = (O, N, I), along N."""
        if out.numel() == 0:
            return
        a = self.view(x).reshape(dims).astype(_acc(x.dtype), copy=False)
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
        acc = _acc(y.dtype)
        gv = self.view(g).reshape(dims).astype(acc, copy=False)
        yv = self.view(y).reshape(dims).astype(acc, copy=False)
        if log:
            result = gv - np.exp(yv) * gv.sum(axis=1, keepdims=True)
        else:
            result = yv * (gv - (gv * yv).sum(axis=1, keepdims=True))
        np.copyto(self.view(out), result.reshape(out._shape), casting="unsafe")

    @staticmethod
    def _check_targets(t: np.ndarray, C: int, ignore: int) -> None:
        bad = (t != ignore) & ((t < 0) | (t >= C))
        if bad.any():
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")

    def nll(self, out, tw, x, target, weight, ignore: int, reduction: str, dims: tuple) -> None:
        """NLL of contiguous log-probabilities x viewed as dims = (N, C, D) and targets
        (N, D): out is (N, D) for reduction 'none', else one value; tw[0] gets the total
        weight of the counted targets."""
        N, C, D = dims
        acc = _acc(x.dtype)
        t = self.view(target).reshape(N, D)
        self._check_targets(t, C, ignore)
        keep = t != ignore
        safe = np.where(keep, t, 0)
        a = self.view(x).reshape(N, C, D).astype(acc, copy=False)
        picked = np.take_along_axis(a, safe[:, None, :], axis=1)[:, 0, :]
        w = np.ones(C, acc) if weight is None else self.view(weight).astype(acc, copy=False)
        wt = np.where(keep, w[safe], 0).astype(acc)
        losses = -wt * picked
        if reduction == "none":
            np.copyto(self.view(out), losses.reshape(out._shape), casting="unsafe")
            return
        total = wt.sum(dtype=acc)
        value = losses.sum(dtype=acc)
        if reduction == "mean":
            with np.errstate(all="ignore"):
                value = value / total
        self.view(tw)[...] = total
        self.view(out)[...] = value

    def nll_backward(self, out, g, tw, target, weight, ignore: int, reduction: str,
                     dims: tuple) -> None:
        N, C, D = dims
        acc = _acc(out.dtype)
        t = self.view(target).reshape(N, D)
        keep = t != ignore
        safe = np.where(keep, t, 0)
        w = np.ones(C, acc) if weight is None else self.view(weight).astype(acc, copy=False)
        gv = self.view(g).astype(acc, copy=False)
        gv = gv.reshape(()) if reduction != "none" else gv.reshape(N, D)
        v = np.where(keep, -w[safe] * gv, 0).astype(acc)
        if reduction == "mean":
            with np.errstate(all="ignore"):
                v = v / self.view(tw).reshape(())
        result = np.zeros((N, C, D), acc)
        np.put_along_axis(result, safe[:, None, :], v[:, None, :], axis=1)
        np.copyto(self.view(out), result.reshape(out._shape), casting="unsafe")
