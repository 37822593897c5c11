"""clgrad.autograd: reverse-mode automatic differentiation with PyTorch's semantics."""
from __future__ import annotations

from . import functional  # noqa: F401
from . import tensor_hooks  # noqa: F401  (attaches Tensor.register_hook, retain_grad, ...)
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401
from .graph import Node  # noqa: F401
from .._tensor import Tensor, register
from ..ops.creation import ones_like, zeros_like


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs: tuple, grads: tuple, create_graph: bool) -> tuple:
    """Seed gradients: ones for scalar outputs; others must be given (PyTorch's rules)."""
    result = []
    for i, out in enumerate(outputs):
        grad = grads[i] if i < len(grads) else None
        if grad is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            grad = ones_like(out)
        else:
            if grad._shape != out._shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{grad.shape} and output[{i}] has a shape of {out.shape}.")
            if grad.device != out.device:
                raise RuntimeError(f"Mismatch in device: grad_output[{i}] is on {grad.device} "
                                   f"and output[{i}] is on {out.device}.")
            if not create_graph:
                grad = grad.detach()
        result.append(grad)
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate gradients of `tensors` into the .grad of the leaves (or of `inputs`)."""
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    grads = _make_grads(tensors, _as_tuple(grad_tensors), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs)


@register("backward")
def _tensor_backward(self: Tensor, gradient=None, retain_graph=None, create_graph: bool = False,
                     inputs=None) -> None:
    """Accumulate d(self)/d(leaf) into each leaf's .grad (see clgrad.autograd.backward)."""
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


_tensor_backward.__name__ = _tensor_backward.__qualname__ = "backward"


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, without touching any .grad."""
    outputs = _as_tuple(outputs)
    inputs_t = _as_tuple(inputs)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    allow_unused = bool(allow_unused) or materialize_grads
    grads = _make_grads(outputs, _as_tuple(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs_t,
                          capture=True, allow_unused=allow_unused)
    if materialize_grads:
        result = tuple(g if g is not None else zeros_like(t, requires_grad=create_graph)
                       for g, t in zip(result, inputs_t))
    return result


__all__ = ["Function", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck",
           "detect_anomaly", "set_detect_anomaly", "functional"]
from .variable import Variable  # noqa: E402,F401  (legacy: returns a Tensor)
