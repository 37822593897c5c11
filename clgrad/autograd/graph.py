"""Graph nodes: what an operation records so that backward can run its gradient rule.

Nodes are named as PyTorch names them (`AddBackward0`, `AccumulateGrad`, ...): each name
is a subclass of Node created on first use, so `type(t.grad_fn).__name__` matches PyTorch.
Gradient rules are plain functions written with Tensor ops; the engine runs them.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict

from .anomaly import is_anomaly_enabled, remember_forward
from .grad_mode import is_grad_enabled
from ..utils.hooks import RemovableHandle

_sequence = itertools.count()


class Node:
    """One recorded operation: its inputs' edges, its gradient rule and what it saved."""

    __slots__ = ("next_functions", "_rule", "_saved", "_input_meta", "_output_meta",
                 "_post_hooks", "_pre_hooks", "_retain_hooks", "_sequence_nr", "metadata",
                 "_released", "__weakref__", "__dict__")

    def __init__(self, next_functions: tuple, rule, saved: tuple, input_meta: tuple,
                 output_meta: tuple):
        self.next_functions = next_functions
        self._rule = rule
        self._saved = saved  # ((tensor, version at save), ...) for the in-place check
        self._input_meta = input_meta  # (shape, dtype, device) per input; None for non-tensors
        self._output_meta = output_meta
        self._post_hooks = None
        self._pre_hooks = None
        self._retain_hooks = None
        self._sequence_nr = next(_sequence)
        self.metadata = {}
        self._released = False

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def register_hook(self, hook) -> RemovableHandle:
        """hook(grad_inputs, grad_outputs) after the node runs; may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = OrderedDict()  # RemovableHandle keeps a weak reference to it
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = hook
        return handle

    def register_prehook(self, hook) -> RemovableHandle:
        """hook(grad_outputs) before the node runs; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = OrderedDict()  # RemovableHandle keeps a weak reference to it
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = hook
        return handle

    def _tensor_prehook(self, output_nr: int, hook) -> RemovableHandle:
        """A hook registered on a non-leaf tensor: sees only that output's gradient."""
        def prehook(grad_outputs):
            new = hook(grad_outputs[output_nr])
            if new is None:
                return None
            grads = list(grad_outputs)
            grads[output_nr] = new
            return tuple(grads)
        return self.register_prehook(prehook)

    @property
    def _saved_tensors(self) -> tuple:
        return tuple(t for t, _ in self._saved)

    def _check_saved_versions(self) -> None:
        if self._released:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        for tensor, version in self._saved:
            if tensor._version[0] != version:
                producer = tensor._grad_fn
                where = (f", which is output {getattr(tensor, '_output_nr', 0)} of "
                         f"{type(producer).__name__}," if producer is not None else "")
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{tensor.type()} {list(tensor.shape)}]{where} is at "
                    f"version {tensor._version[0]}; expected version {version} instead. Hint: "
                    "enable anomaly detection to find the operation that failed to compute its "
                    "gradient, with clgrad.autograd.set_detect_anomaly(True).")

    def _release(self) -> None:
        """Free what backward needed (retain_graph=False)."""
        self._released = True
        self._rule = None
        self._saved = ()


class AccumulateGrad(Node):
    """The sink for a leaf tensor: adds the incoming gradient into `variable.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        meta = ((variable._shape, variable.dtype, variable.device),)
        super().__init__((), None, (), meta, meta)
        self.variable = variable


_node_classes: dict = {"AccumulateGrad": AccumulateGrad}


def reachable_leaves(roots) -> list:
    """The leaf tensors (AccumulateGrad variables) the graph from the nodes `roots` reaches,
    each once, in the order found."""
    found, seen = [], set()
    stack = [node for node in roots if node is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            found.append(node.variable)
            continue
        for entry in node.next_functions:
            stack.append(entry[0] if isinstance(entry, tuple) else entry)
    return found


def node_class(name: str) -> type:
    cls = _node_classes.get(name)
    if cls is None:
        cls = _node_classes[name] = type(name, (Node,), {"__slots__": ()})
    return cls


def gradient_edge(t):
    """(node, output_nr) that gradients for tensor t flow into, or (None, 0)."""
    if t._grad_fn is not None:
        return (t._grad_fn, getattr(t, "_output_nr", 0))
    if t._requires_grad:
        acc = t._grad_accumulator
        if acc is None:
            acc = t._grad_accumulator = AccumulateGrad(t)
        return (acc, 0)
    return (None, 0)


def needs_grad(*inputs) -> bool:
    """Whether an op on these inputs must record a node (grad mode on, an input requires it)."""
    if not is_grad_enabled():
        return False
    for x in inputs:
        if getattr(x, "_requires_grad", False):
            return True
    return False


def record(name: str, outputs, inputs, rule, saved=()) -> None:
    """Attach a `name` node to `outputs`, computing its edges from `inputs`.

    rule(*grad_outputs) returns one gradient (or None) per input, shaped like the input or
    broadcastable to it (the engine sums broadcast dims back). Call only when
    needs_grad(*inputs). In-place ops pass the modified tensor both as output and input: its
    edge is taken before its grad_fn is replaced, which rebases its history.
    """
    from .._tensor import Tensor
    edges = []
    meta = []
    for x in inputs:
        if isinstance(x, Tensor):
            edges.append(gradient_edge(x))
            meta.append((x._shape, x.dtype, x.device))
        else:
            edges.append((None, 0))
            meta.append(None)
    single = isinstance(outputs, Tensor)
    outs = (outputs,) if single else tuple(outputs)
    out_meta = tuple((o._shape, o.dtype, o.device) if o is not None else None for o in outs)
    node = node_class(name)(tuple(edges), rule,
                            tuple((t, t._version[0]) for t in saved), tuple(meta), out_meta)
    if is_anomaly_enabled():
        remember_forward(node)
    for i, out in enumerate(outs):
        if out is None or not out.dtype.is_floating_point:
            continue
        base = out._base
        if base is not None and base._grad_fn is None and not base._requires_grad:
            # a fused op's result viewing its own no-grad scratch (conv without bias, 3-d
            # linear, embedding, ...) is no view to autograd, as in PyTorch: `out += x` must
            # stay on out's history, not rewrite the scratch's (CopySlices)
            out._base = None
        out._grad_fn = node
        out._requires_grad = True
        if i:
            out._output_nr = i
        elif "_output_nr" in out.__dict__:
            del out.__dict__["_output_nr"]
    return node
