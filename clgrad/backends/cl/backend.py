"""The OpenCL backend: storages are pooled buffers, kernels are generated and cached.

Every launch is enqueued on the device's in-order queue and returns at once; only reads to
the host wait for the device.
"""
from __future__ import annotations

import logging

import numpy as np

from ..._strides import coalesce, is_contiguous
from .programs import DEBUG, get_kernel
from .runtime import cl, runtime

log = logging.getLogger("clgrad.cl")

INT32_LIMIT = 2 ** 31 - 1

# numpy types of the OpenCL C scalar types, for pyopencl's argument packing.
NP_OF_CTYPE = {"uchar": np.uint8, "char": np.int8, "short": np.int16, "int": np.int32,
               "long": np.int64, "float": np.float32, "double": np.float64}


def compute_ctype(dtype) -> str:
    """The OpenCL C type arithmetic on `dtype` runs in: half computes in float."""
    return "float" if dtype.name == "float16" else dtype.ctype


from .creation import ClCreation
from .random import ClRandom
from .reduce import ClReduce


class ClBackend(ClReduce, ClRandom, ClCreation):
    """OpenCL backend; kernel families beyond pointwise come from the mixins."""

    name = "cl"

    def __init__(self, device):
        self.device = device
        self.rt = runtime(device.index)
        self.queue = self.rt.queue
        self.group_size = self.rt.group_size

    # -- memory -----------------------------------------------------------------------------
    def check_dtype(self, dtype) -> None:
        if dtype.name == "float64" and not self.rt.caps.fp64:
            raise TypeError(f"{self.device} ({self.rt.caps.name}) does not support float64 "
                            "(no cl_khr_fp64); use float32")

    def empty(self, numel: int, dtype):
        self.check_dtype(dtype)
        return self.rt.allocate(numel * dtype.itemsize)

    def release(self, nbytes: int) -> None:
        self.rt.allocated -= max(nbytes, 1)

    def from_host(self, flat: np.ndarray):
        from ..._dtype import from_numpy_dtype
        self.check_dtype(from_numpy_dtype(flat.dtype))
        buf = self.rt.allocate(flat.nbytes)
        if flat.nbytes:
            cl.enqueue_copy(self.queue, buf, np.ascontiguousarray(flat), is_blocking=True)
        return buf

    def to_host(self, t) -> np.ndarray:
        """A contiguous host copy of tensor t (waits for the device)."""
        src = t if t.is_contiguous() else t.contiguous()
        out = np.empty(src._shape, src.dtype.np)
        if out.nbytes:
            cl.enqueue_copy(self.queue, out, src._storage.data,
                            src_offset=src._offset * src.dtype.itemsize, is_blocking=True)
        return out

    def write_host(self, t, array: np.ndarray) -> None:
        """Copy a host array of t's shape into t's elements."""
        array = np.ascontiguousarray(array, dtype=t.dtype.np)
        if t.is_contiguous():
            if array.nbytes:
                cl.enqueue_copy(self.queue, t._storage.data, array,
                                dst_offset=t._offset * t.dtype.itemsize, is_blocking=True)
        else:
            from ..._tensor import Tensor
            staged = Tensor._wrap(self.from_host(array.reshape(-1)), array.size, t.dtype,
                                  self.device, self, t._shape)
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
        n = out.numel()
        if n == 0:
            return
        tensors = [x for x in operands if hasattr(x, "_storage")]
        big = n > INT32_LIMIT or any(x._storage.numel > INT32_LIMIT
                                     for x in tensors + [out])
        index_t = "long" if big else "int"
        T = compute_ctype(compute)
        shape = out._shape
        all_contig = out.is_contiguous() and all(x.is_contiguous() for x in tensors)
        if all_contig:
            rank, sizes, out_kind = 0, (), "c"
            kinds = ["k" if not hasattr(x, "_storage") else "c" for x in operands]
            strides = None
        else:
            sizes, strides = coalesce(shape, [out._stride] + [x._stride for x in tensors])
            rank = len(sizes)
            out_kind = "c" if is_contiguous(sizes, strides[0]) else "s"
            kinds, k = [], 1
            for x in operands:
                if hasattr(x, "_storage"):
                    kinds.append("c" if is_contiguous(sizes, strides[k]) else "s")
                    k += 1
                else:
                    kinds.append("k")
        operand_desc = tuple((kind, x.dtype if kind != "k" else None)
                             for kind, x in zip(kinds, operands))
        key = (op.name, out.dtype.name, out_kind,
               tuple((k, d.name if d else None) for k, d in operand_desc), rank, T, index_t)
        kernel = self.rt.kernels.get(("elementwise.cl.mako", "pointwise") + key)
        itype = NP_OF_CTYPE[index_t]
        if kernel is None:
            arg_types = [itype, None, itype] + [itype] * (rank if out_kind == "s" else 0)
            for kind, _ in operand_desc:
                if kind == "k":
                    arg_types.append(NP_OF_CTYPE[T])
                else:
                    arg_types += [None, itype] + [itype] * (rank if kind == "s" else 0)
            arg_types += [itype] * rank
            kernel = get_kernel(
                self.rt, "elementwise.cl.mako", "pointwise", key,
                dict(name=f"pw_{op.name}", out=out.dtype, out_kind=out_kind,
                     operands=operand_desc, rank=rank, T=T, expr=op.cl_expr(T, compute),
                     index_t=index_t, helpers=op.helpers),
                arg_types)
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

    def copy(self, dst, src) -> None:
        """dst[...] = src (same shape, any dtypes and strides, same device)."""
        from ...ops.table import COPY
        self.pointwise(COPY, dst, [src], src.dtype)
