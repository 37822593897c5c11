"""Views and shape operations: they change (shape, strides, offset), never the data.

Every result shares its base's storage and version counter (`Tensor._view`). Under grad mode
each records its PyTorch node (ViewBackward0, SelectBackward0, ...); the gradient of a view
that selects elements is scattered into zeros by `_embed`, whose own backward is the view op
again (PyTorch's SelectBackwardBackward0 and friends), so double backward works.
"""
from __future__ import annotations

import builtins
import numbers
import warnings

from .._strides import broadcast_shapes as _broadcast, contiguous_strides, normalize_dim, numel
from .._tensor import Size, Tensor, register
from ..autograd.grad_mode import no_grad
from ..autograd.graph import needs_grad, record

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
    if numel(old_shape) == 0 or not old_shape:
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


# -- autograd for views ---------------------------------------------------------------------------
def record_view(name: str, out: Tensor, input: Tensor, rule, extra: tuple = ()) -> Tensor:
    """Record view op `name` (call when needs_grad(input)); views of the outputs of
    multi-output view ops (split, unbind, chunk) inherit their in-place restriction."""
    record(name, out, (input,) + extra, rule)
    if input.__dict__.get("_multi_view"):
        out._multi_view = True
    return out


def _embed(grad: Tensor, shape: tuple, region, name: str) -> Tensor:
    """zeros(shape) with region(result) = grad: the gradient of the view op `region`.

    Its own gradient is region(grad_of_result), recorded as `name` (e.g.
    SelectBackwardBackward0) when grad requires grad (create_graph).
    """
    from .creation import zeros
    from .copy import copy_into
    out = zeros(shape, dtype=grad.dtype, device=grad.device)
    if grad.numel():
        copy_into(region(out), grad)
    if needs_grad(grad):
        record(name, out, (grad,), lambda gg: (region(gg),))
    return out


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
    out = self._view(shape, stride)
    if needs_grad(self):
        record_view("ViewBackward0", out, self, _reshape_rule(self._shape))
    return out


def _reshape_rule(shape: tuple):
    return lambda grad: (grad.reshape(shape),)


