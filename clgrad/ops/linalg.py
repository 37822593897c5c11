"""Matrix products: matmul and @, mm, bmm, mv, dot, vdot, outer, addmm, addmv, addbmm,
baddbmm, einsum, tensordot, kron, trace, inner.

Every product runs one backend GEMM (C = alpha * A @ B + beta * C) that reads transposed,
strided and broadcast (stride-0) operands in place, so transposes and expands here are views,
never copies. Gradients are written with these same ops, so double backward works.
"""
from __future__ import annotations

import builtins
import string

from .. import _dtype as dt
from .._checks import check_tensor, not_tensor
from .._strides import broadcast_shapes, contiguous_strides
from .._tensor import Tensor, register
from .._typenames import SCALAR_NAMES as _TYPE
from ..autograd.grad_mode import no_grad
from ..autograd.graph import needs_grad, record
from .creation import eye

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
           "addmv", "addbmm", "baddbmm", "einsum", "tensordot", "kron", "trace"]


# -- the GEMM call ---------------------------------------------------------------------------
def _check_pair(what: str, a: Tensor, b: Tensor) -> None:
    if a.device != b.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {a.device} and {b.device}!")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected {what} to have the same dtype, but got: "
                           f"{a.dtype.name.replace('float32', 'float')} != "
                           f"{b.dtype.name.replace('float32', 'float')}")
    if a.dtype is dt.bool:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _gemm(a: Tensor, b: Tensor, c: Tensor | None = None, alpha=1, beta=0) -> Tensor:
    """alpha * a @ b + beta * c for a (*batch, M, K), b (*batch, K, N) of one batch shape.

    Runs without recording; c (broadcastable to the result) is only read when beta != 0.
    """
    shape = a._shape[:-1] + (b._shape[-1],)
    out = Tensor._empty(shape, a.dtype, a.device)
    backend = out._storage.backend
    if c is not None and beta != 0:
        out.copy_(c.detach())  # broadcasts and casts
    else:
        beta = 0
    if not out.dtype.is_floating_point:
        alpha, beta = builtins.int(alpha), builtins.int(beta)
    backend.gemm(out, a, b, alpha, beta)
    return out


def _scalar_check(alpha, beta, dtype) -> None:
    if not dtype.is_floating_point:
        for name, v in (("alpha", alpha), ("beta", beta)):
            if isinstance(v, float) and not float(v).is_integer():
                raise RuntimeError(f"For integral input tensors, argument {name} must not be "
                                   "a floating point number.")


# -- mm, bmm, mv, dot -------------------------------------------------------------------------
def _mat2_grad(a: Tensor, g: Tensor, b: Tensor) -> Tensor:
    """The gradient of b in a @ b, laid out like b (PyTorch's mm_mat2_backward).

    For b = weight.t() (nn.Linear), (g.t() @ a).t() is a transposed view of a contiguous
    weight-shaped result, so the weight's .grad arrives contiguous and AccumulateGrad needs no
    copy (a.t() @ g would cost a strided clone per weight per step).
    """
    if b._stride[0] == 1 and b._shape[0] > 1 and b._shape[1] > 1:
        return mm(g.t(), a).t()
    return mm(a.t(), g)


def _scaled(t: Tensor, alpha) -> Tensor:
    """t * alpha, without the extra kernel (and copy) when alpha is 1."""
    return t if alpha == 1 else t * alpha


def _mm_shapes(a: Tensor, b: Tensor) -> None:
    if a._shape[1] != b._shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a._shape[0]}x"
                           f"{a._shape[1]} and {b._shape[0]}x{b._shape[1]})")


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Matrix product of two 2-D tensors."""
    if input.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    _mm_shapes(input, mat2)
    _check_pair("m1 and m2", input, mat2)
    result = _gemm(input, mat2)
    if needs_grad(input, mat2):
        # Inputs (not detached copies) so that double backward reaches them.
        a, b = input, mat2
        record("MmBackward0", result, (input, mat2),
               lambda g: (mm(g, b.t()), _mat2_grad(a, g, b)), saved=(input, mat2))
    return _out(result, out)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Batched matrix product of two 3-D tensors with the same batch size."""
    if input.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    bs, m, k = input._shape
    if mat2._shape[0] != bs or mat2._shape[1] != k:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{bs}, {k}] but got: [{mat2._shape[0]}, {mat2._shape[1]}].")
    _check_pair("m1 and m2", input, mat2)
    result = _gemm(input, mat2)
    if needs_grad(input, mat2):
        a, b = input, mat2
        record("BmmBackward0", result, (input, mat2),
               lambda g: (bmm(g, b.mT), bmm(a.mT, g)), saved=(input, mat2))
    return _out(result, out)


