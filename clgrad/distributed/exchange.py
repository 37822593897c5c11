"""Collectives where every rank sends a different piece to every other rank: reduce_scatter,
all_to_all and all_to_all_single (MPI's reduce_scatter_block, alltoall and alltoallv)."""
from __future__ import annotations

import numpy as np

from . import _host
from .collectives import _check_same, _done, _finish_reduce, _in_place, _member
from .process_group import Work, mpi, resolve
from .reduce_op import ReduceOp, mpi_op


def _same_dtype(what: str, tensors) -> None:
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        raise ValueError(f"{what}: tensors must all have the same dtype (got "
                         f"{sorted(map(str, dtypes))})")


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """output = the reduction over ranks of every rank's input_list[my rank]."""
    pg = resolve(group)
    if not _member(pg):
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors; the group "
                         f"has {pg.size()} ranks")
    _same_dtype("reduce_scatter", [output, *input_list])
    for i, t in enumerate(input_list):
        if t.numel() != output.numel():
            raise ValueError(f"reduce_scatter: input_list[{i}] has {t.numel()} elements; the "
                             f"output has {output.numel()}")
    _check_same("reduce_scatter", output, pg)
    MPI = mpi()
    mop, avg = mpi_op(MPI, op)
    src = np.concatenate([_host.read(t) for t in input_list])
    out, copy_back = _in_place(output)
    req = pg._comm.Ireduce_scatter_block(src, out, op=mop)
    return _done(Work([req], pg, "reduce_scatter",
                      _finish_reduce(out, avg, pg.size(), output, copy_back), [output]),
                 async_op)


def _counts(what: str, splits, t, size: int) -> list:
    """Elements per peer: given dim-0 split sizes, or t's dim 0 divided evenly."""
    rows = t.shape[0] if t.dim() else 1
    per_row = t.numel() // rows if rows else 0
    if splits is None or len(splits) == 0:
        if rows % size:
            raise ValueError(f"{what}: dim 0 ({rows}) must divide evenly by the world size "
                             f"({size}) when no split sizes are given")
        return [rows // size * per_row] * size
    splits = [int(s) for s in splits]
    if len(splits) != size or sum(splits) != rows:
        raise ValueError(f"{what}: split sizes {splits} must give one size per rank and sum "
                         f"to dim 0 ({rows})")
    return [s * per_row for s in splits]


def _displacements(counts) -> list:
    return [int(x) for x in np.concatenate([[0], np.cumsum(counts)[:-1]])]


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op: bool = False):
    """Rank i's j-th dim-0 chunk of input becomes rank j's i-th dim-0 chunk of output."""
    pg = resolve(group)
    if not _member(pg):
        return None
    _same_dtype("all_to_all_single", [output, input])
    send_counts = _counts("all_to_all_single", input_split_sizes, input, pg.size())
    recv_counts = _counts("all_to_all_single", output_split_sizes, output, pg.size())
    _check_same("all_to_all_single", None, pg)
    src = _host.read(input)
    out, copy_back = _in_place(output)
    req = pg._comm.Ialltoallv([src, (send_counts, _displacements(send_counts))],
                              [out, (recv_counts, _displacements(recv_counts))])
    return _done(Work([req], pg, "all_to_all_single", copy_back, [output]), async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op: bool = False):
    """Rank i's input_tensor_list[j] becomes rank j's output_tensor_list[i]."""
    pg = resolve(group)
    if not _member(pg):
        return None
    for name, tensors in (("output", output_tensor_list), ("input", input_tensor_list)):
        if len(tensors) != pg.size():
            raise ValueError(f"all_to_all: the {name} list has {len(tensors)} tensors; the "
                             f"group has {pg.size()} ranks")
    _same_dtype("all_to_all", [*output_tensor_list, *input_tensor_list])
    _check_same("all_to_all", None, pg)
    src = np.concatenate([_host.read(t) for t in input_tensor_list])
    send_counts = [t.numel() for t in input_tensor_list]
    recv_counts = [t.numel() for t in output_tensor_list]
    dtype = _host.host_dtype(output_tensor_list[0].dtype)
    out = np.empty(sum(recv_counts), dtype)
    starts = _displacements(recv_counts)
    req = pg._comm.Ialltoallv([src, (send_counts, _displacements(send_counts))],
                              [out, (recv_counts, starts)])

    def finish():
        for t, start, count in zip(output_tensor_list, starts, recv_counts):
            _host.write(t, out[start:start + count])
    return _done(Work([req], pg, "all_to_all", finish, [output_tensor_list]), async_op)


__all__ = ["reduce_scatter", "all_to_all", "all_to_all_single"]
