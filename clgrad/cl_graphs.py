"""cl graphs: torch.cuda's CUDA-graph API on an OpenCL device (clgrad.cl.CLGraph, graph,
graph_pool_handle, make_graphed_callables).

A graph records the kernels a region launches, without running them, on memory from a
private pool that stays alive with the graph; replay() issues them again with their
arguments already set and returns without waiting. As with CUDA graphs, what the region
reads must stay in the same tensors between replays (copy new inputs into them), and a host
read inside the region is an error. The engine is backends/cl/capture.py.
"""
from __future__ import annotations

import gc

from .backends.cl import runtime as _rt

__all__ = ["CLGraph", "graph", "graph_pool_handle", "make_graphed_callables",
           "is_current_stream_capturing"]


class _PoolHandle:
    """A private memory pool that graphs may share (graph_pool_handle(), CLGraph.pool())."""

    def __init__(self, rt):
        self.rt = rt
        self.pool = _rt.MemoryPool(_rt.ImmediateAllocator(rt.queue))

    def __repr__(self) -> str:
        return f"<clgrad.cl graph pool on cl:{self.rt.index}>"


def graph_pool_handle() -> _PoolHandle:
    """A new private memory pool for graphs to share (torch.cuda.graph_pool_handle)."""
    return _PoolHandle(_current_runtime())


def _current_runtime():
    from . import cl
    return cl._runtime(None)


def is_current_stream_capturing() -> bool:
    """Whether a capture is in progress."""
    from . import _capture
    return any(isinstance(c, _capture.Recorder) for c in _capture.ACTIVE)


class CLGraph:
    """torch.cuda.CUDAGraph: capture_begin(), capture_end(), replay(), reset(), pool()."""

    def __init__(self, keep_graph: bool = False):
        self._capture = None
        self._pool = None
        self._capturing = False

    def capture_begin(self, pool=None, capture_error_mode: str = "global") -> None:
        from .backends.cl.capture import Capture
        if self._capturing:
            raise RuntimeError("CLGraph.capture_begin: this graph is already capturing")
        if self._capture is not None:
            raise RuntimeError("This CLGraph instance already owns a captured graph. To "
                               "capture a new graph, create a new instance or call reset().")
        rt = _current_runtime()
        if pool is not None and not isinstance(pool, _PoolHandle):
            raise TypeError(f"CLGraph.capture_begin: pool must be a graph_pool_handle() or "
                            f"another graph's pool(), got {type(pool).__name__}")
        self._pool = pool if pool is not None else _PoolHandle(rt)
        self._capture = Capture(rt, pool=self._pool.pool, execute=False).begin()
        self._capturing = True

    def capture_end(self) -> None:
        if not self._capturing:
            raise RuntimeError("CLGraph.capture_end: capture_begin was not called")
        self._capture.end()
        self._capturing = False

    def replay(self) -> None:
        """Issue the captured kernels again (asynchronously, like any launch)."""
        if self._capture is None or self._capturing:
            raise RuntimeError("CLGraph.replay: the graph has not been captured (call "
                               "capture_begin and capture_end, or use clgrad.cl.graph)")
        self._capture.replay()

    def reset(self) -> None:
        """Drop the captured graph and the memory it holds."""
        if self._capturing:
            self._capture.end()
            self._capturing = False
        self._capture = None

    def pool(self) -> _PoolHandle:
        """This graph's memory pool, for another capture to share."""
        if self._pool is None:
            raise RuntimeError("CLGraph.pool: the graph has no pool before capture_begin")
        return self._pool

    def launch_count(self) -> int:
        """How many kernels one replay enqueues."""
        return 0 if self._capture is None else self._capture.launch_count

    def __repr__(self) -> str:
        state = "capturing" if self._capturing else (
            "empty" if self._capture is None else f"{self.launch_count()} launches")
        return f"<clgrad.cl.CLGraph ({state})>"


class graph:
    """`with clgrad.cl.graph(g):` captures the block into the CLGraph g (torch.cuda.graph)."""

    def __init__(self, cl_graph: CLGraph, pool=None, stream=None,
                 capture_error_mode: str = "global"):
        self.cl_graph = cl_graph
        self.pool = pool

    def __enter__(self):
        from . import cl
        cl.synchronize()
        gc.collect()  # as torch does: tensors dead before the capture leave its memory
        self.cl_graph.capture_begin(pool=self.pool)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.cl_graph.capture_end()
        if exc_type is not None:  # a failed capture holds nothing
            self.cl_graph.reset()


def make_graphed_callables(callables, sample_args, num_warmup_iters: int = 3,
                           allow_unused_input: bool = False, pool=None):
    """torch.cuda.make_graphed_callables: each callable (function or Module) captured, with
    its backward, on its sample arguments; later calls with arguments of the same shapes,
    dtypes and requires_grad replay the recordings. A Module comes back with its forward
    replaced, a function as a new function. A tuple of callables gives a tuple."""
    from .compiler import compile
    from .nn.modules.module import Module
    single = not isinstance(callables, tuple)
    if single:
        callables, sample_args = (callables,), (sample_args,)
    if len(callables) != len(sample_args):
        raise ValueError("make_graphed_callables: callables and sample_args must have the "
                         "same length")
    graphed = []
    for fn, args in zip(callables, sample_args):
        args = args if isinstance(args, tuple) else (args,)
        if isinstance(fn, Module):
            if fn._forward_hooks or fn._forward_pre_hooks:
                raise RuntimeError("Modules must not have hooks registered at the time they "
                                   "are passed. However, registering hooks on modules after "
                                   "passing them through make_graphed_callables is allowed.")
            forward = compile(fn.forward, fullgraph=True)
        else:
            forward = compile(fn, fullgraph=True)
        for _ in range(2):  # an eager call, then the captured one (forward and backward)
            forward(*args)
        if isinstance(fn, Module):
            fn.forward = forward
            graphed.append(fn)
        else:
            graphed.append(forward)
    return graphed[0] if single else tuple(graphed)
