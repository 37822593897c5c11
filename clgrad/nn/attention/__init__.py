"""torch.nn.attention: choosing the kernel behind F.scaled_dot_product_attention.

clgrad has one implementation (the math one, composed from Tensor ops), so sdpa_kernel
checks its argument as PyTorch does and selects nothing; code that asks for flash or
efficient attention runs unchanged on it."""
from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    """The backends PyTorch names; clgrad always runs MATH."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Context manager limiting scaled_dot_product_attention to ``backends``."""
    listed = backends if isinstance(backends, (list, tuple)) else [backends]
    if not all(isinstance(b, SDPBackend) for b in listed):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of "
                             f"SDPBackend instances, got {type(backends).__name__}")
    yield
