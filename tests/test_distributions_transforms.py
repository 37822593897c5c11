"""distributions.transforms, TransformedDistribution and biject_to / transform_to against
torch: values, inverses, log-Jacobians, domains."""
import numpy as np
import pytest

import clgrad
from helpers import skip_without_fp64, to_numpy

D = clgrad.distributions


def _t(x, device, dtype=clgrad.float32):
    return clgrad.tensor(x, dtype=dtype, device=device)


def test_transforms_invert_and_compose(device):
    x = _t([-1.0, 0.0, 2.0], device)
    for tr in (D.ExpTransform(), D.AffineTransform(1.0, -2.0), D.SigmoidTransform(),
               D.ComposeTransform([D.ExpTransform(), D.AffineTransform(0.5, 3.0)])):
        y = tr(x)
        np.testing.assert_allclose(to_numpy(tr.inv(y)), to_numpy(x), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_numpy(tr.inv.log_abs_det_jacobian(y, x)),
                                   -to_numpy(tr.log_abs_det_jacobian(x, y)), rtol=1e-6)
    assert D.ExpTransform() == D.ExpTransform() and D.ExpTransform().inv.inv == D.ExpTransform()
    assert D.AffineTransform(0.0, -1.0).sign == -1
    assert repr(D.ExpTransform().inv) == "_InverseTransform(ExpTransform())"
    ln = D.TransformedDistribution(D.Normal(_t([0.0], device), _t([1.0], device)),
                                   D.ExpTransform())
    v = _t([0.5, 2.0], device)
    lognormal = D.LogNormal(_t([0.0], device), _t([1.0], device))
    np.testing.assert_allclose(to_numpy(ln.log_prob(v)), to_numpy(lognormal.log_prob(v)),
                               rtol=1e-6)
    assert tuple(ln.expand((3, 1)).sample((2,)).shape) == (2, 3, 1)


