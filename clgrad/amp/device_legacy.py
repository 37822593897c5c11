"""The deprecated per-device forms tutorials still use: torch.cuda.amp.autocast(...) and
torch.cuda.amp.GradScaler(...) (here clgrad.cl.amp, also reached as clgrad.cuda.amp), which
PyTorch keeps with a FutureWarning pointing at torch.amp."""
from __future__ import annotations

import warnings

from .. import _dtype as dt
from .autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler

__all__ = ["autocast", "GradScaler"]


class autocast(_autocast):
    def __init__(self, enabled: bool = True, dtype=dt.float16, cache_enabled: bool = True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cl", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_GradScaler):
    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cl", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)
