"""The OpenCL backend: storages are pooled buffers, kernels are generated and cached.

Every launch is enqueued on the device's in-order queue and returns at once; only reads to
the host wait for the device.
"""
from __future__ import annotations

import logging

import numpy as np

from ..._strides import coalesce, is_contiguous, numel
from ..base import Backend
from .programs import DEBUG, get_kernel
from .runtime import cl, runtime

log = logging.getLogger("clgrad.cl")

INT32_LIMIT = 2 ** 31 - 1
_SCALARS = (int, float, bool)

# numpy types of the OpenCL C scalar types, for pyopencl's argument packing.
NP_OF_CTYPE = {"uchar": np.uint8, "char": np.int8, "short": np.int16, "ushort": np.uint16,
               "int": np.int32,
               "long": np.int64, "float": np.float32, "double": np.float64}


def compute_ctype(dtype) -> str:
    """The OpenCL C type arithmetic on `dtype` runs in: half and bfloat16 compute in float."""
    return "float" if dtype.name in ("float16", "bfloat16") else dtype.ctype


from .creation import ClCreation
from .index import ClIndex
from .linalg import ClLinalg
from .nn import ClNn
from .optim import ClOptim
from .random import ClRandom
from .reduce import ClReduce


class ClBackend(ClReduce, ClRandom, ClCreation, ClIndex, ClLinalg, ClNn, ClOptim, Backend):
    """OpenCL backend; kernel families beyond pointwise come from the mixins."""

    name = "cl"

    def __init__(self, device):
        self.device = device
        self.rt = runtime(device.index)
        self.queue = self.rt.queue
        self.group_size = self.rt.group_size
        self._contiguous_kernels: dict = {}

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

    def from_host(self, flat: np.ndarray, dtype=None):
        from ..._dtype import bfloat16, from_numpy_dtype, to_bfloat16_bits
        if dtype is bfloat16:
            flat = to_bfloat16_bits(flat)  # stored as its bits: ushort on the device
        else:
            self.check_dtype(from_numpy_dtype(flat.dtype))
        buf = self.rt.allocate(flat.nbytes)
        if flat.nbytes:
            cl.enqueue_copy(self.queue, buf, np.ascontiguousarray(flat), is_blocking=True)
        return buf

    def to_host(self, t) -> np.ndarray:
        """A contiguous host copy of tensor t (waits for the device)."""
        src = t if t.is_contiguous() else t.contiguous()
        out = np.empty(src._shape, src.dtype.storage_np)
        if out.nbytes:
            cl.enqueue_copy(self.queue, out, src._storage.data,
                            src_offset=src._offset * src.dtype.itemsize, is_blocking=True)
        if src.dtype.storage_np is not src.dtype.np:
            from ..._dtype import from_bfloat16_bits
            return from_bfloat16_bits(out)
        return out

    def write_host(self, t, array: np.ndarray) -> None:
        """Copy a host array of t's shape into t's elements."""
        array = np.ascontiguousarray(array, dtype=t.dtype.np)
        if t.is_contiguous():
            if t.dtype.storage_np is not t.dtype.np:
                from ..._dtype import to_bfloat16_bits
                array = to_bfloat16_bits(array)
            if array.nbytes:
                cl.enqueue_copy(self.queue, t._storage.data, array,
                                dst_offset=t._offset * t.dtype.itemsize, is_blocking=True)
        else:
            from ..._tensor import Tensor
            staged = Tensor._wrap(self.from_host(array.reshape(-1), t.dtype), array.size,
                                  t.dtype, self.device, self, t._shape)
            self.copy(t, staged)

    def synchronize(self) -> None:
        self.queue.finish()

    # -- kernels ----------------------------------------------------------------------------
    def _launch(self, kernel, n: int, args: list, what) -> None:
        group = self.group_size
        global_size = (n + group - 1) // group * group
        if DEBUG:
            log.debug("launch %s n=%d", what, n)
        kernel(self.queue, (global_size,), None, *args)

    def pointwise(self, op, out, operands, compute) -> None:
        """out = op(*operands) for tensor operands of out's shape and Python scalars."""
        n = numel(out._shape)
        if n == 0:
            return
        tensors = [x for x in operands if x.__class__ not in _SCALARS]
        for x in tensors:
            if not (x._contig or (x._contig is None and x.is_contiguous())):
                break
        else:
            if out._contig or out.is_contiguous():
                return self._pointwise_contiguous(op, out, operands, compute, n)
        self._pointwise_strided(op, out, operands, tensors, compute, n)

    def _pointwise_contiguous(self, op, out, operands, compute, n) -> None:
        # The hot path: one cached kernel per signature, arguments packed in one pass.
        big = n + out._offset > INT32_LIMIT
        args = [n, out._storage.data, out._offset]
        signature = [op, compute, out._storage.dtype]
        for x in operands:
            if x.__class__ in _SCALARS:
                args.append(x)
                signature.append(None)
            else:
                storage = x._storage
                args.append(storage.data)
                args.append(x._offset)
                signature.append(storage.dtype)
                big = big or n + x._offset > INT32_LIMIT
        signature.append(big)
        signature = tuple(signature)
        kernel = self._contiguous_kernels.get(signature)
        if kernel is None:
            kinds = ["k" if d is None else "c" for d in signature[3:-1]]
            kernel = self._pointwise_kernel(op, out.dtype, "c", kinds, signature[3:-1], 0,
                                            compute, "long" if big else "int")
            self._contiguous_kernels[signature] = kernel
        if DEBUG:
            log.debug("launch %s n=%d", op.name, n)
        group = self.group_size
        kernel(self.queue, ((n + group - 1) // group * group,), None, *args)

    def _pointwise_strided(self, op, out, operands, tensors, compute, n) -> None:
        big = n > INT32_LIMIT or any(x._storage.numel > INT32_LIMIT for x in tensors + [out])
        sizes, strides = coalesce(out._shape, [out._stride] + [x._stride for x in tensors])
        rank = len(sizes)
        out_kind = "c" if is_contiguous(sizes, strides[0]) else "s"
        kinds, dtypes, k = [], [], 1
        for x in operands:
            if x.__class__ in _SCALARS:
                kinds.append("k")
                dtypes.append(None)
            else:
                kinds.append("c" if is_contiguous(sizes, strides[k]) else "s")
                dtypes.append(x._storage.dtype)
                k += 1
        kernel = self._pointwise_kernel(op, out.dtype, out_kind, kinds, dtypes, rank, compute,
                                        "long" if big else "int")
        args = [n, out._storage.data, out._offset]
        if out_kind == "s":
            args.extend(strides[0])
        k = 1
        for kind, x in zip(kinds, operands):
            if kind == "k":
                args.append(x)
            else:
                args.append(x._storage.data)
                args.append(x._offset)
                if kind == "s":
                    args.extend(strides[k])
                k += 1
        args.extend(sizes)
        self._launch(kernel, n, args, op.name)

    def _pointwise_kernel(self, op, out_dtype, out_kind, kinds, dtypes, rank, compute,
                          index_t):
        T = compute_ctype(compute)
        operand_desc = tuple(zip(kinds, dtypes))
        key = (op.name, out_dtype.name, out_kind,
               tuple((k, d.name if d else None) for k, d in operand_desc), rank, T, index_t)
        itype = NP_OF_CTYPE[index_t]
        arg_types = [itype, None, itype] + [itype] * (rank if out_kind == "s" else 0)
        for kind in kinds:
            if kind == "k":
                arg_types.append(NP_OF_CTYPE[T])
            else:
                arg_types += [None, itype] + [itype] * (rank if kind == "s" else 0)
        arg_types += [itype] * rank
        return get_kernel(
            self.rt, "elementwise.cl.mako", "pointwise", key,
            dict(name=f"pw_{op.name}", out=out_dtype, out_kind=out_kind,
                 operands=operand_desc, rank=rank, T=T, expr=op.opencl_c_expr(T, compute),
                 index_t=index_t, helpers=op.helpers),
            arg_types)

    def copy(self, dst, src) -> None:
        """dst[...] = src (same shape, any dtypes and strides, same device)."""
        from ...ops.pointwise_table import COPY
        self.pointwise(COPY, dst, [src], src.dtype)
