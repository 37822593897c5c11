"""Adadelta."""
from __future__ import annotations

from ._common import check_fused, check_nonneg, scalar, stepped_params, zero_states
from .optimizer import Optimizer, fused_update

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Implements Adadelta, as torch.optim.Adadelta."""

    def __init__(self, params, lr=1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        lr = scalar(lr)
        check_nonneg(lr, "Invalid learning rate")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonneg(eps, "Invalid epsilon value")
        check_nonneg(weight_decay, "Invalid weight_decay value")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)
        check_fused(None, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, wd = scalar(group["lr"]), group["rho"], group["weight_decay"]
            for p, state, _ in stepped_params(
                    self, group, lambda p: zero_states(p, "square_avg", "acc_delta")):
                flags = dict(maximize=bool(group["maximize"]), wd=wd != 0)
                fused_update("adadelta", flags, p, p.grad,
                             [state["square_avg"], state["acc_delta"]],
                             [wd, rho, 1 - rho, group["eps"], lr])
        return loss
