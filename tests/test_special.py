"""clgrad.special and the gamma/Bessel functions: values against torch (when installed) and
against math/numpy references always, gradients by gradcheck, on every device."""
import math

import numpy as np
import pytest

import clgrad
from helpers import device_supports_fp64, skip_without_fp64

X = [-6.5, -3.3, -0.5, 0.0, 0.3, 1.0, 2.5, 7.0, 31.0, -40.0]
POS = [0.6, 1.5, 3.0, 8.0, 12.5]


def _t(values, device, dtype=None):
    if dtype is None:
        dtype = clgrad.float64 if device_supports_fp64(device) else clgrad.float32
    return clgrad.tensor(values, dtype=dtype, device=device)


def _tol(t):
    return (1e-10, 1e-12) if t.dtype is clgrad.float64 else (2e-5, 1e-6)


def _check(got, expected, t, loose=False):
    rtol, atol = _tol(t)
    if loose and t.dtype is clgrad.float64:
        rtol = 1e-8  # torch's own polygamma is only good to ~1e-9 (trigamma(1.5) = pi^2/2 - 4)
    np.testing.assert_allclose(np.array(got.tolist(), dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), rtol=rtol, atol=atol,
                               equal_nan=True)


def _series_i(x, order):
    """I_order(x) by its power series in exact-enough float64 (many terms)."""
    return sum(math.exp((2 * k + order) * math.log(abs(x) / 2) - math.lgamma(k + 1)
                        - math.lgamma(k + order + 1)) for k in range(120)) * (
        -1 if order and x < 0 else 1) if x else float(order == 0)


def test_references_without_torch(device):
    t = _t(X, device)
    _check(clgrad.special.gammaln(t), [math.inf if v <= 0 and v == int(v) else math.lgamma(v)
                                       for v in X], t)
    _check(clgrad.i0(t), np.i0(np.array(X)), t)
    _check(clgrad.special.i0e(t), np.i0(np.array(X)) * np.exp(-np.abs(X)), t)
    small = [v for v in X if abs(v) < 30]
    ts = _t(small, device)
    _check(clgrad.special.i1(ts), [_series_i(v, 1) for v in small], ts)
    _check(clgrad.special.i1e(ts), [_series_i(v, 1) * math.exp(-abs(v)) for v in small], ts)
    pos = _t(POS, device)
    h = 1e-5
    fd = [(math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h) for v in POS]
    np.testing.assert_allclose(clgrad.digamma(pos).tolist(), fd, rtol=1e-5)
    direct = [sum((k + q) ** -3.0 for k in range(200000)) for q in POS]
    np.testing.assert_allclose(clgrad.special.zeta(_t([3.0] * 5, device), pos).tolist(),
                               direct, rtol=1e-5)
    _check(clgrad.special.ndtr(t), [0.5 * math.erfc(-v / math.sqrt(2)) for v in X], t)
    _check(clgrad.sinc(t), [1.0 if v == 0 else math.sin(math.pi * v) / (math.pi * v)
                            for v in X], t)


def test_special_edge_values(device):
    t = _t([0.0, -1.0, -2.0], device)
    assert clgrad.digamma(t).tolist()[0] == -math.inf
    assert all(math.isnan(v) for v in clgrad.digamma(t).tolist()[1:])
    assert clgrad.special.entr(_t([-1.0, 0.0], device)).tolist() == [-math.inf, 0.0]
    xy = clgrad.xlogy(_t([0.0, 0.0, 1.0], device), _t([0.0, math.nan, 0.0], device)).tolist()
    assert xy[0] == 0.0 and math.isnan(xy[1]) and xy[2] == -math.inf
    assert clgrad.special.log_ndtr(_t([-40.0], device)).item() == pytest.approx(-804.6084420137538,
                                                                                rel=1e-5)


@pytest.mark.parity
def test_values_match_torch(device):
    torch = pytest.importorskip("torch")
    t = _t(X, device)
    tt = torch.tensor(X, dtype=torch.float64).to(getattr(torch, t.dtype.name))
    pos, post = _t(POS, device), torch.tensor(POS, dtype=tt.dtype)
    probs = [0.0, 1e-10, 0.3, 0.5, 0.9, 1.0]
    p, pt = _t(probs, device), torch.tensor(probs, dtype=tt.dtype)
    cases = [
        (lambda m, a: m.lgamma(a), t, tt), (lambda m, a: m.digamma(a), t, tt),
        (lambda m, a: m.special.psi(a), t, tt), (lambda m, a: m.i0(a), t, tt),
        (lambda m, a: m.special.i0e(a), t, tt), (lambda m, a: m.special.i1(a), t, tt),
        (lambda m, a: m.special.i1e(a), t, tt), (lambda m, a: m.sinc(a), t, tt),
        (lambda m, a: m.special.entr(a), t, tt), (lambda m, a: m.special.ndtr(a), t, tt),
        (lambda m, a: m.special.log_ndtr(a * 3), t, tt), (lambda m, a: m.special.ndtri(a), p, pt),
        (lambda m, a: m.xlogy(a, a * a), t, tt), (lambda m, a: m.special.xlog1py(a, a * a), t, tt),
        (lambda m, a: m.polygamma(1, a), pos, post), (lambda m, a: a.polygamma(3), pos, post),
        (lambda m, a: m.mvlgamma(a + 2, 3), pos, post),
        (lambda m, a: m.special.multigammaln(a + 2, 2), pos, post),
        (lambda m, a: m.special.zeta(a + 1, a), pos, post),
        (lambda m, a: m.special.expit(a), t, tt), (lambda m, a: m.special.erfinv(a / 8), t, tt),
        (lambda m, a: m.special.logsumexp(a, 0), t, tt),
        (lambda m, a: m.special.softmax(a, 0), t, tt),
        (lambda m, a: m.special.log_softmax(a, 0), t, tt),
    ]
    for fn, a, at in cases:
        _check(fn(clgrad, a), fn(torch, at).numpy(), a, loose=True)


