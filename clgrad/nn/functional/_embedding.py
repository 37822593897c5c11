"""embedding and one_hot (torch.nn.functional's)."""
from __future__ import annotations

from typing import Optional

from ... import _dtype as dt
from ..._checks import not_tensor
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.graph import needs_grad, record

__all__ = ["embedding", "one_hot"]


def _check_indices(input: Tensor) -> None:
    if not isinstance(input, Tensor):
        raise not_tensor("embedding", input, "indices", 2)
    if input.dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"{input.type()} instead (while checking arguments for "
                           "embedding)")


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None,
              max_norm: Optional[float] = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight picked by the integer tensor input (shape input.shape + (dim,)).

    The gradient adds each output row back into its weight row (scatter-add); rows at
    padding_idx get no gradient."""
    _check_indices(input)
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by clgrad")
    if max_norm is not None:
        _renorm(weight, input, max_norm, norm_type)
    from ...ops.gather_scatter import index_select
    flat = input.reshape(-1).long()
    with no_grad():
        rows = index_select(weight.detach(), 0, flat)
    out = rows.view(*input._shape, weight.shape[1])
    if needs_grad(weight):
        counts = None
        if scale_grad_by_freq:
            with no_grad():
                counts = flat.bincount(minlength=num).to(weight.dtype)

        def rule(g):
            from ...ops.creation import zeros
            from ...ops.gather_scatter import index_add
            g2 = g.reshape(-1, weight.shape[1])
            if padding_idx is not None:
                g2 = g2 * (flat != padding_idx).unsqueeze(1).to(g.dtype)
            if counts is not None:
                g2 = g2 / counts.index_select(0, flat).unsqueeze(1)
            base = zeros(weight._shape, dtype=g.dtype, device=g.device)
            return (None, index_add(base, 0, flat, g2))

        record("EmbeddingBackward0", out, (input, weight), rule)
    return out


def _renorm(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale (in place, untracked) the referenced rows whose norm exceeds max_norm."""
    with no_grad():
        idx = input.reshape(-1).long().unique()
        rows = weight.index_select(0, idx)
        norms = rows.norm(p=norm_type, dim=1, keepdim=True)
        scale = (max_norm / (norms + 1e-7)).clamp(max=1.0)
        weight.index_copy_(0, idx, rows * scale)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor (shape + (num_classes,)) with a 1 at each value's position."""
    if tensor.dtype is not dt.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    from ...ops.creation import arange
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    elif tensor.numel() and (int(tensor.min().item()) < 0 or
                             int(tensor.max().item()) >= num_classes):
        if int(tensor.min().item()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()
