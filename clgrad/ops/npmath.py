"""numpy forms of the pointwise functions numpy lacks or defines differently from PyTorch.

Each takes numpy arrays (or numpy scalars) already in the compute dtype and returns an array
of that dtype. erf, erfc and erfinv compute in float64 (Cephes' rational approximations, and
Newton-refined Giles for erfinv), so they are accurate to float64 precision.
"""
from __future__ import annotations

import warnings

import numpy as np

# PyTorch computes inf and nan silently; numpy warns (see backends/cpu.py).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)

# Cephes ndtr.c (S. L. Moshier): erf on |x| <= 1, erfc on 1 < |x| < 8 and |x| >= 8.
_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
      7.00332514112805075473E3, 5.55923013010394962768E4)
_U = (1.0, 3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
      2.26290000613890934246E4, 4.92673942608635921086E4)
_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
      4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
      9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
_Q = (1.0, 1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
      9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
      1.65666309194161350182E3, 5.57535340817727675546E2)
_R = (5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
      6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0)
_S = (1.0, 2.26052863220117276590E0, 9.39603524938001434673E0, 1.20489539808096656605E1,
      1.70814450747565897222E1, 9.60896809063285878198E0, 3.36907645100081516050E0)


def _poly(x, coefs):
    result = np.full_like(x, coefs[0])
    for c in coefs[1:]:
        result = result * x + c
    return result


def _erf_small(x):
    z = x * x
    return x * _poly(z, _T) / _poly(z, _U)


def _erfc_large(ax):
    """erfc(|x|) for |x| >= 1 (beyond 30 it underflows to 0; this also keeps inf finite)."""
    ax = np.minimum(ax, 30.0)
    z = np.exp(-ax * ax)
    big = ax >= 8.0
    p = np.where(big, _poly(ax, _R), _poly(ax, _P))
    q = np.where(big, _poly(ax, _S), _poly(ax, _Q))
    return z * p / q


def _float64(a):
    return np.asarray(a, dtype=np.float64)


def erf(a):
    x = _float64(a)
    ax = np.abs(x)
    small = ax <= 1.0
    with np.errstate(all="ignore"):
        tail = np.copysign(1.0 - _erfc_large(np.where(small, 1.0, ax)), x)
        result = np.where(small, _erf_small(np.where(small, x, 0.0)), tail)
    return result.astype(np.asarray(a).dtype)


def erfc(a):
    x = _float64(a)
    ax = np.abs(x)
    small = ax < 1.0
    with np.errstate(all="ignore"):
        tail = _erfc_large(np.where(small, 1.0, ax))
        tail = np.where(x < 0, 2.0 - tail, tail)
        result = np.where(small, 1.0 - _erf_small(np.where(small, x, 0.0)), tail)
    return result.astype(np.asarray(a).dtype)


def erfinv(a):
    y = _float64(a)
    with np.errstate(all="ignore"):
        w = -np.log((1.0 - y) * (1.0 + y))
        central = w < 5.0
        wc = np.where(central, w - 2.5, np.sqrt(np.where(central, 5.0, w)) - 3.0)
        pc = _poly(wc, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                        0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                        1.50140941))
        pt = _poly(wc, (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                        0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                        2.83297682))
        x = np.where(central, pc, pt) * y
        for _ in range(2):
            x = x - (erf(x) - y) / (1.1283791670955126 * np.exp(-x * x))
        ay = np.abs(y)
        x = np.where(ay == 1.0, np.copysign(np.inf, y), np.where(ay > 1.0, np.nan, x))
    return x.astype(np.asarray(a).dtype)


# -- integer and float division with PyTorch's semantics --------------------------------------
def _is_int(a) -> bool:
    return np.asarray(a).dtype.kind in "iub"


def _check_int_divisor(a, b) -> None:
    # Operands are already broadcast (or scalars): an empty dividend divides nothing.
    if np.size(a) and np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")


