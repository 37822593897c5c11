"""Argument checks and state helpers shared by the optimizer families."""
from __future__ import annotations

from typing import Callable, Iterator, Optional

from .._tensor import Tensor
from .optimizer import bump, step_counter, step_of


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


def check_adam_args(lr, eps, betas, weight_decay) -> tuple:
    """(lr, betas) as numbers, after the checks torch's Adam family makes, in its order."""
    lr = scalar(lr)
    check_nonneg(lr, "Invalid learning rate")
    check_nonneg(eps, "Invalid epsilon value")
    betas = check_betas(betas)
    check_nonneg(weight_decay, "Invalid weight_decay value")
    return lr, betas


def zero_states(p: Tensor, *names: str) -> dict:
    """{name: zeros like p} for each name, in order (state_dict keeps torch's key order)."""
    return {name: zeros_state(p) for name in names}


def stepped_params(optimizer, group: dict,
                   init: Optional[Callable[[Tensor], dict]]) -> Iterator[tuple]:
    """(param, state, step) for each param of `group` that has a gradient.

    A param's first step makes its state: 'step' (a cpu float32 counter, as torch keeps it),
    then what init(param) returns; init=None where the optimizer made every state at
    construction (Adagrad). 'step' is advanced before the param is yielded, and `step` is its
    new value as a Python float.
    """
    states = optimizer.state
    for p in group["params"]:
        if p.grad is None:
            continue
        state = states[p]
        if init is not None and len(state) == 0:
            state["step"] = step_counter()
            state.update(init(p))
        yield p, state, bump(step_of(state))
