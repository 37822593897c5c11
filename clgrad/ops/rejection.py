"""Vectorised rejection sampling: propose for every element at once, keep the accepted ones,
propose again for the still-rejected ones only, until none is left.

The samplers of random_gamma and random_counts (Marsaglia-Tsang, PTRS, BTRS) accept most
proposals in the first round, so the loop runs a few rounds, each a handful of Tensor ops on
the tensor's device, with one host read (the count of the rejected) per round.
"""
from __future__ import annotations

from .._tensor import Tensor
from .creation import arange

__all__ = ["until_accepted"]


def until_accepted(params: tuple, dtype, propose) -> Tensor:
    """One accepted value per element of the flat, equally long tensors in `params`.

    propose(*params_subset) -> (candidates, accepted) draws for the elements it is given
    (fresh random numbers each call) and says which candidates stand.
    """
    n = params[0].numel()
    result = Tensor._empty((n,), dtype, params[0].device)
    if n == 0:
        return result
    pending = arange(n, device=params[0].device)
    while True:
        values, accepted = propose(*params)
        rejected = ~accepted
        result[pending[accepted]] = values[accepted].to(dtype)
        pending = pending[rejected]
        if pending.numel() == 0:
            return result
        params = tuple(p[rejected] for p in params)
