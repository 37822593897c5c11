"""torch.backends.cuda's flags, which the rename cuda -> cl turns into clgrad.backends.cl.

`torch.backends.cuda.matmul.allow_tf32 = True` opens nanoGPT's train.py, sample.py and
bench.py and many scripts derived from them. The flags are kept, and read back as set, so
those lines run; honestly, they change nothing: OpenCL has no TF32 and clgrad's GEMM
accumulates in the storage precision, and clgrad has one scaled_dot_product_attention (the
math one), whichever SDP backends are "enabled". Nothing here imports pyopencl.
"""
from __future__ import annotations

import contextlib
import importlib.util
import warnings

__all__ = ["matmul", "is_built", "sdp_kernel", "enable_flash_sdp", "enable_mem_efficient_sdp",
           "enable_math_sdp", "enable_cudnn_sdp", "flash_sdp_enabled",
           "mem_efficient_sdp_enabled", "math_sdp_enabled", "cudnn_sdp_enabled"]


class _MatmulFlags:
    """torch.backends.cuda.matmul (cuBLASModule): known flags only, bools checked."""

    _BOOLS = {"allow_tf32": False, "allow_fp16_reduced_precision_reduction": True,
              "allow_bf16_reduced_precision_reduction": True, "allow_fp16_accumulation": False}

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._BOOLS, fp32_precision="none"))

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name in self._BOOLS:
            if not isinstance(value, bool):
                raise RuntimeError(f"set_{name} expects a bool, but got "
                                   f"{type(value).__name__}")
        elif name == "fp32_precision":
            if value not in ("none", "ieee", "tf32"):
                raise RuntimeError(f"Invalid precision {value!r}: expected one of "
                                   "'none', 'ieee', 'tf32'")
        else:
            raise AttributeError(f"Unknown attribute {name}")
        self._values[name] = value


matmul = _MatmulFlags()


def is_built() -> bool:
    """Whether clgrad can drive OpenCL here (pyopencl importable), as torch's answer for CUDA."""
    return importlib.util.find_spec("pyopencl") is not None


_SDP = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def enable_flash_sdp(enabled: bool) -> None:
    _SDP["flash"] = bool(enabled)


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _SDP["mem_efficient"] = bool(enabled)


def enable_math_sdp(enabled: bool) -> None:
    _SDP["math"] = bool(enabled)


def enable_cudnn_sdp(enabled: bool) -> None:
    _SDP["cudnn"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    return _SDP["flash"]


def mem_efficient_sdp_enabled() -> bool:
    return _SDP["mem_efficient"]


def math_sdp_enabled() -> bool:
    return _SDP["math"]


def cudnn_sdp_enabled() -> bool:
    return _SDP["cudnn"]


@contextlib.contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True):
    """Deprecated in PyTorch (FutureWarning, as there); sets the flags for the block."""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this "
                  "context manager will be removed. Please see `torch.nn.attention."
                  "sdpa_kernel()` for the new context manager, with updated signature",
                  FutureWarning, stacklevel=3)
    previous = dict(_SDP)
    _SDP.update(flash=bool(enable_flash), math=bool(enable_math),
                mem_efficient=bool(enable_mem_efficient), cudnn=bool(enable_cudnn))
    try:
        yield
    finally:
        _SDP.update(previous)
