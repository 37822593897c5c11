"""Object collectives (all_gather_object, broadcast_object_list, ...): PyTorch's in-place
list semantics over mpi4py's pickle-based lowercase methods.

They block in MPI rather than poll with the group's timeout: mpi4py has no non-blocking
pickled broadcast, gather or scatter. Objects are pickled here first (mpi4py then moves the
bytes) so that tensors on device memory, which plain pickle cannot copy, travel too.
"""
from __future__ import annotations

import io
import pickle

from .collectives import _member, _src, canonical_peer
from .process_group import mpi, resolve


class _Pickler(pickle.Pickler):
    """Pickles a device tensor as its host copy plus its device, as torch.save would."""

    def reducer_override(self, obj):
        from .._tensor import Tensor
        if isinstance(obj, Tensor) and not obj.is_cpu:
            return _to_device, (obj.cpu(), str(obj.device))
        return NotImplemented


def _to_device(host, device: str):
    return host.to(device)


def _dumps(obj) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def _not_self(pg, peer: int, what: str) -> None:
    if peer == pg.rank():
        raise ValueError(f"Invalid {what} rank: {what} rank should not be the same as the "
                         "rank of the current process.")


def all_gather_object(object_list, obj, group=None) -> None:
    """object_list[i] becomes rank i's obj on every rank."""
    pg = resolve(group)
    if not _member(pg):
        return
    for i, data in enumerate(pg._comm.allgather(_dumps(obj))):
        object_list[i] = pickle.loads(data)


def broadcast_object_list(object_list, src=None, group=None, device=None,
                          group_src=None) -> None:
    """Every rank's object_list takes the source rank's elements (same length everywhere)."""
    pg = resolve(group)
    if not _member(pg):
        return
    root = _src(pg, src, group_src)
    data = pg._comm.bcast(_dumps(list(object_list)) if pg.rank() == root else None, root=root)
    if pg.rank() == root:
        return  # PyTorch leaves the source's own list (and its objects) untouched
    values = pickle.loads(data)
    for i, value in enumerate(values[:len(object_list)]):
        object_list[i] = value


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None) -> None:
    """object_gather_list[i] on the destination rank becomes rank i's obj."""
    pg = resolve(group)
    if not _member(pg):
        return
    root = _src(pg, dst, group_dst)
    values = pg._comm.gather(_dumps(obj), root=root)
    if pg.rank() != root:
        return
    if object_gather_list is None:
        raise AssertionError("Must provide object_gather_list on dst rank")
    for i, value in enumerate(values):
        object_gather_list[i] = pickle.loads(value)


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None) -> None:
    """scatter_object_output_list[0] on rank i becomes the source's input list's element i."""
    pg = resolve(group)
    if not _member(pg):
        return
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    root = _src(pg, src, group_src)
    if pg.rank() == root:
        if scatter_object_input_list is None:
            raise ValueError("source rank must provide non-None scatter_object_input_list")
        values = [_dumps(v) for v in list(scatter_object_input_list)[:pg.size()]]
    else:
        values = None
    scatter_object_output_list[0] = pickle.loads(pg._comm.scatter(values, root=root))


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None,
                     use_batch: bool = False) -> None:
    pg = resolve(group)
    if not _member(pg):
        return
    peer = canonical_peer(pg, dst, group_dst)
    _not_self(pg, peer, "destination")
    pg._comm.send(_dumps(list(object_list)), dest=peer, tag=_OBJECT_TAG)


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None,
                     use_batch: bool = False) -> int:
    """Fill object_list from a send_object_list; returns the sender's global rank."""
    pg = resolve(group)
    if not _member(pg):
        return -1
    source = canonical_peer(pg, src, group_src)
    _not_self(pg, source, "source")
    status = mpi().Status()
    values = pickle.loads(pg._comm.recv(source=source, tag=_OBJECT_TAG, status=status))
    for i, value in enumerate(values[:len(object_list)]):
        object_list[i] = value
    return pg._ranks[status.Get_source()]


# Objects travel on their own tag so that they never match a tensor send/recv (tag 0).
_OBJECT_TAG = 32_000

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object",
           "scatter_object_list", "send_object_list", "recv_object_list"]
