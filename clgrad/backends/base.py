"""The backend contract: what every backend implements, and nothing else.

The op layer (ops/, and until the fused ops move there, nn/ and optim/) calls a backend only
through these methods. Tensors arrive as clgrad Tensors whose `_storage.data` is the
backend's own buffer; shapes, strides and offsets are in elements. A kernel method writes
its `out` argument(s) in place and returns None unless said otherwise; it never waits for
the device. Only `to_host`, `write_host` and `synchronize` (and `nonzero`'s count and
`philox_raw`'s words) return to the host; index_map never waits. A backend whose storages are
host numpy arrays (cpu) also offers view(t) and flat(t), numpy views of a tensor and of its
storage; callers use them for cpu tensors only, so they are not part of the contract.

A new backend is one package under backends/ (its class in `backend.py`, one module per
kernel family, as backends/cpu/ and backends/cl/) and one line in backends/__init__.py's
registry. tests/test_backend_contract.py fails when a registered backend leaves one of these
methods to the stubs below.
"""
from __future__ import annotations


class Backend:
    """The interface every backend implements. Each stub raises NotImplementedError."""

    # The device type this backend serves ("cpu", "cl"); a registry key in backends/.
    name: str = ""
    # Whether a dying Storage must call release(): true where the backend counts the bytes
    # tensors hold (cl's memory_allocated). cpu's numpy arrays free themselves, so it sets
    # False and skips that call on every storage's death.
    counts_memory: bool = True

    # -- memory and host copies ---------------------------------------------------------------
    def check_dtype(self, dtype) -> None:
        """Raise TypeError when this device cannot hold `dtype` (float64 without fp64)."""
        raise NotImplementedError

    def empty(self, numel: int, dtype):
        """A new uninitialised buffer of `numel` elements of `dtype` (a Storage's `data`)."""
        raise NotImplementedError

    def release(self, nbytes: int) -> None:
        """A storage of `nbytes` died or was replaced: take it off the count of bytes held."""
        raise NotImplementedError

    def from_host(self, flat, dtype=None):
        """A buffer holding a flat contiguous numpy array (which the backend may keep)."""
        raise NotImplementedError

    def to_host(self, t):
        """A contiguous numpy copy of tensor t's elements (waits for the device)."""
        raise NotImplementedError

    def write_host(self, t, array) -> None:
        """Copy a numpy array of t's shape into t's elements (any strides)."""
        raise NotImplementedError

    def synchronize(self) -> None:
        """Wait until every kernel queued on this device has finished."""
        raise NotImplementedError

    def copy(self, dst, src) -> None:
        """dst[...] = src: same shape and device, any dtypes and strides (a cast copy)."""
        raise NotImplementedError

    def copy_bytes(self, dst, src, nbytes: int) -> None:
        """The first nbytes of storage buffer src into buffer dst (a storage growing)."""
        raise NotImplementedError

    # -- pointwise ----------------------------------------------------------------------------
    def pointwise(self, op, out, operands, compute) -> None:
        """out = op(*operands) in dtype `compute`; tensors already broadcast to out's shape."""
        raise NotImplementedError

    # -- creation -----------------------------------------------------------------------------
    def arange(self, out, start, step, acc) -> None:
        """out[i] = start + step * i computed in numpy dtype `acc` (out contiguous)."""
        raise NotImplementedError

    def linspace(self, out, start, end, step, halfway: int, base, log: bool, acc) -> None:
        """out = linspace (or base ** linspace when log) from both ends, as PyTorch does."""
        raise NotImplementedError

    def eye(self, out) -> None:
        """out (rows, cols) = the identity matrix."""
        raise NotImplementedError

    def tri(self, out, src, diagonal: int, upper: bool) -> None:
        """out = triu(src) or tril(src) over the last two dims (out may alias src)."""
        raise NotImplementedError

    # -- index --------------------------------------------------------------------------------
    def index_map(self, mode: str, target, tstrides: tuple, indices: list, sizes: list,
                  astrides: list, other, shape: tuple, serial: int, wrap: bool = True,
                  error=None) -> bool:
        """Advanced-index get/set/accumulate over `shape`; False if an index was out of range."""
        # wrap: a negative index counts from the end of its dim, else it is out of range.
        # error(value, k, size): a backend that checks on the device (cl) raises it at its next
        # synchronisation instead, and returns True.
        raise NotImplementedError

    def nonzero(self, x):
        """A new (count, ndim) int64 tensor of x's nonzero coordinates, in row-major order."""
        raise NotImplementedError

    def gather_dim(self, out, src, idx, dim: int) -> None:
        """out = src at idx along dim (idx shaped as out)."""
        raise NotImplementedError

    def scatter_dim(self, out, src, idx, dim: int, accumulate: bool) -> None:
        """out (zeroed) at idx along dim = src, or += src when accumulate."""
        raise NotImplementedError

    # -- reduce -------------------------------------------------------------------------------
    def reduce(self, spec, out, x, dims, acc, aux=None, param=0.0) -> None:
        """out (x's shape, dims kept as 1) = reduction `spec` of x over dims in dtype acc."""
        raise NotImplementedError

    def arg_reduce(self, kind: str, values, indices, x, dims) -> None:
        """values and/or indices (either may be None) of x's max or min over dims."""
        raise NotImplementedError

    def scan(self, kind: str, out, x, dim: int, indices=None) -> None:
        """out = inclusive cumulative sum/prod/max/min of x along dim (indices for max/min)."""
        raise NotImplementedError

    # -- sort ---------------------------------------------------------------------------------
    def sort(self, x, dim: int, descending: bool, values, indices, mode: str = "range",
             start: int = 0) -> None:
        """Sorted positions start.. ("range") or the median ("median"/"nanmedian") along dim."""
        raise NotImplementedError

    def bincount(self, x, weights, out) -> None:
        """out[b] = the count (or weight sum) of b in the 1-d non-negative integer tensor x."""
        raise NotImplementedError

    # -- linalg -------------------------------------------------------------------------------
    def gemm(self, c, a, b, alpha=1, beta=0, params=None) -> None:
        """c = alpha * a @ b + beta * c over broadcast batch dims (beta 0 never reads c)."""
        raise NotImplementedError

    # -- conv ---------------------------------------------------------------------------------
    def im2col(self, cols, x, geometry) -> None:
        """cols (N, C*kh*kw, oh*ow) = the sliding windows of x (N, C, H, W)."""
        raise NotImplementedError

    def col2im(self, x, cols, geometry) -> None:
        """x (N, C, H, W) = the column elements summed back where im2col read them."""
        raise NotImplementedError

    # -- pool ---------------------------------------------------------------------------------
    def pool_forward(self, mode: str, adaptive: bool, out, indices, x, geometry,
                     count_include_pad: bool = True, divisor: int = 0) -> None:
        """out and (for max) indices = the max/avg/adaptive pooled windows of x's planes."""
        raise NotImplementedError

    def pool_backward(self, mode: str, adaptive: bool, grad_in, grad_out, indices, geometry,
                      count_include_pad: bool = True, divisor: int = 0) -> None:
        """grad_in = the gradient of pool_forward for grad_out."""
        raise NotImplementedError

    # -- norm ---------------------------------------------------------------------------------
    def norm_moments(self, mean, rstd, var, x, layout, eps: float) -> None:
        """Per statistics group of x: mean, 1 / sqrt(var + eps) and the biased var."""
        raise NotImplementedError

    def norm_apply(self, y, x, mean, rstd, stat_map, weight, bias, affine_map) -> None:
        """y = (x - mean) * rstd * weight + bias, each indexed through its map."""
        raise NotImplementedError

    def norm_bwd_sums(self, s1, s2, grad, x, mean, rstd, layout, weight, affine_map) -> None:
        """Per statistics group: s1 = sum(grad * w), s2 = sum(grad * w * xhat)."""
        raise NotImplementedError

    def norm_bwd_apply(self, dx, grad, x, mean, rstd, s1, s2, count: int, stat_map, weight,
                       affine_map) -> None:
        """dx = rstd * (grad * w - (s1 + xhat * s2) / count)."""
        raise NotImplementedError

    # -- softmax ------------------------------------------------------------------------------
    def softmax(self, out, x, dims: tuple, log: bool) -> None:
        """out = (log_)softmax of contiguous x seen as dims = (O, N, I), along N."""
        raise NotImplementedError

    def softmax_backward(self, out, g, y, dims: tuple, log: bool) -> None:
        """out = the input gradient of (log_)softmax output y for output gradient g."""
        raise NotImplementedError

    # -- loss ---------------------------------------------------------------------------------
    def nll(self, out, tw, x, target, weight, ignore: int, reduction: str, dims: tuple) -> None:
        """out = NLL of log-probabilities x (N, C, D) at targets; tw = the total weight."""
        raise NotImplementedError

    def nll_backward(self, out, g, tw, target, weight, ignore: int, reduction: str,
                     dims: tuple) -> None:
        """out (N, C, D) = the gradient of nll for its output gradient g."""
        raise NotImplementedError

    # -- optim --------------------------------------------------------------------------------
    def optim_step(self, kind: str, flags: tuple, param, grad, states: list,
                   scalars: list) -> None:
        """One fused optimizer update of param and its states in place (all contiguous)."""
        raise NotImplementedError

    # -- random -------------------------------------------------------------------------------
    def philox_raw(self, counters, keys):
        """Philox4x32-10 of uint32 counters (n, 4) under keys (n, 2), as a numpy array."""
        raise NotImplementedError

    def random_fill(self, out, kind: str, compute, bits: int, seed: int, ctr: int,
                    p0: float, p1: float) -> None:
        """out = the `kind` transform (uniform, normal, ...) of the call's uniforms."""
        raise NotImplementedError

    def random_int(self, out, seed: int, ctr: int, low: int, range_m1: int, wide: bool) -> None:
        """out = low + a uniform integer in [0, range_m1]."""
        raise NotImplementedError

    def bernoulli_tensor(self, out, p, compute, seed: int, ctr: int) -> None:
        """out = (u < p) elementwise for a tensor of probabilities p."""
        raise NotImplementedError

    def randperm(self, out, seed: int, ctr: int) -> None:
        """out = a random permutation of 0..n-1 (sorted 64-bit keys, ties by index)."""
        raise NotImplementedError

    def multinomial(self, out, probs, k: int, replacement: bool, compute, seed: int,
                    ctr: int) -> None:
        """out (rows, k) int64 = k category draws from each row of probs."""
        raise NotImplementedError
