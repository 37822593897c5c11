"""Grids, index sets, structured matrices, distances and sorted-sequence search: meshgrid,
cartesian_prod, combinations, tril_indices, triu_indices, block_diag, vander, cdist,
searchsorted, bucketize, isin, unravel_index.

All are composed from Tensor ops (broadcast compares, stacks, indexing, matmul), so they run
on every device and record autograd where PyTorch does (meshgrid, cartesian_prod,
combinations, block_diag, vander, cdist are differentiable through their parts).
"""
from __future__ import annotations

import itertools
import warnings
from typing import Optional

from .. import _dtype as dt
from .._tensor import Tensor
from .join import cat, stack

__all__ = ["meshgrid", "cartesian_prod", "combinations", "tril_indices", "triu_indices",
           "block_diag", "vander", "cdist", "searchsorted", "bucketize", "isin",
           "unravel_index"]


def _tensors_arg(name: str, tensors) -> list:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def meshgrid(*tensors, indexing: Optional[str] = None) -> tuple:
    """Coordinate grids from 1-D tensors (PyTorch's default indexing is 'ij', with a
    warning when it is not given, as PyTorch warns)."""
    tensors = _tensors_arg("meshgrid", tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                         f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t.dim()}D tensor")
    first = tensors[0]
    for t in tensors[1:]:
        if t.dtype is not first.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if t.device != first.device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    vectors = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(vectors) >= 2
    if swap:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    shape = [v.shape[0] for v in vectors]
    grids = []
    for i, v in enumerate(vectors):
        view = [1] * len(vectors)
        view[i] = shape[i]
        grids.append(v.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """The Cartesian product of 1-D tensors, one row per combination."""
    tensors = _tensors_arg("cartesian_prod", tensors)
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """itertools.combinations of a 1-D tensor's elements, as rows."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if not rows:
        return input.new_empty((0, r))
    from .creation import tensor
    index = tensor(rows, dtype=dt.int64, device=input.device)
    return input[index]


def _triangle_indices(name: str, row: int, col: int, offset: int, lower: bool, *, dtype,
                      device) -> Tensor:
    from .creation import tensor
    dtype = dt.int64 if dtype is None else dtype
    if dtype not in (dt.int32, dt.int64):
        from .._typenames import scalar_name
        raise NotImplementedError(f"\"{name}\" not implemented for '{scalar_name(dtype)}'")
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    keep = (lambda i, j: j - i <= offset) if lower else (lambda i, j: j - i >= offset)
    pairs = [(i, j) for i in range(row) for j in range(col) if keep(i, j)]
    rows = [p[0] for p in pairs]
    cols = [p[1] for p in pairs]
    return tensor([rows, cols], dtype=dtype, device=device).reshape(2, len(pairs))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) indices of the lower triangle of a row x col matrix."""
    return _triangle_indices("tril_indices", row, col, offset, True, dtype=dtype, device=device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) indices of the upper triangle of a row x col matrix."""
    return _triangle_indices("triu_indices", row, col, offset, False, dtype=dtype,
                             device=device)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of 0-, 1- and 2-D tensors (1-D ones are rows)."""
    tensors = _tensors_arg("block_diag", tensors)
    if not tensors:
        from .creation import empty
        return empty(1, 0)
    blocks = []
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.dim()} dimensions")
        blocks.append(t.reshape(1, -1) if t.dim() < 2 else t)
    devices = {t.device for t in blocks}
    if len(devices) > 1:
        raise RuntimeError("torch.block_diag: input tensors must all be on the same device.")
    dtype = blocks[0].dtype
    for t in blocks[1:]:
        dtype = dt.promote_types(dtype, t.dtype)
    cols = sum(t.shape[1] for t in blocks)
    rows = []
    at = 0
    for t in blocks:
        left = t.new_zeros((t.shape[0], at), dtype=dtype)
        right = t.new_zeros((t.shape[0], cols - at - t.shape[1]), dtype=dtype)
        rows.append(cat([left, t.to(dtype), right], dim=1))
        at += t.shape[1]
    return cat(rows, dim=0)


