"""Batched point-to-point (P2POp, batch_isend_irecv) and monitored_barrier."""
from __future__ import annotations

import datetime
import warnings

from .collectives import barrier, canonical_peer, irecv, isend
from .process_group import resolve


class P2POp:
    """One isend or irecv for batch_isend_irecv: the op, tensor, peer, group and tag."""

    def __init__(self, op, tensor, peer=None, group=None, tag: int = 0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             "``torch.distributed.isend`` or ``torch.distributed.irecv``.")
        self.op = op
        self.tensor = tensor
        self.group = resolve(group)
        self.group_peer = canonical_peer(self.group, peer, group_peer)
        self.peer = self.group._ranks[self.group_peer]
        self.tag = tag

    def __repr__(self) -> str:
        me = self.group.rank()
        src, dst = (me, self.group_peer) if self.op is isend else (self.group_peer, me)
        return (f"P2POp({self.op.__name__} pg=default_pg, group_src={src}, group_dst={dst},  "
                f"{self.tensor.shape}, {self.tensor.dtype})")


def batch_isend_irecv(p2p_op_list) -> list:
    """Start every op at once (so paired sends and receives cannot deadlock); the Works."""
    if not p2p_op_list or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    works = []
    for p in p2p_op_list:
        work = p.op(p.tensor, group=p.group, tag=p.tag, group_dst=p.group_peer) \
            if p.op is isend else p.op(p.tensor, group=p.group, tag=p.tag,
                                       group_src=p.group_peer)
        if work is not None:
            works.append(work)
    return works


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False) -> None:
    """A barrier that raises DistBackendError past `timeout` instead of waiting forever.

    PyTorch offers it only on gloo; here it is MPI's barrier polled with the timeout.
    """
    if isinstance(timeout, float):
        warnings.warn("Please specify timeout arg as a timedelta. Converting current value of "
                      f"{timeout} assuming it represents seconds", stacklevel=2)
        timeout = datetime.timedelta(seconds=timeout)
    barrier(group, timeout=timeout)


__all__ = ["P2POp", "batch_isend_irecv", "monitored_barrier"]
