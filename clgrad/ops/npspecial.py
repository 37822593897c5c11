"""numpy forms of the special-function primitives (lgamma, digamma, zeta, I0/I1 Bessel).

Each mirrors, vectorised, the OpenCL helper of the same name in kernels/math.cl.mako (same
algorithm, so cpu and cl agree), computing in float64 and returning the input's dtype.
"""
from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np

warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)


def _f64(a):
    return np.asarray(a, dtype=np.float64)


def _like(result, a):
    return np.asarray(result).astype(np.asarray(a).dtype)


_LGAMMA = np.frompyfunc(lambda v: v if math.isnan(v) else math.inf if math.isinf(v) or (
    v <= 0 and v == math.floor(v)) else math.lgamma(v), 1, 1)


def lgamma(a):
    """log|Gamma(a)| (inf at the poles, as C's lgamma)."""
    x = _f64(a)
    return _like(np.asarray(_LGAMMA(x), dtype=np.float64), a)  # 0-dim gives a float


def digamma(a):
    x = _f64(a).copy()
    result = np.zeros_like(x)
    zero = x == 0
    pole = (x < 0) & (x == np.floor(x))
    neg = (x < 0) & ~pole
    # The reflection term only where it applies (tan(0) elsewhere would divide by zero).
    result = np.where(neg, -np.pi / np.tan(np.pi * np.fmod(np.where(neg, x, 0.5), 1.0)), result)
    x = np.where(neg, 1.0 - x, x)
    x = np.where(zero | pole | np.isnan(x), 10.0, x)  # any value: fixed up below
    for _ in range(64):  # x >= 0 here; at most ~11 steps reach 10 except for tiny x
        small = x < 10
        if not small.any():
            break
        result = result - np.where(small, 1.0 / x, 0.0)
        x = np.where(small, x + 1.0, x)
    z = 1.0 / (x * x)
    p = 1.0 / 12
    for c in (-691.0 / 32760, 1.0 / 132, -1.0 / 240, 1.0 / 252, -1.0 / 120, 1.0 / 12):
        p = c + p * z
    result = result + np.log(x) - 0.5 / x - p * z
    orig = _f64(a)
    result = np.where(zero, np.copysign(np.inf, -orig), result)
    result = np.where(pole | np.isnan(orig), np.nan, result)
    return _like(result, a)


def _bernoulli_ratios(count: int) -> tuple:
    """(2j)! / B_2j for j = 1..count (the Euler-Maclaurin tail's denominators)."""
    b = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        b.append(-sum(math.comb(m + 1, k) * b[k] for k in range(m)) / Fraction(m + 1))
    return tuple(float(Fraction(math.factorial(2 * j)) / b[2 * j]) for j in range(1, count + 1))


ZETA_A = _bernoulli_ratios(12)


def zeta(s_in, q_in):
    """The Hurwitz zeta function sum_k (k + q)^-s (s > 1)."""
    s, q = np.broadcast_arrays(_f64(s_in), _f64(q_in))
    s, q = s.astype(np.float64), q.astype(np.float64)
    eps = 1.1102230246251565e-16 if np.result_type(s_in, q_in) == np.float64 else 5.96e-08
    total = q ** -s
    a = q.copy()
    b = np.zeros_like(q)
    done = np.zeros(q.shape, bool)
    for i in range(1, 1001):
        active = ~done & ((i <= 9) | (a <= 9))
        if not active.any():
            break
        a = np.where(active, a + 1.0, a)
        bn = a ** -s
        b = np.where(active, bn, b)
        total = np.where(active, total + bn, total)
        done |= active & (np.abs(bn / total) < eps)
    w = a
    tail = b * w / (s - 1.0) - 0.5 * b
    a2 = np.ones_like(q)
    k = np.zeros_like(q)
    bb = b.copy()
    converged = np.zeros(q.shape, bool)
    for coef in ZETA_A:
        a2 = a2 * (s + k)
        bb = bb / w
        t = a2 * bb / coef
        tail = np.where(converged, tail, tail + t)
        converged |= np.abs(t / (total + tail)) < eps
        k = k + 1.0
        a2 = a2 * (s + k)
        bb = bb / w
        k = k + 1.0
    result = np.where(done, total, total + tail)
    nonpos = q <= 0
    result = np.where(nonpos & (q == np.floor(q)), np.inf,
                      np.where(nonpos & (s != np.floor(s)), np.nan, result))
    # Cephes' order (the OpenCL helper's too): the rules on s come before those on q.
    result = np.where(s == 1, np.inf, np.where(s < 1, np.nan, result))
    return _like(result, np.result_type(s_in, q_in).type(0))


def bessel_i(a, order: int, scaled: bool):
    x = _f64(a)
    ax = np.abs(x)
    small = ax <= 30
    # power series, for |x| <= 30
    xs = np.where(small, ax, 0.0)
    y = xs * xs / 4
    term = np.ones_like(xs) if order == 0 else xs / 2
    total = term.copy()
    for k in range(1, 200):
        term = term * y / (k * (k + order))
        total = total + term
        if np.all(term <= total * 1e-17):
            break
    series = total * np.exp(-xs) if scaled else total
    # asymptotic series, for |x| > 30
    xl = np.where(small, 31.0, ax)
    c = np.ones_like(xl)
    acc = np.ones_like(xl)
    for k in range(1, 30):
        m = 2 * k - 1
        c = c * (m * m - 4 * order * order) / (8 * k * xl)
        acc = acc + c
    scale = 1 / np.sqrt(2 * np.pi * xl)
    asym = acc * scale if scaled else acc * scale * np.exp(xl)
    result = np.where(small, series, asym)
    if order == 1:
        result = np.where(x < 0, -result, result)
    return _like(np.where(np.isnan(x), x, result), a)


def i0(a):
    return bessel_i(a, 0, False)


def i0e(a):
    return bessel_i(a, 0, True)


def i1(a):
    return bessel_i(a, 1, False)


def i1e(a):
    return bessel_i(a, 1, True)


def polygamma(a, n):
    """digamma for n = 0, else (-1)^(n+1) n! zeta(n + 1, a); n a scalar parameter."""
    n = float(n)
    if n == 0:
        return digamma(a)
    x = _f64(a)
    value = (-1.0) ** (n + 1) * math.gamma(n + 1) * zeta(np.full_like(x, n + 1), x)
    value = np.where(np.isposinf(x), 0.0, value)  # every derivative of digamma vanishes there
    return _like(value, a)