def vander(x: Tensor, N: Optional[int] = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D tensor (powers decreasing unless ``increasing``)."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    from .creation import arange
    dtype = x.dtype if x.is_floating_point() else dt.int64
    if n == 0:
        return x.new_empty((x.shape[0], 0), dtype=dtype)
    powers = arange(n, device=x.device)
    if not increasing:
        powers = powers.flip(0)
    base = x.to(dtype).unsqueeze(1)
    # Repeated products (cumprod) keep integer results exact and give PyTorch's gradients.
    ones = base.new_ones((x.shape[0], 1))
    table = cat([ones, base.expand(x.shape[0], n - 1)], dim=1).cumprod(1) if n > 1 else ones
    return table if increasing else table.flip(1)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Pairwise p-norm distances between the rows of two (batched) point sets."""
    if x1.dim() < 2 or x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X{1 if x1.dim() < 2 else 2}"
                           f" got: {min(x1.dim(), x2.dim())}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if not x1.is_floating_point() or not x2.is_floating_point():
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:
        return (diff != 0).to(x1.dtype).sum(-1)
    if p == float("inf"):
        return diff.abs().amax(-1)
    if p == 2:
        return diff.pow(2).sum(-1).sqrt()
    if p == 1:
        return diff.abs().sum(-1)
    return diff.abs().pow(p).sum(-1).pow(1.0 / p)


def _search(name: str, boundaries: Tensor, values, right: bool, out_int32: bool) -> Tensor:
    from .creation import tensor as make
    if not isinstance(values, Tensor):
        values = make(values, device=boundaries.device)
    if boundaries.device != values.device:
        raise RuntimeError(f"{name}: boundaries and input value tensors should have the same "
                           f"device type, but got boundaries tensor device type "
                           f"{boundaries.device.type} and input value tensor device type "
                           f"{values.device.type}")
    if boundaries.dim() > 1:
        if boundaries.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(
                f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                f"N-1 dimensions of boundaries tensor and input value tensor must match, but "
                f"we got boundaries tensor {list(boundaries.shape)} and input value tensor "
                f"{list(values.shape)}")
        v = values.unsqueeze(-1)
        b = boundaries.unsqueeze(-2)
    else:
        v = values.unsqueeze(-1)
        b = boundaries
    below = (b <= v) if right else (b < v)
    return below.sum(-1, dtype=dt.int32 if out_int32 else dt.int64)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False,
                 right: bool = False, side: Optional[str] = None,
                 sorter: Optional[Tensor] = None) -> Tensor:
    """Indices where ``input`` would be inserted into ``sorted_sequence`` (its last dim) to
    keep it sorted."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    if sorter is not None:
        sorted_sequence = sorted_sequence.gather(-1, sorter)
    return _search("torch.searchsorted()", sorted_sequence, input, right, out_int32)


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket index of each value of ``input`` given 1-D sorted ``boundaries``."""
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.dim()})")
    return _search("torch.bucketize()", boundaries, input, right, out_int32)


def isin(elements, test_elements, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs in ``test_elements``."""
    from .creation import tensor as make
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: at least one of "
                        "elements and test_elements must be a Tensor")
    if not isinstance(elements, Tensor):
        elements = make(elements, device=test_elements.device)
    if not isinstance(test_elements, Tensor):
        test_elements = make(test_elements, device=elements.device)
    flat = test_elements.reshape(-1)
    if flat.numel() == 0:
        found = elements.new_zeros(elements.shape, dtype=dt.bool)
    else:
        found = (elements.unsqueeze(-1) == flat).any(-1)
    return found.logical_not() if invert else found


def unravel_index(indices, shape) -> tuple:
    """The coordinates of flat indices in a tensor of ``shape`` (tuple of tensors)."""
    from .creation import tensor as make
    if not isinstance(indices, Tensor):
        indices = make(indices)
    if indices.is_floating_point() or indices.dtype is dt.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got "
                         f"{tuple(shape)}")
    size = 1
    for s in shape:
        size *= s
    # PyTorch wraps every index modulo the size (negative ones too) rather than refusing it.
    flat = indices.to(dt.int64)
    if size:
        flat = flat.remainder(size)
    coords = []
    for s in reversed(shape):
        coords.append(flat.remainder(s) if s else flat)
        flat = flat.div(s, rounding_mode="floor") if s else flat
    return tuple(reversed(coords))
