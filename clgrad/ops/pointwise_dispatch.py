"""Running a pointwise primitive: device checks, promotion, broadcasting, output, launch."""
from __future__ import annotations

import numbers

from .. import _dtype as dt
from .._memory_format import channels_last, is_non_overlapping_and_dense, strides_for
from .._strides import broadcast_shapes
from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.graph import needs_grad, record
from ..autograd.inplace import check_inplace, record_inplace
from .pointwise_spec import OUT, torch_type_name

Number = (int, float, bool)


def check_same_device(op_name: str, tensors) -> None:
    first = tensors[0].device
    for t in tensors[1:]:
        if t.device != first:
            raise RuntimeError(f"{op_name}: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {first} and {t.device}!")


def scalar_value(x):
    """A Python number from a number-like operand (numpy scalars included)."""
    if isinstance(x, Number):
        return x
    if isinstance(x, numbers.Number) and not isinstance(x, complex):
        return x.item() if hasattr(x, "item") else x
    return None


def as_operands(op_name: str, inputs) -> list:
    """Tensors stay tensors, numbers become Python scalars; anything else is a TypeError.

    A 0-dim cpu tensor meeting cl tensors is read as a number (PyTorch allows cpu scalars
    beside accelerator tensors).
    """
    result = []
    for x in inputs:
        if isinstance(x, Tensor):
            result.append(x)
            continue
        value = scalar_value(x)
        if value is None:
            raise TypeError(f"{op_name}(): expected Tensor or Number as argument, got "
                            f"{type(x).__name__}")
        result.append(value)
    tensors = [x for x in result if isinstance(x, Tensor)]
    if len(tensors) > 1 and any(t.device != tensors[0].device for t in tensors):
        devices = {t.device.type for t in tensors}
        if len(devices) == 2 and "cpu" in devices:  # cpu scalars join another device's op
            result = [x.item() if isinstance(x, Tensor) and x.is_cpu and x.dim() == 0
                      else x for x in result]
        check_same_device(op_name, [x for x in result if isinstance(x, Tensor)])
    return result


def check_out_target(op_name: str, target: Tensor, shape: tuple, result: dt.dtype) -> None:
    if shape != target._shape:
        raise RuntimeError(f"{op_name}: output with shape {list(target._shape)} doesn't match "
                           f"the broadcast shape {list(shape)}")
    if not dt.can_cast(result, target.dtype):
        raise RuntimeError(f"{op_name}: result type {torch_type_name(result)} can't be cast to "
                           f"the desired output type {torch_type_name(target.dtype)}")


def _extent(t: Tensor) -> tuple:
    """[first, last + 1) element positions t covers in its storage."""
    last = t._offset
    for size, stride in zip(t._shape, t._stride):
        last += (size - 1) * stride
    return t._offset, last + 1


def check_no_overlap(target: Tensor, tensors) -> None:
    """PyTorch's checks before writing into `target`: none of its elements may repeat
    (a stride 0), and an input that shares its memory must be the very same view or be
    disjoint from it (TensorIterator's partial-overlap rule; layouts it cannot decide, not
    dense, pass, as in PyTorch). Elsewise the kernel's result would depend on the order in
    which work-items run."""
    if any(stride == 0 and size > 1 for size, stride in zip(target._shape, target._stride)):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    dense = None
    for x in tensors:
        if x._storage is not target._storage or x is target or x.numel() == 0:
            continue
        if dense is None:
            dense = is_non_overlapping_and_dense(target._shape, target._stride)
        if not dense or not is_non_overlapping_and_dense(x._shape, x._stride):
            continue
        (a0, a1), (b0, b1) = _extent(target), _extent(x)
        if (a0, a1) == (b0, b1) and x._stride == target._stride:
            continue  # the same elements in the same order: each read before its write
        if a0 < b1 and b0 < a1:
            raise RuntimeError("unsupported operation: some elements of the input tensor and "
                               "the written-to tensor refer to a single memory location. "
                               "Please clone() the tensor before performing the operation.")


_SIMPLE_SCALARS = (int, float)


