"""clgrad.special: torch.special's functions, on every device with gradients.

Most are the §2 pointwise ops under scipy-style names; lgamma, digamma, zeta and the I0/I1
Bessel functions are op-table primitives (clgrad/ops/pointwise_table.py); the rest compose them.
"""
from __future__ import annotations

import math
from typing import Optional

from . import _dtype as _dt
from ._tensor import Tensor
from .ops import pointwise_table as _T
from .ops.pointwise_dispatch import run as _run
from .ops.pointwise import (erf, erfc, erfinv, exp2, expm1, log1p, logit,  # noqa: F401
                            round, sigmoid as expit)
from .ops.reduce import logsumexp  # noqa: F401
from .ops.special_ops import (digamma, i0, lgamma as gammaln, mvlgamma,  # noqa: F401
                              polygamma, sinc, xlogy, zeta)

__all__ = ["entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "log1p", "logit",
           "round", "logsumexp", "digamma", "psi", "gammaln", "polygamma", "multigammaln",
           "i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "sinc", "xlogy",
           "xlog1py", "zeta", "softmax", "log_softmax"]

psi = digamma
_SQRT1_2 = math.sqrt(0.5)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _out(result: Tensor, out: Optional[Tensor]) -> Tensor:
    return result if out is None else out.copy_(result)


def i0e(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """exp(-|x|) * i0(x), without overflow."""
    return _run(_T.I0E, (input,), out=out)


def i1(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """The modified Bessel function of the first kind, order 1."""
    return _run(_T.I1, (input,), out=out)


def i1e(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """exp(-|x|) * i1(x), without overflow."""
    return _run(_T.I1E, (input,), out=out)


def multigammaln(input: Tensor, p: int, *, out: Optional[Tensor] = None) -> Tensor:
    """Alias of clgrad.mvlgamma."""
    return mvlgamma(input, p, out=out)


def entr(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """-x * log(x): 0 at 0, -inf for negative x."""
    return _run(_T.ENTR, (input,), out=out)


def ndtr(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """The standard normal CDF."""
    x = input if input.is_floating_point() else input.float()
    return _out((x * -_SQRT1_2).erfc() * 0.5, out)


def ndtri(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """The inverse of ndtr on [0, 1]."""
    p = input if input.is_floating_point() else input.float()
    x = (p * 2 - 1).erfinv() * math.sqrt(2.0)
    # 2p - 1 loses p's relative precision in the tails: Newton steps on ndtr(x) = p restore it.
    inside = (p > 0) & (p < 1)
    # Deep in the lower tail 2p - 1 rounds to -1 (float32): start from the asymptotic root.
    w = -2 * p.where(inside, 0.5).log()
    tail = -(w - w.log() - math.log(2 * math.pi)).clamp_min(0).sqrt()
    x = tail.where(inside & (p < 1e-6), x)
    for _ in range(3):
        xs = x.where(inside, 0.0)
        step = (ndtr(xs) - p) * (xs * xs * 0.5).exp() * math.sqrt(2 * math.pi)
        x = (xs - step).where(inside, x)
    return _out(x, out)


def log_ndtr(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """log(ndtr(x)), accurate far into the lower tail (asymptotic series below -5)."""
    x = input if input.is_floating_point() else input.float()
    direct = ((x * -_SQRT1_2).erfc() * 0.5).log()
    # x > 0: log1p(-upper tail) keeps the tiny negative values log(1 - tail) rounds to 0.
    upper = ((x.where(x > 0, 0.0) * _SQRT1_2).erfc() * -0.5).log1p()
    direct = upper.where(x > 0, direct)
    # Below `cut` erfc nears underflow: log(phi(x) / -x) + log(sum_k (-1)^k (2k-1)!! / x^2k),
    # phi the density; at the cut the series' truncation error is below the dtype's epsilon.
    cut = -20.0 if x.dtype is _dt.float64 else -10.0
    t = x.where(x < cut, cut - 1)
    z = (t * t).reciprocal()
    series = z * 0 + 1
    term = series
    for k in range(1, 9):
        term = term * z * -(2 * k - 1)
        series = series + term
    tail = -0.5 * t * t - (-t).log() - _LOG_SQRT_2PI + series.log()
    return _out(tail.where(x < cut, direct), out)


def xlog1py(input, other, *, out: Optional[Tensor] = None) -> Tensor:
    """input * log1p(other), and 0 where input is 0 (unless other is NaN)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlog1py(): expected at least one Tensor argument")
    return _run(_T.XLOG1PY, (input, other), out=out)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim."""
    from .nn.functional import softmax as _softmax
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """x - logsumexp(x) along dim."""
    from .nn.functional import log_softmax as _log_softmax
    return _log_softmax(input, dim, dtype=dtype)
