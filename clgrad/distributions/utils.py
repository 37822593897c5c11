"""Helpers shared by the distributions (torch.distributions.utils): broadcasting, probs and
logits, lazy properties, lower-triangle packing."""
from __future__ import annotations

import math
import numbers

import clgrad

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # the Euler-Mascheroni constant


def _format(value) -> str:
    # torch formats a 0-dim tensor in an f-string as its Python number.
    if isinstance(value, clgrad.Tensor) and value.dim() == 0:
        return str(value.item())
    return str(value)


def broadcast_all(*values):
    """Tensors and numbers broadcast to one shape; numbers take the tensors' dtype and device."""
    tensors = [v for v in values if isinstance(v, clgrad.Tensor)]
    for v in values:
        if not isinstance(v, (clgrad.Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be instances of numbers.Number, "
                             "torch.Tensor or objects implementing __torch_function__.")
    if not tensors:
        dtype = clgrad.get_default_dtype()
        return tuple(clgrad.tensor(float(v), dtype=dtype) for v in values)
    like = tensors[0]
    converted = [v if isinstance(v, clgrad.Tensor)
                 else clgrad.tensor(float(v), dtype=like.dtype, device=like.device)
                 for v in values]
    return tuple(clgrad.broadcast_tensors(*converted))


def infinite_like(tensor):
    """inf in tensor's shape, dtype and device (the KL where p's support leaves q's)."""
    return clgrad.full_like(tensor, math.inf)


def clamp_probs(probs):
    eps = clgrad.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary: bool = False):
    if is_binary:
        return clgrad.sigmoid(logits)
    return clgrad.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary: bool = False):
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return clgrad.log(ps_clamped) - clgrad.log1p(-ps_clamped)
    return clgrad.log(ps_clamped)


class lazy_property:
    """Computed once on first access, then stored on the instance (torch's lazy_property)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _tril_mask(n, diag, device):
    arange = clgrad.arange(n, device=device)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower triangle (below diagonal `diag`) of each matrix, in row order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec, diag: int = 0):
    """The inverse of tril_matrix_to_vec: zeros outside the triangle."""
    # the positive root of D^2 + (1 + 2 diag) D - |diag| (diag + 1) - 2 len = 0
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1]
                            + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = clgrad.finfo(vec.dtype).eps
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be "
                         "expressed as the lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
