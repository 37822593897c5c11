"""Process groups over MPI communicators, the default group, and work handles with timeouts.

mpi4py is imported only here, lazily (init_process_group), so `import clgrad` works without it.
"""
from __future__ import annotations

import atexit
import datetime
import os
import time

default_pg_timeout = datetime.timedelta(minutes=30)  # PyTorch's default


class DistError(RuntimeError):
    """A collective failed (PyTorch's torch.distributed.DistError)."""


class DistBackendError(DistError):
    """The communication backend failed or timed out (torch.distributed.DistBackendError)."""


_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class _State:
    MPI = None
    world = None  # the default ProcessGroup
    broken = False  # a request was abandoned: finalize could hang, so abort at exit


_state = _State()


def mpi():
    if _state.MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise RuntimeError("clgrad.distributed needs mpi4py and an MPI library: "
                               "pip install 'clgrad[distributed]' (mpi4py, mpich)") from exc
        _state.MPI = MPI
        atexit.register(_abort_if_broken)
    return _state.MPI


def _abort_if_broken() -> None:
    # MPI_Finalize with abandoned requests can block forever; ending the whole job instead
    # means no rank is left behind waiting for this one.
    if _state.broken and _state.MPI is not None:
        _state.MPI.COMM_WORLD.Abort(1)


class ProcessGroup:
    """A set of ranks sharing one MPI communicator."""

    def __init__(self, comm, ranks: list, timeout: datetime.timedelta):
        self._comm = comm
        self._ranks = list(ranks)  # global ranks, in group-rank order
        self.timeout = timeout

    def rank(self) -> int:
        return self._comm.Get_rank()

    def size(self) -> int:
        return self._comm.Get_size()

    def name(self) -> str:
        return "mpi"

    def group_rank(self, global_rank: int) -> int:
        if global_rank not in self._ranks:
            raise ValueError(f"Global rank {global_rank} is not part of group {self}")
        return self._ranks.index(global_rank)

    def __repr__(self) -> str:
        return f"<ProcessGroup mpi ranks={self._ranks}>"


class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = -100


class group:
    WORLD = None


def default_group() -> ProcessGroup:
    if _state.world is None:
        raise ValueError(_NOT_INIT)
    return _state.world


def resolve(pg) -> ProcessGroup:
    return default_group() if pg is None else pg


def wait_requests(requests, pg: ProcessGroup, what: str, timeout=None) -> None:
    """Poll MPI requests until done; past the group's timeout raise instead of hanging."""
    timeout = pg.timeout if timeout is None else timeout
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
    start = time.monotonic()
    deadline = start + seconds
    pause = 0.0
    MPI = mpi()
    try:
        while not MPI.Request.Testall(requests):
            if time.monotonic() > deadline:
                _state.broken = True
                raise DistBackendError(
                    f"[Rank {default_group().rank()}] {what} did not complete within the "
                    f"timeout of {seconds:g} s (a rank may have died or not joined the "
                    "collective)")
            # Yield only for the first 10 ms (most waits are short and a sleep's wake-up
            # latency would dominate them), then back off to at most 1 ms between polls.
            time.sleep(pause)
            if time.monotonic() - start > 0.01:
                pause = min(pause * 2 + 1e-5, 1e-3)
    except MPI.Exception as exc:
        _state.broken = True
        raise DistBackendError(f"{what} failed in MPI: {exc}") from exc


class Work:
    """What an async_op=True collective returns: `wait()` finishes it (copies back)."""

    def __init__(self, requests, pg: ProcessGroup, what: str, finish=None, result=()):
        self._requests = list(requests)
        self._pg = pg
        self._what = what
        self._finish = finish
        self._result = list(result)
        self._done = False
        self._exception = None

    def is_completed(self) -> bool:
        if self._done:
            return True
        return bool(mpi().Request.Testall(self._requests))

    def wait(self, timeout=None) -> bool:
        if self._done:
            return True
        try:
            wait_requests(self._requests, self._pg, self._what, timeout)
        except Exception as exc:
            self._exception = exc
            raise
        if self._finish is not None:
            self._finish()
        self._done = True
        return True

    def is_success(self) -> bool:
        return self._done and self._exception is None

    def exception(self):
        return self._exception

    def result(self) -> list:
        return self._result


def init_process_group(backend=None, init_method=None, timeout=None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Join the default group: every process started by mpiexec (or the launcher)."""
    if _state.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend not in (None, "mpi", "gloo", "nccl"):
        raise ValueError(f"Invalid backend: '{backend}' (clgrad.distributed runs on MPI)")
    MPI = mpi()
    comm = MPI.COMM_WORLD
    size, me = comm.Get_size(), comm.Get_rank()
    env_size = int(os.environ.get("WORLD_SIZE", size))
    for name, given, actual in (("world_size", world_size, size), ("rank", rank, me),
                                ("WORLD_SIZE", env_size, size)):
        if given not in (-1, actual):
            raise ValueError(f"init_process_group: {name}={given} but MPI started {size} "
                             f"processes and this is rank {me}; start them with mpiexec -n "
                             "N or python -m clgrad.distributed.run -n N")
    for key, value in (("RANK", me), ("WORLD_SIZE", size)):
        os.environ.setdefault(key, str(value))
    pg = ProcessGroup(comm.Dup(), list(range(size)), timeout or default_pg_timeout)
    _state.world = pg
    GroupMember.WORLD = group.WORLD = pg


def destroy_process_group(group_=None) -> None:
    if _state.world is None:
        raise AssertionError("Process group cannot be None")
    if group_ is None or group_ is _state.world:
        _state.world = None
        GroupMember.WORLD = group.WORLD = None


def is_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    return _state.world is not None


def is_mpi_available() -> bool:
    return is_available()


def get_backend(group_=None) -> str:
    resolve(group_)
    return "mpi"


def get_rank(group_=None) -> int:
    pg = resolve(group_)
    if pg == GroupMember.NON_GROUP_MEMBER:
        return -1
    return pg.rank()


def get_world_size(group_=None) -> int:
    pg = resolve(group_)
    if pg == GroupMember.NON_GROUP_MEMBER:
        return -1
    return pg.size()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization: bool = False, group_desc=None, device_id=None,
              sort_ranks: bool = True):
    """A group of some ranks; every rank of the default group must call it."""
    world = default_group()
    ranks = list(range(world.size())) if ranks is None else list(ranks)
    if sort_ranks:
        ranks = sorted(ranks)
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError(f"Invalid rank {r}, ranks must be in [0, {world.size() - 1}]")
    comm = world._comm.Create(world._comm.Get_group().Incl(ranks))
    if comm == mpi().COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    return ProcessGroup(comm, ranks, timeout or world.timeout)


def get_global_rank(group, group_rank: int) -> int:
    """The global rank of `group`'s rank group_rank."""
    pg = resolve(group)
    if not 0 <= group_rank < len(pg._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg._ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    """global_rank's rank within `group`."""
    return resolve(group).group_rank(global_rank)


def get_process_group_ranks(group) -> list:
    """The global ranks of `group`'s members, in group-rank order."""
    return list(resolve(group)._ranks)


def get_node_local_rank(fallback_rank=None) -> int:
    """LOCAL_RANK (set by the launcher), else fallback_rank (PyTorch's behaviour)."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank to "
                       "allow `get_node_local_rank` to work, assuming you are not running in a "
                       "multi-device context and want the code to run locally instead.")
