"""clgrad.autograd: reverse-mode automatic differentiation with PyTorch's semantics."""
from __future__ import annotations

from . import functional  # noqa: F401
from . import tensor_methods  # noqa: F401  (attaches Tensor.backward, register_hook, ...)
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .engine import backward, grad  # noqa: F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401
from .graph import Node  # noqa: F401


__all__ = ["Function", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck",
           "detect_anomaly", "set_detect_anomaly", "functional"]
from .variable import Variable  # noqa: E402,F401  (legacy: returns a Tensor)
