"""Optimizer steps (one fused kernel per parameter per step) and host step counters.

PyTorch keeps state['step'] (and NAdam's mu_product) as 0-dim float32 cpu tensors; their
arithmetic happens in float32 on the host. On cpu the counters are updated through a numpy
view of their storage, which is much cheaper than a dispatched op per parameter per step.
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["optimizer_step", "counter_value", "counter_add_", "counter_mul_"]


def optimizer_step(kind: str, flags: dict, param: Tensor, grad: Tensor, states: list,
                   scalars: list) -> None:
    """One fused kernel: update `param` and its state tensors in place (no host sync).

    kind names the update rule ("adam", "sgd", ...), flags its compile-time switches, scalars
    its per-step numbers. Non-contiguous operands go through contiguous copies written back
    afterwards.
    """
    for t in (grad, *states):
        if t.device != param.device:
            raise RuntimeError(f"{kind}: expected all tensors to be on the same device, but "
                               f"found at least two devices, {param.device} and {t.device}!")
    with no_grad():
        work = [param] + list(states)
        copies = [t if t.is_contiguous() else t.contiguous() for t in work]
        g = grad if grad.is_contiguous() else grad.contiguous()
        if g.dtype is not param.dtype:
            g = g.to(param.dtype)
        param._storage.backend.optim_step(kind, tuple(sorted(flags.items())), copies[0], g,
                                          copies[1:], [float(s) for s in scalars])
        for t, c in zip(work, copies):
            if c is not t:
                t.copy_(c)  # bumps t's version itself
            else:
                t._version_bump()


def counter_value(t) -> float:
    """A Python float of a scalar counter tensor (or a number); no device wait on cpu."""
    if isinstance(t, Tensor):
        if not t.is_cpu:
            return float(t.item())
        return float(t._storage.backend.view(t))
    return float(t)


def counter_add_(counter: Tensor, by: float = 1.0) -> float:
    """counter += by in the counter's dtype, returning the new value as a Python float."""
    if not counter.is_cpu:
        counter.add_(by)
        return float(counter.item())
    view = counter._storage.backend.view(counter)
    view[...] = view + view.dtype.type(by)
    counter._version_bump()
    return float(view)


def counter_mul_(counter: Tensor, by: float) -> float:
    """counter *= by in the counter's dtype, returning the new value as a Python float."""
    if not counter.is_cpu:
        counter.mul_(by)
        return float(counter.item())
    view = counter._storage.backend.view(counter)
    view[...] = view * view.dtype.type(by)
    counter._version_bump()
    return float(view)
