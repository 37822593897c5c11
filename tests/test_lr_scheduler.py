"""LR schedulers: lr sequences against torch.optim.lr_scheduler and hand-computed values."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import clgrad
from clgrad.optim import lr_scheduler as S

STEPS = 40


def _opt(lib, name="SGD", groups=2, **kw):
    tensors = [lib.zeros(2, requires_grad=True) for _ in range(groups)]
    params = [{"params": [t], "lr": 0.1 * (i + 1)} for i, t in enumerate(tensors)]
    return getattr(lib.optim, name)(params, lr=0.1, **kw)


def _sequence(lib, build, steps=STEPS, metric=None):
    opt = _opt(lib, **build.get("opt", {}))
    sched = build["make"](lib, opt)
    out = [tuple(sched.get_last_lr())]
    momenta = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            opt.step()
            if metric is None:
                sched.step()
            else:
                sched.step(metric(i))
            out.append(tuple(sched.get_last_lr()))
            momenta.append(tuple(g.get("momentum", g.get("betas", (None,))[0])
                                 for g in opt.param_groups))
    return out, momenta


def L(lib):
    return lib.optim.lr_scheduler


CASES = {
    "lambda": dict(make=lambda lib, o: L(lib).LambdaLR(o, lambda e: 0.95 ** e)),
    "lambda_list": dict(make=lambda lib, o: L(lib).LambdaLR(
        o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e])),
    "multiplicative": dict(make=lambda lib, o: L(lib).MultiplicativeLR(o, lambda e: 0.97)),
    "step": dict(make=lambda lib, o: L(lib).StepLR(o, step_size=7, gamma=0.5)),
    "multistep": dict(make=lambda lib, o: L(lib).MultiStepLR(o, [3, 10, 10, 25], gamma=0.3)),
    "constant": dict(make=lambda lib, o: L(lib).ConstantLR(o, factor=0.25, total_iters=6)),
    "linear": dict(make=lambda lib, o: L(lib).LinearLR(o, 0.2, 0.9, total_iters=13)),
    "exponential": dict(make=lambda lib, o: L(lib).ExponentialLR(o, 0.93)),
    "polynomial": dict(make=lambda lib, o: L(lib).PolynomialLR(o, total_iters=20, power=2.0)),
    "cosine": dict(make=lambda lib, o: L(lib).CosineAnnealingLR(o, T_max=9, eta_min=0.001)),
    "warm_restarts": dict(make=lambda lib, o: L(lib).CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.01)),
    "onecycle": dict(make=lambda lib, o: L(lib).OneCycleLR(
        o, max_lr=[1.0, 2.0], total_steps=STEPS)),
    "onecycle3": dict(make=lambda lib, o: L(lib).OneCycleLR(
        o, max_lr=0.5, total_steps=STEPS + 1, three_phase=True, anneal_strategy="linear"),
        opt=dict(name="Adam", groups=1)),
    "cyclic": dict(make=lambda lib, o: L(lib).CyclicLR(
        o, 0.01, 0.1, step_size_up=5, step_size_down=3),
        opt=dict(momentum=0.9)),
    "cyclic2": dict(make=lambda lib, o: L(lib).CyclicLR(
        o, [0.01, 0.02], 0.1, step_size_up=4, mode="triangular2", cycle_momentum=False)),
    "cyclic_exp": dict(make=lambda lib, o: L(lib).CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
        opt=dict(name="Adam", groups=1)),
    "sequential": dict(make=lambda lib, o: L(lib).SequentialLR(
        o, [L(lib).LinearLR(o, 0.1, total_iters=5), L(lib).ExponentialLR(o, 0.9),
            L(lib).StepLR(o, 3)], milestones=[5, 20])),
    "chained": dict(make=lambda lib, o: L(lib).ChainedScheduler(
        [L(lib).ConstantLR(o, 0.5, total_iters=4), L(lib).ExponentialLR(o, 0.95)])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    ours, our_m = _sequence(clgrad, CASES[case])
    theirs, their_m = _sequence(torch, CASES[case])
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.array(our_m, dtype=float), np.array(their_m, dtype=float),
                               rtol=1e-12, atol=1e-15)


def test_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    metric = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2.9999, 3, 3, 3, 3] * 2
    build = dict(make=lambda lib, o: L(lib).ReduceLROnPlateau(
        o, patience=2, cooldown=1, factor=0.5, min_lr=[0.02, 0.0]))
    ours, _ = _sequence(clgrad, build, metric=metric.__getitem__)
    theirs, _ = _sequence(torch, build, metric=metric.__getitem__)
    assert ours == theirs


def test_known_values_without_torch():
    opt = _opt(clgrad, groups=1)
    sched = S.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == pytest.approx([0.1, 0.05, 0.05, 0.025, 0.025])
    opt = _opt(clgrad, groups=1)
    cos = S.CosineAnnealingLR(opt, T_max=10)
    for e in range(1, 11):
        opt.step()
        cos.step()
        assert cos.get_last_lr()[0] == pytest.approx(0.05 * (1 + math.cos(math.pi * e / 10)))
    plateau = S.ReduceLROnPlateau(_opt(clgrad, groups=1), patience=1)
    for m in (1.0, 1.0, 1.0):
        plateau.step(m)
    assert plateau.get_last_lr() == pytest.approx([0.01])


def test_state_dict_round_trip():
    opt = _opt(clgrad)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=30)
    for _ in range(7):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 7
    opt2 = _opt(clgrad)
    opt2.load_state_dict(opt.state_dict())
    sched2 = S.OneCycleLR(opt2, max_lr=1.0, total_steps=30)
    sched2.load_state_dict(state)
    for _ in range(5):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()
    seq = S.SequentialLR(opt, [S.ConstantLR(opt, 0.5, 2), S.ExponentialLR(opt, 0.9)], [2])
    state = seq.state_dict()
    assert len(state["_schedulers"]) == 2 and "optimizer" not in state["_schedulers"][0]


def test_errors_and_warnings():
    opt = _opt(clgrad, groups=1)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        S.StepLR([], 1)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected"):
        S.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        S.CosineAnnealingWarmRestarts(opt, 0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        S.OneCycleLR(opt, 1.0)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    sched = S.ExponentialLR(_opt(clgrad, groups=1), 0.9)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    one = S.OneCycleLR(_opt(clgrad, groups=1), 1.0, total_steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one.step()
        one.step()
        with pytest.raises(ValueError, match="Tried to step 3 times"):
            one.step()
