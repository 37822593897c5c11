"""embedding_bag: sums, means or maxima of bags of embeddings, without the (B, N, D) tensor."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..._tensor import Tensor
from ...ops.creation import tensor, zeros
from ...ops.join import stack
from ._embedding import embedding

__all__ = ["embedding_bag"]


def _bags(input: Tensor, offsets: Optional[Tensor], include_last_offset: bool):
    """The flat indices and each bag's (start, end) into them."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
        rows, width = input.shape
        return input.reshape(-1), [(b * width, (b + 1) * width) for b in range(rows)]
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    starts = [int(v) for v in offsets.cpu().tolist()]
    if starts and starts[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {starts[0]}")
    n = input.shape[0]
    if include_last_offset:
        ends = starts[1:]
        starts = starts[:-1]
    else:
        ends = starts[1:] + [n]
    return input, [(s, min(e, n)) for s, e in zip(starts, ends)]


def embedding_bag(input: Tensor, weight: Tensor, offsets: Optional[Tensor] = None,
                  max_norm: Optional[float] = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Optional[Tensor] = None,
                  include_last_offset: bool = False,
                  padding_idx: Optional[int] = None) -> Tensor:
    """Compute sums, means or maxes of bags of embeddings (one output row per bag)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != \
            tuple(input.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    flat, bags = _bags(input, offsets, include_last_offset)
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)
    ids = np.asarray(flat.cpu().tolist(), dtype=np.int64).reshape(-1)
    keep = np.ones(ids.shape, bool) if padding_idx is None else ids != padding_idx
    if mode == "max":
        outs = []
        for start, end in bags:
            picked = [i for i in range(start, end) if keep[i]]
            if picked:
                index = tensor(picked, device=rows.device)
                outs.append(rows.index_select(0, index).amax(0))
            else:
                outs.append(zeros(weight.shape[1], dtype=weight.dtype, device=weight.device))
        return stack(outs) if outs else zeros((0, weight.shape[1]), dtype=weight.dtype,
                                              device=weight.device)
    # sum / mean as one (bags x indices) matrix product: differentiable in weight and in the
    # per-sample weights, and one GEMM instead of a loop over bags.
    mix = np.zeros((len(bags), ids.shape[0]), np.float64)
    for b, (start, end) in enumerate(bags):
        member = keep[start:end]
        count = int(member.sum())
        if count:
            mix[b, start:end] = member / count if mode == "mean" else member
    mix_t = tensor(mix, dtype=weight.dtype, device=weight.device)
    if per_sample_weights is not None:
        mix_t = mix_t * per_sample_weights.reshape(1, -1).to(weight.dtype)
    return mix_t @ rows
