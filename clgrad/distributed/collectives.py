"""Collectives with PyTorch's signatures on MPI.

Each collective first exchanges a small signature (which collective, dtype, shape) so that
mismatched calls raise the same clear error on every rank instead of hanging or corrupting
memory; every wait polls with the group's timeout.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from . import _host
from .process_group import GroupMember, Work, mpi, resolve, wait_requests
from .reduce_op import RedOpType, ReduceOp, mpi_op

_KINDS = {name: i for i, name in enumerate(
    ["all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor",
     "reduce", "gather", "scatter", "barrier", "reduce_scatter", "all_to_all",
     "all_to_all_single"])}
_SIG = 12
# A dtype's code in the signature: its place in clgrad's own list (the same on every rank).
_DTYPES = dt.all_dtypes + (dt.bfloat16,)


def _dtype_code(dtype) -> int:
    return _DTYPES.index(dtype) if dtype in _DTYPES else len(_DTYPES)


def _signature(kind: str, t) -> np.ndarray:
    sig = np.full(_SIG, -1, np.int64)
    sig[0] = _KINDS[kind]
    if t is not None:
        sig[1] = _dtype_code(t.dtype)
        sig[2] = t.dim()
        shape = list(t.shape)[:_SIG - 3]
        sig[3:3 + len(shape)] = shape
    return sig


def _check_same(kind: str, t, pg) -> None:
    """Every rank compares everyone's (collective, dtype, shape); a mismatch raises on all."""
    mine = _signature(kind, t)
    every = np.empty((pg.size(), _SIG), np.int64)
    req = pg._comm.Iallgather(mine, every)
    wait_requests([req], pg, f"{kind} (shape check)")
    if (every == mine).all():
        return
    rows = [f"rank {pg._ranks[i]}: {_describe(r)}"
            for i, r in enumerate(every)]
    raise RuntimeError(f"{kind}: ranks disagree on the collective, dtype or shape ("
                       + "; ".join(rows) + ")")


def _describe(row) -> str:
    kind = [k for k, v in _KINDS.items() if v == row[0]]
    shape = [int(d) for d in row[3:3 + max(int(row[2]), 0)]]
    code = int(row[1])
    dtype = _DTYPES[code] if 0 <= code < len(_DTYPES) else "?"
    return f"{kind[0] if kind else '?'} shape={shape} dtype={dtype}"


def _member(pg) -> bool:
    return pg is not GroupMember.NON_GROUP_MEMBER and pg != GroupMember.NON_GROUP_MEMBER


def _done(work: Work, async_op: bool):
    if async_op:
        return work
    work.wait()
    return None


def _in_place(t):
    """(host buffer, copy-back function) for a collective that writes into t."""
    view = _host.direct_view(t)
    if view is not None:
        return view.reshape(-1), lambda: None
    buf = _host.read(t)
    return buf, lambda: _host.write(t, buf)


def _finish_reduce(buf, avg: bool, size: int, t, copy_back):
    def finish():
        if avg:
            if np.issubdtype(buf.dtype, np.floating):
                np.divide(buf, size, out=buf)
            else:
                np.copyto(buf, np.trunc(buf / size), casting="unsafe")
        copy_back()
    return finish


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    pg = resolve(group)
    if not _member(pg):
        return None
    _check_same("all_reduce", tensor, pg)
    MPI = mpi()
    mop, avg = mpi_op(MPI, op)
    buf, copy_back = _in_place(tensor)
    req = pg._comm.Iallreduce(MPI.IN_PLACE, buf, op=mop)
    return _done(Work([req], pg, "all_reduce",
                      _finish_reduce(buf, avg, pg.size(), tensor, copy_back), [tensor]), async_op)


def _src(pg, src, group_src):
    return group_src if group_src is not None else pg.group_rank(0 if src is None else src)


def broadcast(tensor, src=None, group=None, async_op: bool = False, group_src=None):
    pg = resolve(group)
    if not _member(pg):
        return None
    _check_same("broadcast", tensor, pg)
    buf, copy_back = _in_place(tensor)
    req = pg._comm.Ibcast(buf, root=_src(pg, src, group_src))
    return _done(Work([req], pg, "broadcast", copy_back, [tensor]), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op: bool = False,
           group_dst=None):
    pg = resolve(group)
    if not _member(pg):
        return None
    _check_same("reduce", tensor, pg)
    MPI = mpi()
    mop, avg = mpi_op(MPI, op)
    root = _src(pg, dst, group_dst)
    buf, copy_back = _in_place(tensor)
    if pg.rank() == root:
        req = pg._comm.Ireduce(MPI.IN_PLACE, buf, op=mop, root=root)
        finish = _finish_reduce(buf, avg, pg.size(), tensor, copy_back)
    else:
        req = pg._comm.Ireduce(buf, None, op=mop, root=root)
        finish = None
    return _done(Work([req], pg, "reduce", finish, [tensor]), async_op)


