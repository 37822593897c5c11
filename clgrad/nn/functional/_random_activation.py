"""Activations that draw random numbers: gumbel_softmax, rrelu; and channel_shuffle."""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["gumbel_softmax", "rrelu", "rrelu_", "channel_shuffle", "native_channel_shuffle"]


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + Gumbel noise) / tau); one-hot forward, soft backward when hard."""
    from ...ops.creation import empty_like, zeros_like
    with no_grad():
        gumbels = -empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def _rrelu_slopes(input: Tensor, lower: float, upper: float) -> Tensor:
    from ...ops.creation import empty_like
    with no_grad():
        r = empty_like(input).uniform_(lower, upper)
        return r.masked_fill_(input >= 0, 1.0)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Leaky ReLU whose negative slope is drawn from U(lower, upper) in training, else the
    mean slope (lower + upper) / 2."""
    if not training:
        from ._activation import leaky_relu
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slopes = _rrelu_slopes(input, lower, upper)
    return input.mul_(slopes) if inplace else input * slopes


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, True)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g * k, *) -> channels reordered as (N, k * g, *): group-interleaved."""
    if input.dim() < 3:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value "
                           f"of groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2) \
        .reshape((n, c) + rest)


native_channel_shuffle = channel_shuffle
