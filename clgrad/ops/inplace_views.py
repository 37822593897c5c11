"""PyTorch's in-place view ops: ``x.unsqueeze_(0)``, ``squeeze_``, ``transpose_``, ``t_``,
``swapdims_``/``swapaxes_``, found in real programs (``img.unsqueeze_(0)`` before a forward).

Each makes the tensor itself the view its out-of-place form returns: same storage, new shape
and strides, the version counter bumped. In the graph the tensor's history gets the view
op's node (edge: its history before), so gradients flow as through ``x = x.unsqueeze(0)``;
leaves that require grad are refused, as in PyTorch.
"""
from __future__ import annotations

from .._tensor import Tensor, register
from ..autograd.inplace import check_inplace
from . import shape as _shape


def _become(self: Tensor, view: Tensor) -> Tensor:
    check_inplace(self)
    self._shape, self._stride, self._offset = view._shape, view._stride, view._offset
    self._contig = None
    if view._grad_fn is not None:
        self._grad_fn = view._grad_fn
        self._requires_grad = True
    self._version[0] += 1
    return self


@register()
def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    return _become(self, _shape.unsqueeze(self, dim))


@register()
def squeeze_(self: Tensor, dim=None) -> Tensor:
    return _become(self, _shape.squeeze(self, dim))


@register("transpose_", "swapdims_", "swapaxes_")
def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    return _become(self, _shape.transpose(self, dim0, dim1))


@register()
def t_(self: Tensor) -> Tensor:
    return _become(self, _shape.t(self))


__all__: list = []
