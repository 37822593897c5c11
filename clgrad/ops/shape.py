"""Views and shape operations: they change (shape, strides, offset), never the data.

Every result shares its base's storage and version counter (`Tensor._view`).
"""
from __future__ import annotations

import builtins
import math
import numbers
import warnings

from .._strides import broadcast_shapes as _broadcast, contiguous_strides, normalize_dim, numel
from .._tensor import Size, Tensor, register

__all__ = ["reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
           "swapaxes", "swapdims", "t", "movedim", "moveaxis", "broadcast_to",
           "broadcast_tensors", "broadcast_shapes", "narrow", "select", "unbind", "split",
           "chunk", "tensor_split", "as_strided", "diagonal"]


def _infer_shape(shape: tuple, count: int, op: str) -> tuple:
    """Resolve one -1 in a requested shape; RuntimeError when it cannot hold `count`."""
    shape = list(shape)
    unknown = None
    for i, s in enumerate(shape):
        if s == -1:
            if unknown is not None:
                raise RuntimeError("only one dimension can be inferred")
            unknown = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {shape}")
    known = numel([s for s in shape if s != -1])
    if unknown is not None:
        if known == 0:
            if count == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {shape} "
                                   "because the unspecified dimension size -1 can be any value "
                                   "and is ambiguous")
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {count}")
        if count % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {count}")
        shape[unknown] = count // known
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
    return tuple(operator_index(s) for s in shape)


def operator_index(value) -> int:
    """An int from an int-like (numpy ints, 1-element integer tensors); TypeError otherwise."""
    if isinstance(value, builtins.bool):
        return builtins.int(value)
    if isinstance(value, numbers.Integral):
        return builtins.int(value)
    if isinstance(value, Tensor):
        return value.__index__()
    raise TypeError(f"expected an int, got {type(value).__name__}")


def _dims_arg(dims) -> tuple:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return dims


