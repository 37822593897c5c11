"""Joining and reordering: cat, stack, flip, roll, repeat, tril/triu, diag.

Each result is a new tensor written by strided copies of views (`copy_into`), so one code
path serves every backend; flip copies from a view with negative strides, which never leaves
this module. tril/triu use the index-aware `tri` kernel of the creation family.
"""
from __future__ import annotations

import numbers

from .. import _dtype as dt
from .._strides import contiguous_strides, normalize_dim
from .._tensor import Tensor, register
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..autograd.graph import needs_grad, record
from ..autograd.inplace import check_inplace, record_inplace
from .copy import copy_into
from ..autograd.inplace import check_multi_view
from .shape import _embed, _narrowed, diagonal, narrow

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
           "atleast_1d", "atleast_2d", "atleast_3d", "flip", "fliplr", "flipud", "roll",
           "tile", "tril", "triu", "diag", "diag_embed"]


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return tensors


def _check_out(op: str, out, inputs) -> None:
    """PyTorch refuses out= when autograd would have to record the op."""
    if out is not None and is_grad_enabled() and (
            needs_grad(*inputs) or out._requires_grad):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")


def _check_devices(tensors: list) -> None:
    first = tensors[0].device
    for t in tensors[1:]:
        if t.device != first:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {first} and {t.device}!")


def cat(tensors, dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenate along an existing dim; dtypes promote as torch.cat does.

    1-D empty tensors are skipped (PyTorch's legacy rule), whatever the others' shapes.
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    _check_out("cat", out, tensors)
    result, dim = _cat(tensors, dim, out)
    if needs_grad(*tensors):
        pieces = []
        start = 0
        for t in tensors:
            if t._shape == (0,) and result.dim() != 1:
                pieces.append(None)  # skipped by the legacy rule: an empty gradient
                continue
            pieces.append((start, t._shape[dim]))
            start += t._shape[dim]

        def rule(grad):
            from .creation import zeros
            return tuple(zeros((0,), dtype=grad.dtype, device=grad.device) if p is None else
                         narrow(grad, dim, p[0], p[1]) for p in pieces)
        record("CatBackward0", result, tensors, rule)
    return result


def _cat(tensors: list, dim: int, out) -> tuple:
    """The concatenation (without autograd) and the normalized dim."""
    for i, t in enumerate(tensors):
        if t.dim() == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    _check_devices(tensors)
    result_dtype = tensors[0].dtype
    for t in tensors[1:]:
        result_dtype = dt.promote_types(result_dtype, t.dtype)
    used = [(i, t) for i, t in enumerate(tensors) if t._shape != (0,)]
    ref = used[0][1] if used else tensors[0]
    dim = normalize_dim(dim, ref.dim())
    total = 0
    for i, t in used:
        if t.dim() != ref.dim():
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.dim()} "
                               f"and {t.dim()}")
        for d in range(ref.dim()):
            if d != dim and t._shape[d] != ref._shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {ref._shape[d]} but got size {t._shape[d]} "
                                   f"for tensor number {i} in the list.")
        total += t._shape[dim]
    shape = ref._shape[:dim] + (total,) + ref._shape[dim + 1:]
    if out is None:
        out = Tensor._empty(shape, result_dtype, ref.device)
    else:
        if not dt.can_cast(result_dtype, out.dtype):
            raise TypeError(f"torch.cat(): input types can't be cast to the desired output "
                            f"type {_legacy_name(out.dtype)}")
        if out.device != ref.device:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {ref.device} and {out.device}!")
        if out._shape != shape:
            out.resize_(shape)
        out._version[0] += 1
    start = 0
    for _, t in used:
        size = t._shape[dim]
        if size:
            copy_into(_narrowed(out, dim, start, size), t)
        start += size
    return out, dim


def _legacy_name(dtype) -> str:
    from .._typenames import scalar_name
    return scalar_name(dtype)


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenate along a new dim; every tensor must have the same shape."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t._shape != ref._shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(ref._shape)} at entry 0 and {list(t._shape)} at entry "
                               f"{i}")
    dim = normalize_dim(dim, ref.dim() + 1)
    _check_out("stack", out, tensors)
    shape = ref._shape[:dim] + (1,) + ref._shape[dim:]
    # Plain (unrecorded) unsqueezed views: the whole op is one StackBackward0 node.
    lifted = [t._view(shape, t._stride[:dim] + (1,) + t._stride[dim:]) for t in tensors]
    result, _ = _cat(lifted, dim, out)
    if needs_grad(*tensors):
        record("StackBackward0", result, tensors,
               lambda grad: tuple(grad.select(dim, i) for i in range(len(tensors))))
    return result


def atleast_1d(*tensors):
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) \
        else tensors
    result = tuple(t.reshape(1) if t.dim() == 0 else t for t in tensors)
    return result[0] if len(result) == 1 else result


def atleast_2d(*tensors):
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) \
        else tensors
    result = tuple(t.reshape(1, 1) if t.dim() == 0 else t.unsqueeze(0) if t.dim() == 1 else t
                   for t in tensors)
    return result[0] if len(result) == 1 else result


