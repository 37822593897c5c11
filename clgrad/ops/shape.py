"""Views and shape operations: they change (shape, strides, offset), never the data."""
from __future__ import annotations

from .._strides import contiguous_strides, normalize_dim, numel
from .._tensor import Tensor, register

__all__: list = []


def _infer_shape(shape: tuple, count: int, op: str) -> tuple:
    """Resolve one -1 in a requested shape; RuntimeError when it cannot hold `count`."""
    shape = list(shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = numel([s for s in shape if s != -1])
    if unknown:
        if known == 0 or count % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {count}")
        shape[unknown[0]] = count // known
    elif known != count:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {count}")
    return tuple(shape)


def _view_strides(old_shape: tuple, old_stride: tuple, new_shape: tuple):
    """Strides viewing the same elements in `new_shape`, or None when no view can (needs copy).

    PyTorch's computeStride: walk chunks of old dims that are contiguous among themselves and
    split/merge them into new dims.
    """
    if numel(old_shape) == 0:
        return contiguous_strides(new_shape)
    new_stride = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_stride[-1] if old_stride else 1
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_stride[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_stride[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_stride[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_stride)


def _shape_args(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


@register()
def view(self: Tensor, *shape) -> Tensor:
    shape = _infer_shape(_shape_args(shape), self.numel(), "view")
    stride = _view_strides(self._shape, self._stride, shape)
    if stride is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride "
                           "(at least one dimension spans across two contiguous subspaces). "
                           "Use .reshape(...) instead.")
    return self._view(shape, stride)


@register()
def reshape(self: Tensor, *shape) -> Tensor:
    shape = _infer_shape(_shape_args(shape), self.numel(), "reshape")
    stride = _view_strides(self._shape, self._stride, shape)
    if stride is not None:
        return self._view(shape, stride)
    return self.contiguous()._view(shape, contiguous_strides(shape))


@register()
def expand(self: Tensor, *sizes) -> Tensor:
    sizes = _shape_args(sizes)
    if len(sizes) < self.dim():
        raise RuntimeError(f"expand(torch.{self.type().split('.')[-1]}{{{list(self._shape)}}}, "
                           f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) "
                           f"must be greater or equal to the number of dimensions in the tensor "
                           f"({self.dim()})")
    lead = len(sizes) - self.dim()
    shape, stride = [], []
    for i, size in enumerate(sizes):
        if i < lead:
            if size < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({size}) isn't "
                                   "allowed in a leading, non-existing dimension " f"{i}")
            shape.append(size)
            stride.append(0)
            continue
        own = self._shape[i - lead]
        own_stride = self._stride[i - lead]
        if size == -1:
            size = own
        if own == size:
            shape.append(size)
            stride.append(own_stride)
        elif own == 1:
            shape.append(size)
            stride.append(0)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({size}) must match the "
                               f"existing size ({own}) at non-singleton dimension {i}.  "
                               f"Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(self._shape)}")
    return self._view(tuple(shape), tuple(stride))


@register()
def permute(self: Tensor, *dims) -> Tensor:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    ndim = self.dim()
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(dims)}")
    dims = [normalize_dim(d, ndim, "permute") for d in dims]
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return self._view(tuple(self._shape[d] for d in dims), tuple(self._stride[d] for d in dims))


@register()
def transpose(self: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = self.dim()
    if ndim == 0:
        normalize_dim(dim0, 0, "transpose")
        normalize_dim(dim1, 0, "transpose")
        return self._view((), ())
    dim0 = normalize_dim(dim0, ndim, "transpose")
    dim1 = normalize_dim(dim1, ndim, "transpose")
    order = list(range(ndim))
    order[dim0], order[dim1] = order[dim1], order[dim0]
    return self.permute(order)


@register()
def t(self: Tensor) -> Tensor:
    if self.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{self.dim()}D")
    return self.transpose(0, 1) if self.dim() == 2 else self._view(self._shape, self._stride)


@register()
def unsqueeze(self: Tensor, dim: int) -> Tensor:
    dim = normalize_dim(dim, self.dim() + 1, "unsqueeze")
    shape = list(self._shape)
    stride = list(self._stride)
    new_stride = shape[dim] * stride[dim] if dim < self.dim() else 1
    shape.insert(dim, 1)
    stride.insert(dim, new_stride)
    return self._view(tuple(shape), tuple(stride))


@register()
def squeeze(self: Tensor, dim=None) -> Tensor:
    ndim = self.dim()
    if dim is None:
        dims = {d for d, s in enumerate(self._shape) if s == 1}
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {d for d in (normalize_dim(d, ndim, "squeeze") for d in dims)
                if ndim and self._shape[d] == 1}
    keep = [d for d in range(ndim) if d not in dims]
    return self._view(tuple(self._shape[d] for d in keep), tuple(self._stride[d] for d in keep))

