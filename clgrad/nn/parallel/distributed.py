"""DistributedDataParallel: bucketed gradient averaging overlapped with backward.

Each parameter's post-accumulate-grad hook marks it ready; a bucket whose parameters are all
ready starts its non-blocking allreduce at once (buckets start in index order, the same on
every rank, as MPI requires), so communication overlaps the rest of backward. A final engine
callback waits for every bucket, with the group's timeout, and writes the averages back.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..modules.module import Module

_FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch starts with a small bucket for early overlap


class _Bucket:
    def __init__(self, params):
        self.params = params
        self.numel = sum(p.numel() for p in params)
        self.staging = None  # the host buffer this bucket reuses every step
        self.pending = set()
        self.request = None


class DistributedDataParallel(Module):
    """Data parallelism across the processes of a group (see torch's documentation)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers=None, init_sync: bool = True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, **kwargs):
        super().__init__()
        from ... import distributed as dist
        from ...distributed.process_group import mpi, resolve
        self.process_group = resolve(process_group)
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = True if broadcast_buffers is None else broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb)
                                    * 1024 * 1024)
        self._MPI = mpi()
        self._params = [p for p in module.parameters() if p.requires_grad]
        self._verify_same_model()
        if init_sync:
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t.data, src=self.process_group._ranks[0],
                               group=self.process_group)
        self._buckets = self._build_buckets()
        self._where = {}
        for i, b in enumerate(self._buckets):
            for p in b.params:
                self._where[id(p)] = i
        for p in self._params:
            p.register_post_accumulate_grad_hook(self._grad_ready)
        self._next = 0  # the next bucket to launch
        self._queued = False
        self._unfinished = False

    # -- construction ---------------------------------------------------------------------
    def _verify_same_model(self) -> None:
        pg = self.process_group
        mine = [(tuple(p.shape), str(p.dtype)) for p in self._params]
        every = pg._comm.allgather(mine)
        for r, theirs in enumerate(every):
            if len(theirs) != len(mine):
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank {pg.rank()} has "
                    f"{len(mine)} params, while rank {pg._ranks[r]} has inconsistent "
                    f"{len(theirs)} params.")
            for i, (a, b) in enumerate(zip(mine, theirs)):
                if a != b:
                    raise RuntimeError(
                        f"DDP expects same model across all ranks, but Rank {pg.rank()} has "
                        f"parameter {i} of shape {list(a[0])} {a[1]}, while rank "
                        f"{pg._ranks[r]} has shape {list(b[0])} {b[1]}.")

    def _build_buckets(self) -> list:
        """Parameters in reverse order (roughly when their gradients arrive), split by
        device and dtype and capped in bytes."""
        buckets, current, size, key = [], [], 0, None
        cap = _FIRST_BUCKET_BYTES
        for p in reversed(self._params):
            pkey = (str(p.device), str(p.dtype))
            nbytes = p.numel() * p.element_size()
            if current and (pkey != key or size + nbytes > cap):
                buckets.append(_Bucket(current))
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(p)
            size += nbytes
            key = pkey
        if current:
            buckets.append(_Bucket(current))
        return buckets

    # -- forward --------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        from ... import autograd
        from ... import distributed as dist
        if self._unfinished:
            self._unfinished = False
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`clgrad.nn.parallel.DistributedDataParallel`, and by making sure all "
                "`forward` function outputs participate in calculating loss.")
        if self.broadcast_buffers and self.require_backward_grad_sync:
            for b in self.module.buffers():
                dist.broadcast(b.data, src=self.process_group._ranks[0],
                               group=self.process_group)
        out = self.module(*inputs, **kwargs)
        if autograd.is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(out)
        return out

    def _prepare_for_backward(self, out) -> None:
        for b in self._buckets:
            b.pending = {id(p) for p in b.params}
            b.request = None
        self._next = 0
        self._queued = False
        self._used = None
        if self.find_unused_parameters:
            reached = _reachable_leaves(out)
            self._used = {id(p) for p in self._params if id(p) in reached}
            for p in self._params:
                if id(p) not in reached:
                    self._buckets[self._where[id(p)]].pending.discard(id(p))

    # -- backward -------------------------------------------------------------------------
    def _grad_ready(self, param) -> None:
        if not self.require_backward_grad_sync:
            return
        from ...autograd.engine import queue_callback
        if not self._queued:
            self._queued = True
            queue_callback(self._finish)
        bucket = self._buckets[self._where[id(param)]]
        bucket.pending.discard(id(param))
        self._launch_ready()
        for b in self._buckets[:self._next]:  # MPI progresses only inside MPI calls
            if b.request is not None:
                b.request.Test()

    def _launch_ready(self) -> None:
        while self._next < len(self._buckets) and not self._buckets[self._next].pending:
            self._launch(self._buckets[self._next])
            self._next += 1

    def _launch(self, bucket) -> None:
        from ...distributed import _host
        p0 = bucket.params[0]
        if bucket.staging is None:
            bucket.staging = np.empty(bucket.numel, _host.host_dtype(p0.dtype))
        offset = 0
        for p in bucket.params:
            n = p.numel()
            piece = bucket.staging[offset:offset + n]
            if p.grad is None:
                piece.fill(0)  # unused here; another rank may have used it
            else:
                _host.read(p.grad, piece)
            offset += n
        bucket.request = self.process_group._comm.Iallreduce(
            self._MPI.IN_PLACE, bucket.staging, op=self._MPI.SUM)

    def _finish(self) -> None:
        from ...distributed.process_group import wait_requests
        from ...ops.creation import from_numpy
        from ... import autograd
        self._launch_ready()
        if self._next < len(self._buckets):
            self._unfinished = True
        launched = self._buckets[:self._next]
        wait_requests([b.request for b in launched], self.process_group,
                      "DistributedDataParallel gradient allreduce")
        used_anywhere = None
        if self.find_unused_parameters:
            used = np.array([id(p) in self._used for p in self._params], np.int32)
            self.process_group._comm.Allreduce(self._MPI.IN_PLACE, used, op=self._MPI.MAX)
            used_anywhere = {id(p) for p, u in zip(self._params, used) if u}
        world = self.process_group.size()
        with autograd.no_grad():
            for b in launched:
                b.staging /= world
                flat = from_numpy(b.staging)
                offset = 0
                for p in b.params:
                    n = p.numel()
                    if used_anywhere is None or id(p) in used_anywhere:
                        piece = flat[offset:offset + n].view(p.shape).to(p.device, p.dtype)
                        if p.grad is None:
                            p.grad = piece.clone()
                        else:
                            p.grad.copy_(piece)
                    offset += n

    @contextmanager
    def no_sync(self):
        """Gradients accumulate locally inside; the first backward after it averages them."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old


def _reachable_leaves(out) -> set:
    """ids of the leaf tensors whose gradients the outputs' graph reaches."""
    from ..._tensor import Tensor
    from ...autograd.graph import reachable_leaves
    stack, leaves = [], set()

    def collect(x):
        if isinstance(x, Tensor):
            if x.grad_fn is not None:
                stack.append(x.grad_fn)
            elif x.requires_grad:
                leaves.add(id(x))
        elif isinstance(x, (list, tuple)):
            for y in x:
                collect(y)
        elif isinstance(x, dict):
            for y in x.values():
                collect(y)
    collect(out)
    return leaves | {id(v) for v in reachable_leaves(stack)}
