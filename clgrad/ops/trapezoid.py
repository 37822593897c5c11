"""torch.trapezoid / trapz / cumulative_trapezoid: the trapezoidal rule along a dim,
composed from slicing, products and sums (so autograd and every device come with them)."""
from __future__ import annotations

import numbers

from .._tensor import Tensor


def _check(name: str, y, x, dx, dim):
    if not isinstance(y, Tensor):
        raise TypeError(f"{name}(): argument 'y' (position 1) must be Tensor, not "
                        f"{type(y).__name__}")
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"(Tensor, Tensor, dx={type(dx).__name__}), but expected one of:\n"
                        f" * (Tensor y, Tensor x, *, int dim = -1)\n"
                        f" * (Tensor y, *, Number dx = 1, int dim = -1)\n")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"(Tensor, {type(x).__name__}), but expected one of:\n"
                        f" * (Tensor y, Tensor x, *, int dim = -1)\n"
                        f" * (Tensor y, *, Number dx = 1, int dim = -1)\n")
    if dx is not None and not isinstance(dx, numbers.Number):
        raise TypeError(f"{name}(): argument 'dx' must be Number, not {type(dx).__name__}")
    if y.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    ndim = y.dim()
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    return dim % ndim


def _pieces(name: str, y: Tensor, x, dx, dim: int):
    """(sum of neighbours along dim, the spacing to multiply them by, dim)."""
    dim = _check(name, y, x, dx, dim)
    n = y.shape[dim]
    pair = y.narrow(dim, min(n, 1), max(n - 1, 0)) + y.narrow(dim, 0, max(n - 1, 0))
    if x is None:
        return pair, (1 if dx is None else dx), dim
    if x.dim() == 1:
        if x.shape[0] != n:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        spacing = x[1:] - x[:-1]
        shape = [1] * y.dim()
        shape[dim] = max(n - 1, 0)
        spacing = spacing.reshape(shape)
    else:
        xd = dim - y.dim() + x.dim()
        if xd < 0 or x.shape[xd] != n:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        m = x.shape[xd]
        spacing = x.narrow(xd, min(m, 1), max(m - 1, 0)) - x.narrow(xd, 0, max(m - 1, 0))
    return pair, spacing, dim


def trapezoid(y: Tensor, x: Tensor = None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of y along dim by the trapezoidal rule, at points x or spacing dx."""
    pair, spacing, dim = _pieces("trapezoid", y, x, dx, dim)
    return (pair * spacing).sum(dim) / 2


def trapz(y: Tensor, x: Tensor = None, *, dx=None, dim: int = -1) -> Tensor:
    """Alias of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor = None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral of y along dim (one element fewer than y there)."""
    pair, spacing, dim = _pieces("cumulative_trapezoid", y, x, dx, dim)
    return (pair * spacing).cumsum(dim) / 2


__all__ = ["trapezoid", "trapz", "cumulative_trapezoid"]
