"""Argument checks worded as PyTorch's argument parser words them.

One place for "fn(): argument 'input' (position 1) must be Tensor, not list". Op and nn
modules call `check_tensor`; a hot path that would rather not pay a call keeps its own
isinstance test and raises `not_tensor(...)`, so the wording still lives only here.
"""
from __future__ import annotations

from ._tensor import Tensor

__all__ = ["check_tensor", "not_tensor"]


def not_tensor(fn: str, value, arg: str = "input", position: int = 1) -> TypeError:
    """The TypeError for a non-Tensor argument. `fn` is the name PyTorch's message gives
    (`linalg_inv`, `copy_`), `arg` and `position` the parameter's name and 1-based place."""
    return TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
                     f"{type(value).__name__}")


def check_tensor(fn: str, value, arg: str = "input", position: int = 1) -> None:
    """Raise `not_tensor(...)` unless `value` is a Tensor."""
    if not isinstance(value, Tensor):
        raise not_tensor(fn, value, arg, position)