@register()
def view_as(self: Tensor, other: Tensor) -> Tensor:
    return self.view(other._shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """A view with the new shape when strides allow, else a contiguous copy."""
    shape = _infer_shape(_shape_args(shape), input.numel(), "reshape")
    stride = _view_strides(input._shape, input._stride, shape)
    if stride is not None:
        out = input._view(shape, stride)
        if needs_grad(input):
            record_view("ViewBackward0", out, input, _reshape_rule(input._shape))
        return out
    copy = input.contiguous()
    # PyTorch's _unsafe_view: shares the copy's memory but is not a view of anything.
    out = copy._view(shape, contiguous_strides(shape))
    out._base = None
    if needs_grad(copy):
        record("UnsafeViewBackward0", out, (copy,), _reshape_rule(copy._shape))
    return out


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
        return input
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
    out = input._view(tuple(input._shape[d] for d in keep),
                      tuple(input._stride[d] for d in keep))
    if needs_grad(input):
        name = ("SqueezeBackward0" if dim is None else
                "SqueezeBackward2" if isinstance(dim, (tuple, list)) else "SqueezeBackward1")
        removed = sorted(dims)

        def rule(grad):
            for d in removed:
                grad = grad.unsqueeze(d)
            return (grad,)
        record_view(name, out, input, rule)
    return out


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    dim = normalize_dim(dim, input.dim() + 1)
    shape = list(input._shape)
    stride = list(input._stride)
    new_stride = shape[dim] * stride[dim] if dim < input.dim() else 1
    shape.insert(dim, 1)
    stride.insert(dim, new_stride)
    out = input._view(tuple(shape), tuple(stride))
    if needs_grad(input):
        record_view("UnsqueezeBackward0", out, input, lambda grad: (grad.squeeze(dim),))
    return out


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
    out = _permuted(input, dims)
    if needs_grad(input):
        inverse = [0] * ndim
        for i, d in enumerate(dims):
            inverse[d] = i
        record_view("PermuteBackward0", out, input, lambda grad: (grad.permute(inverse),))
    return out


def _permuted(input: Tensor, dims) -> Tensor:
    return input._view(tuple(input._shape[d] for d in dims),
                       tuple(input._stride[d] for d in dims))


def _swapped(input: Tensor, dim0: int, dim1: int) -> Tensor:
    order = list(range(input.dim()))
    order[dim0], order[dim1] = order[dim1], order[dim0]
    return _permuted(input, order)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = input.dim()
    dim0 = normalize_dim(dim0, ndim)
    dim1 = normalize_dim(dim1, ndim)
    out = input._view((), ()) if ndim == 0 else _swapped(input, dim0, dim1)
    if needs_grad(input):
        record_view("TransposeBackward0", out, input,
                    lambda grad: (grad.transpose(dim0, dim1),))
    return out


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    out = _swapped(input, 0, 1) if input.dim() == 2 else input._view(input._shape,
                                                                     input._stride)
    if needs_grad(input):
        record_view("TBackward0", out, input, lambda grad: (grad.t(),))
    return out


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
    # Real dtypes only: the conjugate transpose is the transpose.
    return self if self.dim() == 0 else transpose(self, 0, 1)


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
    out = self._view(tuple(shape), tuple(stride))
    if needs_grad(self):
        # The engine sums the gradient back over the broadcast dims.
        record_view("ExpandBackward0", out, self, lambda grad: (grad,))
    return out


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
    return tuple(x if x._shape == shape else x.expand(shape) for x in tensors)


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
    out = _narrowed(input, dim, start, length)
    if needs_grad(input):
        record_view("SliceBackward0", out, input, _slice_rule(input._shape, dim, start,
                                                              start + length, 1))
    return out


def _narrowed(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    shape = input._shape[:dim] + (length,) + input._shape[dim + 1:]
    return input._view(shape, input._stride, input._offset + start * input._stride[dim])


def strided_slice(input: Tensor, dim: int, start: int, length: int, step: int) -> Tensor:
    """input[..., start:start + length * step:step, ...] along dim (bounds already clamped),
    recorded as PyTorch's SliceBackward0."""
    shape = input._shape[:dim] + (length,) + input._shape[dim + 1:]
    stride = input._stride[:dim] + (input._stride[dim] * step,) + input._stride[dim + 1:]
    out = input._view(shape, stride, input._offset + start * input._stride[dim])
    if needs_grad(input):
        record_view("SliceBackward0", out, input, _slice_rule(
            input._shape, dim, start, start + length * step, step))
    return out


def _slice_rule(shape: tuple, dim: int, start: int, stop: int, step: int):
    def region(t):
        length = builtins.max(0, (builtins.min(stop, shape[dim]) - start + step - 1) // step)
        return strided_slice(t, dim, start, length, step)
    return lambda grad: (_embed(grad, shape, region, "SliceBackwardBackward0"),)


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
    out = _selected(input, dim, index)
    if needs_grad(input):
        shape = input._shape
        record_view("SelectBackward0", out, input, lambda grad: (_embed(
            grad, shape, lambda t: select(t, dim, index), "SelectBackwardBackward0"),))
    return out


def _selected(input: Tensor, dim: int, index: int) -> Tensor:
    return input._view(input._shape[:dim] + input._shape[dim + 1:],
                       input._stride[:dim] + input._stride[dim + 1:],
                       input._offset + index * input._stride[dim])


def _record_pieces(name: str, pieces: tuple, input: Tensor, rule) -> tuple:
    """One node for all the views a multi-output op returns (split, chunk, unbind)."""
    record(name, pieces, (input,), rule)
    for piece in pieces:
        piece._multi_view = True
    return pieces


def unbind(input: Tensor, dim: int = 0) -> tuple:
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = normalize_dim(dim, input.dim())
    pieces = tuple(_selected(input, dim, i) for i in range(input._shape[dim]))
    if needs_grad(input) and pieces:
        from .join import stack
        _record_pieces("UnbindBackward0", pieces, input, lambda *grads: (stack(grads, dim),))
    return pieces


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
        pieces.append(_narrowed(tensor, dim, start, s))
        start += s
    pieces = tuple(pieces)
    if needs_grad(tensor):
        from .join import cat
        name = ("SplitWithSizesBackward0" if isinstance(split_size_or_sections, (list, tuple))
                else "SplitBackward0")
        _record_pieces(name, pieces, tensor, lambda *grads: (cat(grads, dim),))
    return pieces


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    if input.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = normalize_dim(dim, input.dim())
    size = input._shape[dim]
    step = -(-size // chunks)
    if step == 0:  # an empty dim still gives `chunks` empty pieces
        pieces = tuple(_narrowed(input, dim, 0, 0) for _ in range(chunks))
        if needs_grad(input):
            shape = input._shape
            _record_pieces("SplitBackward0", pieces, input,
                           lambda *grads: (grads[0].new_zeros(shape),))
        return pieces
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
        raise RuntimeError("mismatch in length of strides and shape")
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
    out = input._view(size, stride, offset)
    if needs_grad(input):
        source = (input._shape, input._stride, input._offset)
        target = (size, stride, offset)
        record_view("AsStridedBackward0", out, input, lambda grad: (
            _restride(grad, target, source),))
    return out


def _extent(geometry) -> int:
    shape, stride, offset = geometry
    return offset + builtins.sum((n - 1) * s for n, s in zip(shape, stride))


def _overlaps(shape: tuple, stride: tuple) -> bool:
    """Whether two indices of this geometry can reach the same storage element."""
    span = 0
    for n, s in sorted(((n, s) for n, s in zip(shape, stride) if n > 1), key=lambda d: d[1]):
        if s <= span:
            return True
        span += (n - 1) * s
    return False


def _restride(grad: Tensor, src, dst) -> Tensor:
    """Gradient of an as_strided view: scatter `grad` (laid out as geometry src in storage,
    adding where src overlaps) and gather it back as geometry dst (dividing by how often dst
    reaches each element). Its own gradient is the same with the roles swapped."""
    from .creation import zeros
    from .copy import copy_into
    dst_shape = dst[0]
    if not grad.numel() or not numel(dst_shape):
        out = zeros(dst_shape, dtype=grad.dtype, device=grad.device)
    else:
        with no_grad():
            low = builtins.min(src[2], dst[2])
            buf = zeros(builtins.max(_extent(src), _extent(dst)) - low + 1, dtype=grad.dtype,
                        device=grad.device)
            _scatter_add(buf, grad, src[0], src[1], src[2] - low)
            out = Tensor._empty(dst_shape, grad.dtype, grad.device)
            copy_into(out, buf._view(dst_shape, dst[1], dst[2] - low))
            if _overlaps(dst[0], dst[1]):
                count = zeros(buf._shape, dtype=grad.dtype, device=grad.device)
                _scatter_add(count, count.new_ones(dst_shape), dst[0], dst[1], dst[2] - low)
                out = out / count._view(dst_shape, dst[1], dst[2] - low)
    if needs_grad(grad):
        record("AsStridedScatterBackward0", out, (grad,), lambda gg: (_restride(gg, dst, src),))
    return out


def _scatter_add(buf: Tensor, values: Tensor, shape: tuple, stride: tuple, offset: int) -> None:
    """buf viewed as (shape, stride, offset) += values, where several indices may meet."""
    from .copy import copy_into
    if not _overlaps(shape, stride):
        region = buf._view(shape, stride, offset)
        copy_into(region, region + values)
        return
    # Dims reaching one element many times (stride 0) sum at once; others go slice by slice.
    zero = [d for d, (n, s) in enumerate(zip(shape, stride)) if n > 1 and s == 0]
    if zero:
        values = values.sum(zero, keepdim=True)
        shape = tuple(1 if d in zero else n for d, n in enumerate(shape))
        _scatter_add(buf, values, shape, stride, offset)
        return
    d = builtins.max((d for d, n in enumerate(shape) if n > 1), key=lambda d: stride[d])
    for i in range(shape[d]):
        _scatter_add(buf, _selected(values, d, i), shape[:d] + shape[d + 1:],
                     stride[:d] + stride[d + 1:], offset + i * stride[d])


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
    out = input._view(shape, stride, start)
    if needs_grad(input):
        in_shape = input._shape
        record_view("DiagonalBackward0", out, input, lambda grad: (_embed(
            grad, in_shape, lambda t: diagonal(t, offset, d1, d2),
            "DiagonalBackwardBackward0"),))
    return out


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
        nbytes = storage.numel * storage.dtype.itemsize
        if nbytes:
            backend.copy_bytes(data, storage.data, nbytes)
        backend.release(storage.nbytes)
        storage.data, storage.numel = data, need
    self._shape = shape
    self._stride = contiguous_strides(shape)
    self._contig = True
    return self


@register("unfold")
def tensor_unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Tensor.unfold: a view of every ``size``-long window along ``dimension`` taken each
    ``step`` elements, the windows in that dimension and their elements in a new last one."""
    dim = normalize_dim(dimension, builtins.max(self.dim(), 1))
    length = self._shape[dim] if self.dim() else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size "
                           f"is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if not self.dim():
        return self.reshape(1)[:size]  # a 0-dim tensor's one window, as PyTorch gives it
    windows = (length - size) // step + 1
    shape, stride = list(self._shape), list(self._stride)
    inner = stride[dim]
    shape[dim], stride[dim] = windows, inner * step
    out = self._view(tuple(shape) + (size,), tuple(stride) + (inner,), self._offset)
    if needs_grad(self):
        def rule(grad):
            # Windows may overlap: add each element's gradient from every window holding it.
            from .creation import arange
            index = (arange(windows, device=grad.device).unsqueeze(1) * step
                     + arange(size, device=grad.device)).reshape(-1)
            moved = grad.movedim(dim, -2)
            flat = moved.reshape(moved.shape[:-2] + (windows * size,))
            total = flat.new_zeros(flat.shape[:-1] + (length,)).index_add(-1, index, flat)
            return (total.movedim(-1, dim),)
        record_view("UnfoldBackward0", out, self, rule)
    return out