def _gather_into(outputs, stacked):
    def finish():
        for i, out in enumerate(outputs):
            _host.write(out, stacked[i])
    return finish


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    pg = resolve(group)
    if not _member(pg):
        return None
    if len(tensor_list) != pg.size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors; the group "
                         f"has {pg.size()} ranks")
    for i, out in enumerate(tensor_list):
        if tuple(out.shape) != tuple(tensor.shape) or out.dtype != tensor.dtype:
            raise RuntimeError(f"all_gather: invalid tensor size at index {i} (expected "
                               f"{tuple(tensor.shape)} {tensor.dtype}, got {tuple(out.shape)} "
                               f"{out.dtype})")
    _check_same("all_gather", tensor, pg)
    src = _host.read(tensor)
    stacked = np.empty((pg.size(), src.size), src.dtype)
    req = pg._comm.Iallgather(src, stacked)
    return _done(Work([req], pg, "all_gather", _gather_into(tensor_list, stacked),
                      [tensor_list]), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    pg = resolve(group)
    if not _member(pg):
        return None
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise ValueError("all_gather_into_tensor: output tensor size must be equal to "
                         "world_size times input tensor size")
    _check_same("all_gather_into_tensor", input_tensor, pg)
    src = _host.read(input_tensor)
    out, copy_back = _in_place(output_tensor)
    req = pg._comm.Iallgather(src, out)
    return _done(Work([req], pg, "all_gather_into_tensor", copy_back, [output_tensor]),
                 async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    pg = resolve(group)
    if not _member(pg):
        return None
    if input.numel() != output.numel() * pg.size():
        raise ValueError("reduce_scatter_tensor: input tensor size must be equal to "
                         "world_size times output tensor size")
    _check_same("reduce_scatter_tensor", input, pg)
    MPI = mpi()
    mop, avg = mpi_op(MPI, op)
    src = _host.read(input)
    out, copy_back = _in_place(output)
    req = pg._comm.Ireduce_scatter_block(src, out, op=mop)
    return _done(Work([req], pg, "reduce_scatter_tensor",
                      _finish_reduce(out, avg, pg.size(), output, copy_back), [output]),
                 async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op: bool = False,
           group_dst=None):
    pg = resolve(group)
    if not _member(pg):
        return None
    root = _src(pg, dst, group_dst)
    if pg.rank() == root and (gather_list is None or len(gather_list) != pg.size()):
        raise ValueError("gather: gather_list on the destination rank must hold one tensor "
                         "per rank")
    _check_same("gather", tensor, pg)
    src = _host.read(tensor)
    if pg.rank() == root:
        stacked = np.empty((pg.size(), src.size), src.dtype)
        req = pg._comm.Igather(src, stacked, root=root)
        finish = _gather_into(gather_list, stacked)
    else:
        req = pg._comm.Igather(src, None, root=root)
        finish = None
    return _done(Work([req], pg, "gather", finish, [tensor]), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op: bool = False,
            group_src=None):
    pg = resolve(group)
    if not _member(pg):
        return None
    root = _src(pg, src, group_src)
    _check_same("scatter", tensor, pg)
    out, copy_back = _in_place(tensor)
    if pg.rank() == root:
        if scatter_list is None or len(scatter_list) != pg.size():
            raise ValueError("scatter: scatter_list on the source rank must hold one tensor "
                             "per rank")
        stacked = np.stack([_host.read(t) for t in scatter_list])
        req = pg._comm.Iscatter(stacked, out, root=root)
    else:
        req = pg._comm.Iscatter(None, out, root=root)
    return _done(Work([req], pg, "scatter", copy_back, [tensor]), async_op)


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    pg = resolve(group)
    if not _member(pg):
        return None
    req = pg._comm.Ibarrier()
    work = Work([req], pg, "barrier")
    if async_op:
        return work
    work.wait(timeout)
    return None


def _peer(pg, rank, group_rank):
    return group_rank if group_rank is not None else pg.group_rank(rank)


def canonical_peer(pg, rank, group_rank) -> int:
    """The peer's group rank from exactly one of its global or group rank (PyTorch's errors)."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        return group_rank
    if rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    return pg.group_rank(rank)


def isend(tensor, dst=None, group=None, tag: int = 0, group_dst=None):
    pg = resolve(group)
    if not _member(pg):
        return None
    buf = _host.read(tensor)
    req = pg._comm.Isend(buf, dest=_peer(pg, dst, group_dst), tag=tag)
    return Work([req], pg, "send", None, [buf])


def irecv(tensor, src=None, group=None, tag: int = 0, group_src=None):
    pg = resolve(group)
    if not _member(pg):
        return None
    MPI = mpi()
    buf, copy_back = _in_place(tensor)
    source = MPI.ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src)
    req = pg._comm.Irecv(buf, source=source, tag=tag)
    return Work([req], pg, "recv", copy_back, [tensor])


def send(tensor, dst=None, group=None, tag: int = 0, group_dst=None) -> None:
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag: int = 0, group_src=None) -> int:
    pg = resolve(group)
    if not _member(pg):
        return -1
    MPI = mpi()
    buf, copy_back = _in_place(tensor)
    source = MPI.ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src)
    status = MPI.Status()
    req = pg._comm.Irecv(buf, source=source, tag=tag)
    wait_requests([req], pg, "recv")
    req.Wait(status)
    copy_back()
    return pg._ranks[status.Get_source()]


__all__ = ["all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
           "reduce_scatter_tensor", "gather", "scatter", "barrier", "send", "recv", "isend",
           "irecv", "RedOpType"]
