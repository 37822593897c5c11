"""Conv3d, 3-d pooling and 3-d norms: numpy, finite differences and torch."""
import numpy as np
import pytest

import clgrad
from helpers import to_numpy

nn = clgrad.nn
F = clgrad.nn.functional


def _conv3d_numpy(x, w, b):
    n, c, d, h, wd = x.shape
    o, _, kd, kh, kw = w.shape
    out = np.zeros((n, o, d - kd + 1, h - kh + 1, wd - kw + 1), np.float64)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            for k in range(out.shape[4]):
                patch = x[:, :, i:i + kd, j:j + kh, k:k + kw]
                out[:, :, i, j, k] = np.einsum("ncdhw,ocdhw->no", patch, w)
    return out + b.reshape(1, -1, 1, 1, 1)


def test_conv3d_matches_numpy(device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5, 4)).astype(np.float32)
    w = rng.standard_normal((2, 3, 2, 3, 2)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    got = F.conv3d(clgrad.tensor(x, device=device), clgrad.tensor(w, device=device),
                   clgrad.tensor(b, device=device))
    np.testing.assert_allclose(to_numpy(got), _conv3d_numpy(x, w, b), rtol=1e-4, atol=1e-4)
    unbatched = F.conv3d(clgrad.tensor(x[0], device=device), clgrad.tensor(w, device=device))
    assert tuple(unbatched.shape) == (2, 3, 3, 3)


def test_conv3d_and_pools_gradcheck():
    clgrad.manual_seed(0)
    x = clgrad.randn(1, 2, 3, 4, 3, dtype=clgrad.float64, requires_grad=True)
    w = clgrad.randn(2, 1, 2, 2, 2, dtype=clgrad.float64, requires_grad=True)
    assert clgrad.autograd.gradcheck(
        lambda a, b: F.conv3d(a, b, stride=(1, 2, 1), padding=1, groups=2), (x, w))
    assert clgrad.autograd.gradcheck(
        lambda a: F.avg_pool3d(a, 2, stride=1, padding=1, count_include_pad=False), (x,))
    assert clgrad.autograd.gradcheck(lambda a: F.max_pool3d(a, 2, stride=1), (x,))
    wt = clgrad.randn(2, 1, 2, 2, 2, dtype=clgrad.float64, requires_grad=True)
    assert clgrad.autograd.gradcheck(
        lambda a, b: F.conv_transpose3d(a, b, stride=2, padding=1, groups=2), (x, wt))
    assert clgrad.autograd.gradcheck(lambda a: F.adaptive_avg_pool3d(a, (2, 3, 2)), (x,))


def test_3d_errors():
    with pytest.raises(ValueError, match="expected 5D input \\(got 4D input\\)"):
        nn.BatchNorm3d(2)(clgrad.randn(2, 2, 3, 3))
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        F.max_pool3d(clgrad.randn(1, 1, 4, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="Expected 4D \\(unbatched\\) or 5D \\(batched\\)"):
        F.conv3d(clgrad.randn(2, 3, 4), clgrad.randn(1, 1, 1, 1, 1))


@pytest.mark.parity
def test_3d_layers_match_torch(device):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5, 6, 5)).astype(np.float32)
    pairs = [
        (lambda m: m.Conv3d(4, 6, 3, stride=2, padding=1, groups=2), True),
        (lambda m: m.Conv3d(4, 3, (2, 3, 1), dilation=(2, 1, 1), padding="same"), True),
        (lambda m: m.Conv3d(4, 2, 3, padding=1, padding_mode="reflect", bias=False), True),
        (lambda m: m.ConvTranspose3d(4, 6, 3, stride=2, padding=1, output_padding=1,
                                     groups=2), True),
        (lambda m: m.ConvTranspose3d(4, 3, (2, 3, 2), stride=(1, 2, 3), dilation=(2, 1, 1),
                                     padding=(2, 0, 1), bias=False), True),
        (lambda m: m.MaxPool3d(3, stride=2, padding=1, ceil_mode=True), False),
        (lambda m: m.MaxPool3d((2, 2, 3), dilation=(1, 2, 1)), False),
        (lambda m: m.AvgPool3d(3, stride=2, padding=1, ceil_mode=True,
                               count_include_pad=False), False),
        (lambda m: m.AvgPool3d(2, divisor_override=3), False),
        (lambda m: m.AdaptiveAvgPool3d((2, None, 3)), False),
        (lambda m: m.AdaptiveMaxPool3d(2), False),
        (lambda m: m.BatchNorm3d(4), True),
        (lambda m: m.InstanceNorm3d(4, affine=True), True),
    ]
    for make, has_state in pairs:
        tm, cm = make(torch.nn), make(nn).to(device)
        assert repr(cm) == repr(tm)
        if has_state:
            assert list(cm.state_dict()) == list(tm.state_dict())
            cm.load_state_dict({k: clgrad.tensor(v.detach().numpy()) for k, v in
                                tm.state_dict().items()})
        tx = torch.tensor(x, requires_grad=True)
        cx = clgrad.tensor(x, device=device, requires_grad=True)
        to, co = tm(tx), cm(cx)
        np.testing.assert_allclose(to_numpy(co), to.detach().numpy(), rtol=1e-4, atol=1e-5)
        (to * to).sum().backward()
        (co * co).sum().backward()
        np.testing.assert_allclose(to_numpy(cx.grad), tx.grad.numpy(), rtol=1e-3, atol=1e-4)
        if has_state and getattr(tm, "running_mean", None) is not None:
            np.testing.assert_allclose(to_numpy(cm.running_var), tm.running_var.numpy(), rtol=1e-5)
    tv, ti = torch.nn.functional.max_pool3d(torch.tensor(x), 2, stride=(1, 2, 2), padding=1,
                                            return_indices=True)
    cv, ci = F.max_pool3d(clgrad.tensor(x, device=device), 2, stride=(1, 2, 2), padding=1,
                          return_indices=True)
    np.testing.assert_array_equal(to_numpy(ci), ti.numpy())
    assert ci.dtype == clgrad.int64
