"""torch.distributed's backend names: the Backend string class and availability checks.

clgrad has one communication backend, MPI, for every device; the others PyTorch names
(gloo, nccl, ucc, xccl) are never available here.
"""
from __future__ import annotations

from .process_group import is_mpi_available


class Backend(str):
    """A backend's name: a lower-case str; Backend("GLOO") is Backend.GLOO ("gloo")."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    backend_list = [UNDEFINED, GLOO, NCCL, XCCL, UCC, MPI]
    # clgrad's collectives run over MPI whatever the tensors' device.
    default_device_backend_map = {"cpu": MPI, "cl": MPI}

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return value


def is_nccl_available() -> bool:
    return False


def is_gloo_available() -> bool:
    return False


def is_ucc_available() -> bool:
    return False


def is_xccl_available() -> bool:
    return False


def is_backend_available(backend: str) -> bool:
    """Whether init_process_group(backend) can run here: only "mpi", when mpi4py is installed."""
    return Backend(backend) == Backend.MPI and is_mpi_available()


def get_default_backend_for_device(device) -> str:
    """The backend clgrad uses for tensors on `device` ("mpi" for cpu and cl)."""
    from .._device import device as make_device
    kind = device.type if hasattr(device, "type") else make_device(device).type
    backend = Backend.default_device_backend_map.get(kind)
    if backend is None:
        raise ValueError(f"Default backend not registered for device : {device}")
    return backend
