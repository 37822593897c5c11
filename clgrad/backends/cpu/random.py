"""numpy kernels of the random family (mixed into CpuBackend).

Philox4x32-10 (Salmon et al. 2011, Random123) vectorised over counter blocks, and the same
transforms as kernels/random.cl.mako, written formula for formula so that a seed gives the
same bits on every device and the same floats wherever the arithmetic is exact.
"""
from __future__ import annotations

import math

import numpy as np

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)

KINDS = ("uniform", "normal", "log_normal", "exponential", "cauchy", "geometric", "bernoulli")


def philox4x32_10(counters: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Philox4x32-10 of uint32 counters (..., 4) under uint32 keys (..., 2) -> uint32 (..., 4).

    Keys broadcast against counters (a single (2,) key serves every counter).
    """
    c = np.asarray(counters, np.uint32).astype(np.uint64)
    k = np.asarray(keys, np.uint32).astype(np.uint64)
    c0, c1, c2, c3 = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    k0, k1 = k[..., 0], k[..., 1]
    for r in range(10):
        if r:
            k0 = (k0 + np.uint64(_W0)) & _MASK
            k1 = (k1 + np.uint64(_W1)) & _MASK
        p0 = _M0 * c0  # < 2^64: exact in uint64
        p1 = _M1 * c2
        c0, c1, c2, c3 = ((p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1,
                          p0 & _MASK)
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


def philox_blocks(seed: int, ctr: int, nblocks: int) -> np.ndarray:
    """Blocks ctr .. ctr + nblocks - 1 of the stream keyed by seed, as uint32 (nblocks, 4)."""
    b = (np.uint64(ctr) + np.arange(nblocks, dtype=np.uint64))  # wraps mod 2^64
    counters = np.zeros((nblocks, 4), np.uint32)
    counters[:, 0] = (b & _MASK).astype(np.uint32)
    counters[:, 1] = (b >> _S32).astype(np.uint32)
    key = np.array([seed & 0xFFFFFFFF, seed >> 32], np.uint32)
    return philox4x32_10(counters, key)  # one key for every block: scalar arithmetic


def words_per_element(compute) -> int:
    """32-bit words one element consumes: two for a double uniform, one for a float."""
    return 2 if compute.name == "float64" else 1


def blocks_for(n: int, words: int) -> int:
    per_block = 4 // words
    return (n + per_block - 1) // per_block


def uniforms(seed: int, ctr: int, n: int, compute, bits: int = 24) -> np.ndarray:
    """The first n uniforms in [0, 1) of the call: `bits` per float, 53 per double."""
    if compute.name == "float64":
        w = philox_blocks(seed, ctr, blocks_for(n, 2)).astype(np.uint64).reshape(-1, 2)
        x = (w[:, 0] << _S32) | w[:, 1]
        return ((x >> np.uint64(11)).astype(np.float64) * 2.0 ** -53)[:n]
    w = philox_blocks(seed, ctr, blocks_for(n, 1)).reshape(-1)[:n]
    return (w >> np.uint32(32 - bits)).astype(np.float32) * np.float32(2.0 ** -bits)


def constants(compute) -> dict:
    """2 pi and pi rounded to the compute type, as numpy scalars and as OpenCL C literals."""
    t = compute.np.type
    two_pi, pi = t(2 * math.pi), t(math.pi)
    suffix = "" if compute.name == "float64" else "f"
    return {"two_pi": two_pi, "pi": pi,
            "cl": {"two_pi": float.hex(float(two_pi)) + suffix,
                   "pi": float.hex(float(pi)) + suffix}}


def transform(kind: str, u: np.ndarray, compute, p0: float, p1: float) -> np.ndarray:
    """The kernel's transform of uniforms u (numpy twin of random.cl.mako's fill)."""
    t = compute.np.type
    one = t(1)
    a, b = t(p0), t(p1)
    if kind == "uniform":
        return u * a + b
    if kind in ("normal", "log_normal"):
        pairs = u.reshape(-1, 2)
        r = np.sqrt(t(-2) * np.log(one - pairs[:, 0]))
        theta = constants(compute)["two_pi"] * pairs[:, 1]
        z = np.stack([r * np.cos(theta) * b + a, r * np.sin(theta) * b + a], axis=1)
        z = z.reshape(-1)
        return np.exp(z) if kind == "log_normal" else z
    if kind == "exponential":
        return np.log(one - u) * a
    if kind == "cauchy":
        return a + b * np.tan(constants(compute)["pi"] * (u - t(0.5)))
    if kind == "geometric":
        return np.fmax(np.ceil(np.log(one - u) / a), one)
    if kind == "bernoulli":
        return (u < a).astype(compute.np)
    raise ValueError(f"unknown random transform {kind!r}")


def _last_positive(w: np.ndarray) -> np.ndarray:
    """Per row, the index of the last positive weight (0 when none is)."""
    pos = w > 0
    return np.where(pos.any(axis=1), w.shape[1] - 1 - np.argmax(pos[:, ::-1], axis=1), 0)


class CpuRandom:
    """Random kernels on numpy; each writes a contiguous output tensor."""

    def philox_raw(self, counters: np.ndarray, keys: np.ndarray) -> np.ndarray:
        return philox4x32_10(counters, keys)

    def random_fill(self, out, kind: str, compute, bits: int, seed: int, ctr: int,
                    p0: float, p1: float) -> None:
        """out = transform(kind) of the call's uniforms (out contiguous)."""
        n = out.numel()
        if n == 0:
            return
        per_block = 4 // words_per_element(compute)
        padded = blocks_for(n, words_per_element(compute)) * per_block
        u = uniforms(seed, ctr, padded, compute, bits)
        self.view(out)[...] = transform(kind, u, compute, p0, p1)[:n].reshape(out._shape)

    def random_int(self, out, seed: int, ctr: int, low: int, range_m1: int, wide: bool) -> None:
        """out = low + uniform integer in [0, range_m1] (out contiguous)."""
        n = out.numel()
        if n == 0:
            return
        if wide:
            w = philox_blocks(seed, ctr, blocks_for(n, 2)).astype(np.uint64).reshape(-1, 2)
            x = ((w[:, 0] << _S32) | w[:, 1])[:n]
            if range_m1 != 2 ** 64 - 1:
                x = x % np.uint64(range_m1 + 1)
        else:
            w = philox_blocks(seed, ctr, blocks_for(n, 1)).reshape(-1)[:n].astype(np.uint64)
            x = (w * np.uint64(range_m1 + 1)) >> _S32
        values = (np.uint64(low % 2 ** 64) + x).view(np.int64)
        self.view(out)[...] = values.reshape(out._shape).astype(out.dtype.np)

    def bernoulli_tensor(self, out, p, compute, seed: int, ctr: int) -> None:
        """out = u < p elementwise (out and p contiguous, of one shape)."""
        n = out.numel()
        if n == 0:
            return
        u = uniforms(seed, ctr, n, compute)
        probs = self.view(p).reshape(-1).astype(compute.np)
        self.view(out)[...] = (u < probs).reshape(out._shape)

    def randperm(self, out, seed: int, ctr: int) -> None:
        """out = the permutation sorting n 64-bit keys, ties broken by index."""
        n = out.numel()
        if n == 0:
            return
        w = philox_blocks(seed, ctr, blocks_for(n, 2)).astype(np.uint64).reshape(-1, 2)
        keys = ((w[:, 0] << _S32) | w[:, 1])[:n]
        self.view(out)[...] = np.argsort(keys, kind="stable").astype(out.dtype.np)

    def multinomial(self, out, probs, k: int, replacement: bool, compute, seed: int,
                    ctr: int) -> None:
        """out (rows, k) int64 = category draws from each row of probs (both contiguous)."""
        rows, ncat = probs._shape
        if rows * k == 0:
            return
        u = uniforms(seed, ctr, rows * k, compute).reshape(rows, k)
        p = self.view(probs).astype(compute.np)
        target = self.view(out)
        if replacement:
            cdf = np.cumsum(p, axis=1)
            last = _last_positive(p)
            draws = u * cdf[:, -1:]
            for r in range(rows):
                found = np.searchsorted(cdf[r], draws[r], side="right")
                target[r] = np.minimum(found, last[r])
            return
        w = p.copy()
        rr = np.arange(rows)
        for s in range(k):
            cdf = np.cumsum(w, axis=1)
            last = _last_positive(w)
            draw = u[:, s] * cdf[:, -1]
            chosen = np.minimum((cdf <= draw[:, None]).sum(axis=1), last)
            target[:, s] = chosen
            w[rr, chosen] = 0
