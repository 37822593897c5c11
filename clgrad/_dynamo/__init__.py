"""torch._dynamo's knobs that ported programs set (`config.cache_size_limit`,
`config.suppress_errors`) and `reset()`: clgrad.compile reads them (see clgrad/compiler.py)."""
from __future__ import annotations

from . import config  # noqa: F401


def reset() -> None:
    """Forget every compiled function's recordings: their next calls start over."""
    from ..compiler import reset as _reset
    _reset()