# -- shifts with PyTorch's out-of-range rule (c10's lshift/rshift) ---------------------------
def _shift_count(a, b):
    """(b clipped into [0, bits), where b is out of range) for a's integer width."""
    bits = np.asarray(a).dtype.itemsize * 8
    b = np.asarray(b)
    outside = (b < 0) | (b >= bits)
    return np.where(outside, 0, b).astype(np.asarray(a).dtype), outside


def left_shift(a, b):
    """a << b; 0 where b is negative or at least a's width."""
    count, outside = _shift_count(a, b)
    return np.where(outside, 0, np.left_shift(a, count)).astype(np.asarray(a).dtype)


def right_shift(a, b):
    """a >> b (arithmetic); 0 or -1 (by a's sign) where b is negative or too wide."""
    count, outside = _shift_count(a, b)
    fill = np.where(np.asarray(a) < 0, -1, 0)
    return np.where(outside, fill, np.right_shift(a, count)).astype(np.asarray(a).dtype)


def floor_divide(a, b):
    if _is_int(a):
        _check_int_divisor(a, b)
    return np.floor_divide(a, b)


def trunc_divide(a, b):
    if _is_int(a):
        _check_int_divisor(a, b)
        q = np.floor_divide(a, b)
        fix = (np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0))
        return (q + fix).astype(q.dtype)
    return np.trunc(np.true_divide(a, b))


def remainder(a, b):
    if _is_int(a):
        _check_int_divisor(a, b)
        return np.remainder(a, b)
    mod = np.fmod(a, b)
    fix = (mod != 0) & ((np.asarray(b) < 0) != (mod < 0))
    return np.where(fix, mod + b, mod).astype(mod.dtype)


def fmod(a, b):
    if _is_int(a):
        _check_int_divisor(a, b)
    return np.fmod(a, b)


def power(a, b):
    """a ** b; integers raised to negative integers give PyTorch's 1, -1 or 0."""
    if not _is_int(a):
        return np.power(a, b)
    a, b = np.asarray(a), np.asarray(b)
    negative = b < 0
    if not np.any(negative):
        return np.power(a, b)
    result = np.power(a, np.where(negative, 0, b))
    odd = (b & 1) != 0
    special = np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0)).astype(a.dtype)
    return np.where(negative, special, result).astype(result.dtype)


def sign(a):
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return a.copy()
    return ((a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)).astype(a.dtype)


def round_half_even_scaled(a, ten_pow):
    """round(a, decimals>0) as PyTorch computes it: rint(a * 10**d) / 10**d."""
    return (np.rint(a * ten_pow) / ten_pow).astype(np.asarray(a).dtype)


def round_half_even_unscaled(a, ten_pow):
    """round(a, decimals<0): rint(a / 10**-d) * 10**-d."""
    return (np.rint(a / ten_pow) * ten_pow).astype(np.asarray(a).dtype)


def logit_eps(a, lo):
    hi = 1 - lo
    z = np.where(a < lo, lo, np.where(a > hi, hi, a))
    return np.log(z / (1 - z)).astype(np.asarray(a).dtype)


def lerp(a, b, w):
    diff = b - a
    return np.where(np.abs(w) < 0.5, a + w * diff, b - diff * (1 - w)).astype(
        np.asarray(a).dtype)


def clamp(a, lo, hi):
    # np.maximum/np.minimum propagate NaN from either side, as PyTorch's clamp does.
    return np.minimum(np.maximum(a, lo), hi)


def nan_to_num(a, nan, posinf, neginf):
    return np.where(np.isnan(a), nan, np.where(np.isposinf(a), posinf,
                                               np.where(np.isneginf(a), neginf, a)))


def isclose(a, b, rtol, atol, equal_nan: bool = False):
    close = a == b
    if equal_nan:
        close = close | (np.isnan(a) & np.isnan(b))
    actual = np.abs(a - b)
    return close | (np.isfinite(actual) & (actual <= atol + np.abs(rtol * b)))
