"""ASGD: averaged stochastic gradient descent."""
from __future__ import annotations

from ..autograd import no_grad
from ._common import check_fused, check_nonneg, scalar, stepped_params, zeros_state
from .optimizer import Optimizer, host_value, step_counter

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Implements Averaged Stochastic Gradient Descent, as torch.optim.ASGD."""

    def __init__(self, params, lr=1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        lr = scalar(lr)
        check_nonneg(lr, "Invalid learning rate")
        check_nonneg(weight_decay, "Invalid weight_decay value")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)
        check_fused(None, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                lr, lambd, alpha = scalar(group["lr"]), group["lambd"], group["alpha"]
                t0, wd = group["t0"], group["weight_decay"]

                def init(p):  # eta and mu are float32 scalars, as torch keeps them
                    return dict(eta=step_counter(lr), mu=step_counter(1.0), ax=zeros_state(p))
                for p, state, step in stepped_params(self, group, init):
                    grad = -p.grad if group["maximize"] else p.grad
                    if wd != 0:
                        grad = grad.add(p, alpha=wd)
                    eta = host_value(state["eta"])
                    p.mul_(1 - lambd * eta)
                    p.add_(grad, alpha=-eta)
                    ax = state["ax"]
                    mu = host_value(state["mu"])
                    if mu != 1:
                        ax.add_(p.sub(ax).mul_(mu))
                    else:
                        ax.copy_(p)
                    state["eta"].fill_(lr / ((1 + lambd * lr * step) ** alpha))
                    state["mu"].fill_(1 / max(1, step - t0))
        return loss
