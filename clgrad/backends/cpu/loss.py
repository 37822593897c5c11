"""numpy kernels of the loss family (mixed into CpuBackend): the negative log-likelihood
forward and backward, mirroring the OpenCL backend's loss module."""
from __future__ import annotations

import numpy as np

from .softmax import acc_dtype


class CpuLoss:
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
        acc = acc_dtype(x.dtype)
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
        acc = acc_dtype(out.dtype)
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
