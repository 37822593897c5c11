"""Backends: where tensor memory lives and kernels run. `cpu` is numpy, `cl` is pyopencl.

Every backend implements the contract in base.py; everything above it is written once for
all of them. A device type is found in the registry below, so a new backend is one package
(backends/<name>/ with the family modules) and one `register` line. A backend's package is
imported when its first device is used, so a machine without pyopencl never touches cl.
"""
from __future__ import annotations

import importlib

from .base import Backend
from .cpu import CpuBackend

# CpuBackend is imported here, eagerly: numpy is always there and cpu is the default device.
__all__ = ["Backend", "CpuBackend", "DeviceType", "register", "device_type", "device_types",
           "resolve_name", "accelerator", "is_accelerator", "backend_for"]


class DeviceType:
    """One registered device type: its name, where its backend class is, and what it is."""

    __slots__ = ("name", "path", "accelerator", "aliases", "current")

    def __init__(self, name: str, path: str, accelerator: bool, aliases: tuple = ()):
        self.name = name
        # "package.module:Class" of the Backend subclass, imported on first use.
        self.path = path
        # An accelerator's devices are numbered ("cl:0"); a bare int or "cuda" names one.
        self.accelerator = accelerator
        self.aliases = aliases
        # The index a device string without one ("cl") means; clgrad.cl.set_device sets it.
        self.current = 0

    def backend_class(self) -> type:
        """The Backend subclass serving this type (importing its package the first time)."""
        module, _, name = self.path.partition(":")
        return getattr(importlib.import_module(module), name)

    def __repr__(self) -> str:
        return f"DeviceType({self.name!r}, {self.path!r}, accelerator={self.accelerator})"


_types: dict = {}  # name -> DeviceType
_names: dict = {}  # every accepted spelling ("cuda" too) -> the registered name
_accelerator: str | None = None  # the first accelerator type registered


def register(name: str, path: str, accelerator: bool = False, aliases: tuple = ()) -> None:
    """Add a device type whose backend is the class at `path` ("module:Class")."""
    global _accelerator
    _types[name] = DeviceType(name, path, accelerator, tuple(aliases))
    for spelling in (name, *aliases):
        _names[spelling] = name
    if accelerator and _accelerator is None:
        _accelerator = name


def device_type(name: str) -> DeviceType:
    """The registered device type of a name or alias (KeyError when there is none)."""
    return _types[_names[name]]


def device_types() -> tuple:
    """The registered device type names, in registration order."""
    return tuple(_types)


def resolve_name(name: str) -> str | None:
    """The registered type a device string's type part means ("cuda" -> "cl"), or None."""
    return _names.get(name)


def accelerator() -> str | None:
    """The accelerator device type (what a bare index and "cuda" mean), None without one."""
    return _accelerator


def is_accelerator(name: str) -> bool:
    """Whether a device type (or alias) is an accelerator rather than the host."""
    found = _names.get(name) if isinstance(name, str) else None
    return found is not None and _types[found].accelerator


_instances: dict = {}  # (type, index) -> the one backend of that device


def backend_for(device):
    """The backend instance serving a canonical device (one per device, made on first use)."""
    # Cached on the device object, so the per-op path is one slot read.
    backend = device._backend
    if backend is None:
        key = (device.type, device.index)
        backend = _instances.get(key)
        if backend is None:
            backend = _instances[key] = _types[device.type].backend_class()(device)
        device._backend = backend
    return backend


# The registry: one line per backend. cpu's package is imported above (numpy is always
# there); any other is imported when its first device is used, so pyopencl only then.
register("cpu", "clgrad.backends.cpu.backend:CpuBackend")
register("cl", "clgrad.backends.cl.backend:ClBackend", accelerator=True, aliases=("cuda",))
