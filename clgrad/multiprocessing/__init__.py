"""clgrad.multiprocessing: Python's multiprocessing with cpu tensors shared, not copied
(torch.multiprocessing). cl tensors cannot be shared between processes."""
import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403

from ._shared import init_reductions, is_shared  # noqa: F401
from .spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                    ProcessRaisedException, spawn, start_processes)

__all__ = list(_mp.__all__) + ["spawn", "start_processes", "ProcessContext",
                               "ProcessException", "ProcessRaisedException",
                               "ProcessExitedException", "get_sharing_strategy",
                               "set_sharing_strategy", "get_all_sharing_strategies",
                               "init_reductions"]

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set:
    """Both names torch uses; here both mean POSIX shared memory blocks."""
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"invalid sharing strategy: {new_strategy}")
    _strategy = new_strategy


init_reductions()
