"""Stochastic gradient descent (with momentum, dampening, Nesterov, weight decay)."""
from __future__ import annotations

from ..ops.creation import empty
from ._common import check_fused, check_nonneg, scalar
from .optimizer import Optimizer, fused_update

__all__ = ["SGD"]


class SGD(Optimizer):
    """Implements stochastic gradient descent (optionally with momentum), as torch.optim.SGD."""

    def __init__(self, params, lr=1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay=0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        lr = scalar(lr)
        check_nonneg(lr, "Invalid learning rate")
        check_nonneg(momentum, "Invalid momentum value")
        check_nonneg(weight_decay, "Invalid weight_decay value")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum = scalar(group["lr"]), group["momentum"]
            wd = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                states, first = [], False
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        first = True
                        buf = state["momentum_buffer"] = empty(p.shape, dtype=p.dtype,
                                                               device=p.device)
                    states.append(buf)
                flags = dict(maximize=bool(group["maximize"]), wd=wd != 0,
                             momentum=momentum != 0, first=first,
                             nesterov=bool(group["nesterov"]))
                fused_update("sgd", flags, p, p.grad, states,
                             [wd, momentum, 1 - group["dampening"], lr])
        return loss