def test_special_names_exist():
    for name in ("expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p",
                 "log_softmax", "softmax", "logsumexp", "xlogy", "xlog1py", "i0", "i0e", "i1",
                 "i1e", "digamma", "psi", "gammaln", "polygamma", "multigammaln", "ndtr",
                 "ndtri", "log_ndtr", "sinc", "round", "entr", "zeta"):
        assert callable(getattr(clgrad.special, name)), name


def test_gradients(device):
    skip_without_fp64(device)
    x = _t([0.7, 1.3, 2.2, 4.0], device).requires_grad_()
    xs = _t([-1.7, -0.4, 0.6, 2.1], device).requires_grad_()
    fns = [clgrad.lgamma, clgrad.digamma, lambda a: clgrad.polygamma(2, a),
           lambda a: clgrad.mvlgamma(a + 2, 2), clgrad.special.i0e, clgrad.i0,
           clgrad.special.i1, clgrad.special.i1e, clgrad.special.ndtr,
           clgrad.special.log_ndtr, clgrad.special.entr, clgrad.sinc,
           lambda a: clgrad.xlogy(a, a + 1), lambda a: clgrad.special.xlog1py(a, a),
           lambda a: clgrad.special.zeta(3.0, a)]
    for fn in fns:
        assert clgrad.autograd.gradcheck(fn, (x,))
    for fn in (clgrad.special.i1, clgrad.special.i1e, clgrad.special.i0e, clgrad.sinc):
        assert clgrad.autograd.gradcheck(fn, (xs,))


def test_methods_and_inplace(device):
    t = _t(POS, device)
    _check(t.lgamma(), clgrad.lgamma(t).tolist(), t)
    _check(t.polygamma(1), clgrad.polygamma(1, t).tolist(), t)
    u = t.clone()
    u.digamma_()
    _check(u, clgrad.digamma(t).tolist(), t)
    assert clgrad.lgamma(clgrad.tensor([1, 2, 3], device=device)).dtype is clgrad.float32
    trigamma = clgrad.polygamma(1, _t([1.5], device)).item()
    assert trigamma == pytest.approx(math.pi ** 2 / 2 - 4, rel=_tol(t)[0])


def test_node_names(device):
    x = _t([0.0, 0.5, 1.5], device).requires_grad_()
    y = _t([0.5, 2.0, 3.0], device).requires_grad_()
    names = {
        "LgammaBackward0": clgrad.lgamma(y), "DigammaBackward0": clgrad.digamma(y),
        "I0Backward0": clgrad.i0(x), "SpecialI0EBackward0": clgrad.special.i0e(x),
        "SpecialI1Backward0": clgrad.special.i1(x), "SpecialI1EBackward0": clgrad.special.i1e(x),
        "SpecialZetaBackward0": clgrad.special.zeta(y + 2, y),
        "SpecialZetaBackward1": clgrad.special.zeta(3.0, y),
        "SincBackward0": clgrad.sinc(x), "XlogyBackward0": clgrad.xlogy(x, y),
        "XlogyBackward1": clgrad.xlogy(2.0, y), "XlogyBackward2": clgrad.xlogy(x, 3.0),
        "SpecialXlog1PyBackward0": clgrad.special.xlog1py(x, y),
        "SpecialEntrBackward0": clgrad.special.entr(x),
        "PolygammaBackward0": clgrad.polygamma(2, y),
    }
    for name, t in names.items():
        assert t.grad_fn.name() == name
    # gradients at the removable points, as PyTorch defines them
    g_self, g_other = clgrad.autograd.grad(clgrad.xlogy(x, y).sum(), [x, y])
    assert g_self.tolist()[0] == pytest.approx(math.log(0.5))
    assert clgrad.autograd.grad(clgrad.sinc(x).sum(), [x])[0].tolist()[0] == 0.0


def test_lgamma_and_polygamma_at_infinity(device):
    inf = float("inf")
    x = clgrad.tensor([inf, -inf, 2.0], device=device)
    assert clgrad.lgamma(x).tolist()[:2] == [inf, inf]
    assert clgrad.polygamma(1, x).tolist()[0] == 0.0
    assert clgrad.polygamma(3, x).tolist()[0] == 0.0
