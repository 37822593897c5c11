"""The backward engine: orders the graph once, runs each node's rule, accumulates leaves; and
its entry points backward() and grad() (clgrad.autograd re-exports them)."""
from __future__ import annotations

import heapq

from .._memory_format import empty_strided_like, target_strides
from .._tensor import Tensor
from .anomaly import check_gradient, is_anomaly_enabled
from .grad_mode import no_grad, set_grad_enabled
from .graph import AccumulateGrad, gradient_edge


def _sum_to(grad, shape: tuple):
    """Sum a broadcast gradient back to an input's shape."""
    if grad._shape == shape:
        return grad
    lead = grad.dim() - len(shape)
    dims = list(range(lead))
    dims += [lead + i for i, size in enumerate(shape) if size == 1 and grad._shape[lead + i] != 1]
    if dims:
        grad = grad.sum(dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad.reshape(shape) if grad._shape != shape else grad


def _zeros(meta) -> Tensor:
    """The zero gradient of an output that received none (fill_ is the op layer's method)."""
    shape, dtype, device = meta
    return Tensor._empty(shape, dtype, device).fill_(0)


def _collect(root_nodes, targets):
    """Dependency counts of every node reachable from the roots; with targets, only the
    nodes lying on a path to one of them."""
    deps: dict = {}
    order = []
    seen = set()
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        for child, _ in node.next_functions:
            if child is not None:
                stack.append(child)
    needed = None
    if targets is not None:
        needed = set()
        # Reverse creation order visits children before parents (sequence numbers grow).
        for node in sorted(order, key=lambda n: n._sequence_nr):
            if id(node) in targets or any(
                    child is not None and id(child) in needed
                    for child, _ in node.next_functions):
                needed.add(id(node))
    for node in order:
        if needed is not None and id(node) not in needed:
            continue
        for child, _ in node.next_functions:
            if child is not None and (needed is None or id(child) in needed):
                deps[id(child)] = deps.get(id(child), 0) + 1
    return deps, needed


# One list of final callbacks per backward pass in progress (nested passes stack).
_final_callbacks: list = []


class _ExecutionEngine:
    """What PyTorch exposes as `Variable._execution_engine`: here only `queue_callback`."""

    def queue_callback(self, callback) -> None:
        """Run callback() once the backward pass in progress has finished (DDP waits for its
        gradient reductions this way)."""
        if not _final_callbacks:
            raise RuntimeError("Final callbacks can only be installed during backward pass.")
        _final_callbacks[-1].append(callback)


_execution_engine = _ExecutionEngine()
queue_callback = _execution_engine.queue_callback


def run_backward(tensors, grad_tensors, retain_graph: bool, create_graph: bool,
                 inputs=None, capture: bool = False, allow_unused: bool = False):
    """Backpropagate from `tensors` seeded with `grad_tensors`, then run the callbacks queued
    meanwhile (queue_callback), in order."""
    callbacks: list = []
    _final_callbacks.append(callbacks)
    try:
        result = _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs,
                               capture, allow_unused)
        while callbacks:  # a callback may queue another
            callbacks.pop(0)()
    finally:
        _final_callbacks.pop()
    return result


def _run_post_accumulate_hooks(variable) -> None:
    hooks = variable.__dict__.get("_post_accumulate_grad_hooks")
    if hooks:
        for hook in list(hooks.values()):
            out = hook(variable)
            if out is not None:
                raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")


