"""Adamax (Adam with the infinity norm)."""
from __future__ import annotations

from ._common import check_betas, check_fused, check_nonneg, scalar, zeros_state
from .optimizer import Optimizer, bump, fused_update, step_counter, step_of

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Implements Adamax, as torch.optim.Adamax."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        lr = scalar(lr)
        check_nonneg(lr, "Invalid learning rate")
        check_nonneg(eps, "Invalid epsilon value")
        betas = check_betas(betas)
        check_nonneg(weight_decay, "Invalid weight_decay value")
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
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                step = bump(step_of(state))
                clr = lr / (1 - beta1 ** step)
                flags = dict(maximize=bool(group["maximize"]), lerp_hi=1 - beta1 >= 0.5,
                             wd=wd != 0)
                fused_update("adamax", flags, p, p.grad, [state["exp_avg"], state["exp_inf"]],
                             [wd, 1 - beta1, beta2, group["eps"], clr])
        return loss
