"""Adamax (Adam with the infinity norm)."""
from __future__ import annotations

from ._common import check_adam_args, check_fused, scalar, stepped_params, zero_states
from .optimizer import Optimizer, fused_update

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Implements Adamax, as torch.optim.Adamax."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        lr, betas = check_adam_args(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)
        check_fused(None, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd = scalar(group["lr"]), group["weight_decay"]
            for p, state, step in stepped_params(
                    self, group, lambda p: zero_states(p, "exp_avg", "exp_inf")):
                clr = lr / (1 - beta1 ** step)
                flags = dict(maximize=bool(group["maximize"]), lerp_hi=1 - beta1 >= 0.5,
                             wd=wd != 0)
                fused_update("adamax", flags, p, p.grad, [state["exp_avg"], state["exp_inf"]],
                             [wd, 1 - beta1, beta2, group["eps"], clr])
        return loss
