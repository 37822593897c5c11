"""RMSprop (optionally centered, with momentum)."""
from __future__ import annotations

from ._common import check_fused, check_nonneg, scalar, stepped_params, zero_states
from .optimizer import Optimizer, fused_update

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Implements RMSprop, as torch.optim.RMSprop."""

    def __init__(self, params, lr=1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        lr = scalar(lr)
        check_nonneg(lr, "Invalid learning rate")
        check_nonneg(eps, "Invalid epsilon value")
        check_nonneg(momentum, "Invalid momentum value")
        check_nonneg(weight_decay, "Invalid weight_decay value")
        check_nonneg(alpha, "Invalid alpha value")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)
        check_fused(None, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, wd = scalar(group["lr"]), group["alpha"], group["weight_decay"]
            momentum, centered = group["momentum"], bool(group["centered"])
            names = (("square_avg",) + (("momentum_buffer",) if momentum > 0 else ())
                     + (("grad_avg",) if centered else ()))
            for p, state, _ in stepped_params(self, group, lambda p: zero_states(p, *names)):
                states = [state[name] for name in names]
                flags = dict(maximize=bool(group["maximize"]), lerp_hi=1 - alpha >= 0.5,
                             wd=wd != 0,
                             momentum=momentum > 0, centered=centered)
                fused_update("rmsprop", flags, p, p.grad, states,
                             [wd, alpha, 1 - alpha, group["eps"], momentum, lr])
        return loss
