"""NAdam (Adam with Nesterov momentum and momentum decay)."""
from __future__ import annotations

from ..ops.fused import counter_mul_
from ._common import check_betas, check_fused, check_nonneg, scalar, zeros_state
from .optimizer import Optimizer, bump, fused_update, step_counter, step_of

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Implements NAdam, as torch.optim.NAdam (mu_product kept as a cpu float32 scalar)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        lr = scalar(lr)
        check_nonneg(lr, "Invalid learning rate")
        check_nonneg(eps, "Invalid epsilon value")
        betas = check_betas(betas)
        check_nonneg(weight_decay, "Invalid weight_decay value")
        check_nonneg(momentum_decay, "Invalid momentum_decay value")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)
        check_fused(None, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd = scalar(group["lr"]), group["weight_decay"]
            decay = group["momentum_decay"]
            decoupled = bool(group["decoupled_weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["mu_product"] = step_counter(1.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                step = bump(step_of(state))
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * decay)))
                # mu_product *= mu in float32 on the host, as torch's cpu scalar tensor does.
                mp = counter_mul_(state["mu_product"], mu)
                flags = dict(maximize=bool(group["maximize"]), lerp_hi=1 - beta1 >= 0.5,
                             wd=wd != 0,
                             decoupled=wd != 0 and decoupled)
                fused_update("nadam", flags, p, p.grad, [state["exp_avg"], state["exp_avg_sq"]],
                             [wd, 1 - lr * wd, 1 - beta1, beta2, 1 - beta2, 1 - beta2 ** step,
                              group["eps"], -lr * (1.0 - mu) / (1.0 - mp),
                              (-lr * mu_next) / (1.0 - mp * mu_next)])
        return loss
