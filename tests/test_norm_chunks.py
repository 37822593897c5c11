"""The norm kernels' CPU forms (kernels/norm.cl.mako, chunked): moments over contiguous
shares of each statistics group summed about the group's first element, merged in local
memory; apply over runs of elements whose group and affine indices are stepped. Shares forced
small so that uneven and empty shares and runs starting mid-group occur, a large mean, the
affine parameters; against numpy."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F

pytest.importorskip("pyopencl")


@pytest.fixture(params=[4096, 3], ids=["default", "small-shares"])
def share(request, cl_device, monkeypatch):
    from clgrad.backends.cl.norm import ClNorm
    monkeypatch.setattr(ClNorm, "norm_cpu_min_share", request.param)
    return cl_device


def _norm(a, axes, eps=1e-5):
    a = a.astype(np.float64)
    mean = a.mean(axes, keepdims=True)
    return (a - mean) / np.sqrt(a.var(axes, keepdims=True) + eps)


@pytest.mark.parametrize("offset", [0.0, 1e3], ids=["centred", "large-mean"])
@pytest.mark.parametrize("shape", [(2, 3, 3, 3), (4, 5, 2, 3), (3, 2, 7, 9)])
def test_moments_shares(share, offset, shape):
    rng = np.random.default_rng(sum(shape))
    a = (rng.standard_normal(shape) + offset).astype(np.float32)
    t = clgrad.tensor(a, device=share)
    tol = dict(rtol=1e-3, atol=5e-3 if offset else 1e-4)
    np.testing.assert_allclose(F.batch_norm(t, None, None, training=True).cpu().numpy(),
                               _norm(a, (0, 2, 3)), **tol)
    np.testing.assert_allclose(F.layer_norm(t, shape[1:]).cpu().numpy(),
                               _norm(a, (1, 2, 3)), **tol)
    np.testing.assert_allclose(F.instance_norm(t).cpu().numpy(), _norm(a, (2, 3)), **tol)
    g = F.group_norm(clgrad.tensor(a.reshape(shape[0], -1, 1, 1), device=share), 1)
    np.testing.assert_allclose(g.cpu().numpy().reshape(shape), _norm(a, (1, 2, 3)), **tol)


def test_apply_affine(share):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 4, 5, 2)).astype(np.float32)
    w, b = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    t = clgrad.tensor(a, device=share)
    tw, tb = clgrad.tensor(w, device=share), clgrad.tensor(b, device=share)
    got = F.batch_norm(t, None, None, weight=tw, bias=tb, training=True).cpu().numpy()
    want = _norm(a, (0, 2, 3)) * w[:, None, None] + b[:, None, None]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    lw = rng.standard_normal((5, 2)).astype(np.float32)
    lb = rng.standard_normal((5, 2)).astype(np.float32)
    got = F.layer_norm(t, (5, 2), clgrad.tensor(lw, device=share),
                       clgrad.tensor(lb, device=share)).cpu().numpy()
    np.testing.assert_allclose(got, _norm(a, (2, 3)) * lw + lb, rtol=1e-4, atol=1e-4)
    got = F.group_norm(t, 2, tw, tb).cpu().numpy()
    want = (_norm(a.reshape(3, 2, -1), (2,)).reshape(a.shape) * w[:, None, None]
            + b[:, None, None])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind", ["batch", "layer", "group"])
def test_backward_sums(share, kind):
    """The backward's per-group sums (bwd_sums, chunked on CPU devices) against the cpu
    device's gradients of the same function."""
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((3, 4, 5, 2)) + 2).astype(np.float32)
    w, b = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    up = rng.standard_normal(a.shape).astype(np.float32)
    grads = []
    for dev in ("cpu", share):
        t = clgrad.tensor(a, device=dev, requires_grad=True)
        tw = clgrad.tensor(w, device=dev, requires_grad=True)
        tb = clgrad.tensor(b, device=dev, requires_grad=True)
        if kind == "batch":
            y = F.batch_norm(t, None, None, weight=tw, bias=tb, training=True)
        elif kind == "layer":
            y = F.layer_norm(t, (5, 2)) * tw[:, None, None] + tb[:, None, None]
        else:
            y = F.group_norm(t, 2, tw, tb)
        (y * clgrad.tensor(up, device=dev)).sum().backward()
        grads.append([g.grad.cpu().numpy() for g in (t, tw, tb)])
    for got, want in zip(grads[1], grads[0]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
