"""numpy kernels of the norm family (mixed into CpuBackend): batch/layer/group norm moments,
their application and their backward sums, mirroring the OpenCL backend's norm module."""
from __future__ import annotations

import numpy as np


class CpuNorm:
    """numpy forms of the cl normalisation kernels."""

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
