"""Gamma-family, Bessel and x*log(y) functions: torch.lgamma, digamma, polygamma, mvlgamma,
i0, sinc, xlogy and their Tensor methods. lgamma, digamma, zeta and the I0/I1 Bessel
functions are op-table primitives; the rest compose Tensor ops."""
from __future__ import annotations

import math
from typing import Optional, Union

from .._checks import check_tensor
from .._tensor import Tensor, register
from . import pointwise_table as T
from .pointwise_dispatch import run

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "xlogy"]

Number = Union[int, float]


def _out(result: Tensor, out: Optional[Tensor]) -> Tensor:
    if out is None:
        return result
    return out.copy_(result)


def lgamma(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """log|Gamma(input)|."""
    check_tensor("lgamma", input)
    return run(T.LGAMMA, (input,), out=out)


def digamma(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """The logarithmic derivative of Gamma (-inf at 0, NaN at negative integers)."""
    check_tensor("digamma", input)
    return run(T.DIGAMMA, (input,), out=out)


def i0(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """The modified Bessel function of the first kind, order 0."""
    check_tensor("i0", input)
    return run(T.I0, (input,), out=out)


def zeta(input: Union[Tensor, Number], other: Union[Tensor, Number], *,
         out: Optional[Tensor] = None) -> Tensor:
    """The Hurwitz zeta function sum_k (k + other) ** -input."""
    return run(T.ZETA, (input, other), out=out)


def polygamma(n: int, input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """The n-th derivative of digamma."""
    check_tensor("polygamma", input)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    compute, result = T.POLYGAMMA.dtypes(input.dtype)
    return run(T.POLYGAMMA, (input, float(n)), out=out, dtypes=(compute, result))


def mvlgamma(input: Tensor, p: int, *, out: Optional[Tensor] = None) -> Tensor:
    """The multivariate log-gamma function of dimension p."""
    check_tensor("mvlgamma", input)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    total = lgamma(input)
    for j in range(1, p):
        total = total + lgamma(input - j / 2)
    return _out(total + p * (p - 1) / 4 * math.log(math.pi), out)


def sinc(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """sin(pi x) / (pi x), and 1 at 0."""
    check_tensor("sinc", input)
    return run(T.SINC, (input,), out=out)


def xlogy(input: Union[Tensor, Number], other: Union[Tensor, Number], *,
          out: Optional[Tensor] = None) -> Tensor:
    """input * log(other), and 0 where input is 0 (unless other is NaN)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlogy(): expected at least one Tensor argument")
    return run(T.XLOGY, (input, other), out=out)


def _method(fn, swap: bool = False):
    def method(self, *args, **kwargs):
        if swap:  # Tensor.polygamma(n) is polygamma(n, self)
            return fn(args[0], self, *args[1:], **kwargs)
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _inplace(fn, swap: bool = False):
    def method(self, *args, **kwargs):
        if swap:
            return fn(args[0], self, *args[1:], out=self)
        return fn(self, *args, out=self, **kwargs)
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place form of {fn.__name__}()."
    return method


for _fn in (lgamma, digamma, i0, sinc, xlogy, mvlgamma):
    register(_fn.__name__)(_method(_fn))
    register(_fn.__name__ + "_")(_inplace(_fn))
register("polygamma")(_method(polygamma, swap=True))
register("polygamma_")(_inplace(polygamma, swap=True))
