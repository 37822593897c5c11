"""In-place operations and the graph: leaf refusal and history rewriting (CopySlices).

An in-place op calls `check_inplace(t)` before writing and, when `needs_grad(...)`,
`record_inplace(name, t, inputs, rule)` after. When t is a view of a tensor in the graph,
the base's history is rewritten as PyTorch's CopySlices: the gradient of the base passes
through unchanged outside the view's elements and through the op's rule inside them.
"""
from __future__ import annotations

import re

from .grad_mode import is_grad_enabled
from .graph import record


def check_multi_view(t) -> None:
    """PyTorch refuses in-place writes (that would be recorded) into views returned by
    functions giving several views (split, chunk, unbind) and into views of those."""
    if t.__dict__.get("_multi_view") and t._grad_fn is not None:
        fn = re.sub(r"Backward\d*$", "", type(t._grad_fn).__name__)
        raise RuntimeError(f"Output {getattr(t, '_output_nr', 0)} of {fn} is a view and is "
                           "being modified inplace. This view is the output of a function that "
                           "returns multiple views. Such functions do not allow the output "
                           "views to be modified inplace. You should replace the inplace "
                           "operation by an out-of-place one.")


def check_inplace(t) -> None:
    """Refuse in-place writes into leaves that require grad (and their views), and into
    outputs of multi-view functions."""
    if not is_grad_enabled():
        return
    check_multi_view(t)
    if t._requires_grad and t._grad_fn is None and t._base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = t._base
    if base is not None and base._requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def _view_geometry(view, base) -> tuple:
    return view._shape, view._stride, view._offset - base._offset


def record_inplace(name: str, t, inputs, rule, saved=()) -> None:
    """Record in-place op `name` that modified t (t is inputs[0])."""
    base = t._base
    if base is None:
        record(name, t, inputs, rule, saved)
        return
    shape, stride, offset = _view_geometry(t, base)
    rest = tuple(inputs[1:])
    n_rest = len(rest)

    def copy_slices(grad_base):
        result = grad_base.clone()
        region = result.as_strided(shape, stride, result.storage_offset() + offset)
        grads = rule(region.clone())
        if not isinstance(grads, tuple):
            grads = (grads,)
        first = grads[0]
        if first is None:
            region.copy_(result.new_zeros(shape))
        else:
            region.copy_(first.expand(shape) if first._shape != shape else first)
        return (result,) + tuple(grads[1:1 + n_rest])

    # The base's new history: its old edge plus the op's other inputs.
    record("CopySlices", base, (base,) + rest, copy_slices, saved)
    # The view now reads the rewritten base.
    base_shape = base._shape

    def as_strided_rule(grad):
        full = grad.new_zeros(base_shape)
        full.as_strided(shape, stride, full.storage_offset() + offset).copy_(grad)
        return (full,)

    record("AsStridedBackward0", t, (base,), as_strided_rule)