def mv(input: Tensor, vec: Tensor, *, out=None) -> Tensor:
    """Matrix-vector product."""
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.dim()}, "
                           f"{vec.dim()}")
    if input._shape[1] != vec._shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._shape[0]}), mat "
                           f"({input._shape[0]}x{input._shape[1]}), vec ({vec._shape[0]})")
    _check_pair("m1 and m2", input, vec)
    result = _gemm(input, _col(vec))
    result = result._view(result._shape[:1], (1,))
    result._base = None
    if needs_grad(input, vec):
        a, v = input, vec
        record("MvBackward0", result, (input, vec),
               lambda g: (outer(g, v), mv(a.t(), g)), saved=(input, vec))
    return _out(result, out)


def _col(v: Tensor) -> Tensor:
    """A 1-D tensor as a (K, 1) view (no autograd)."""
    return v._view(v._shape + (1,), v._stride + (1,))


def _row(v: Tensor) -> Tensor:
    return v._view((1,) + v._shape, (1,) + v._stride)


def _dot_checks(name: str, a: Tensor, b: Tensor) -> None:
    if a.dim() != 1 or b.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a._shape[0] != b._shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a._shape[0]}] and src "
                           f"[{b._shape[0]}] to have the same number of elements, but got "
                           f"{a._shape[0]} and {b._shape[0]} elements respectively")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found "
                           f"{_TYPE[a.dtype.name]} and {_TYPE[b.dtype.name]}")
    if a.device != b.device:
        _check_pair("both vectors", a, b)
    if a.dtype is dt.bool:
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


def _dot(name: str, node: str, input: Tensor, other: Tensor, out) -> Tensor:
    _dot_checks(name, input, other)
    result = _gemm(_row(input), _col(other))
    result = result._view((), ())
    result._base = None
    if needs_grad(input, other):
        a, b = input, other
        record(node, result, (input, other), lambda g: (g * b, g * a), saved=(input, other))
    return _out(result, out)


def dot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors."""
    return _dot("dot", "DotBackward0", input, other, out)


def vdot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors (the first conjugated; clgrad has no complex)."""
    return _dot("vdot", "VdotBackward0", input, other, out)


def _out(result: Tensor, out) -> Tensor:
    if out is None:
        return result
    if out._shape != result._shape:
        out.resize_(result._shape)
    out.copy_(result)
    return out


# -- matmul ----------------------------------------------------------------------------------
def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dims."""
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        check_tensor("matmul", input)
        raise not_tensor("matmul", other, "other", 2)
    da, db = input.dim(), other.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other, out=out)
    if da == 2 and db == 1:
        return mv(input, other, out=out)
    if da == 1 and db == 2:
        return _out(mm(input.unsqueeze(0), other).squeeze(0), out)
    if da == 2 and db == 2:
        return mm(input, other, out=out)
    if da >= 3 and db <= 2:
        # Fold the batch into the rows: one mm (or mv) on a view where strides allow.
        folded = input.reshape(-1, input._shape[-1])
        res = mm(folded, other) if db == 2 else mv(folded, other)
        shape = input._shape[:-1] + (other._shape[-1],) if db == 2 else input._shape[:-1]
        return _out(_unsafe_view(res, shape), out)
    return _out(_batched(input, other), out)


def _unsafe_view(t: Tensor, shape: tuple) -> Tensor:
    """PyTorch's _unsafe_view of a fresh result: a reshape that is not a view of anything."""
    res = t.detach()._view(shape, contiguous_strides(shape))
    res._base = None
    if needs_grad(t):
        old = t._shape
        record("UnsafeViewBackward0", res, (t,), lambda g: (g.reshape(old),))
    return res


