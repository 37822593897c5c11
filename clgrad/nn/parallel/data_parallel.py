"""DataParallel: on one device (the only case clgrad has) it wraps and forwards, as PyTorch
does when there is a single device."""
from __future__ import annotations

from ..modules.module import Module


class DataParallel(Module):
    """Wraps `module`; state_dict keys carry the `module.` prefix, as in PyTorch."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
