"""Variable-length sequences: padding, packing and PackedSequence (torch.nn.utils.rnn).

A PackedSequence stores the time steps of a batch sorted by decreasing length one after the
other: step t holds batch_sizes[t] rows, the sequences that are still running at t.
"""
from __future__ import annotations

from collections import namedtuple
from typing import List, Optional, Union

import numpy as np

from ..._tensor import Tensor
from ...ops.creation import full, tensor
from ...ops.join import cat, stack

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """Holds the data and list of batch_sizes of a packed sequence (not built by hand)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError("batch_sizes should always be on CPU. Instances of "
                                 "PackedSequence should never be created manually. They "
                                 "should be instantiated by functions like pack_sequence and "
                                 "pack_padded_sequences in nn.utils.rnn. "
                                 "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn."
                                 "pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        # PackedSequence(data_and_batch_sizes_tuple)
        data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _map(self, fn) -> "PackedSequence":
        data = fn(self.data)
        if data is self.data:
            return self
        kw = {}
        if self.sorted_indices is not None:
            # The indices follow the data's device; batch_sizes stay on cpu.
            kw = dict(device=data.device)
            kw = dict(sorted_indices=self.sorted_indices.to(**kw),
                      unsorted_indices=self.unsorted_indices.to(**kw))
        return type(self)(data, self.batch_sizes, **kw)

    def to(self, *args, **kwargs) -> "PackedSequence":
        return self._map(lambda d: d.to(*args, **kwargs))

    def cpu(self) -> "PackedSequence":
        return self._map(lambda d: d.cpu())

    def cuda(self, *args, **kwargs) -> "PackedSequence":
        return self._map(lambda d: d.cuda(*args, **kwargs))

    def cl(self, *args, **kwargs) -> "PackedSequence":
        return self._map(lambda d: d.cl(*args, **kwargs))

    def double(self) -> "PackedSequence":
        return self._map(lambda d: d.double())

    def float(self) -> "PackedSequence":
        return self._map(lambda d: d.float())

    def half(self) -> "PackedSequence":
        return self._map(lambda d: d.half())

    def long(self) -> "PackedSequence":
        return self._map(lambda d: d.long())

    def int(self) -> "PackedSequence":
        return self._map(lambda d: d.int())

    def short(self) -> "PackedSequence":
        return self._map(lambda d: d.short())

    def char(self) -> "PackedSequence":
        return self._map(lambda d: d.char())

    def byte(self) -> "PackedSequence":
        return self._map(lambda d: d.byte())

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Optional[Tensor]) -> Optional[Tensor]:
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    perm = np.asarray(permutation.cpu().tolist(), dtype=np.int64)
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size, dtype=np.int64)
    return tensor(inverse, device=permutation.device)


def _lengths_list(lengths) -> List[int]:
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1 or lengths.device.type != "cpu" or \
                lengths.dtype.is_floating_point:
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.dim()}D {lengths.device.type} {lengths.dtype} tensor")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input: Tensor, lengths: Union[Tensor, List[int]],
                         batch_first: bool = False, enforce_sorted: bool = True
                         ) -> PackedSequence:
    """Pack a padded batch of variable-length sequences (T x B x * or B x T x *)."""
    lens = _lengths_list(lengths)
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
        order = list(range(len(lens)))
    else:
        # A stable descending sort keeps equal lengths in their input order.
        order = sorted(range(len(lens)), key=lambda i: -lens[i])
        sorted_indices = tensor(order, device=input.device)
    batch_dim = 0 if batch_first else 1
    if len(lens) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={input.shape[batch_dim]})")
    if lens and min(lens) <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if sorted_indices is not None:
        input = input.index_select(batch_dim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    sorted_lens = [lens[i] for i in order]
    if sorted_lens[0] > input.shape[0]:
        raise RuntimeError(f"Expected sequence length to be larger than or equal to the "
                           f"largest length, but got {input.shape[0]} and {sorted_lens[0]}")
    batch_sizes = [sum(1 for n in sorted_lens if n > t) for t in range(sorted_lens[0])]
    data = cat([input[t, :b] for t, b in enumerate(batch_sizes)], 0)
    return PackedSequence(data, tensor(batch_sizes), sorted_indices, None)


def _padded_sorted(sequence: PackedSequence, padding_value: float, total_length: int):
    """(T, B, *) padded in the packed (sorted) batch order, and the sorted lengths."""
    sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    batch = sizes[0]
    data = sequence.data
    trailing = tuple(data.shape[1:])
    steps, start = [], 0
    for b in sizes:
        step = data[start:start + b]
        start += b
        if b < batch:
            pad = full((batch - b,) + trailing, padding_value, dtype=data.dtype,
                       device=data.device)
            step = cat([step, pad], 0)
        steps.append(step)
    if total_length > len(sizes):
        pad = full((total_length - len(sizes), batch) + trailing, padding_value,
                   dtype=data.dtype, device=data.device)
        padded = cat([stack(steps), pad], 0)
    else:
        padded = stack(steps)
    lengths = [sum(1 for b in sizes if b > i) for i in range(batch)]
    return padded, lengths


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: Optional[int] = None):
    """Inverse of pack_padded_sequence: returns (padded, lengths) in the original order."""
    max_len = int(sequence.batch_sizes.shape[0])
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
    else:
        total_length = max_len
    padded, lengths = _padded_sorted(sequence, padding_value, total_length)
    lengths_t = tensor(lengths)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths_t = lengths_t.index_select(0, sequence.unsorted_indices.cpu())
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths_t


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack variable-length tensors (L_i x *) into one padded tensor."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = max_len - s.shape[0]
        if missing:
            pad = full((missing,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                       device=s.device)
            s = cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> List[Tensor]:
    """Split a padded tensor back into a list of its variable-length sequences."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of variable-length tensors (L_i x *)."""
    lengths = tensor([s.shape[0] for s in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> List[Tensor]:
    """Inverse of pack_sequence: the list of variable-length tensors."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
