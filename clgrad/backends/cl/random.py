"""OpenCL kernels of the random family (mixed into ClBackend).

Every kernel draws its bits on the device from Philox4x32-10 (kernels/random.cl.mako); the
numpy twins in backends/cpu/random.py replay the same counters, so both devices agree.
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as dt
from ..cpu.random import blocks_for, constants, words_per_element
from .programs import get_kernel

_TEMPLATE = "random.cl.mako"
_U64, _I64, _U32 = np.uint64, np.int64, np.uint32
_NP_OF = {"float": np.float32, "double": np.float64}


def _ctype(compute) -> str:
    return "double" if compute.name == "float64" else "float"


class ClRandom:
    """Random kernels on OpenCL; each writes a contiguous output tensor."""

    def _random_kernel(self, def_name: str, key: tuple, params: dict, arg_types: list):
        kernel = self.rt.kernels.get((_TEMPLATE, def_name) + key)
        if kernel is None:
            kernel = get_kernel(self.rt, _TEMPLATE, def_name, key,
                                dict(name=def_name, **params), arg_types)
        return kernel

    def philox_raw(self, counters: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Philox4x32-10 of uint32 counters (n, 4) under keys (n, 2), run on the device."""
        import pyopencl as cl
        counters = np.ascontiguousarray(counters, np.uint32).reshape(-1, 4)
        keys = np.ascontiguousarray(keys, np.uint32).reshape(-1, 2)
        n = counters.shape[0]
        out = np.empty((n, 4), np.uint32)
        if n == 0:
            return out
        # uint32 words travel as int32 (the same bits): clgrad has no uint32 dtype.
        ctr_buf = self.from_host(counters.reshape(-1).view(np.int32))
        key_buf = self.from_host(keys.reshape(-1).view(np.int32))
        out_buf = self.rt.allocate(out.nbytes)
        kernel = self._random_kernel("philox_raw", (), {}, [_U32, None, None, None])
        self._launch(kernel, n, [n, ctr_buf, key_buf, out_buf], "philox_raw")
        cl.enqueue_copy(self.queue, out, out_buf, is_blocking=True)
        for buf, nbytes in ((ctr_buf, counters.nbytes), (key_buf, keys.nbytes),
                            (out_buf, out.nbytes)):
            buf.release()
            self.release(nbytes)
        return out

    def random_fill(self, out, kind: str, compute, bits: int, seed: int, ctr: int,
                    p0: float, p1: float) -> None:
        """out = transform(kind) of the call's uniforms (out contiguous)."""
        n = out.numel()
        if n == 0:
            return
        C = _ctype(compute)
        key = (out.dtype.name, C, kind, bits)
        kernel = self._random_kernel(
            "fill", key, dict(out=out.dtype, C=C, kind=kind, bits=bits,
                              consts=constants(compute)["cl"]),
            [_U64, None, _U64, _U64, _U64, _NP_OF[C], _NP_OF[C]])
        blocks = blocks_for(n, words_per_element(compute))
        self._launch(kernel, blocks, [n, out._storage.data, out._offset, seed, ctr, p0, p1],
                     f"random {kind}")

    def random_int(self, out, seed: int, ctr: int, low: int, range_m1: int, wide: bool) -> None:
        """out = low + uniform integer in [0, range_m1] (out contiguous)."""
        n = out.numel()
        if n == 0:
            return
        kernel = self._random_kernel("randint", (out.dtype.name, wide),
                                     dict(out=out.dtype, wide=wide),
                                     [_U64, None, _U64, _U64, _U64, _I64, _U64])
        blocks = blocks_for(n, 2 if wide else 1)
        self._launch(kernel, blocks, [n, out._storage.data, out._offset, seed, ctr, low,
                                      range_m1], "randint")

    def bernoulli_tensor(self, out, p, compute, seed: int, ctr: int) -> None:
        """out = u < p elementwise (out and p contiguous, of one shape)."""
        n = out.numel()
        if n == 0:
            return
        C = _ctype(compute)
        kernel = self._random_kernel("bernoulli_tensor", (out.dtype.name, p.dtype.name, C),
                                     dict(out=out.dtype, P=p.dtype, C=C),
                                     [_U64, None, _U64, None, _U64, _U64, _U64])
        blocks = blocks_for(n, words_per_element(compute))
        self._launch(kernel, blocks, [n, out._storage.data, out._offset, p._storage.data,
                                      p._offset, seed, ctr], "bernoulli")

    def randperm(self, out, seed: int, ctr: int) -> None:
        """out = the permutation sorting n 64-bit keys, ties broken by index (bitonic sort)."""
        n = out.numel()
        if n == 0:
            return
        npad = 1 << max(n - 1, 1).bit_length()
        keys, idx = self._scratch(npad, dt.int64), self._scratch(npad, dt.int64)
        init = self._random_kernel("perm_keys", (), {}, [_U64, _U64, None, None, _U64, _U64])
        self._launch(init, npad, [n, npad, keys._storage.data, idx._storage.data, seed, ctr],
                     "randperm")
        step = self._random_kernel("bitonic_step", (), {}, [_U64, None, None, _U64, _U64])
        k = 2
        while k <= npad:
            j = k // 2
            while j:
                self._launch(step, npad, [npad, keys._storage.data, idx._storage.data, j, k],
                             "bitonic")
                j //= 2
            k *= 2
        self.copy(out, idx._view(out._shape, (1,), 0))

    def multinomial(self, out, probs, k: int, replacement: bool, compute, seed: int,
                    ctr: int) -> None:
        """out (rows, k) int64 = category draws from each row of probs (both contiguous).

        out must start at offset 0 of its storage.
        """
        rows, ncat = probs._shape
        if rows * k == 0:
            return
        C = _ctype(compute)
        scratch = self._scratch(rows * ncat, compute)
        data = out._storage.data
        if replacement:
            last = self._scratch(rows, dt.int64)
            cdf = self._random_kernel("mn_cdf", (probs.dtype.name, C),
                                      dict(P=probs.dtype, C=C),
                                      [_U64, _U64, None, _U64, None, None])
            self._launch(cdf, rows, [rows, ncat, probs._storage.data, probs._offset,
                                     scratch._storage.data, last._storage.data],
                         "multinomial cdf")
            draw = self._random_kernel("mn_draw", (C,), dict(C=C),
                                       [_U64, _U64, _U64, None, None, None, _U64, _U64])
            self._launch(draw, rows * k, [rows, ncat, k, scratch._storage.data,
                                          last._storage.data, data, seed, ctr], "multinomial")
        else:
            draw = self._random_kernel("mn_draw_noreplace", (probs.dtype.name, C),
                                       dict(P=probs.dtype, C=C),
                                       [_U64, _U64, _U64, None, _U64, None, None, _U64, _U64])
            self._launch(draw, rows, [rows, ncat, k, probs._storage.data, probs._offset,
                                      scratch._storage.data, data, seed, ctr], "multinomial")

    def _scratch(self, count: int, dtype):
        # A tensor, not a raw buffer, so that the pool and memory_allocated() account for it.
        from ..._tensor import Tensor
        return Tensor._empty((count,), dtype, self.device)