def _batched(a: Tensor, b: Tensor) -> Tensor:
    """N-D matmul (one side may be 1-D): broadcast batch dims are read with stride 0."""
    a2 = a.unsqueeze(0) if a.dim() == 1 else a
    b2 = b.unsqueeze(-1) if b.dim() == 1 else b
    if a2._shape[-1] != b2._shape[-2]:
        if a.dim() == 1 or b.dim() == 1 or a.dim() == 2 or b.dim() == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                               f"({a2._shape[-2]}x{a2._shape[-1]} and "
                               f"{b2._shape[-2]}x{b2._shape[-1]})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{_numel(a2._shape[:-2])}, {a2._shape[-1]}] but got: "
                           f"[{_numel(b2._shape[:-2])}, {b2._shape[-2]}].")
    batch = _broadcast_batch(a2._shape[:-2], b2._shape[:-2])
    ae = a2.expand(batch + a2._shape[-2:])
    be = b2.expand(batch + b2._shape[-2:])
    res = _bmm_nd(ae, be)
    if a.dim() == 1:
        res = res.squeeze(-2)
    if b.dim() == 1:
        res = res.squeeze(-1)
    return res


def _broadcast_batch(x: tuple, y: tuple) -> tuple:
    n = builtins.max(len(x), len(y))
    x, y = (1,) * (n - len(x)) + x, (1,) * (n - len(y)) + y
    out = []
    for d, (p, q) in enumerate(zip(x, y)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b "
                               f"({q}) at non-singleton dimension {d}")
        out.append(q if p == 1 else p)
    return tuple(out)


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _bmm_nd(a: Tensor, b: Tensor) -> Tensor:
    """bmm over any number of (equal) batch dims, read in place (BmmBackward0)."""
    _check_pair("m1 and m2", a, b)
    result = _gemm(a, b)
    if needs_grad(a, b):
        x, y = a, b
        record("BmmBackward0", result, (a, b),
               lambda g: (_bmm_nd(g, y.mT), _bmm_nd(x.mT, g)), saved=(a, b))
    return result


