"""The regularized lower incomplete gamma function P(a, x), for Gamma.cdf (torch calls
torch.special.gammainc there), from Tensor ops so it runs on every device.

P is summed as its power series where x < a + 1 and as 1 - Q from the continued fraction of
Q (modified Lentz) elsewhere; each loop stops once every element has converged, checking
every few rounds so a host read is not paid per term. As torch's gammainc, the result is
differentiable in x (the derivative is the Gamma density) and not in a.
"""
from __future__ import annotations

import clgrad

__all__ = ["regularized_gamma_p"]

_CHECK_EVERY = 8
_MAX_TERMS = 4096


def _converged(step, eps) -> bool:
    return bool((step.abs() <= eps).all())


def _series(a, x, eps):
    """sum_k x^k / ((a + 1) ... (a + k)), times x^a e^-x / Gamma(a + 1)."""
    term = clgrad.ones_like(x)
    total = term
    for k in range(1, _MAX_TERMS):
        term = term * x / (a + k)
        total = total + term
        if k % _CHECK_EVERY == 0 and _converged(term / total, eps):
            break
    return (a * x.log() - x - clgrad.lgamma(a + 1)).exp() * total


def _continued_fraction(a, x, eps):
    """Q(a, x) = x^a e^-x / Gamma(a) * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...))."""
    tiny = clgrad.finfo(x.dtype).tiny / eps
    b = x + 1 - a
    c = clgrad.full_like(x, 1 / tiny)
    d = 1 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = clgrad.where(d.abs() < tiny, tiny, d).reciprocal()
        c = b + an / c
        c = clgrad.where(c.abs() < tiny, tiny, c)
        delta = d * c
        h = h * delta
        if i % _CHECK_EVERY == 0 and _converged(delta - 1, eps):
            break
    return (a * x.log() - x - clgrad.lgamma(a)).exp() * h


def regularized_gamma_p(a, x):
    """P(a, x) = gamma(a, x) / Gamma(a) for a > 0, x >= 0 (broadcast together)."""
    a, x = clgrad.broadcast_tensors(a, x)
    with clgrad.no_grad():
        ad, xd = a.detach(), x.detach()
        eps = clgrad.finfo(xd.dtype).eps
        use_series = xd < ad + 1
        # each method on its own elements and a harmless point elsewhere
        series = _series(clgrad.where(use_series, ad, 1.0),
                         clgrad.where(use_series, xd, 0.5), eps)
        fraction = 1 - _continued_fraction(clgrad.where(use_series, 1.0, ad),
                                           clgrad.where(use_series, 3.0, xd), eps)
        p = clgrad.where(use_series, series, fraction)
        p = clgrad.where(xd == 0, 0.0, p)
        density = clgrad.where(xd > 0, ((ad - 1) * xd.log() - xd - clgrad.lgamma(ad)).exp(),
                               0.0)
    if not x.requires_grad:
        return p
    # d P / d x is the density: value p, gradient density * dx (none flows to a, as torch)
    return p + density * (x - xd)
