"""OpenCL kernels of the index family (mixed into ClBackend): advanced indexing, gather,
scatter and nonzero through kernels/index.cl.mako.

Bounds: index_map kernels skip out-of-range points and raise a flag in a 4-byte device
buffer; the op reads it once after the launch (one small blocking read) and raises on the
host with PyTorch's message. No kernel reads or writes outside a buffer.
"""
from __future__ import annotations

import numpy as np

from .programs import get_kernel
from .runtime import cl

_L = np.int64


class ClIndex:
    """index_map and nonzero for the OpenCL backend."""

    def _index_flag(self):
        flag = self.__dict__.get("_flag_buffer")
        if flag is None:
            flag = self._flag_buffer = cl.Buffer(self.rt.context, cl.mem_flags.READ_WRITE, 4)
            self._flag_zero = np.zeros(1, np.int32)
        return flag

    def index_map(self, mode: str, target, tstrides: tuple, indices: list, sizes: list,
                  astrides: list, other, shape: tuple, serial: int) -> bool:
        """Run kernels/index.cl.mako:index_map over `shape` (the last `serial` dims walked in
        order by one work-item); indices and other are tensors of `shape`. False when an
        index was out of range (its points were skipped)."""
        n = 1
        for s in shape:
            n *= s
        if n == 0:
            return True
        rank, K = len(shape), len(indices)
        S = 1
        for s in shape[rank - serial:]:
            S *= s
        dt = target.dtype
        key = (dt.name, mode, K, rank, bool(serial))
        arg_types = [_L, _L, None, _L] + [_L] * rank
        arg_types += ([None, _L] + [_L] * rank + [_L, _L]) * K
        arg_types += [None, _L] + [_L] * rank + [_L] * rank + [None]
        kernel = get_kernel(self.rt, "index.cl.mako", "index_map", key,
                            dict(name=f"index_{mode}", dt=dt, mode=mode, K=K, rank=rank,
                                 serial=bool(serial)), arg_types)
        flag = self._index_flag()
        cl.enqueue_copy(self.queue, flag, self._flag_zero, is_blocking=False)
        args = [n // S, S, target._storage.data, target._offset, *tstrides]
        for idx, size, ast in zip(indices, sizes, astrides):
            args += [idx._storage.data, idx._offset, *idx._stride, size, ast]
        args += [other._storage.data, other._offset, *other._stride, *shape, flag]
        self._launch(kernel, n // S, args, f"index_{mode}")
        result = np.empty(1, np.int32)
        cl.enqueue_copy(self.queue, result, flag, is_blocking=True)
        return not result[0]

    def nonzero(self, x):
        """The (count, ndim) int64 coordinates of x's nonzero elements, in row-major order."""
        from ... import _dtype as dt
        from ..._tensor import Tensor
        mask = (x != 0).reshape(-1)
        if not mask.is_contiguous():
            mask = mask.contiguous()
        n = mask.numel()
        pos = mask.cumsum(0) if n else mask.long()
        count = int(pos[n - 1].item()) if n else 0
        rank = x.dim()
        out = Tensor._empty((count, rank), dt.int64, x.device)
        if count == 0 or rank == 0:
            return out
        kernel = get_kernel(self.rt, "index.cl.mako", "nonzero", (rank,),
                            dict(name="nonzero", rank=rank),
                            [_L, None, None, None] + [_L] * rank)
        self._launch(kernel, n, [n, mask._storage.data, pos._storage.data, out._storage.data,
                                 *x._shape], "nonzero")
        return out
