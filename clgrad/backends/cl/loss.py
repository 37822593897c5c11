"""OpenCL kernels of the loss family (mixed into ClBackend): the negative log-likelihood
forward (per element, or reduced: in one work-group on GPUs, one work-item on CPUs) and
backward (kernels/loss.cl.mako).

Kernels are specialised on dtype, the variant (weights, reduction) and index width.
"""
from __future__ import annotations

import numpy as np

from .checks import TARGET, Check
from .programs import compute_ctype, get_kernel
from .runtime import index_t, pow2_at_most

_T = "loss.cl.mako"
_NP = {"float": np.float32, "double": np.float64}
# A target outside the classes, reported by the forward kernels (PyTorch's cpu error).
_TARGET_CHECK = Check("nll_loss", {TARGET: (IndexError, "Target {value} is out of bounds.")})


class ClLoss:
    def nll(self, out, tw, x, target, weight, ignore: int, reduction: str, dims: tuple) -> None:
        """See the cpu backend's nll; an out-of-range target gives NaN and raises PyTorch's
        IndexError at the next synchronisation (the device-side check)."""
        N, C, D = dims
        dt = x.dtype
        T = compute_ctype(dt)
        has_w = weight is not None
        it = index_t(x, target, out)
        args = dict(N=N, C=C, D=D, x=x, t=target, ignore=ignore, out=out)
        if has_w:
            args["w"] = weight
        if reduction == "none":
            if N * D == 0:
                return
            kernel = get_kernel(self.rt, _T, "nll_none", (dt.name, has_w, it),
                                dict(name="nll_none", dt=dt, T=T, has_w=has_w, index_t=it))
            self.rt.launch(kernel, N * D, None, args, _TARGET_CHECK)
            return
        mean = reduction == "mean"
        tree = not self._cpu_device  # CPU devices: one work-item loops (see the template)
        kernel = get_kernel(self.rt, _T, "nll_reduce", (dt.name, has_w, mean, tree, it),
                            dict(name="nll_reduce", dt=dt, T=T, has_w=has_w, mean=mean,
                                 tree=tree, index_t=it))
        if not tree:
            self.rt.launch(kernel, (1,), (1,), dict(args, tw=tw), _TARGET_CHECK)
            return
        # One work-group; the scratch holds two T per work-item (losses and weights).
        L = min(self.rt.group_limit(kernel, 2 * np.dtype(_NP[T]).itemsize),
                pow2_at_most(max(N * D, 1)))
        self.rt.launch(kernel, (L,), (L,), dict(args, tw=tw, scratch=2 * L), _TARGET_CHECK)

    def nll_backward(self, out, g, tw, target, weight, ignore: int, reduction: str,
                     dims: tuple) -> None:
        N, C, D = dims
        if N * C * D == 0:
            return
        dt = out.dtype
        has_w = weight is not None
        reduced = reduction != "none"
        mean = reduction == "mean"
        it = index_t(out, g, target)
        kernel = get_kernel(self.rt, _T, "nll_bwd", (dt.name, has_w, reduced, mean, it),
                            dict(name="nll_bwd", dt=dt, T=compute_ctype(dt), has_w=has_w,
                                 reduced=reduced, mean=mean, index_t=it))
        args = dict(N=N, C=C, D=D, g=g, t=target, ignore=ignore, out=out)
        if has_w:
            args["w"] = weight
        if mean:
            args["tw"] = tw
        self.rt.launch(kernel, N * C * D, None, args)
