"""Adam and AdamW (decoupled weight decay), with AMSGrad."""
from __future__ import annotations

from ._common import check_adam_args, check_fused, scalar, stepped_params, zero_states
from .optimizer import Optimizer, fused_update

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Implements Adam, as torch.optim.Adam (one fused kernel per parameter per step)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False) -> None:
        lr, betas = check_adam_args(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss if one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd, eps = scalar(group["lr"]), group["weight_decay"], group["eps"]
            amsgrad = bool(group["amsgrad"])
            decoupled = bool(group["decoupled_weight_decay"])
            names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
            for p, state, step in stepped_params(self, group,
                                                 lambda p: zero_states(p, *names)):
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                states = [state["exp_avg"], state["exp_avg_sq"]]
                if amsgrad:
                    states.append(state["max_exp_avg_sq"])
                flags = dict(maximize=bool(group["maximize"]), lerp_hi=1 - beta1 >= 0.5,
                             wd=wd != 0,
                             decoupled=wd != 0 and decoupled, amsgrad=amsgrad)
                fused_update("adam", flags, p, p.grad, states,
                             [wd, 1 - lr * wd, 1 - beta1, beta2, 1 - beta2,
                              lr / bias_correction1, bias_correction2 ** 0.5, eps])
        return loss


class AdamW(Adam):
    """Implements AdamW: Adam with weight decay applied to the parameter, not the gradient."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
