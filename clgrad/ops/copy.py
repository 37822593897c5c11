"""Copies: across devices and dtypes, contiguous(), clone(), copy_(), with their gradients
(ToCopyBackward0 sends the gradient back to the input's device and dtype)."""
from __future__ import annotations

from .. import _memory_format as mf
from .._checks import not_tensor
from .._strides import contiguous_strides
from .._tensor import Tensor, register
from ..autograd.graph import needs_grad, record
from ..autograd.inplace import check_inplace, record_inplace
from .pointwise_dispatch import output_strides
from .pointwise_table import COPY


def copy_into(dst: Tensor, src: Tensor) -> None:
    """dst[...] = src for equal shapes on any devices and dtypes (no autograd)."""
    if dst.device == src.device:
        dst._storage.backend.pointwise(COPY, dst, [src], src.dtype)
        return
    host = src._host()  # waits for src's device when it is cl
    dst._storage.backend.write_host(dst, host)


def convert(t: Tensor, device, dtype) -> Tensor:
    """A new tensor with t's values on `device` as `dtype`, laid out as PyTorch's
    preserve_format: a dense input's strides kept (channels_last stays channels_last), any
    other input made dense in the order of its strides."""
    out = _convert(t, device, dtype)
    if needs_grad(t):
        source_device, source_dtype = t.device, t.dtype
        record("ToCopyBackward0", out, (t,), lambda grad: (
            grad.to(device=source_device, dtype=source_dtype),))
    return out


def _convert(t: Tensor, device, dtype) -> Tensor:
    if device != t.device and dtype.name == "float64":
        from ..backends import backend_for
        backend_for(device).check_dtype(dtype)
    strides = t._stride
    if t.is_contiguous() and strides == contiguous_strides(t._shape):
        strides = None  # the common case: a plain contiguous output
    elif not mf.is_non_overlapping_and_dense(t._shape, strides):
        # PyTorch's _to_copy keeps a dense layout as it is (size-1 dims' strides too) and
        # makes any other dense in the order of t's strides, as TensorIterator orders them.
        strides = output_strides(t._shape, (t,), False) or contiguous_strides(t._shape)
    if device == t.device:
        out = Tensor._empty(t._shape, dtype, device) if strides is None else \
            mf.empty_strided_like(t._shape, strides, dtype, device)
        copy_into(out, t)
        return out
    if strides is None or strides == contiguous_strides(t._shape):
        host = t._host()
        if host.dtype != dtype.np:
            host = host.astype(dtype.np)
        from .creation import from_host_array
        return from_host_array(host, dtype, device)
    # Both sides walked in the output's storage order: one contiguous host copy each way.
    out = mf.empty_strided_like(t._shape, strides, dtype, device)
    order = sorted(range(len(strides)), key=lambda d: -strides[d])
    shape = tuple(t._shape[d] for d in order)
    host = t._view(shape, tuple(t._stride[d] for d in order))._host()
    out._storage.backend.write_host(out._view(shape, tuple(strides[d] for d in order)),
                                    host.astype(dtype.np, copy=False))
    return out


@register()
def contiguous(self: Tensor, memory_format=None) -> Tensor:
    if memory_format is None or memory_format is mf.contiguous_format:
        if self.is_contiguous():
            return self
        return clone(self, memory_format=mf.contiguous_format)
    if self.is_contiguous(memory_format=memory_format):
        return self
    return clone(self, memory_format=memory_format)


@register()
def clone(self: Tensor, *, memory_format=None) -> Tensor:
    """A copy; memory_format=None/preserve_format keeps a dense layout's strides."""
    if memory_format is mf.contiguous_format or (memory_format is None and self.is_contiguous()):
        out = Tensor._empty(self._shape, self.dtype, self.device)
    else:
        out = mf.empty_strided_like(self._shape, mf.target_strides(
            self._shape, self._stride, memory_format), self.dtype, self.device)
    copy_into(out, self)
    if needs_grad(self):
        record("CloneBackward0", out, (self,), lambda grad: (grad,))
    return out


@register()
def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy src's values into self, broadcasting, across devices and dtypes."""
    if not isinstance(src, Tensor):
        raise not_tensor("copy_", src, "other")  # PyTorch's schema names it 'other'
    track = needs_grad(self, src)
    if track or self._requires_grad or self._base is not None:
        check_inplace(self)
    if track:
        from ..autograd.inplace import check_multi_view
        check_multi_view(self)
    source = src
    if src._shape != self._shape:
        src = src._view(src._shape, src._stride).expand(self._shape)
    self._version[0] += 1
    copy_into(self, src)
    if track:
        src_device = source.device

        def rule(grad):
            # The engine sums the gradient back to src's shape and casts it to src's dtype.
            from .creation import zeros_like
            return zeros_like(grad), grad.to(src_device)
        record_inplace("CopyBackwards", self, (self, source), rule)
    return self
