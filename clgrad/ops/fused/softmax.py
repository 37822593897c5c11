"""softmax / log_softmax along one dim: one fused kernel forward, one backward.

The backward is itself a recorded op (SoftmaxBackwardDataBackward0 /
LogSoftmaxBackwardDataBackward0, as PyTorch names it) so gradients of gradients work.
"""
from __future__ import annotations

from ..._strides import normalize_dim
from ..._tensor import Tensor
from ...autograd.graph import needs_grad, record

__all__ = ["softmax", "softmax_backward_data"]


def _dims(shape: tuple, d: int) -> tuple:
    """(outer, size of d, inner) of a contiguous tensor: the kernels' view of it."""
    outer = 1
    for s in shape[:d]:
        outer *= s
    inner = 1
    for s in shape[d + 1:]:
        inner *= s
    return outer, shape[d], inner


def _contiguous(t: Tensor) -> Tensor:
    return t.detach() if t.is_contiguous() else t.detach().contiguous()


def softmax(input: Tensor, dim: int, log: bool) -> Tensor:
    """softmax (log=False) or log_softmax (log=True) of a floating tensor along dim."""
    ndim = input.dim()
    d = normalize_dim(dim, max(ndim, 1), "softmax")
    dims = _dims(input._shape if ndim else (1,), d)
    out = Tensor._empty(input._shape, input.dtype, input.device)
    out._storage.backend.softmax(out, _contiguous(input), dims, log)
    if needs_grad(input):
        # The rule reads `out` itself: under create_graph its history (this node) carries the
        # second derivative back to input. `saved` guards it against in-place changes.
        record("LogSoftmaxBackward0" if log else "SoftmaxBackward0", out, (input,),
               lambda g: (softmax_backward_data(g, out, dims, log),), saved=(out,))
    return out


def softmax_backward_data(grad: Tensor, y: Tensor, dims: tuple, log: bool) -> Tensor:
    """The gradient of (log_)softmax at output y for incoming gradient `grad`.

    softmax: y * (g - sum(g * y));  log_softmax: g - exp(y) * sum(g).
    """
    out = Tensor._empty(y._shape, y.dtype, y.device)
    out._storage.backend.softmax_backward(out, _contiguous(grad), _contiguous(y), dims, log)
    if needs_grad(grad, y):
        name = "LogSoftmaxBackwardDataBackward0" if log else "SoftmaxBackwardDataBackward0"
        record(name, out, (grad, y), lambda gg: _softmax_backward_grads(gg, grad, y, dims, log),
               saved=(grad, y))
    return out


def _softmax_backward_grads(gg: Tensor, g: Tensor, y: Tensor, dims: tuple, log: bool):
    """Gradients of softmax_backward_data with respect to (grad, y), given gg."""
    shape = y._shape
    g3, y3, gg3 = (t.reshape(dims) for t in (g, y, gg))
    if log:
        e = y3.exp()
        d_grad = gg3 - (gg3 * e).sum(1, keepdim=True)
        d_y = -gg3 * e * g3.sum(1, keepdim=True)
        return d_grad.reshape(shape), d_y.reshape(shape)
    # The softmax Jacobian diag(y) - y y^T is symmetric: the grad-side adjoint is the same
    # fused backward applied to gg.
    d_grad = softmax_backward_data(gg, y, dims, False) if g._requires_grad else None
    d_y = gg3 * (g3 - (g3 * y3).sum(1, keepdim=True)) - g3 * (gg3 * y3).sum(1, keepdim=True)
    return d_grad, d_y.reshape(shape)