@pytest.mark.parity
def test_transforms_match_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    tt = torch.distributions.transforms
    x = [[-1.5, 0.2, 0.7], [2.0, -0.3, 0.1]]
    pos = [[0.5, 1.2, 3.0], [2.0, 0.3, 0.1]]
    cases = [("ExpTransform", (), x), ("SigmoidTransform", (), x), ("TanhTransform", (), x),
             ("SoftplusTransform", (), x), ("AbsTransform", (), x),
             ("PowerTransform", (2.5,), pos), ("AffineTransform", (0.5, -2.0), x),
             ("StickBreakingTransform", (), x), ("SoftmaxTransform", (), x)]
    for name, args, value in cases:
        ours = getattr(D, name)(*[_t(a, device, f64) if name == "PowerTransform" else a
                                  for a in args])
        theirs = getattr(tt, name)(*[torch.tensor(a, dtype=torch.float64)
                                     if name == "PowerTransform" else a for a in args])
        cx, tx = _t(value, device, f64), torch.tensor(value, dtype=torch.float64)
        y, ty = ours(cx), theirs(tx)
        np.testing.assert_allclose(to_numpy(y), ty.numpy(), rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(to_numpy(ours.inv(y)), theirs.inv(ty).numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
        if name not in ("AbsTransform", "SoftmaxTransform"):
            np.testing.assert_allclose(to_numpy(ours.log_abs_det_jacobian(cx, y)),
                                       theirs.log_abs_det_jacobian(tx, ty).numpy(),
                                       rtol=1e-10, err_msg=name)
        assert repr(ours.domain) == repr(theirs.domain), name
        assert repr(ours.codomain) == repr(theirs.codomain), name
        assert ours.bijective == theirs.bijective, name
    sb, tsb = D.StickBreakingTransform(), tt.StickBreakingTransform()
    assert tuple(sb.forward_shape((4, 3))) == tuple(tsb.forward_shape((4, 3))) == (4, 4)
    ind = D.IndependentTransform(D.ExpTransform(), 1)
    tind = tt.IndependentTransform(tt.ExpTransform(), 1)
    cx, tx = _t(x, device, f64), torch.tensor(x, dtype=torch.float64)
    np.testing.assert_allclose(to_numpy(ind.log_abs_det_jacobian(cx, ind(cx))),
                               tind.log_abs_det_jacobian(tx, tind(tx)).numpy(), rtol=1e-12)
    assert repr(ind) == repr(tind)
    rs = D.ReshapeTransform((2, 3), (6,))
    assert tuple(rs(cx).shape) == (6,) and tuple(rs.inverse_shape((5, 6))) == (5, 2, 3)
    # the squashed Gaussian of soft actor-critic: rsample and log_prob through tanh
    loc = _t([0.1, -0.4], device, f64).requires_grad_()
    scale = _t([0.5, 1.2], device, f64)
    pi = D.TransformedDistribution(D.Normal(loc, scale), [D.TanhTransform(cache_size=1)])
    tpi = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(torch.tensor([0.1, -0.4], dtype=torch.float64),
                                   torch.tensor([0.5, 1.2], dtype=torch.float64)),
        [tt.TanhTransform(cache_size=1)])
    a = pi.rsample((5,))
    assert ((a > -1) & (a < 1)).all()
    np.testing.assert_allclose(to_numpy(pi.log_prob(a)),
                               tpi.log_prob(torch.tensor(to_numpy(a), dtype=torch.float64)).numpy(),
                               rtol=1e-8)
    pi.log_prob(a).sum().backward()
    assert loc.grad is not None


@pytest.mark.parity
def test_structural_transforms_match_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    tt = torch.distributions.transforms
    x = [[-1.5, 0.2, 0.7], [2.0, -0.3, 0.1]]
    cx, tx = _t(x, device, f64), torch.tensor(x, dtype=torch.float64)
    cases = [
        (D.CatTransform([D.ExpTransform(), D.AffineTransform(1.0, 2.0)], dim=-1, lengths=[1, 2]),
         tt.CatTransform([tt.ExpTransform(), tt.AffineTransform(1.0, 2.0)], dim=-1,
                         lengths=[1, 2])),
        (D.StackTransform([D.ExpTransform(), D.TanhTransform()], dim=0),
         tt.StackTransform([tt.ExpTransform(), tt.TanhTransform()], dim=0)),
        (D.CorrCholeskyTransform(), tt.CorrCholeskyTransform()),
        (D.CumulativeDistributionTransform(D.Normal(_t(0.0, device, f64), _t(1.0, device, f64))),
         tt.CumulativeDistributionTransform(torch.distributions.Normal(
             torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)))),
    ]
    for ours, theirs in cases:
        name = type(ours).__name__
        y, ty = ours(cx), theirs(tx)
        np.testing.assert_allclose(to_numpy(y), ty.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(to_numpy(ours.inv(y)), theirs.inv(ty).numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=name)
        np.testing.assert_allclose(to_numpy(ours.log_abs_det_jacobian(cx, y)),
                                   theirs.log_abs_det_jacobian(tx, ty).numpy(), rtol=1e-10,
                                   err_msg=name)
        assert repr(ours.codomain).split("(")[0] == repr(theirs.codomain).split("(")[0], name
    L = D.CorrCholeskyTransform()(cx)
    assert tuple(L.shape) == (2, 3, 3) and bool(D.constraints.corr_cholesky.check(L).all())
    assert type(D.biject_to(D.constraints.corr_cholesky)) is D.CorrCholeskyTransform
    cat = D.biject_to(D.constraints.cat([D.constraints.positive, D.constraints.real], -1, [1, 2]))
    assert type(cat) is D.CatTransform and bool((cat(cx)[..., 0] > 0).all())


@pytest.mark.parity
def test_biject_to_and_transform_to_match_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    tc = torch.distributions.constraints
    C = D.constraints
    x = [[-1.5, 0.2, 0.7], [2.0, -0.3, 0.1], [0.4, 0.0, -2.0]]
    pairs = [(C.real, tc.real), (C.positive, tc.positive), (C.nonnegative, tc.nonnegative),
             (C.greater_than(2.0), tc.greater_than(2.0)), (C.less_than(-1.0), tc.less_than(-1.0)),
             (C.interval(-2.0, 3.0), tc.interval(-2.0, 3.0)), (C.unit_interval, tc.unit_interval),
             (C.simplex, tc.simplex), (C.real_vector, tc.real_vector),
             (C.independent(C.positive, 1), tc.independent(tc.positive, 1)),
             (C.lower_cholesky, tc.lower_cholesky), (C.positive_definite, tc.positive_definite)]
    cx, tx = _t(x, device, f64), torch.tensor(x, dtype=torch.float64)
    for ours_c, theirs_c in pairs:
        for ours_reg, theirs_reg in ((D.transform_to, torch.distributions.transform_to),
                                     (D.biject_to, torch.distributions.biject_to)):
            try:
                theirs = theirs_reg(theirs_c)
            except NotImplementedError:
                with pytest.raises(NotImplementedError):
                    ours_reg(ours_c)
                continue
            ours = ours_reg(ours_c)
            assert type(ours).__name__ == type(theirs).__name__, repr(theirs_c)
            y = ours(cx)
            np.testing.assert_allclose(to_numpy(y), theirs(tx).numpy(), rtol=1e-10,
                                       err_msg=repr(theirs_c))
            assert bool(ours_c.check(y).all()), repr(theirs_c)
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        D.biject_to(C.boolean)


@pytest.mark.parity
def test_logistic_normal_matches_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    ours = D.LogisticNormal(_t([0.0, 1.0], device, f64), _t([1.0, 0.5], device, f64))
    theirs = torch.distributions.LogisticNormal(torch.tensor([0.0, 1.0], dtype=torch.float64),
                                                torch.tensor([1.0, 0.5], dtype=torch.float64))
    v = [0.2, 0.5, 0.3]
    np.testing.assert_allclose(to_numpy(ours.log_prob(_t(v, device, f64))),
                               theirs.log_prob(torch.tensor(v, dtype=torch.float64)).numpy(),
                               rtol=1e-10)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape) == (3,)
    assert repr(ours.support) == repr(theirs.support)
