"""Optimizers: trajectories against numpy reimplementations and torch.optim, groups, state."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import clgrad
from clgrad import optim
from helpers import skip_without_fp64

STEPS = 6


def _grads(shape, seed=0):
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(shape).astype(np.float32)
    return p0, [rng.standard_normal(shape).astype(np.float32) for _ in range(STEPS)]


def _run_clgrad(name, kw, p0, grads, device, dtype=clgrad.float32):
    p = clgrad.tensor(p0, dtype=dtype, device=device, requires_grad=True)
    opt = getattr(optim, name)([p], **kw)
    for g in grads:
        p.grad = clgrad.tensor(g, dtype=dtype, device=device)
        opt.step()
    return p.detach().cpu().numpy().astype(np.float64), opt


# -- numpy references of the update rules (float64), for the main optimizers ----------------
def _np_sgd(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, buf = p.astype(np.float64), None
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def _np_adam(p, grads, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, amsgrad=False, decoupled=False):
    p = p.astype(np.float64)
    m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / math.sqrt(1 - b2 ** t) + eps
        p = p - lr / (1 - b1 ** t) * m / denom
    return p


def _np_rmsprop(p, grads, lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False):
    p = p.astype(np.float64)
    s, a, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        s = alpha * s + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g
        avg = np.sqrt(s - a * a if centered else s) + eps
        if momentum:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
    return p


def _np_adagrad(p, grads, lr, lr_decay=0.0, init=0.0, eps=1e-10):
    p, s = p.astype(np.float64), np.full(p.shape, init)
    for t, g in enumerate(grads, 1):
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return p


NUMPY_CASES = [
    ("SGD", dict(lr=0.1), lambda p, gs: _np_sgd(p, gs, 0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
     lambda p, gs: _np_sgd(p, gs, 0.1, 0.9, 0.1, 0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True),
     lambda p, gs: _np_sgd(p, gs, 0.05, 0.8, nesterov=True)),
    ("SGD", dict(lr=0.1, maximize=True), lambda p, gs: _np_sgd(p, [-g for g in gs], 0.1)),
    ("Adam", dict(lr=0.01), lambda p, gs: _np_adam(p, gs, 0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True),
     lambda p, gs: _np_adam(p, gs, 0.01, wd=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01), lambda p, gs: _np_adam(p, gs, 0.01, wd=0.01, decoupled=True)),
    ("RMSprop", dict(lr=0.01), lambda p, gs: _np_rmsprop(p, gs, 0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5),
     lambda p, gs: _np_rmsprop(p, gs, 0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.1),
     lambda p, gs: _np_adagrad(p, gs, 0.1, 0.05, 0.1)),
]


@pytest.mark.parametrize("name,kw,ref", NUMPY_CASES, ids=lambda x: str(x)[:40])
def test_against_numpy(device, name, kw, ref):
    p0, grads = _grads((5, 7))
    ours, _ = _run_clgrad(name, kw, p0, grads, device)
    np.testing.assert_allclose(ours, ref(p0, grads), rtol=2e-5, atol=2e-6)


TORCH_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1, dampening=0.2)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.6, 0.9), weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, betas=(0.3, 0.9))),  # torch.lerp's other side (weight >= 0.5)
    ("RMSprop", dict(lr=0.01, alpha=0.4, centered=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, betas=(0.9, 0.6))),
]


def _run_torch(torch, name, kw, p0, grads):
    p = torch.tensor(p0, requires_grad=True)
    opt = getattr(torch.optim, name)([p], **kw)
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
    return p.detach().numpy().astype(np.float64), opt


@pytest.mark.parametrize("name,kw", TORCH_CASES, ids=lambda x: str(x)[:40])
def test_against_torch(device, name, kw):
    torch = pytest.importorskip("torch")
    p0, grads = _grads((4, 6), seed=1)
    ours, opt = _run_clgrad(name, kw, p0, grads, device)
    theirs, topt = _run_torch(torch, name, kw, p0, grads)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    ts, cs = topt.state_dict(), opt.state_dict()
    assert ts["param_groups"] == cs["param_groups"]
    assert list(ts["state"][0]) == list(cs["state"][0])
    for key, value in ts["state"][0].items():
        np.testing.assert_allclose(np.asarray(cs["state"][0][key].cpu()), value.numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=key)


def test_half_and_double(device):
    p0, grads = _grads((3, 5))
    if device != "cpu":
        skip_without_fp64(device)
    ref = _np_adam(p0, grads, 0.01)
    ours, _ = _run_clgrad("Adam", dict(lr=0.01), p0, grads, device, clgrad.float64)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    half, opt = _run_clgrad("Adam", dict(lr=0.01), p0.astype(np.float16).astype(np.float32),
                            grads, device, clgrad.float16)
    np.testing.assert_allclose(half, ref, atol=1e-2)
    assert opt.state_dict()["state"][0]["exp_avg"].dtype is clgrad.float16


def test_non_contiguous_param_and_skipped_none_grad(device):
    base = clgrad.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
    p = base.t().contiguous().t()  # a non-contiguous leaf
    p.requires_grad_(True)
    q = clgrad.ones(2, device=device, requires_grad=True)
    opt = optim.SGD([p, q], lr=0.5, momentum=0.9)
    p.grad = clgrad.ones(3, 4, device=device)
    version = p._version_count
    opt.step()
    opt.step()
    assert not p.is_contiguous() and p._version_count == version + 2
    np.testing.assert_allclose(p.detach().cpu().numpy(),
                               np.arange(12).reshape(3, 4) - 0.5 - 0.5 * 1.9, rtol=1e-6)
    assert q.tolist() == [1.0, 1.0] and q not in opt.state


def test_param_groups_and_closure(device):
    a = clgrad.ones(3, device=device, requires_grad=True)
    b = clgrad.ones(2, device=device, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0

    def closure():
        opt.zero_grad()
        loss = (a * a).sum() + (b * 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(7.0)
    np.testing.assert_allclose(a.detach().cpu().numpy(), [0.8] * 3, rtol=1e-6)
    np.testing.assert_allclose(b.detach().cpu().numpy(), [0.0] * 2, atol=1e-6)
    opt.zero_grad()
    assert a.grad is None
    c = clgrad.zeros(1, device=device, requires_grad=True)
    opt.add_param_group({"params": [c], "lr": 1.0})
    assert opt.param_groups[2]["lr"] == 1.0 and opt.param_groups[2]["dampening"] == 0
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        opt.add_param_group({"params": [a]})
    a.grad = clgrad.ones(3, device=device)
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0, 0.0]


def test_argument_checks():
    p = clgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value: -1"):
        optim.RMSprop([p], eps=-1)
    with pytest.raises(ValueError, match="Invalid rho value: 2"):
        optim.Adadelta([p], rho=2)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="params argument given to the optimizer should be"):
        optim.Adam(p)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.Adam([p * 2])
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.Adam([1.0])
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        optim.Adam([p], fused=True, foreach=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_state_dict_round_trip(device):
    p0, grads = _grads((4,), seed=3)
    ours, opt = _run_clgrad("Adam", dict(lr=0.01, amsgrad=True), p0, grads[:3], device)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"} and sd["param_groups"][0]["params"] == [0]
    step = sd["state"][0]["step"]
    assert step.dtype is clgrad.float32 and step.device.type == "cpu" and step.item() == 3.0
    # A fresh optimizer continues exactly where the first one was.
    p = clgrad.tensor(ours.astype(np.float32), device=device, requires_grad=True)
    fresh = optim.Adam([p], lr=0.5)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.01 and fresh.param_groups[0]["params"][0] is p
    for g in grads[3:]:
        p.grad = clgrad.tensor(g, device=device)
        fresh.step()
    full, _ = _run_clgrad("Adam", dict(lr=0.01, amsgrad=True), p0, grads, device)
    np.testing.assert_allclose(p.detach().cpu().numpy(), full, rtol=1e-6)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        fresh.load_state_dict({"state": {}, "param_groups": []})


def test_torch_state_dict_loads(device):
    torch = pytest.importorskip("torch")
    p0, grads = _grads((5,), seed=4)
    _, topt = _run_torch(torch, "SGD", dict(lr=0.1, momentum=0.9), p0, grads[:2])
    sd = topt.state_dict()
    p = clgrad.tensor(p0, device=device, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    converted = {"state": {k: {n: clgrad.tensor(v.numpy()) for n, v in s.items()}
                           for k, s in sd["state"].items()},
                 "param_groups": sd["param_groups"]}
    opt.load_state_dict(converted)
    buf = opt.state[p]["momentum_buffer"]
    assert buf.device == p.device
    np.testing.assert_allclose(buf.cpu().numpy(), sd["state"][0]["momentum_buffer"].numpy())


def test_step_hooks():
    p = clgrad.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    calls = []
    handle = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    p.grad = clgrad.ones(2)
    opt.step()
    handle.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]
    assert p.tolist() == [-1.0, -1.0]


def test_repr():
    opt = optim.SGD([clgrad.zeros(1, requires_grad=True)], lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text


def test_no_graph_recorded(device):
    p = clgrad.ones(3, device=device, requires_grad=True)
    p.grad = clgrad.ones(3, device=device)
    opt = optim.Adam([p], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
