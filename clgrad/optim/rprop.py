"""Rprop: resilient backpropagation (per-element step sizes driven by gradient signs)."""
from __future__ import annotations

from ..autograd import no_grad
from ._common import check_fused, full_state, scalar, stepped_params, zeros_state
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Implements the resilient backpropagation algorithm, as torch.optim.Rprop."""

    def __init__(self, params, lr=1e-2, etas: tuple = (0.5, 1.2),
                 step_sizes: tuple = (1e-6, 50), *, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        lr = scalar(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)
        check_fused(None, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                etaminus, etaplus = group["etas"]
                step_min, step_max = group["step_sizes"]

                def init(p, lr=group["lr"]):  # lr read (a host read if a tensor) only here
                    return dict(prev=zeros_state(p), step_size=full_state(p, scalar(lr)))
                for p, state, _ in stepped_params(self, group, init):
                    grad = -p.grad if group["maximize"] else p.grad
                    prev, step_size = state["prev"], state["step_size"]
                    sign = (grad * prev).sign()
                    # Same sign: grow the step; opposite: shrink it; a zero: keep it.
                    factor = (sign > 0) * etaplus + (sign < 0) * etaminus + (sign == 0) * 1.0
                    step_size.mul_(factor.to(step_size.dtype)).clamp_(step_min, step_max)
                    # After a sign change the step is skipped and the memory cleared.
                    grad = grad.masked_fill(sign < 0, 0)
                    p.addcmul_(grad.sign(), step_size, value=-1)
                    prev.copy_(grad)
        return loss
