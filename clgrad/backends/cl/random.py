"""OpenCL kernels of the random family (mixed into ClBackend).

Every kernel draws its bits on the device from Philox4x32-10 (kernels/random.cl.mako); the
numpy twins in backends/cpu/random.py replay the same counters, so both devices agree.
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as dt
from ..cpu.random import blocks_for, constants, words_per_element
from .programs import get_kernel
from .runtime import Scratch

_TEMPLATE = "random.cl.mako"


def _ctype(compute) -> str:
    return "double" if compute.name == "float64" else "float"


class ClRandom:
    """Random kernels on OpenCL; each writes a contiguous output tensor."""

    def _random_kernel(self, def_name: str, key: tuple, params: dict):
        return get_kernel(self.rt, _TEMPLATE, def_name, key, dict(name=def_name, **params))

    def philox_raw(self, counters: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Philox4x32-10 of uint32 counters (n, 4) under keys (n, 2), run on the device."""
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
        kernel = self._random_kernel("philox_raw", (), {})
        self.rt.launch(kernel, n, None, dict(n=n, ctr=ctr_buf, key=key_buf, out=out_buf))
        self.rt.read(out, out_buf)
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
                              consts=constants(compute)["cl"]))
        blocks = blocks_for(n, words_per_element(compute))
        self.rt.launch(kernel, blocks, None, dict(n=n, out=out, seed=seed, ctr=ctr, p0=p0, p1=p1))

    def random_int(self, out, seed: int, ctr: int, low: int, range_m1: int, wide: bool) -> None:
        """out = low + uniform integer in [0, range_m1] (out contiguous)."""
        n = out.numel()
        if n == 0:
            return
        kernel = self._random_kernel("randint", (out.dtype.name, wide),
                                     dict(out=out.dtype, wide=wide))
        blocks = blocks_for(n, 2 if wide else 1)
        self.rt.launch(kernel, blocks, None, dict(n=n, out=out, seed=seed, ctr=ctr, low=low,
                                                  range_m1=range_m1))

    def bernoulli_tensor(self, out, p, compute, seed: int, ctr: int) -> None:
        """out = u < p elementwise (out and p contiguous, of one shape)."""
        n = out.numel()
        if n == 0:
            return
        C = _ctype(compute)
        kernel = self._random_kernel("bernoulli_tensor", (out.dtype.name, p.dtype.name, C),
                                     dict(out=out.dtype, P=p.dtype, C=C))
        blocks = blocks_for(n, words_per_element(compute))
        self.rt.launch(kernel, blocks, None, dict(n=n, out=out, p=p, seed=seed, ctr=ctr))

    def randperm(self, out, seed: int, ctr: int) -> None:
        """out = the permutation sorting n 64-bit keys, ties broken by index (bitonic sort)."""
        n = out.numel()
        if n == 0:
            return
        npad = 1 << max(n - 1, 1).bit_length()
        keys, idx = self.scratch((npad,), dt.int64), self.scratch((npad,), dt.int64)
        init = self._random_kernel("perm_keys", (), {})
        self.rt.launch(init, npad, None, dict(n=n, npad=npad, keys=keys, idx=idx, seed=seed,
                                              ctr=ctr))
        step = self._random_kernel("bitonic_step", (), {})
        k = 2
        while k <= npad:
            j = k // 2
            while j:
                self.rt.launch(step, npad, None, dict(npad=npad, keys=keys, idx=idx, j=j, k=k))
                j //= 2
            k *= 2
        self.copy(out, Scratch(idx._storage, out._shape, dt.int64))

    def multinomial(self, out, probs, k: int, replacement: bool, compute, seed: int,
                    ctr: int) -> None:
        """out (rows, k) int64 = category draws from each row of probs (both contiguous).

        out must start at offset 0 of its storage.
        """
        rows, ncat = probs._shape
        if rows * k == 0:
            return
        C = _ctype(compute)
        scratch = self.scratch((rows * ncat,), compute)
        if replacement:
            last = self.scratch((rows,), dt.int64)
            cdf = self._random_kernel("mn_cdf", (probs.dtype.name, C), dict(P=probs.dtype, C=C))
            self.rt.launch(cdf, rows, None, dict(rows=rows, ncat=ncat, p=probs, cdf=scratch,
                                                 last=last))
            draw = self._random_kernel("mn_draw", (C,), dict(C=C))
            self.rt.launch(draw, rows * k, None, dict(rows=rows, ncat=ncat, k=k, cdf=scratch,
                                                      last=last, out=out, seed=seed, ctr=ctr))
        else:
            draw = self._random_kernel("mn_draw_noreplace", (probs.dtype.name, C),
                                       dict(P=probs.dtype, C=C))
            self.rt.launch(draw, rows, None, dict(rows=rows, ncat=ncat, k=k, p=probs, w=scratch,
                                                  out=out, seed=seed, ctr=ctr))
