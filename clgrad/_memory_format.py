"""Memory formats: how a tensor's dims are laid out in its storage (torch.memory_format).

channels_last is NHWC order for a 4-D NCHW tensor (strides (HWC, 1, WC, C)), channels_last_3d
the same for 5-D NCDHW; every kernel takes arbitrary strides, so a tensor in either format
computes the same values. preserve_format (the default of clone and the *_like functions)
keeps the strides of a dense, non-overlapping input, as PyTorch does.
"""
from __future__ import annotations

from ._strides import contiguous_strides, is_contiguous


class memory_format:
    """A layout request; prints as ``clgrad.channels_last`` as PyTorch's prints torch.*."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"clgrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

_ALL = {f.name: f for f in (contiguous_format, channels_last, channels_last_3d,
                            preserve_format)}


def _by_name(name: str) -> memory_format:
    return _ALL[name]


def _check(fmt) -> memory_format:
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be a clgrad.memory_format, not "
                        f"{type(fmt).__name__}")
    return fmt


# Dims from fastest- to slowest-varying for the channels-last orders.
_ORDER = {"channels_last": (1, 3, 2, 0), "channels_last_3d": (1, 4, 3, 2, 0)}
_RANK = {"channels_last": 4, "channels_last_3d": 5}


def strides_for(shape: tuple, fmt) -> tuple:
    """The dense strides of `shape` in format `fmt` (not preserve_format)."""
    fmt = _check(fmt)
    if fmt is contiguous_format:
        return contiguous_strides(shape)
    rank = _RANK.get(fmt.name)
    if rank is None:
        raise RuntimeError(f"strides_for: {fmt} names no fixed layout")
    if len(shape) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    strides = [0] * rank
    acc = 1
    for d in _ORDER[fmt.name]:
        strides[d] = acc
        acc *= max(shape[d], 1)
    return tuple(strides)


def is_contiguous_as(shape: tuple, stride: tuple, fmt) -> bool:
    """Tensor.is_contiguous(memory_format=fmt): size-1 dims may have any stride."""
    fmt = _check(fmt)
    if fmt is preserve_format or fmt is contiguous_format:  # preserve: what PyTorch answers
        return is_contiguous(shape, stride)
    if len(shape) != _RANK[fmt.name]:
        return False
    order = _ORDER[fmt.name]
    expected = 1
    for d in order:
        size = shape[d]
        if size == 1:
            continue
        if stride[d] != expected:
            return False
        expected *= size
    return True


def is_non_overlapping_and_dense(shape: tuple, stride: tuple) -> bool:
    """Whether the elements fill a block of numel storage slots exactly once."""
    dims = sorted((d for d in range(len(shape)) if shape[d] != 1), key=lambda d: stride[d])
    expected = 1
    for d in dims:
        if stride[d] != expected:
            return False
        expected *= shape[d]
    return True


def suggest(shape: tuple, stride: tuple) -> memory_format:
    """PyTorch's suggest_memory_format: channels_last(_3d) when strided so, else contiguous."""
    if len(shape) in (4, 5):
        fmt = channels_last if len(shape) == 4 else channels_last_3d
        if is_contiguous_as(shape, stride, fmt) and not is_contiguous_as(
                shape, stride, contiguous_format):
            return fmt
    return contiguous_format


def target_strides(shape: tuple, stride: tuple, fmt) -> tuple:
    """The strides a new tensor like (shape, stride) gets for memory_format=fmt (None:
    preserve): a dense, non-overlapping layout is kept as it is."""
    if fmt is None or _check(fmt) is preserve_format:
        if is_non_overlapping_and_dense(shape, stride):
            return tuple(stride)
        fmt = suggest(shape, stride)
    return strides_for(shape, fmt)


def empty_strided_like(shape: tuple, strides: tuple, dtype, device):
    """An uninitialised dense tensor with these strides (a leaf, not a view)."""
    from ._tensor import Tensor
    t = Tensor._empty(shape, dtype, device)
    if strides != t._stride:
        t._stride = tuple(strides)
        t._contig = None
    return t
