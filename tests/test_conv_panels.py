"""Convolution by panels of samples: the columns of at most one panel exist at a time, and the
result equals one panel's (and PyTorch's); relu's backward as threshold_backward."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F
from clgrad.autograd import gradcheck, gradgradcheck
from clgrad.nn.functional import _conv
from clgrad.ops import fused

from helpers import skip_without_fp64

RNG = np.random.default_rng(5)

CASES = [  # (input shape, weight shape, conv2d keywords)
    ((5, 4, 7, 6), (6, 2, 3, 2), dict(stride=2, padding=1, groups=2)),
    ((3, 3, 8, 8), (5, 3, 3, 3), dict(padding=1, dilation=2, bias=True)),
    ((4, 4, 5, 5), (3, 4, 1, 1), dict(bias=True)),
    ((3, 2, 6, 7), (4, 2, 2, 3), dict(stride=(2, 1), padding=(0, 2))),
]


def _grads(device, xn, wn, bn, kw):
    x = clgrad.tensor(xn, device=device, requires_grad=True)
    w = clgrad.tensor(wn, device=device, requires_grad=True)
    b = clgrad.tensor(bn, device=device, requires_grad=True) if bn is not None else None
    y = F.conv2d(x, w, b, **kw)
    y.backward(clgrad.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape),
                             device=device))
    grads = [x.grad, w.grad] + ([b.grad] if b is not None else [])
    return [y.detach().cpu().numpy()] + [g.cpu().numpy() for g in grads]


@pytest.mark.parametrize("xs, ws, kw", CASES)
def test_panels_give_one_panels_result(device, monkeypatch, xs, ws, kw):
    kw = dict(kw)
    bias = kw.pop("bias", False)
    xn, wn = RNG.standard_normal(xs).astype(np.float32), RNG.standard_normal(ws).astype(
        np.float32)
    bn = RNG.standard_normal(ws[0]).astype(np.float32) if bias else None
    whole = _grads(device, xn, wn, bn, kw)
    seen = []
    im2col = fused.conv.im2col
    monkeypatch.setattr(_conv, "im2col", lambda x, *a, **k: seen.append(x.shape[0]) or
                        im2col(x, *a, **k))
    monkeypatch.setattr(_conv, "PANEL_BYTES", 1)  # one sample per panel
    panels = _grads(device, xn, wn, bn, kw)
    for a, b in zip(whole, panels):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    if ws[2:] != (1, 1):  # 1x1 kernels gather nothing
        assert seen and max(seen) == 1  # never more than one panel's columns
    torch = pytest.importorskip("torch")
    xt, wt = torch.tensor(xn, requires_grad=True), torch.tensor(wn, requires_grad=True)
    bt = torch.tensor(bn, requires_grad=True) if bias else None
    yt = torch.nn.functional.conv2d(xt, wt, bt, **kw)
    yt.backward(torch.linspace(-1, 1, yt.numel()).reshape(yt.shape))
    for a, t in zip(panels, [yt] + [xt.grad, wt.grad] + ([bt.grad] if bias else [])):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-4, atol=1e-4)


def test_panels_gradcheck_and_double_backward(device, monkeypatch):
    skip_without_fp64(device)
    monkeypatch.setattr(_conv, "PANEL_BYTES", 1)  # one sample per panel
    x = clgrad.tensor(RNG.standard_normal((3, 2, 5, 4)), device=device, requires_grad=True)
    w = clgrad.tensor(RNG.standard_normal((3, 2, 3, 2)), device=device, requires_grad=True)
    b = clgrad.tensor(RNG.standard_normal(3), device=device, requires_grad=True)
    conv = lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1)  # noqa: E731
    assert gradcheck(conv, (x, w, b))
    assert gradgradcheck(conv, (x, w, b))


def test_output_is_contiguous_nchw(device):
    x = clgrad.randn(2, 3, 6, 6, device=device)
    y = F.conv2d(x, clgrad.randn(4, 3, 3, 3, device=device), clgrad.randn(4, device=device))
    assert y.is_contiguous() and y.shape == (2, 4, 4, 4)
    assert y.grad_fn is None


def test_relu_backward_is_threshold_backward_as_torch(device):
    torch = pytest.importorskip("torch")
    values = [-1.0, 0.0, 2.0, float("nan"), float("inf"), -float("inf")]
    x = clgrad.tensor(values, device=device, requires_grad=True)
    xt = torch.tensor(values, requires_grad=True)
    g = clgrad.linspace(1, 2, 6, device=device, requires_grad=True)
    gt = torch.linspace(1, 2, 6, requires_grad=True)
    for fn, tfn in ((lambda v: v.relu(), lambda v: v.relu()),
                    (lambda v: F.threshold(v, 0.5, -3.0),
                     lambda v: torch.nn.functional.threshold(v, 0.5, -3.0))):
        gx, = clgrad.autograd.grad(fn(x), x, g, create_graph=True)
        gxt, = torch.autograd.grad(tfn(xt), xt, gt, create_graph=True)
        np.testing.assert_array_equal(gx.detach().cpu().numpy(), gxt.detach().numpy())
        assert gx.grad_fn.name() == gxt.grad_fn.name() == "ThresholdBackwardBackward0"
        gg, = clgrad.autograd.grad(gx.sum(), g)
        ggt, = torch.autograd.grad(gxt.sum(), gt)
        np.testing.assert_array_equal(gg.cpu().numpy(), ggt.numpy())


def _same_bits(got, want):
    """Equal bit for bit (so -0.0 is not 0.0), any NaN matching any NaN (a half NaN's
    payload is the driver's)."""
    assert got.dtype == want.dtype
    nan = np.isnan(want) if want.dtype.kind == "f" else np.zeros(want.shape, bool)
    np.testing.assert_array_equal(np.isnan(got) if got.dtype.kind == "f" else nan, nan)
    np.testing.assert_array_equal(got[~nan].view(f"i{got.itemsize}"),
                                  want[~nan].view(f"i{want.itemsize}"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int8"])
def test_relu_and_its_backward_keep_torchs_bits(device, dtype):
    # relu(-0.0) is -0.0 and relu(NaN) NaN; the backward is exactly 0 where the input is
    # <= 0 even for an infinite or NaN gradient (the cpu device masks bits, not np.where)
    torch = pytest.importorskip("torch")
    if dtype == "float64":
        skip_without_fp64(device)
    floating = dtype.startswith("float")
    values = ([-0.0, 0.0, float("nan"), -1.0, 2.0, float("inf"), -float("inf"), 1e-3]
              if floating else [-3, 0, 5, -1, 7, 0, -128, 1])
    grads = [float("nan"), float("inf"), 3.0, -float("inf"), 4.0, 5.0, 6.0, float("nan")]
    x = torch.tensor(values, dtype=getattr(torch, dtype))
    _same_bits(F.relu(clgrad.tensor(x.numpy(), device=device)).cpu().numpy(),
               torch.relu(x).numpy())
    if floating:
        xt = x.clone().requires_grad_()
        torch.relu(xt).backward(torch.tensor(grads, dtype=xt.dtype))
        xc = clgrad.tensor(x.numpy(), device=device, requires_grad=True)
        F.relu(xc).backward(clgrad.tensor(grads, dtype=xc.dtype, device=device))
        _same_bits(xc.grad.cpu().numpy(), xt.grad.numpy())
