"""The negative log-likelihood loss: one fused kernel forward, one backward.

nll_backward is linear in the incoming gradient and its adjoint is the forward NLL of the
same targets, weights and reduction, so the backward of the backward
(NllLossBackwardBackward0, as PyTorch names it) is the fused forward again.
"""
from __future__ import annotations

from typing import Optional

from ... import _dtype as dt
from ..._tensor import Tensor
from ...autograd.graph import needs_grad, record
from ..creation import zeros_like

__all__ = ["nll_loss"]


def _contiguous(t: Tensor) -> Tensor:
    return t.detach() if t.is_contiguous() else t.detach().contiguous()


def _class_dims(input: Tensor) -> tuple:
    """(N, C, D) of an (N, C, d1, ...) or (C,) input."""
    if input.dim() == 1:
        return 1, input._shape[0], 1
    d = 1
    for s in input._shape[2:]:
        d *= s
    return input._shape[0], input._shape[1], d


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor], ignore_index: int,
             reduction: str, node: str) -> Tensor:
    """-input[n, target[n]] * weight[target[n]], reduced; records `node`.

    Arguments are checked by the caller (nn.functional.nll_loss); target is int64 or uint8.
    """
    dims = _class_dims(input)
    t = _contiguous(target if target.dtype is dt.int64 else target.long())
    w = None if weight is None else _contiguous(weight.to(input.dtype))
    out = Tensor._empty(() if reduction != "none" else target._shape, input.dtype,
                        input.device)
    acc = dt.float32 if input.dtype in (dt.float16, dt.bfloat16) else input.dtype
    total_weight = Tensor._empty((), acc, input.device)
    out._storage.backend.nll(out, total_weight, _contiguous(input), t, w, int(ignore_index),
                             reduction, dims)
    if needs_grad(input):
        args = (input, total_weight, t, w, int(ignore_index), reduction, dims, node)
        record(node, out, (input,), lambda g: (_nll_backward(g, *args),))
    return out


def _nll_backward(g: Tensor, input: Tensor, total_weight: Tensor, t: Tensor, w, ignore: int,
                  reduction: str, dims: tuple, node: str) -> Tensor:
    """The input gradient of nll_loss: -g * weight[target] / total_weight at each target."""
    grad = Tensor._empty(input._shape, g.dtype, g.device)
    grad._storage.backend.nll_backward(grad, _contiguous(g), total_weight, t, w, ignore,
                                       reduction, dims)
    if needs_grad(g, input):
        out_shape = g._shape

        def rule(gg):
            # The adjoint of the (linear) backward: the forward loss of gg. It does not depend
            # on input's values; PyTorch records input anyway and gives it zeros.
            d_input = zeros_like(input) if input._requires_grad else None
            return nll_loss(gg, t, w, ignore, reduction, node).reshape(out_shape), d_input
        record(node.replace("Backward0", "BackwardBackward0"), grad, (g, input), rule)
    return grad
