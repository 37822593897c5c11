"""Device names ("cpu", "cl", "cl:N") and the default device for creation functions.

The device types, their aliases ("cuda" for cl) and which one is the accelerator come from
the backend registry (clgrad/backends/__init__.py); nothing here names a backend.
"""
from __future__ import annotations

import os
from typing import Union

from . import backends as _backends


class device:
    """A place tensors live: ``device("cpu")`` (numpy) or ``device("cl", 0)`` (OpenCL)."""

    # _backend caches backends.backend_for(self) (a slot read on the per-op path).
    __slots__ = ("type", "index", "_backend")

    def __init__(self, type: Union[str, "device", int], index: int | None = None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): an index cannot be given with a device object")
            self.type, self.index, self._backend = type.type, type.index, None
            return
        if isinstance(type, int) and not isinstance(type, bool):
            # PyTorch reads a bare integer as an accelerator index.
            type, index = _backends.accelerator() or "cpu", type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string, a device or an int, got "
                            f"{type.__class__.__name__}")
        if not type:
            raise RuntimeError("Device string must not be empty")
        name, _, idx = type.partition(":")
        if idx:
            if index is not None:
                raise RuntimeError(f"device(): type (string) must not include an index because "
                                   f"index was passed explicitly: {type}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        # An alias ("cuda") keeps ported code working: it names the accelerator here.
        registered = _backends.resolve_name(name)
        if registered is None:
            raise RuntimeError(f"Expected one of {', '.join(_backends.device_types())} device "
                               f"type at start of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index, self._backend = registered, index, None

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
_default_device: device | None = None


_interned: dict = {}


def canonical(dev) -> device:
    """The concrete device a tensor lives on: "cl" becomes "cl:<current>", "cpu" stays.

    Canonical devices are interned, so tensors on one device share one device object and
    the per-op fast path can compare them by identity.
    """
    if dev is None:
        return get_default_device()
    if not isinstance(dev, device):
        dev = device(dev)
    if dev.type == "cpu":
        return CPU
    index = dev.index
    if index is None:
        index = _backends.device_type(dev.type).current
    key = (dev.type, index)
    found = _interned.get(key)
    if found is None:
        found = _interned[key] = device(dev.type, index)
    return found


def get_default_device() -> device:
    """The device creation functions use when given none (cpu unless set)."""
    global _default_device
    if _default_device is None:
        _default_device = canonical(os.environ.get("CLGRAD_DEVICE") or "cpu")
    return _default_device


def set_default_device(dev) -> None:
    global _default_device
    _default_device = None if dev is None else canonical(dev)