def _run_backward(tensors, grad_tensors, retain_graph: bool, create_graph: bool,
                  inputs=None, capture: bool = False, allow_unused: bool = False):
    """Backpropagate from `tensors` seeded with `grad_tensors`.

    capture=False (Tensor.backward): accumulate into the .grad of leaves (or of `inputs`).
    capture=True (autograd.grad): return the gradients of `inputs` instead.
    """
    roots = []
    for i, t in enumerate(tensors):
        node, nr = gradient_edge(t)
        if node is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        roots.append((node, nr, grad_tensors[i]))

    # Where gradients of `inputs` can be read: a leaf's accumulator or a non-leaf's producer.
    targets = None
    input_edges = []
    if inputs is not None:
        targets = set()
        for t in inputs:
            node, nr = gradient_edge(t)
            if node is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            input_edges.append((node, nr))
            targets.add(id(node))
    captured: dict = {}

    deps, needed = _collect([n for n, _, _ in roots], targets)
    buffers: dict = {}
    nodes: dict = {}
    owned_storages = set()  # storages already handed out as .grad (never store aliases)
    for node, nr, grad in roots:
        buf = buffers.setdefault(id(node), [None] * max(len(node._output_meta), 1))
        buf[nr] = grad if buf[nr] is None else buf[nr] + grad
        nodes[id(node)] = node
        owned_storages.add(id(grad._storage))
    ready = [(-n._sequence_nr, id(n)) for n in {id(n): n for n, _, _ in roots}.values()
             if deps.get(id(n), 0) == 0]
    heapq.heapify(ready)
    anomaly = is_anomaly_enabled()

    while ready:
        _, key = heapq.heappop(ready)
        node = nodes.pop(key)
        grads = buffers.pop(key)
        if node._pre_hooks:
            for hook in list(node._pre_hooks.values()):
                new = hook(tuple(grads))
                if new is not None:
                    grads = list(new)
        if node._retain_hooks:
            for hook in node._retain_hooks.values():
                hook(grads)
        if inputs is not None:
            for edge_node, nr in input_edges:
                if edge_node is node and grads[nr] is not None:
                    captured[(id(node), nr)] = grads[nr]
        if isinstance(node, AccumulateGrad):
            if not capture and (inputs is None or id(node) in targets) and grads[0] is not None:
                _accumulate(node.variable, grads[0], create_graph, owned_storages)
                _run_post_accumulate_hooks(node.variable)
            continue
        if not capture and inputs is not None and id(node) in targets:
            _accumulate_non_leaf(node, grads, input_edges, inputs, create_graph)
        if not getattr(node, "_no_materialize", False):
            grads = [g if g is not None else _zeros(meta) if meta is not None else None
                     for g, meta in zip(grads, node._output_meta)]
        node._check_saved_versions()
        with set_grad_enabled(create_graph):
            results = node._rule(*grads)
        if not isinstance(results, tuple):
            results = (results,)
        if node._post_hooks:
            for hook in list(node._post_hooks.values()):
                new = hook(results, tuple(grads))
                if new is not None:
                    results = tuple(new)
        if anomaly:
            check_gradient(node, results)
        if not retain_graph:
            node._release()
        for (child, nr), grad, meta in zip(node.next_functions, results, node._input_meta):
            if child is None or (needed is not None and id(child) not in needed):
                continue
            ckey = id(child)
            if grad is not None:
                grad = _sum_to(grad, meta[0])
                if grad.dtype is not meta[1]:
                    grad = grad.to(meta[1])
                buf = buffers.get(ckey)
                if buf is None:
                    buf = buffers[ckey] = [None] * max(len(child._output_meta), 1)
                    nodes[ckey] = child
                buf[nr] = grad if buf[nr] is None else buf[nr] + grad
            elif ckey not in buffers:
                buffers[ckey] = [None] * max(len(child._output_meta), 1)
                nodes[ckey] = child
            deps[ckey] -= 1
            if deps[ckey] == 0:
                heapq.heappush(ready, (-child._sequence_nr, ckey))

    if capture:
        results = []
        for t, (node, nr) in zip(inputs, input_edges):
            grad = captured.get((id(node), nr))
            if grad is None and not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            if grad is not None and not create_graph:
                grad = grad.detach()
            results.append(grad)
        return tuple(results)
    return None


def _accumulate(variable, grad, create_graph: bool, owned_storages: set) -> None:
    """variable.grad += grad, never keeping an alias of another tensor's memory."""
    if variable._grad is None:
        if not create_graph:
            grad = grad.detach()
        if id(grad._storage) in owned_storages or not grad.is_contiguous():
            grad = grad.clone() if create_graph else grad.detach().clone()
        owned_storages.add(id(grad._storage))
        variable._grad = grad
    elif create_graph:
        variable._grad = variable._grad + grad
    else:
        with no_grad():
            variable._grad.add_(grad)


def _accumulate_non_leaf(node, grads, input_edges, inputs, create_graph) -> None:
    for t, (edge_node, nr) in zip(inputs, input_edges):
        if edge_node is node and grads[nr] is not None:
            grad = grads[nr] if create_graph else grads[nr].detach()
            t._grad = grad.clone() if t._grad is None else t._grad + grad


# -- the entry points: clgrad.autograd.backward / grad -----------------------------------------
def _filled_like(t: Tensor, value, requires_grad: bool = False) -> Tensor:
    """ones_like / zeros_like (a dense input's strides kept, as PyTorch's preserve_format),
    made here because the graph core lies below the op layer."""
    if t.is_contiguous():
        out = Tensor._empty(t._shape, t.dtype, t.device)
    else:
        out = empty_strided_like(t._shape, target_strides(t._shape, t._stride, None), t.dtype,
                                 t.device)
    out.fill_(value)
    out._requires_grad = requires_grad
    return out


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs: tuple, grads: tuple, create_graph: bool) -> tuple:
    """Seed gradients: ones for scalar outputs; others must be given (PyTorch's rules)."""
    result = []
    for i, out in enumerate(outputs):
        grad = grads[i] if i < len(grads) else None
        if grad is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            grad = _filled_like(out, 1)
        else:
            if grad._shape != out._shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{grad.shape} and output[{i}] has a shape of {out.shape}.")
            if grad.device != out.device:
                raise RuntimeError(f"Mismatch in device: grad_output[{i}] is on {grad.device} "
                                   f"and output[{i}] is on {out.device}.")
            if not create_graph:
                grad = grad.detach()
        result.append(grad)
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate gradients of `tensors` into the .grad of the leaves (or of `inputs`)."""
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    grads = _make_grads(tensors, _as_tuple(grad_tensors), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, without touching any .grad."""
    outputs = _as_tuple(outputs)
    inputs_t = _as_tuple(inputs)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    allow_unused = bool(allow_unused) or materialize_grads
    grads = _make_grads(outputs, _as_tuple(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs_t,
                          capture=True, allow_unused=allow_unused)
    if materialize_grads:
        result = tuple(g if g is not None else _filled_like(t, 0, requires_grad=create_graph)
                       for g, t in zip(result, inputs_t))
    return result