def atleast_3d(*tensors):
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) \
        else tensors

    def lift(t):
        if t.dim() == 0:
            return t.reshape(1, 1, 1)
        if t.dim() == 1:
            return t.unsqueeze(0).unsqueeze(-1)
        if t.dim() == 2:
            return t.unsqueeze(-1)
        return t
    result = tuple(lift(t) for t in tensors)
    return result[0] if len(result) == 1 else result


def _stack_family(tensors, op: str, lift, dim_of, out) -> Tensor:
    tensors = _tensor_list(tensors, op)
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    lifted = [lift(t) for t in tensors]
    return cat(lifted, dim_of(lifted), out=out)


def hstack(tensors, *, out: Tensor | None = None) -> Tensor:
    return _stack_family(tensors, "hstack", atleast_1d,
                         lambda ts: 0 if ts[0].dim() == 1 else 1, out)


def vstack(tensors, *, out: Tensor | None = None) -> Tensor:
    return _stack_family(tensors, "vstack", atleast_2d, lambda ts: 0, out)


def dstack(tensors, *, out: Tensor | None = None) -> Tensor:
    return _stack_family(tensors, "dstack", atleast_3d, lambda ts: 2, out)


# -- reordering ---------------------------------------------------------------------------------
def _unique_dims(dims, ndim: int) -> list:
    dims = [dims] if isinstance(dims, numbers.Integral) else list(dims)
    result = []
    for d in dims:
        d = normalize_dim(d, ndim)
        if d in result:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        result.append(d)
    return result


def _new_like(t: Tensor) -> Tensor:
    return Tensor._empty(t._shape, t.dtype, t.device)


def flip(input: Tensor, *dims) -> Tensor:
    """A copy with the order of elements reversed along `dims`."""
    dims = _unique_dims(dims[0] if len(dims) == 1 else dims, input.dim())
    out = _new_like(input)
    if needs_grad(input):
        record("FlipBackward0", out, (input,), lambda grad: (grad.flip(dims),))
    if input.numel() == 0:
        return out
    stride = list(input._stride)
    offset = input._offset
    for d in dims:
        offset += (input._shape[d] - 1) * stride[d]
        stride[d] = -stride[d]
    # Internal only: a negative-stride view read once by the strided copy.
    copy_into(out, input._view(input._shape, tuple(stride), offset))
    return out


def fliplr(input: Tensor) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, [1])


def flipud(input: Tensor) -> Tensor:
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, [0])


def _roll_dim(src: Tensor, shift: int, dim: int) -> Tensor:
    out = _new_like(src)
    n = src._shape[dim]
    if out.numel() == 0:
        return out
    s = shift % n
    if s == 0:
        copy_into(out, src)
        return out
    copy_into(_narrowed(out, dim, s, n - s), _narrowed(src, dim, 0, n - s))
    copy_into(_narrowed(out, dim, 0, s), _narrowed(src, dim, n - s, s))
    return out


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Rotate elements along dims (with dims=None, over the flattened tensor)."""
    shifts = [shifts] if isinstance(shifts, numbers.Integral) else [int(s) for s in shifts]
    if not needs_grad(input):
        return _roll(input, shifts, dims)
    with no_grad():
        out = _roll(input, shifts, dims)
    back = [-s for s in shifts]
    record("RollBackward0", out, (input,), lambda grad: (grad.roll(back, dims),))
    return out


def _roll(input: Tensor, shifts: list, dims) -> Tensor:
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        flat = input.reshape(-1)
        result = _roll_dim(flat, shifts[0], 0)
        out = result._view(input._shape, contiguous_strides(input._shape), 0)
        out._base = None  # a new tensor, not a view
        return out
    dims = [dims] if isinstance(dims, numbers.Integral) else list(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = [normalize_dim(d, input.dim()) for d in dims]
    result = input
    for shift, d in zip(shifts, dims):
        result = _roll_dim(result, shift, d)
    if result is input:
        result = input.clone()
    return result


@register()
def repeat(self: Tensor, *sizes) -> Tensor:
    """Tile self `sizes[i]` times along each dim (leading sizes add dims)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < self.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(sizes)}: {list(sizes)}")
    own = (1,) * (len(sizes) - self.dim()) + self._shape
    shape = tuple(r * s for r, s in zip(sizes, own))
    out = Tensor._empty(shape, self.dtype, self.device)
    if needs_grad(self):
        record("RepeatBackward0", out, (self,), _repeat_rule(self._shape, sizes))
    if out.numel() == 0:
        return out
    # View out as (r0, s0, r1, s1, ...) and copy self expanded over the r dims: one launch.
    out_stride = contiguous_strides(shape)
    split_shape, split_stride = [], []
    for r, s, st in zip(sizes, own, out_stride):
        split_shape += [r, s]
        split_stride += [s * st, st]
    src = self.detach().reshape(own)
    src_shape = []
    for r, s in zip(sizes, own):
        src_shape += [1, s]
    src = src.view(src_shape).expand(split_shape)
    copy_into(out._view(tuple(split_shape), tuple(split_stride), 0), src)
    return out


