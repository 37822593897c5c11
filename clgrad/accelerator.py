"""clgrad.accelerator: PyTorch 2.6's device-agnostic accelerator API, served by the cl devices.

Programs that write `device = torch.accelerator.current_accelerator()` get device('cl')
here where an OpenCL device exists, and None (so they fall back to cpu) where none does.
"""
from __future__ import annotations

from typing import Optional

from . import cl as _cl
from ._device import device as _Device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "device_index"]


def is_available() -> bool:
    """Whether an OpenCL device exists."""
    return _cl.is_available()


def current_accelerator(check_available: bool = False) -> Optional[_Device]:
    """device('cl') when an OpenCL device exists, else None."""
    return _Device("cl") if _cl.is_available() else None


def device_count() -> int:
    return _cl.device_count() if _cl.is_available() else 0


def _require() -> None:
    if not _cl.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def current_device_index() -> int:
    """The index of the current cl device."""
    _require()
    return _cl.current_device()


def set_device_index(device) -> None:
    """Make cl device `device` (an index, 'cl:N' or a device) the current one."""
    _require()
    _cl.set_device(device)


def synchronize(device=None) -> None:
    """Wait for every launch queued on the device (the current one by default)."""
    _require()
    _cl.synchronize(device)


current_device_idx = current_device_index
set_device_idx = set_device_index


class device_index:
    """Context manager: the current cl device is `device` inside (None: no change)."""

    def __init__(self, device: Optional[int]):
        self.idx, self.prev = device, None

    def __enter__(self):
        if self.idx is not None:
            self.prev = current_device_index()
            set_device_index(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev is not None:
            set_device_index(self.prev)
        return False
