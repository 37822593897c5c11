"""Adagrad."""
from __future__ import annotations

from ._common import check_fused, check_nonneg, full_state, scalar, stepped_params
from .optimizer import Optimizer, fused_update, step_counter

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Implements Adagrad, as torch.optim.Adagrad (state is created at construction)."""

    def __init__(self, params, lr=1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None) -> None:
        lr = scalar(lr)
        check_nonneg(lr, "Invalid learning rate")
        check_nonneg(lr_decay, "Invalid lr_decay value")
        check_nonneg(weight_decay, "Invalid weight_decay value")
        check_nonneg(initial_accumulator_value, "Invalid initial_accumulator_value value")
        check_nonneg(eps, "Invalid epsilon value")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = step_counter()
                state["sum"] = full_state(p, initial_accumulator_value)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, wd, lr_decay = scalar(group["lr"]), group["weight_decay"], group["lr_decay"]
            for p, state, step in stepped_params(self, group, None):
                clr = lr / (1 + (step - 1) * lr_decay)
                flags = dict(maximize=bool(group["maximize"]), wd=wd != 0)
                fused_update("adagrad", flags, p, p.grad, [state["sum"]],
                             [wd, group["eps"], clr])
        return loss
