"""The OpenCL backend: storages are pooled buffers, kernels are generated and cached.

Every launch goes through DeviceRuntime.launch on the device's in-order queue and returns at
once; only reads to the host wait for the device. This module holds memory, host copies,
pointwise kernels and copies; the other kernel families are the mixins imported below.
"""
from __future__ import annotations

import numpy as np

from ..._dtype import bfloat16, from_bfloat16_bits, from_numpy_dtype, to_bfloat16_bits
from ..._storage import Storage
from ..._strides import coalesce, is_contiguous, numel
from ..base import Backend
from .checks import ZERO_DIVISOR, Check
from .programs import compute_ctype, get_kernel
from .runtime import INT32_LIMIT, Scratch, runtime

_SCALARS = (int, float, bool)
_EW = "elementwise.cl.mako"
# Integer division and remainder by zero: PyTorch's cpu error, raised at the next host wait
# (the op table's name -> PyTorch's op name).
_DIVISOR_CHECKS = {name: Check(op, {ZERO_DIVISOR: (RuntimeError, "ZeroDivisionError")})
                   for name, op in (("div_floor", "floor_divide"), ("div_trunc", "div"),
                                    ("remainder", "remainder"), ("fmod", "fmod"))}


class _Copy:
    """The copy/cast primitive, declared here so that the backend needs no op table: the
    same name, expression and helpers as the op table's COPY."""

    name = "copy"
    helpers = ()

    @staticmethod
    def opencl_c_expr(T, compute) -> str:
        return "a"


from .conv import ClConv  # noqa: E402  (the mixins import compute helpers from above)
from .creation import ClCreation  # noqa: E402
from .index import ClIndex  # noqa: E402
from .linalg import ClLinalg  # noqa: E402
from .loss import ClLoss  # noqa: E402
from .norm import ClNorm  # noqa: E402
from .optim import ClOptim  # noqa: E402
from .pool import ClPool  # noqa: E402
from .random import ClRandom  # noqa: E402
from .reduce import ClReduce  # noqa: E402
from .softmax import ClSoftmax  # noqa: E402
from .sort import ClSort  # noqa: E402
from .value_checks import ClValueChecks  # noqa: E402


def _output_order(shape: tuple, stride_sets: list) -> tuple:
    """The dims permuted so the output's strides descend: each work-item's store is then the
    next address (an output laid out like a transposed input, as PyTorch lays it out, is stored
    contiguously and only the other operands are read strided). Pointwise results do not
    depend on the order elements are visited in."""
    out = stride_sets[0]
    if all(out[d] >= out[d + 1] for d in range(len(out) - 1)):
        return shape, stride_sets
    order = sorted(range(len(shape)), key=lambda d: -out[d])
    return (tuple(shape[d] for d in order),
            [tuple(s[d] for d in order) for s in stride_sets])