# -- view / reshape ---------------------------------------------------------------------------
@register()
def view(self: Tensor, *shape) -> Tensor:
    """A view with a new shape (one dim may be -1); RuntimeError when strides forbid it."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral, Tensor)):
        raise TypeError("view(dtype) is not supported by clgrad; use .to(dtype) to convert")
    shape = _infer_shape(_shape_args(shape), self.numel(), "view")
    stride = _view_strides(self._shape, self._stride, shape)
    if stride is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride "
                           "(at least one dimension spans across two contiguous subspaces). "
                           "Use .reshape(...) instead.")
    return self._view(shape, stride)


@register()
def view_as(self: Tensor, other: Tensor) -> Tensor:
    return self.view(other._shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """A view with the new shape when strides allow, else a contiguous copy."""
    shape = _infer_shape(_shape_args(shape), input.numel(), "reshape")
    stride = _view_strides(input._shape, input._stride, shape)
    if stride is not None:
        return input._view(shape, stride)
    return input.contiguous()._view(shape, contiguous_strides(shape))


register("reshape")(reshape)


@register()
def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, other._shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    ndim = input.dim()
    start = normalize_dim(start_dim, ndim)
    end = normalize_dim(end_dim, ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if ndim == 0:
        return reshape(input, (1,))
    if start == end:
        return input._view(input._shape, input._stride)
    shape = input._shape[:start] + (numel(input._shape[start:end + 1]),) + input._shape[end + 1:]
    return reshape(input, shape)


register("flatten")(flatten)


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    dim = normalize_dim(dim, input.dim())
    sizes = tuple(operator_index(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    own = input._shape[dim]
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = numel([s for s in sizes if s != -1])
    if (-1 in sizes and (known == 0 or own % known)) or (-1 not in sizes and known != own):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({own}) in the input tensor")
    sizes = tuple(own // known if s == -1 else s for s in sizes)
    return input.view(input._shape[:dim] + sizes + input._shape[dim + 1:])


register("unflatten")(unflatten)


# -- adding, removing and reordering dims ------------------------------------------------------
def squeeze(input: Tensor, dim=None) -> Tensor:
    ndim = input.dim()
    if dim is None:
        dims = {d for d, s in enumerate(input._shape) if s == 1}
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {d for d in (normalize_dim(d, ndim) for d in dims)
                if ndim and input._shape[d] == 1}
    keep = [d for d in range(ndim) if d not in dims]
    return input._view(tuple(input._shape[d] for d in keep),
                       tuple(input._stride[d] for d in keep))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    dim = normalize_dim(dim, input.dim() + 1)
    shape = list(input._shape)
    stride = list(input._stride)
    new_stride = shape[dim] * stride[dim] if dim < input.dim() else 1
    shape.insert(dim, 1)
    stride.insert(dim, new_stride)
    return input._view(tuple(shape), tuple(stride))


def permute(input: Tensor, *dims) -> Tensor:
    dims = _dims_arg(dims)
    ndim = input.dim()
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(dims)}")
    dims = [normalize_dim(d, ndim) for d in dims]
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return input._view(tuple(input._shape[d] for d in dims),
                       tuple(input._stride[d] for d in dims))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = input.dim()
    dim0 = normalize_dim(dim0, ndim)
    dim1 = normalize_dim(dim1, ndim)
    if ndim == 0:
        return input._view((), ())
    order = list(range(ndim))
    order[dim0], order[dim1] = order[dim1], order[dim0]
    return permute(input, order)


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    if input.dim() == 2:
        return transpose(input, 0, 1)
    return input._view(input._shape, input._stride)


def _T(self: Tensor) -> Tensor:
    ndim = self.dim()
    if ndim != 2 and ndim != 0:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or "
                      "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                      "dimensions of a tensor.", UserWarning, stacklevel=2)
    return permute(self, tuple(range(ndim - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.dim()}-D tensor.")
    return transpose(self, -2, -1)


def _H(self: Tensor) -> Tensor:
    if self.dim() not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.dim()}-D tensor.")
    return t(self)  # real dtypes only: the conjugate transpose is the transpose


def _mH(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self.dim()}-D tensor.")
    return transpose(self, -2, -1)


Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_H)
Tensor.mH = property(_mH)


def _dim_list(dims, ndim: int) -> list:
    dims = [dims] if isinstance(dims, numbers.Integral) else list(dims)
    return [normalize_dim(d, ndim) for d in dims]


def movedim(input: Tensor, source, destination) -> Tensor:
    ndim = input.dim()
    src_list = [source] if isinstance(source, numbers.Integral) else list(source)
    dst_list = [destination] if isinstance(destination, numbers.Integral) else list(destination)
    if len(src_list) != len(dst_list):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                           f"({src_list} dims) should contain the same number of dims as "
                           f"destination ({dst_list} dims)")
    src = _dim_list(src_list, ndim)
    dst = _dim_list(dst_list, ndim)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src_list})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst_list})")
    order = [-1] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    order = [next(rest) if o == -1 else o for o in order]
    return permute(input, order)


moveaxis = movedim

for _name, _fn in (("squeeze", squeeze), ("unsqueeze", unsqueeze), ("permute", permute),
                   ("transpose", transpose), ("swapaxes", swapaxes), ("swapdims", swapdims),
                   ("t", t), ("movedim", movedim), ("moveaxis", moveaxis)):
    register(_name)(_fn)


# -- broadcasting --------------------------------------------------------------------------------
@register()
def expand(self: Tensor, *sizes) -> Tensor:
    """A view repeating size-1 dims (stride 0) to `sizes`; -1 keeps a dim."""
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
                                   f"allowed in a leading, non-existing dimension {i}")
            shape.append(size)
            stride.append(0)
            continue
        own = self._shape[i - lead]
        if size == -1:
            size = own
        if own == size:
            shape.append(size)
            stride.append(self._stride[i - lead])
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
def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return self.expand(other._shape)


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of `shapes` broadcast to (ints count as 1-D shapes)."""
    norm = []
    for s in shapes:
        s = (s,) if isinstance(s, numbers.Integral) else tuple(s)
        if any(d < 0 for d in s):
            raise ValueError("Attempting to broadcast a dimension with negative length!")
        norm.append(s)
    return Size(_broadcast(*norm))


def broadcast_to(input: Tensor, size) -> Tensor:
    return input.expand(tuple(size))


register("broadcast_to")(broadcast_to)


def broadcast_tensors(*tensors) -> tuple:
    tensors = _dims_arg(tensors)
    shape = _broadcast(*(x._shape for x in tensors))
    return tuple(x.expand(shape) for x in tensors)


# -- slicing views -------------------------------------------------------------------------------
def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    if input.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = normalize_dim(dim, input.dim())
    size = input._shape[dim]
    start = operator_index(start)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    shape = input._shape[:dim] + (length,) + input._shape[dim + 1:]
    return input._view(shape, input._stride, input._offset + start * input._stride[dim])


def select(input: Tensor, dim: int, index: int) -> Tensor:
    if input.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = normalize_dim(dim, input.dim())
    size = input._shape[dim]
    index = operator_index(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input._shape)} at dimension {dim}")
    index %= size
    return input._view(input._shape[:dim] + input._shape[dim + 1:],
                       input._stride[:dim] + input._stride[dim + 1:],
                       input._offset + index * input._stride[dim])


