"""Stride arithmetic shared by the tensor views and both backends (all in elements)."""
from __future__ import annotations


_CONTIGUOUS_CACHE: dict = {}


def contiguous_strides(shape: tuple) -> tuple:
    found = _CONTIGUOUS_CACHE.get(shape)
    if found is not None:
        return found
    strides = []
    acc = 1
    for size in reversed(shape):
        strides.append(acc)
        acc *= max(size, 1)
    strides = tuple(reversed(strides))
    if len(_CONTIGUOUS_CACHE) < 4096:  # shapes repeat in training loops; bound the memory
        _CONTIGUOUS_CACHE[shape] = strides
    return strides


def is_contiguous(shape: tuple, strides: tuple) -> bool:
    """PyTorch's rule: size-1 dims may have any stride, and a tensor with no elements is
    contiguous whatever its strides."""
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size == 1:
            continue
        if stride != expected:
            return 0 in shape  # only looked at on the way out: the common path stays as it was
        expected *= size
    return True


def numel(shape: tuple) -> int:
    n = 1
    for size in shape:
        n *= size
    return n


def coalesce(shape: tuple, stride_sets: list) -> tuple:
    """Merge adjacent dims that every operand walks contiguously, and drop size-1 dims.

    Returns (shape, [strides per operand]) of the smallest rank that visits the same elements
    in the same order; this keeps strided kernels few and their index arithmetic short.
    """
    dims = [d for d, size in enumerate(shape) if size != 1]
    if not dims:
        return (), [() for _ in stride_sets]
    new_shape = [shape[dims[0]]]
    new_strides = [[s[dims[0]]] for s in stride_sets]
    for d in dims[1:]:
        size = shape[d]
        if all(st[-1] == s[d] * size for st, s in zip(new_strides, stride_sets)):
            new_shape[-1] *= size
            for st, s in zip(new_strides, stride_sets):
                st[-1] = s[d]
        else:
            new_shape.append(size)
            for st, s in zip(new_strides, stride_sets):
                st.append(s[d])
    return tuple(new_shape), [tuple(st) for st in new_strides]


def broadcast_shapes(*shapes) -> tuple:
    """numpy/PyTorch broadcasting of shapes; RuntimeError naming them when impossible."""
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        offset = ndim - len(shape)
        for i, size in enumerate(shape):
            cur = result[offset + i]
            if cur == 1:
                result[offset + i] = size
            elif size != 1 and size != cur:
                raise RuntimeError(
                    f"The size of tensor a ({cur}) must match the size of tensor b ({size}) at "
                    f"non-singleton dimension {offset + i}; shapes "
                    f"{', '.join(str(list(s)) for s in shapes)} cannot be broadcast together")
    return tuple(result)


def normalize_dim(dim: int, ndim: int, op: str = "") -> int:
    """A dim in [-ndim, ndim) made non-negative; IndexError as PyTorch raises otherwise."""
    limit = max(ndim, 1)
    if not -limit <= dim < limit:
        prefix = f"{op}(): " if op else ""
        raise IndexError(f"{prefix}Dimension out of range (expected to be in range of "
                         f"[{-limit}, {limit - 1}], but got {dim})")
    return dim % limit