def _repeat_rule(shape: tuple, sizes: tuple):
    """RepeatBackward0: view the gradient as (r0, s0, r1, s1, ...) and sum the r dims."""
    own = (1,) * (len(sizes) - len(shape)) + shape
    split = []
    for r, s in zip(sizes, own):
        split += [r, s]
    repeat_dims = list(range(0, len(split), 2))
    return lambda grad: (grad.reshape(split).sum(repeat_dims).reshape(shape),)


def tile(input: Tensor, dims) -> Tensor:
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return repeat(input, dims)


# -- triangles and diagonals --------------------------------------------------------------------
def _tri(input: Tensor, diagonal_: int, upper: bool, out, op: str) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    if out is None and needs_grad(input):
        with no_grad():
            result = _tri(input, diagonal_, upper, None, op)
        record("TriuBackward0" if upper else "TrilBackward0", result, (input,),
               lambda grad: ((triu if upper else tril)(grad, diagonal_),))
        return result
    src = input.contiguous()
    target = out if out is not None and out.is_contiguous() else _new_like(input)
    if out is not None:
        if out._shape != input._shape:
            out.resize_(input._shape)
            target = out
        out._version[0] += 1
    target._storage.backend.tri(target, src, int(diagonal_), upper)
    if out is not None and target is not out:
        copy_into(out, target)
        return out
    return target


def tril(input: Tensor, diagonal: int = 0, *, out: Tensor | None = None) -> Tensor:
    """The lower triangle of the last two dims (elements with col - row <= diagonal)."""
    _check_out("tril", out, (input,))
    return _tri(input, diagonal, False, out, "tril")


def triu(input: Tensor, diagonal: int = 0, *, out: Tensor | None = None) -> Tensor:
    """The upper triangle of the last two dims (elements with col - row >= diagonal)."""
    _check_out("triu", out, (input,))
    return _tri(input, diagonal, True, out, "triu")


def diag(input: Tensor, diagonal: int = 0, *, out: Tensor | None = None) -> Tensor:
    """1-D input: a square matrix with it on a diagonal; 2-D input: that diagonal, copied."""
    from .creation import zeros
    _check_out("diag", out, (input,))
    if input.dim() == 1:
        n = input._shape[0] + abs(diagonal)
        result = zeros((n, n), dtype=input.dtype, device=input.device)
        copy_into(_diag_view(result, diagonal), input)
        if needs_grad(input):
            record("DiagEmbedBackward0", result, (input,),
                   lambda grad: (_diag_view(grad, diagonal),))
    elif input.dim() == 2:
        result = Tensor._empty(_diag_view(input, diagonal)._shape, input.dtype, input.device)
        copy_into(result, _diag_view(input.detach(), diagonal))
        if needs_grad(input):
            shape = input._shape
            # PyTorch computes it with diagonal_copy, hence the node's name.
            record("DiagonalBackward0_copy", result, (input,), lambda grad: (_embed(
                grad, shape, lambda t: _diag_view(t, diagonal), "DiagonalBackwardBackward0"),))
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")
    if out is None:
        return result
    out.resize_(result._shape)
    return out.copy_(result)


def _diag_view(t: Tensor, offset: int) -> Tensor:
    return diagonal(t, offset, 0, 1)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Tensors whose diagonals (in dims dim1, dim2) are filled by input's last dim."""
    from .creation import zeros
    ndim = input.dim() + 1
    d1 = normalize_dim(dim1, ndim)
    d2 = normalize_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (input._shape[-1] if input.dim() else 1) + abs(offset)
    rest = list(input._shape[:-1])
    shape = []
    for d in range(ndim):
        shape.append(n if d in (d1, d2) else rest.pop(0))
    result = zeros(shape, dtype=input.dtype, device=input.device)
    source = input.detach()
    copy_into(diagonal(result, offset, d1, d2), source if source.dim() else source.reshape(1))
    if needs_grad(input):
        flat = input.dim() == 0

        def rule(grad):
            diag_grad = diagonal(grad, offset, d1, d2)
            return (diag_grad.reshape(()) if flat else diag_grad,)
        record("DiagEmbedBackward0", result, (input,), rule)
    return result


def _inplace_tri(upper: bool, op: str):
    def method(self: Tensor, diagonal: int = 0) -> Tensor:
        track = needs_grad(self)
        if track or self._base is not None:
            check_inplace(self)
        if not track:
            return _tri(self, diagonal, upper, self, op)
        check_multi_view(self)
        _tri(self, diagonal, upper, self, op)
        record_inplace("TriuBackward0" if upper else "TrilBackward0", self, (self,),
                       lambda grad: ((triu if upper else tril)(grad, diagonal),))
        return self
    method.__name__ = op + "_"
    return method


for _name, _fn in (("flip", flip), ("fliplr", fliplr), ("flipud", flipud), ("roll", roll),
                   ("tile", tile), ("tril", tril), ("triu", triu), ("diag", diag),
                   ("diag_embed", diag_embed)):
    register(_name)(_fn)
register("tril_")(_inplace_tri(False, "tril"))
register("triu_")(_inplace_tri(True, "triu"))
