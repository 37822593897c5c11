"""Argument checks and state helpers shared by the optimizer families."""
from __future__ import annotations

from .._tensor import Tensor


def scalar(value, what: str = "lr"):
    """A Python number from a number or a 1-element tensor (torch accepts Tensor lr/betas)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor {what} must be 1-element")
        return value.item()
    return value


def check_fused(fused, foreach, differentiable) -> None:
    """torch's checks on the implementation switches (all of which run one fused kernel here).

    differentiable=True (recording the update in autograd) is not supported.
    """
    if differentiable:
        raise NotImplementedError("clgrad optimizers do not support differentiable=True")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def zeros_state(p: Tensor) -> Tensor:
    """A contiguous zero tensor like p (the fused kernels index state by flat position)."""
    from ..ops.creation import zeros
    return zeros(p.shape, dtype=p.dtype, device=p.device)


def full_state(p: Tensor, value: float) -> Tensor:
    from ..ops.creation import full
    return full(p.shape, value, dtype=p.dtype, device=p.device)


def check_betas(betas) -> tuple:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if isinstance(betas[0], Tensor) != isinstance(betas[1], Tensor):
        raise ValueError("betas must be either both floats or both Tensors")
    return (scalar(betas[0], "betas[0]"), scalar(betas[1], "betas[1]"))


def check_nonneg(value, message: str) -> None:
    if not 0.0 <= value:
        raise ValueError(f"{message}: {value}")