class ClBackend(ClReduce, ClSort, ClRandom, ClCreation, ClIndex, ClLinalg, ClConv, ClPool,
                ClNorm, ClSoftmax, ClLoss, ClOptim, ClValueChecks, Backend):
    """OpenCL backend; kernel families beyond pointwise come from the mixins."""

    name = "cl"

    def __init__(self, device):
        self.device = device
        self.rt = runtime(device.index)
        self.queue = self.rt.queue
        self.group_size = self.rt.group_size
        self._kernels = self.rt.kernels
        # Kernels with a variant per row of work for CPU devices (pointwise strided, pool,
        # im2col/col2im) pick it here: a CPU pays more for the divisions of per-element index
        # arithmetic than for the memory traffic, while a GPU wants neighbouring work-items on
        # neighbouring elements.
        self._cpu_device = "CPU" in self.rt.caps.type.upper()

    # -- memory -----------------------------------------------------------------------------
    def check_dtype(self, dtype) -> None:
        if dtype.name == "float64" and not self.rt.caps.fp64:
            raise TypeError(f"{self.device} ({self.rt.caps.name}) does not support float64 "
                            "(no cl_khr_fp64); use float32")

    def empty(self, numel: int, dtype):
        self.check_dtype(dtype)
        return self.rt.allocate(numel * dtype.itemsize)

    def release(self, nbytes: int) -> None:
        self.rt.allocated -= nbytes if nbytes > 0 else 1

    def scratch(self, shape: tuple, dtype) -> Scratch:
        """A fresh contiguous work buffer, counted by memory_allocated() while it lives."""
        count = numel(shape)
        return Scratch(Storage(self.empty(count, dtype), count, dtype, self.device, self),
                       shape, dtype)

    def from_host(self, flat: np.ndarray, dtype=None):
        if dtype is bfloat16:
            flat = to_bfloat16_bits(flat)  # stored as its bits: ushort on the device
        else:
            self.check_dtype(from_numpy_dtype(flat.dtype))
        buf = self.rt.allocate(flat.nbytes)
        if flat.nbytes:
            self.rt.write(buf, np.ascontiguousarray(flat))
        return buf

    def to_host(self, t) -> np.ndarray:
        """A contiguous host copy of tensor t (waits for the device)."""
        src = t if t.is_contiguous() else t.contiguous()
        out = np.empty(src._shape, src.dtype.storage_np)
        if out.nbytes:
            self.rt.read(out, src._storage.data, src._offset * src.dtype.itemsize)
        if src.dtype.storage_np is not src.dtype.np:
            return from_bfloat16_bits(out)
        return out

    def write_host(self, t, array: np.ndarray) -> None:
        """Copy a host array of t's shape into t's elements."""
        array = np.ascontiguousarray(array, dtype=t.dtype.np)
        if t.is_contiguous():
            if t.dtype.storage_np is not t.dtype.np:
                array = to_bfloat16_bits(array)
            if array.nbytes:
                self.rt.write(t._storage.data, array, t._offset * t.dtype.itemsize)
        else:
            staged = Scratch(Storage(self.from_host(array.reshape(-1), t.dtype), array.size,
                                     t.dtype, self.device, self), t._shape, t.dtype)
            self.copy(t, staged)

    def synchronize(self) -> None:
        self.rt.synchronize()

    def copy_bytes(self, dst, src, nbytes: int) -> None:
        if nbytes:
            self.rt.copy(dst, src, nbytes)

    # -- kernels ----------------------------------------------------------------------------
    def pointwise(self, op, out, operands, compute) -> None:
        """out = op(*operands) for tensor operands of out's shape and Python scalars."""
        n = numel(out._shape)
        if n == 0:
            return
        for x in operands:
            if x.__class__ not in _SCALARS and not (
                    x._contig or (x._contig is None and x.is_contiguous())):
                break
        else:
            if out._contig or out.is_contiguous():
                return self._pointwise_contiguous(op, out, operands, compute, n)
        tensors = [x for x in operands if x.__class__ not in _SCALARS]
        self._pointwise_strided(op, out, operands, tensors, compute, n)

    def _pointwise_contiguous(self, op, out, operands, compute, n) -> None:
        # The hot path: arguments packed in one pass in the declared order (n, out, then per
        # operand its buffer and offset or its value), the kernel keyed by the same pass.
        big = n + out._offset > INT32_LIMIT
        args = [n, out._storage.data, out._offset]
        key = [op.name, compute, out._storage.dtype]  # names: the table's COPY and _Copy share
        for x in operands:
            if x.__class__ in _SCALARS:
                args.append(x)
                key.append(None)
            else:
                storage = x._storage
                args.append(storage.data)
                args.append(x._offset)
                key.append(storage.dtype)
                big = big or n + x._offset > INT32_LIMIT
        key.append(big)
        key = tuple(key)
        # get_kernel's own cache, read here directly: a hit costs no call and no closure.
        kernel = self._kernels.get((_EW, "pointwise", key))
        if kernel is None:
            kernel = get_kernel(self.rt, _EW, "pointwise", key, self._pointwise_params(
                op, out.dtype, "c", key[3:-1], 0, compute, big))
        self.rt.launch(kernel, n, None, args, kernel.check)

    def _pointwise_strided(self, op, out, operands, tensors, compute, n) -> None:
        big = n > INT32_LIMIT or any(x._storage.numel > INT32_LIMIT for x in tensors + [out])
        sizes, strides = coalesce(*_output_order(out._shape, [out._stride] +
                                                 [x._stride for x in tensors]))
        rank = len(sizes)
        out_kind = "c" if is_contiguous(sizes, strides[0]) else "s"
        kinds, dtypes, k = [out_kind], [], 1
        for x in operands:
            if x.__class__ in _SCALARS:
                kinds.append("k")
                dtypes.append(None)
            else:
                kinds.append("c" if is_contiguous(sizes, strides[k]) else "s")
                dtypes.append(x._storage.dtype)
                k += 1
        # On CPU devices a work-item runs along the innermost dim: the index arithmetic's
        # divisions cost more there than the memory traffic of a strided copy.
        rows = rank >= 2 and self._cpu_device
        key = (op.name, compute, out.dtype, tuple(kinds), tuple(dtypes), rank, big, rows)
        kernel = get_kernel(self.rt, _EW, "pointwise", key,
                            lambda: self._pointwise_params(op, out.dtype, out_kind, dtypes, rank,
                                                           compute, big, kinds[1:], rows))
        # Packed in the declared order: n, out (+ strides), operands (+ strides), sizes.
        args = [n, out._storage.data, out._offset]
        if out_kind == "s":
            args.extend(strides[0])
        k = 1
        for kind, x in zip(kinds[1:], operands):
            if kind == "k":
                args.append(x)
            else:
                args.append(x._storage.data)
                args.append(x._offset)
                if kind == "s":
                    args.extend(strides[k])
                k += 1
        args.extend(sizes)
        if rows:
            n //= sizes[-1]
            args[0] = n
        self.rt.launch(kernel, n, None, args, kernel.check)

    @staticmethod
    def _pointwise_params(op, out_dtype, out_kind, dtypes, rank, compute, big,
                          kinds=None, rows=False) -> dict:
        """Render parameters of kernels/elementwise.cl.mako:pointwise."""
        T = compute_ctype(compute)
        if kinds is None:
            kinds = ["k" if d is None else "c" for d in dtypes]
        params = dict(name=f"pw_{op.name}", out=out_dtype, out_kind=out_kind,
                      operands=tuple(zip(kinds, dtypes)), rank=rank, T=T,
                      expr=op.opencl_c_expr(T, compute), index_t="long" if big else "int",
                      helpers=op.helpers, rows=rows)
        check = _DIVISOR_CHECKS.get(op.name)
        if check is not None and not compute.is_floating_point and compute.name != "bool":
            params.update(divisor_check=True, check=check)
        return params

    def copy(self, dst, src) -> None:
        """dst[...] = src (same shape, any dtypes and strides, same device)."""
        self.pointwise(_Copy, dst, [src], src.dtype)

    def _fill(self, dst, value) -> None:
        """dst[...] = value, a Python scalar."""
        self.pointwise(_Copy, dst, [value], dst.dtype)
