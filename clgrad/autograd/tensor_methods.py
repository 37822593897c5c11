"""Tensor methods of the graph core: backward, register_hook, register_post_accumulate_grad_hook
and retain_grad, attached to Tensor as the ops modules attach theirs (Tensor sits below
autograd and knows nothing of nodes)."""
from __future__ import annotations

import weakref
from collections import OrderedDict

from .._tensor import Tensor, register
from ..utils.hooks import RemovableHandle
from . import engine
from .graph import gradient_edge


@register()
def backward(self: Tensor, gradient=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate d(self)/d(leaf) into each leaf's .grad (see clgrad.autograd.backward)."""
    engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def _require_grad(t: Tensor) -> None:
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")


@register()
def register_hook(self: Tensor, hook) -> RemovableHandle:
    """hook(grad) runs when this tensor's gradient is computed; may return a new grad."""
    _require_grad(self)
    node, output_nr = gradient_edge(self)
    return node._tensor_prehook(output_nr, hook)


@register()
def register_post_accumulate_grad_hook(self: Tensor, hook) -> RemovableHandle:
    """hook(tensor) runs after a gradient has been accumulated into this leaf's .grad."""
    _require_grad(self)
    if self._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors")
    hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", OrderedDict())
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


@register()
def retain_grad(self: Tensor) -> None:
    """Keep .grad for this non-leaf tensor after backward."""
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self._grad_fn is None or self._retains_grad:
        return
    ref = weakref.ref(self)
    output_nr = getattr(self, "_output_nr", 0)
    node = self._grad_fn

    def keep(grads):
        t = ref()
        grad = grads[output_nr]
        if t is None or grad is None:
            return
        grad = grad.detach()
        t._grad = grad.clone() if t._grad is None else t._grad + grad

    if node._retain_hooks is None:
        node._retain_hooks = {}
    node._retain_hooks[id(self)] = keep
    self._retains_grad = True
