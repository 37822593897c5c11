"""clgrad.backends.cudnn: the flags ported CUDA programs set, with honest answers.

clgrad has no cuDNN: is_available() is False and version() None. The flags are kept so
that `torch.backends.cudnn.benchmark = True` lines run; clgrad's kernels are deterministic
and its matmuls never use TF32, whatever they say.
"""
from __future__ import annotations

from typing import Optional

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: clgrad never uses cuDNN."""
    return False


def version() -> Optional[int]:
    """None, as PyTorch answers without cuDNN."""
    return None


def is_acceptable(tensor) -> bool:
    return False
