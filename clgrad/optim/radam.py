"""RAdam (rectified Adam)."""
from __future__ import annotations

from ._common import check_adam_args, check_fused, scalar, stepped_params, zero_states
from .optimizer import Optimizer, fused_update

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Implements RAdam, as torch.optim.RAdam."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        lr, betas = check_adam_args(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)
        check_fused(None, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd = scalar(group["lr"]), group["weight_decay"]
            decoupled = bool(group["decoupled_weight_decay"])
            for p, state, step in stepped_params(
                    self, group, lambda p: zero_states(p, "exp_avg", "exp_avg_sq")):
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                rectify = rho_t > 5.0
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5 if rectify else 0.0
                flags = dict(maximize=bool(group["maximize"]), lerp_hi=1 - beta1 >= 0.5,
                             wd=wd != 0,
                             decoupled=wd != 0 and decoupled, rectify=rectify)
                fused_update("radam", flags, p, p.grad, [state["exp_avg"], state["exp_avg_sq"]],
                             [wd, 1 - lr * wd, 1 - beta1, beta2, 1 - beta2, bias_correction1,
                              lr, bias_correction2 ** 0.5, group["eps"], rect])
        return loss