# -- the output's layout: TensorIterator's rule ----------------------------------------------
def output_strides(shape: tuple, tensors, scalars: bool = False) -> tuple | None:
    """The strides PyTorch's TensorIterator gives a new output of `shape` computed from
    `tensors` (broadcast to `shape`) and, when `scalars`, Python numbers; None when that is
    C-contiguous.

    Same-shape tensors and no numbers (TensorIterator's fast setup): all contiguous (or empty)
    give a contiguous output, all channels_last a channels_last one, all dense with equal
    strides those strides. Otherwise (a number counts as a 0-dim operand) the dims are ordered
    fastest first by the operands' strides (the first decides; a later one only breaks ties,
    broadcast dims never do) and the output is dense in that order, so a channels_last or
    transposed operand's layout carries through a broadcasting op.
    """
    ndim = len(shape)
    if not scalars and all(t._shape == shape for t in tensors):
        if 0 in shape or all(t.is_contiguous() for t in tensors):
            return None
        if ndim == 4 and all(t.is_contiguous(memory_format=channels_last) for t in tensors):
            return strides_for(shape, channels_last)
        first = tensors[0]._stride
        if all(t._stride == first for t in tensors) and \
                is_non_overlapping_and_dense(shape, first):
            return first
    elif 0 not in shape and all(t.is_contiguous() for t in tensors):
        # The ordering below would give C order too, up to the strides of size-1 dims
        # (which no index multiplies): skip it on this common path.
        return None
    if ndim <= 1:
        return None
    aligned = []  # per operand, its strides over `shape`; 0 where it is broadcast
    for t in tensors:
        lead = ndim - len(t._shape)
        strides = [0] * ndim
        for i, (size, stride) in enumerate(zip(t._shape, t._stride)):
            strides[lead + i] = 0 if size == 1 and shape[lead + i] != 1 else stride
        aligned.append(strides)

    def order(d0: int, d1: int) -> int:
        """1: d0 goes after d1 (is slower); -1: before; 0: no operand says."""
        for strides in aligned:
            s0, s1 = strides[d0], strides[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:  # equal strides: the smaller dim goes first
                return 1
        return 0

    perm = list(range(ndim - 1, -1, -1))  # fastest first; C order to start with
    for i in range(1, ndim):  # insertion sort that leaves ambiguous pairs where they are
        d1 = i
        for d0 in range(i - 1, -1, -1):
            comparison = order(perm[d0], perm[d1])
            if comparison > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif comparison < 0:
                break
    if perm == list(range(ndim - 1, -1, -1)):
        return None
    strides = [0] * ndim
    step = 1
    for d in perm:
        strides[d] = step
        step *= shape[d]
    return tuple(strides)


def new_output(shape: tuple, dtype, device, operands) -> Tensor:
    """An uninitialised output laid out as TensorIterator lays it out (see output_strides)."""
    out = Tensor._empty(shape, dtype, device)
    for x in operands:  # the common case first: operands known to be C-contiguous
        if isinstance(x, Tensor) and x._contig is not True:
            break
    else:
        if 0 not in shape:
            return out
    tensors = [x for x in operands if isinstance(x, Tensor)]
    strides = output_strides(shape, tensors, len(tensors) < len(operands))
    if strides is not None and strides != out._stride:
        out._stride = strides
        out._contig = None
    return out


def run(op, inputs, out: Tensor | None = None, dtypes: tuple | None = None,
        grad=None) -> Tensor:
    """Apply pointwise primitive `op` to tensors and numbers with PyTorch's rules.

    out: write into this tensor (`out=`; in-place forms pass their first input); dtypes:
    (compute, result) overriding the op's promotion rule; grad: a Derivative overriding the
    op's own (a composite's PyTorch node name and inputs). Records autograd when an input
    requires grad and grad mode is on.
    """
    if out is None and dtypes is None and isinstance(inputs[0], Tensor):
        # The eager hot path (`a + b`), inlined to save frames: promotion is trivial when the
        # tensors share one dtype, shape and device and the Python numbers cannot raise the
        # category (a float with a float tensor, an int with an int or float tensor). The
        # requires-grad and contiguity flags are read in the same pass, so the no-grad path
        # pays next to nothing for autograd or for the output's layout.
        first = inputs[0]
        storage = first._storage
        dtype = storage.dtype
        device = storage.device
        shape = first._shape
        tracked = first._requires_grad
        plain = first._contig  # True: known C-contiguous (None: not known yet)
        for x in inputs:
            if isinstance(x, Tensor):
                other = x._storage
                if other.dtype is not dtype or other.device is not device or \
                        x._shape != shape:
                    break
                tracked = tracked or x._requires_grad
                plain = plain and x._contig
            elif type(x) is float:
                if dtype.category != dt.FLOAT:
                    break
            elif type(x) is not int or dtype.category == dt.BOOL:
                break
        else:
            compute, result = op.dtypes(dtype)
            backend = storage.backend
            count = 1
            for size in shape:
                count *= size
            if plain and count:  # empty tensors are contiguous, whatever strides
                out = Tensor._wrap(backend.empty(count, result), count, result, device,
                                   backend, shape)
            else:
                out = new_output(shape, result, device, inputs)
            backend.pointwise(op, out, inputs, compute)
            if tracked and is_grad_enabled():
                _record(op, grad, out, tuple(inputs), None)
            return out
    operands = as_operands(op.name, inputs)
    tensors = [x for x in operands if isinstance(x, Tensor)]
    if not tensors:
        raise TypeError(f"{op.name}(): expected at least one Tensor argument")
    if dtypes is None:
        compute, result = op.dtypes(dt.result_dtype(operands))
    else:
        compute, result = dtypes
    first = tensors[0]
    shape = first._shape
    for t in tensors[1:]:
        if t._shape != shape:
            shape = broadcast_shapes(*(t._shape for t in tensors))
            break
    before = None
    if out is None:
        out = new_output(shape, result, first.device, operands)
    else:
        if out.device != first.device:
            raise RuntimeError(f"{op.name}: Expected out tensor to be on {first.device} but "
                               f"got {out.device}")
        if out._shape != shape and out is not inputs[0] and out.numel() == 0:
            out.resize_(shape)
        check_out_target(op.name, out, shape, result)
        check_no_overlap(out, tensors)
        if is_grad_enabled():
            before = _prepare_out(op, grad, out, inputs, operands, result)
        out._version[0] += 1
    expanded = [x if not isinstance(x, Tensor) or x._shape == shape else x.expand(shape)
                for x in operands]
    out._storage.backend.pointwise(op, out, expanded, compute)
    if before is not None:
        _record(op, grad, out, before, dtypes, operands)
    elif out is not inputs[0] and needs_grad(*tensors):
        _record(op, grad, out, tuple(operands), dtypes)
    return out


# The PyTorch function named in errors about a primitive that serves a composite.
_PUBLIC_NAMES = {"add_alpha": "add", "sub_alpha": "sub", "div_trunc": "div",
                 "div_floor": "floor_divide", "logit_eps": "logit", "round_decimals": "round",
                 "round_neg_decimals": "round", "isclose_equal_nan": "isclose"}


def _prepare_out(op, grad, out: Tensor, inputs, operands: list, result: dt.dtype):
    """Checks before writing into `out` under grad mode; for a tracked in-place op, returns
    the operands its gradient reads, with self's (and its aliases') old values cloned."""
    if out is not inputs[0]:
        if needs_grad(out, *operands):
            raise RuntimeError(f"{_PUBLIC_NAMES.get(op.name, op.name)}(): functions with out=..."
                               " arguments don't support automatic differentiation, but one "
                               "of the arguments requires grad.")
        return None
    check_inplace(out)
    derivative = grad or op.grad
    if derivative is None or not result.is_floating_point or not needs_grad(*operands):
        return None
    form = derivative.form(operands)
    need = [getattr(x, "_requires_grad", False) for x in operands]
    aliases = [i for i, x in enumerate(operands)
               if i and isinstance(x, Tensor) and x._version is out._version]
    # Clone self's old value only when the rule reads it (or recomputes the output from it
    # under create_graph); operands sharing self's memory change with the write too.
    if not (form.uses_result or aliases or any(need[u] for u in form.saves.get(0, ()))):
        return tuple(operands)
    from .copy import clone
    old = clone(out)
    return tuple(old if x is out else clone(x) if i in aliases else x
                 for i, x in enumerate(operands))


def _record(op, grad, out: Tensor, x: tuple, dtypes, inplace_operands=None) -> None:
    """Record the node of `op` (or of the Derivative `grad`) that produced `out` from x.

    inplace_operands: for an in-place op, the operands themselves (x holds old values).
    """
    if not out.dtype.is_floating_point:
        return  # integer and bool results never require grad
    derivative = grad or op.grad
    if derivative is None:
        return
    derivative = derivative.form(x)
    positions = derivative.inputs
    need = tuple(getattr(v, "_requires_grad", False) for v in x)
    if x[0] is out:
        x = (None,) + x[1:]  # an in-place rule that never reads self: no cycle through out
    result_value = out.detach() if derivative.uses_result else None
    saved = []
    for key, users in derivative.saves.items():
        if any(need[u] for u in users):
            if key == OUT:
                saved.append(result_value)
            elif isinstance(x[key], Tensor):
                saved.append(x[key])
    rule = derivative.rule

    def result() -> Tensor:
        # Under create_graph, recompute with recording so that double backward sees how
        # the output depends on the inputs (holding `out` itself would make a cycle).
        if is_grad_enabled():
            return run(op, x, dtypes=dtypes)
        return result_value

    def backward(g):
        return rule(g, x, result, need)

    if inplace_operands is not None:
        # out (self) comes first: record_inplace takes its old edge and rebases it.
        edges = tuple(None if p is None else inplace_operands[p] for p in positions)
        record_inplace(derivative.node, out, edges, backward, tuple(saved))
    else:
        record(derivative.node, out, tuple(None if p is None else x[p] for p in positions),
               backward, tuple(saved))