# -- add*mm -----------------------------------------------------------------------------------
def _add_checks(input: Tensor, shape: tuple) -> None:
    try:
        ok = tuple(broadcast_shapes(input._shape, shape)) == shape
    except RuntimeError:
        ok = False
    if not ok:
        raise RuntimeError(f"The expanded size of the tensor ({shape[-1]}) must match the "
                           f"existing size ({input._shape[-1] if input.dim() else 1}) at "
                           f"non-singleton dimension {len(shape) - 1}.  Target sizes: "
                           f"{list(shape)}.  Tensor sizes: {list(input._shape)}")


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2)."""
    if mat1.dim() != 2:
        raise RuntimeError("mat1 must be a matrix, got %d-D tensor" % mat1.dim())
    if mat2.dim() != 2:
        raise RuntimeError("mat2 must be a matrix, got %d-D tensor" % mat2.dim())
    _mm_shapes(mat1, mat2)
    _check_pair("m1 and m2", mat1, mat2)
    _check_pair("self and mat2", input, mat2)
    _scalar_check(alpha, beta, mat1.dtype)
    shape = (mat1._shape[0], mat2._shape[1])
    _add_checks(input, shape)
    result = _gemm(mat1, mat2, input, alpha, beta)
    if needs_grad(input, mat1, mat2):
        a, b = mat1, mat2
        record("AddmmBackward0", result, (input, mat1, mat2),
               lambda g: (g * beta if beta != 1 else g, _scaled(mm(g, b.t()), alpha),
                          _scaled(_mat2_grad(a, g, b), alpha)), saved=(mat1, mat2))
    return _out(result, out)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    if mat.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, "
                           f"{mat.dim()}, {vec.dim()}")
    if mat._shape[1] != vec._shape[0] or input.dim() > 1 or \
            (input.dim() == 1 and input._shape[0] not in (1, mat._shape[0])):
        raise RuntimeError(f"size mismatch, got input ({input._shape[0] if input.dim() else 1}"
                           f"), mat ({mat._shape[0]}x{mat._shape[1]}), vec ({vec._shape[0]})")
    _check_pair("m1 and m2", mat, vec)
    _check_pair("self and mat2", input, mat)
    _scalar_check(alpha, beta, mat.dtype)
    c = _col(input) if input.dim() == 1 else input
    result = _gemm(mat, _col(vec), c, alpha, beta)
    result = result._view(result._shape[:1], (1,))
    result._base = None
    if needs_grad(input, mat, vec):
        a, v = mat, vec
        record("AddmvBackward0", result, (input, mat, vec),
               lambda g: (g * beta if beta != 1 else g, outer(g, v) * alpha,
                          mv(a.t(), g) * alpha), saved=(mat, vec))
    return _out(result, out)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1,
            out=None) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2)."""
    if batch1.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    bs, m, k = batch1._shape
    if batch2._shape[0] != bs or batch2._shape[1] != k:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{bs}, {k}] but got: [{batch2._shape[0]}, {batch2._shape[1]}].")
    _check_pair("m1 and m2", batch1, batch2)
    _check_pair("self and mat2", input, batch2)
    _scalar_check(alpha, beta, batch1.dtype)
    shape = (bs, m, batch2._shape[2])
    _add_checks(input, shape)
    result = _gemm(batch1, batch2, input, alpha, beta)
    if needs_grad(input, batch1, batch2):
        a, b = batch1, batch2
        record("BaddbmmBackward0", result, (input, batch1, batch2),
               lambda g: (g * beta if beta != 1 else g, bmm(g, b.mT) * alpha,
                          bmm(a.mT, g) * alpha), saved=(batch1, batch2))
    return _out(result, out)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1,
           out=None) -> Tensor:
    """beta * input + alpha * sum over the batch of batch1[i] @ batch2[i]."""
    if batch1.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    bs, m, k = batch1._shape
    if batch2._shape[0] != bs or batch2._shape[1] != k:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{bs}, {k}] but got: [{batch2._shape[0]}, {batch2._shape[1]}].")
    _check_pair("m1 and m2", batch1, batch2)
    _scalar_check(alpha, beta, batch1.dtype)
    n = batch2._shape[2]
    _add_checks(input, (m, n))
    # One GEMM over K' = batch * K: (M, B*K) @ (B*K, N); batch1's side needs a copy.
    a = batch1.detach().permute(1, 0, 2).reshape(m, bs * k)
    b = batch2.detach().reshape(bs * k, n)
    result = _gemm(a, b, input.detach(), alpha, beta)
    if needs_grad(input, batch1, batch2):
        x, y = batch1, batch2
        record("AddbmmBackward0", result, (input, batch1, batch2),
               lambda g: (g * beta if beta != 1 else g,
                          _bmm_nd(g.expand(bs, m, n), y.mT) * alpha,
                          _bmm_nd(x.mT, g.expand(bs, m, n)) * alpha), saved=(batch1, batch2))
    return _out(result, out)


# -- products built from the above -------------------------------------------------------------
def outer(input: Tensor, vec2: Tensor, *, out=None) -> Tensor:
    """Outer product of two 1-D tensors (recorded as MulBackward0, as in PyTorch)."""
    if input.dim() != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input.dim()}-D")
    if vec2.dim() != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2.dim()}-D")
    return _out(input.reshape(-1, 1) * vec2, out)


ger = outer


