"""Custom differentiable operations: subclass Function, define forward and backward."""
from __future__ import annotations

from .grad_mode import no_grad
from .graph import needs_grad, record


class FunctionCtx:
    """The `ctx` handed to forward and backward: what forward leaves for backward."""

    def __init__(self):
        self._saved = ()
        self.needs_input_grad = ()
        self.dirty_tensors = ()
        self.non_differentiable = ()
        self.materialize_grads = True
        self._released = False

    def save_for_backward(self, *tensors) -> None:
        self._saved = tuple((t, t._version[0]) if t is not None else (None, 0)
                            for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError("Trying to backward through the graph a second time (or directly "
                               "access saved tensors after they have already been freed). "
                               "Specify retain_graph=True if you need to backward through the "
                               "graph a second time.")
        for t, version in self._saved:
            if t is not None and t._version[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.type()} {list(t.shape)}] is at version "
                    f"{t._version[0]}; expected version {version} instead.")
        return tuple(t for t, _ in self._saved)

    def mark_dirty(self, *tensors) -> None:
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class Function:
    """Base class of custom autograd operations (PyTorch's torch.autograd.Function).

    Define ``forward(ctx, *args)`` (or ``forward(*args)`` plus ``setup_context(ctx, inputs,
    output)``) and ``backward(ctx, *grad_outputs)`` as static methods; call ``Cls.apply``.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record_graph = needs_grad(*args)
        uses_setup_context = cls.setup_context is not Function.setup_context
        with no_grad():
            if uses_setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if not record_graph:
            return output
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        differentiable = [o if isinstance(o, Tensor)
                          and not any(o is n for n in ctx.non_differentiable)
                          else None for o in outputs]
        # A fresh output object per result, so the node does not rewrite caller-visible
        # inputs' history unless they were marked dirty.
        fixed = []
        for o in differentiable:
            if o is not None and any(o is a for a in args) and \
                    not any(o is d for d in ctx.dirty_tensors):
                o = o.detach()
            fixed.append(o)
        n_args = len(args)

        def rule(*grads):
            result = cls.backward(ctx, *grads)
            if not isinstance(result, tuple):
                result = (result,)
            if len(result) < n_args:
                raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect "
                                   f"number of gradients (expected {n_args}, got "
                                   f"{len(result)})")
            result = result[:n_args]
            return tuple(g if isinstance(a, Tensor) else None for g, a in zip(result, args))

        node = record(f"{cls.__name__}Backward", fixed, args, rule)
        node._ctx = ctx
        if not ctx.materialize_grads:
            node._no_materialize = True
        final = tuple(f if f is not None else o for f, o in zip(fixed, outputs))
        return final[0] if single else final


class once_differentiable:
    """Decorator for backward methods that do not support double backward."""

    def __new__(cls, fn):
        def wrapper(ctx, *args):
            with no_grad():
                return fn(ctx, *args)
        return wrapper