def unbind(input: Tensor, dim: int = 0) -> tuple:
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = normalize_dim(dim, input.dim())
    return tuple(select(input, dim, i) for i in range(input._shape[dim]))


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of `split_size` along dim (the last may be smaller), or of the given sizes."""
    if tensor.dim() == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = normalize_dim(dim, tensor.dim())
    size = tensor._shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [operator_index(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or builtins.sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={sizes}")
    else:
        step = operator_index(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={step}")
        if step == 0:
            if size != 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {size}")
            return (narrow(tensor, dim, 0, 0),)
        sizes = [min(step, size - s) for s in range(0, size, step)] or [0]
    pieces, start = [], 0
    for s in sizes:
        pieces.append(narrow(tensor, dim, start, s))
        start += s
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    if input.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = normalize_dim(dim, input.dim())
    size = input._shape[dim]
    step = -(-size // chunks)
    if step == 0:  # an empty dim still gives `chunks` empty pieces
        return tuple(narrow(input, dim, 0, 0) for _ in range(chunks))
    return split(input, step, dim)


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    dim = normalize_dim(dim, input.dim())
    size = input._shape[dim]
    if isinstance(indices_or_sections, (list, tuple)):
        bounds = [operator_index(i) for i in indices_or_sections]
        pieces, prev = [], 0
        for b in bounds + [size]:
            b = b + size if b < 0 else b
            b = builtins.max(builtins.min(b, size), 0)
            start = builtins.min(prev, size)
            pieces.append(narrow(input, dim, start, builtins.max(b - start, 0)))
            prev = b
        return tuple(pieces)
    sections = operator_index(indices_or_sections)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    base, extra = divmod(size, sections)
    pieces, start = [], 0
    for i in range(sections):
        n = base + (1 if i < extra else 0)
        pieces.append(narrow(input, dim, start, n))
        start += n
    return tuple(pieces)


def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    size = tuple(operator_index(s) for s in size)
    stride = tuple(operator_index(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    offset = input._offset if storage_offset is None else operator_index(storage_offset)
    if numel(size) and offset + builtins.sum((n - 1) * s for n, s in zip(size, stride)) >= \
            input._storage.numel:
        itemsize = input.itemsize
        need = (offset + 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))) * itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {itemsize} requiring a storage size "
                           f"of {need} are out of bounds for storage of size "
                           f"{input._storage.numel * itemsize}")
    return input._view(size, stride, offset)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of dims (dim1, dim2), appended as the last dim."""
    ndim = input.dim()
    d1 = normalize_dim(dim1, ndim)
    d2 = normalize_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n1, n2 = input._shape[d1], input._shape[d2]
    start = input._offset
    if offset >= 0:
        length = builtins.max(builtins.min(n1, n2 - offset), 0)
        if length:
            start += offset * input._stride[d2]
    else:
        length = builtins.max(builtins.min(n1 + offset, n2), 0)
        if length:
            start -= offset * input._stride[d1]
    keep = [d for d in range(ndim) if d not in (d1, d2)]
    shape = tuple(input._shape[d] for d in keep) + (length,)
    stride = tuple(input._stride[d] for d in keep) + (input._stride[d1] + input._stride[d2],)
    return input._view(shape, stride, start)


for _name, _fn in (("narrow", narrow), ("select", select), ("unbind", unbind),
                   ("split", split), ("chunk", chunk), ("tensor_split", tensor_split),
                   ("as_strided", as_strided), ("diagonal", diagonal)):
    register(_name)(_fn)


# -- resizing (for out= arguments) -------------------------------------------------------------
@register()
def resize_(self: Tensor, *sizes, memory_format=None) -> Tensor:
    """Give self a new contiguous shape, growing its storage (keeping the data) if needed."""
    shape = _shape_args(sizes)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{builtins.min(shape)}: {list(shape)}")
    need = self._offset + numel(shape)
    storage = self._storage
    if numel(shape) and need > storage.numel:
        backend = storage.backend
        data = backend.empty(need, storage.dtype)
        _copy_storage(backend, data, storage.data, storage.numel * storage.dtype.itemsize)
        release = getattr(backend, "release", None)
        if release is not None:
            release(storage.nbytes)
        storage.data, storage.numel = data, need
    self._shape = shape
    self._stride = contiguous_strides(shape)
    self._contig = True
    return self


def _copy_storage(backend, dst, src, nbytes: int) -> None:
    if not nbytes:
        return
    if backend.name == "cpu":
        dst.view("u1")[:nbytes] = src.view("u1")[:nbytes]
    else:
        from ..backends.cl.runtime import cl
        cl.enqueue_copy(backend.queue, dst, src, byte_count=nbytes)