def inner(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Sum of products over the last dim of each (scalars multiply)."""
    if input.dim() == 0 or other.dim() == 0:
        return _out(input * other, out)
    if input._shape[-1] != other._shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input._shape)} and {list(other._shape)}")
    return _out(tensordot(input, other, dims=([-1], [-1])), out)


def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract dims of a with dims of b (an int n: the last n of a with the first n of b)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, builtins.int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(a.dim() - dims, a.dim()))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, builtins.int) else list(da)
        db = [db] if isinstance(db, builtins.int) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da = [d % a.dim() if a.dim() else d for d in da]
    db = [d % b.dim() if b.dim() else d for d in db]
    for x, y in zip(da, db):
        if a._shape[x] != b._shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._shape[x]} in dim {x} and second has size {b._shape[y]} in "
                               f"dim {y}")
    fa = [d for d in range(a.dim()) if d not in da]
    fb = [d for d in range(b.dim()) if d not in db]
    k = _numel(a._shape[d] for d in da)
    am = a.permute(*(fa + da)).reshape(_numel(a._shape[d] for d in fa), k)
    bm = b.permute(*(db + fb)).reshape(k, _numel(b._shape[d] for d in fb))
    res = mm(am, bm).reshape(*[a._shape[d] for d in fa], *[b._shape[d] for d in fb])
    return _out(res, out)


def kron(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Kronecker product."""
    nd = builtins.max(input.dim(), other.dim())
    a = input.reshape((1,) * (nd - input.dim()) + input._shape)
    b = other.reshape((1,) * (nd - other.dim()) + other._shape)
    # a[i0, 1, i1, 1, ...] * b[1, j0, 1, j1, ...] -> (i0*j0, i1*j1, ...)
    a_shape, b_shape = [], []
    for sa, sb in zip(a._shape, b._shape):
        a_shape += [sa, 1]
        b_shape += [1, sb]
    prod = a.reshape(a_shape) * b.reshape(b_shape)
    return _out(prod.reshape(*[sa * sb for sa, sb in zip(a._shape, b._shape)]), out)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor."""
    if input.dim() != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim "
                           f"{input.dim()}")
    with no_grad():
        result = input.diagonal().sum()
    if needs_grad(input):
        shape = input._shape

        def rule(g):
            return (eye(shape[0], shape[1], dtype=g.dtype, device=g.device) * g,)
        record("TraceBackward0", result, (input,), rule)
    return result


# -- einsum ------------------------------------------------------------------------------------
def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation: diagonals, sums, then one batched GEMM per contracted pair."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation" if len(terms) < len(operands) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    # '...' becomes fresh letters, right-aligned across operands.
    ell_rank = 0
    for t, x in zip(terms, operands):
        if "..." in t:
            ell_rank = builtins.max(ell_rank, x.dim() - (len(t) - 3))
    used = set(c for c in eq if c.isalpha())
    fresh = [c for c in string.ascii_letters if c not in used][:ell_rank]
    subs = []
    for t, x in zip(terms, operands):
        if "..." in t:
            n = x.dim() - (len(t) - 3)
            t = t.replace("...", "".join(fresh[ell_rank - n:]))
        if len(t) != x.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(t)}) does not match the number of dimensions "
                               f"({x.dim()}) for operand {len(subs)}"
                               + ("" if "..." in terms[len(subs)] else
                                  " and no ellipsis was given"))
        subs.append(t)
    if arrow:
        out = rhs.replace("...", "".join(fresh))
    else:
        counts = {}
        for t in subs:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = "".join(fresh) + "".join(sorted(c for c, n in counts.items()
                                              if n == 1 and c not in fresh))
    sizes = {}
    for t, x in zip(subs, operands):
        for c, s in zip(t, x._shape):
            if sizes.get(c, 1) != 1 and s != 1 and sizes[c] != s:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                                   f"(original->remapped): {list(x._shape)}")
            if s != 1 or c not in sizes:
                sizes[c] = s
    items = []
    for t, x in zip(subs, operands):
        x, t = _take_diagonals(x, t)
        items.append((x, t))
    # Sum letters that appear in one operand only and not in the output, then contract.
    while True:
        reduced = []
        for i, (x, t) in enumerate(items):
            elsewhere = set(out).union(*(set(u) for j, (_, u) in enumerate(items) if j != i))
            drop = [d for d, c in enumerate(t) if c not in elsewhere]
            if drop:
                x = x.sum(dim=tuple(drop))
                t = "".join(c for c in t if c not in {t[d] for d in drop})
            reduced.append((x, t))
        items = reduced
        if len(items) == 1:
            break
        (x, tx), (y, ty) = items[0], items[1]
        rest = set(out).union(*(set(u) for _, u in items[2:]))
        items = [_contract(x, tx, y, ty, rest, sizes)] + items[2:]
    x, t = items[0]
    for c in out:
        if c not in t:  # a letter only seen with size 1 in a broadcast: keep its dim
            x, t = x.unsqueeze(-1), t + c
    if t != out:
        x = x.permute(*[t.index(c) for c in out])
    shape = tuple(sizes[c] for c in out)
    if x._shape != shape:
        x = x.expand(shape)
    return x


def _take_diagonals(x: Tensor, t: str):
    while True:
        for d, c in enumerate(t):
            e = t.find(c, d + 1)
            if e >= 0:
                break
        else:
            return x, t
        x = x.diagonal(0, d, e)  # moves the diagonal last
        t = t[:d] + t[d + 1:e] + t[e + 1:] + c


def _contract(x: Tensor, tx: str, y: Tensor, ty: str, keep: set, sizes: dict):
    """One pairwise step: batch (shared, kept), contracted (shared), left and right letters."""
    batch = [c for c in tx if c in ty and c in keep]
    summed = [c for c in tx if c in ty and c not in keep]
    left = [c for c in tx if c not in ty]
    right = [c for c in ty if c not in tx]
    xp = x.permute(*[tx.index(c) for c in batch + left + summed])
    yp = y.permute(*[ty.index(c) for c in batch + summed + right])
    bshape = tuple(builtins.max(xp._shape[i], yp._shape[i]) for i in range(len(batch)))
    xs = xp._shape[len(batch):]
    ys = yp._shape[len(batch):]
    nl, ns = _numel(xs[:len(left)]), _numel(xs[len(left):])
    nr = _numel(ys[len(summed):])
    ns_y = _numel(ys[:len(summed)])
    if ns != ns_y:  # a size-1 contracted letter broadcast against a longer one
        if ns == 1:
            xp = xp.sum(dim=tuple(range(len(batch) + len(left), xp.dim())), keepdim=True) \
                .expand(xp._shape[:len(batch) + len(left)] + ys[:len(summed)])
        else:
            yp = yp.sum(dim=tuple(range(len(batch), len(batch) + len(summed))), keepdim=True) \
                .expand(yp._shape[:len(batch)] + xs[len(left):] + ys[len(summed):])
        ns = builtins.max(ns, ns_y)
    xm = xp.expand(bshape + xp._shape[len(batch):]).reshape(bshape + (nl, ns))
    ym = yp.expand(bshape + yp._shape[len(batch):]).reshape(bshape + (ns, nr))
    prod = matmul(xm, ym)
    res = prod.reshape(bshape + tuple(sizes[c] if xs[left.index(c)] != 1 else 1 for c in left)
                       + tuple(ys[len(summed) + right.index(c)] for c in right))
    return res, "".join(batch + left + right)


# -- Tensor methods and operators ----------------------------------------------------------------
def _rmatmul(self: Tensor, other) -> Tensor:
    return matmul(other, self)


def _imatmul(self: Tensor, other) -> Tensor:
    # PyTorch computes self @ other and writes it back into self (shape must be kept).
    result = matmul(self, other)
    if result._shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the broadcast "
                           f"shape {list(result._shape)}")
    return self.copy_(result)


register("matmul", "__matmul__")(matmul)
register("__rmatmul__")(_rmatmul)
register("__imatmul__")(_imatmul)
for _fn in (mm, bmm, mv, dot, vdot, inner, outer, ger, addmm, addmv, addbmm, baddbmm, kron,
            trace):
    register()(_fn)
register("tensordot")(tensordot)


def _inplace_add(name: str, fn):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        return self.copy_(fn(self, *args, **kwargs))
    method.__name__ = name
    register(name)(method)


for _name, _fn in (("addmm_", addmm), ("addmv_", addmv), ("addbmm_", addbmm),
                   ("baddbmm_", baddbmm)):
    _inplace_add(_name, _fn)
