"""A first-order gradient computed by kernels, differentiable once more through Tensor ops.

Norms and convolutions take their plain backward from fused kernels. Under create_graph
PyTorch records that backward as one node (NativeLayerNormBackwardBackward0,
ConvolutionBackwardBackward0, ...); here that node's rule differentiates the same gradient
written with Tensor ops, so the fast path stays a kernel and the second derivative is exact.
"""
from __future__ import annotations

from ...autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ...autograd.graph import needs_grad, record

__all__ = ["backward_with_graph", "independent"]


def backward_with_graph(name: str, inputs: tuple, kernel_grads, composite_grads) -> tuple:
    """Gradients from `kernel_grads()`, recorded as one `name` node over `inputs`.

    composite_grads(*inputs) returns the same gradients (same order, None where unwanted) with
    Tensor ops; the node's rule takes its vector-Jacobian product. Without grad mode (a
    backward without create_graph) nothing is recorded.
    """
    with no_grad():
        grads = tuple(kernel_grads())
    if needs_grad(*inputs):
        record(name, grads, inputs, lambda *gg: _vjp(inputs, composite_grads, gg),
               saved=tuple(t for t in inputs if t is not None))
    return grads


def independent(t):
    """A fresh alias of t to differentiate with respect to, or t itself when it needs none.

    autograd.grad with respect to a tensor gives its total derivative, through its history
    too (the incoming gradient may itself depend on the input). A rule needs the partial
    one: an alias node of its own cuts those paths and still chains into t's history.
    """
    return t.view_as(t) if t is not None and t._requires_grad else t


def _vjp(inputs: tuple, composite_grads, grad_grads: tuple) -> tuple:
    from ...autograd.engine import grad as autograd_grad
    create = is_grad_enabled()
    with enable_grad():
        stand_ins = tuple(independent(t) for t in inputs)
        wanted = [s for s, t in zip(stand_ins, inputs) if s is not t]
        outs = composite_grads(*stand_ins)
        pairs = [(o, gg) for o, gg in zip(outs, grad_grads)
                 if o is not None and gg is not None and o._requires_grad]
        if not pairs or not wanted:
            return (None,) * len(inputs)
        found = iter(autograd_grad([o for o, _ in pairs], wanted, [gg for _, gg in pairs],
                                   create_graph=create, allow_unused=True))
    return tuple(next(found) if s is not t else None for s, t in zip(stand_ins, inputs))
