"""Lazy convolutions and norms: in_channels / num_features come from the first input.

Each is built with 0 for the unknown size and UninitializedParameter / UninitializedBuffer
in place of its tensors; a forward pre-hook materialises them on the first call, initialises
them as the plain layer would, and turns the module into that layer (cls_to_become), as
PyTorch's LazyModuleMixin does.
"""
from __future__ import annotations

from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .conv3d import BatchNorm3d, Conv3d, ConvTranspose3d, InstanceNorm3d
from .normalization import BatchNorm1d, BatchNorm2d, InstanceNorm1d, InstanceNorm2d

__all__ = ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _LazyMixin:
    cls_to_become = None

    def _arm(self) -> None:
        self._lazy_hook = self.register_forward_pre_hook(_LazyMixin._infer)

    def has_uninitialized_params(self) -> bool:
        tensors = list(self._parameters.values()) + list(self._buffers.values())
        return any(t is not None and is_lazy(t) for t in tensors)

    @staticmethod
    def _infer(module: "_LazyMixin", args: tuple) -> None:
        module.initialize_parameters(*args)
        module._lazy_hook.remove()
        del module._lazy_hook
        module.__class__ = module.cls_to_become


class _LazyConv(_LazyMixin):
    def _make_lazy(self, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._arm()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        n = self._dims
        if input.dim() not in (n + 1, n + 2):
            raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        self.in_channels = input.shape[1] if input.dim() == n + 2 else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        self.weight.materialize(shape + self.kernel_size)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


def _lazy_conv(plain: type, doc: str) -> type:
    def __init__(self, out_channels: int, kernel_size, *args, bias: bool = True,
                 device=None, dtype=None, **kwargs) -> None:
        plain.__init__(self, 0, out_channels, kernel_size, *args, bias=bias, device=device,
                       dtype=dtype, **kwargs)
        self._make_lazy(bias, device, dtype)

    return type("Lazy" + plain.__name__, (_LazyConv, plain),
                {"__init__": __init__, "cls_to_become": plain, "__doc__": doc,
                 "__module__": __name__, "__qualname__": "Lazy" + plain.__name__})


class _LazyNorm(_LazyMixin):
    def _make_lazy(self, device, dtype) -> None:
        if self.affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if self.bias is not None:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if self.track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
        self._arm()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        # PyTorch reads dim 1 whatever the rank (so also for unbatched instance norm input)
        self.num_features = input.shape[1]
        for name in ("weight", "bias", "running_mean", "running_var"):
            t = getattr(self, name)
            if t is not None and is_lazy(t):
                t.materialize((self.num_features,))
        self.reset_parameters()


def _lazy_norm(plain: type, affine: bool, track: bool) -> type:
    def __init__(self, eps: float = 1e-5, momentum=0.1, affine: bool = affine,
                 track_running_stats: bool = track, device=None, dtype=None, *,
                 bias: bool = True) -> None:
        plain.__init__(self, 0, eps, momentum, affine, track_running_stats, device, dtype,
                       bias=bias)
        self._make_lazy(device, dtype)

    return type("Lazy" + plain.__name__, (_LazyNorm, plain),
                {"__init__": __init__, "cls_to_become": plain,
                 "__doc__": f"A {plain.__name__} whose num_features is the first input's.",
                 "__module__": __name__, "__qualname__": "Lazy" + plain.__name__})


LazyConv1d = _lazy_conv(Conv1d, "A Conv1d whose in_channels is the first input's.")
LazyConv2d = _lazy_conv(Conv2d, "A Conv2d whose in_channels is the first input's.")
LazyConv3d = _lazy_conv(Conv3d, "A Conv3d whose in_channels is the first input's.")
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, "A ConvTranspose1d whose in_channels is "
                                 "the first input's.")
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, "A ConvTranspose2d whose in_channels is "
                                 "the first input's.")
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, "A ConvTranspose3d whose in_channels is "
                                 "the first input's.")
LazyBatchNorm1d = _lazy_norm(BatchNorm1d, True, True)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, True, True)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, True, True)
# PyTorch's lazy instance norms default to affine=True, track_running_stats=True (unlike
# InstanceNorm*d's False, False); kept for parity
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, True, True)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, True, True)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, True, True)
