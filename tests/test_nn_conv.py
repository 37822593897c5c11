"""Convolutions (conv1d/conv2d/conv_transpose, unfold/fold) against numpy and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
import clgrad.nn as nn
import clgrad.nn.functional as F
from clgrad.autograd import gradcheck, gradgradcheck

from helpers import (assert_grads_like_torch, backward_like_torch, grad_fn_name,
                     leaves_like_torch, skip_without_fp64)

RNG = np.random.default_rng(7)


def _rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _np_conv2d(x, w, b, stride, padding, dilation, groups):
    """Direct loops over the kernel taps: the reference without torch."""
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, oc, oh, ow), np.float64)
    ocg = oc // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                           j * dw:j * dw + (ow - 1) * sw + 1:sw]
                out[:, g * ocg:(g + 1) * ocg] += np.einsum(
                    "nchw,oc->nohw", patch, w[g * ocg:(g + 1) * ocg, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


CONV_CASES = [
    # (N, C, H, W, OC, kernel, stride, padding, dilation, groups)
    (2, 3, 7, 6, 4, 3, 1, 1, 1, 1),
    (2, 4, 9, 8, 6, 3, 2, 2, 2, 2),
    (1, 3, 5, 5, 2, (2, 3), (2, 1), (1, 0), 1, 1),
    (2, 4, 5, 5, 8, 1, 1, 0, 1, 1),
]


@pytest.mark.kernel
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_numpy(device, case):
    n, c, h, w, oc, k, s, p, d, g = case
    k2 = (k, k) if isinstance(k, int) else k
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    xn, wn, bn = _rand(n, c, h, w), _rand(oc, c // g, *k2), _rand(oc)
    x = clgrad.tensor(xn, device=device)
    y = F.conv2d(x, clgrad.tensor(wn, device=device), clgrad.tensor(bn, device=device), s, p,
                 d, g)
    ref = _np_conv2d(xn, wn, bn, pair(s), pair(p), pair(d), g)
    np.testing.assert_allclose(y.cpu().numpy(), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_torch_with_grads(device, case):
    torch = pytest.importorskip("torch")
    n, c, h, w, oc, k, s, p, d, g = case
    k2 = (k, k) if isinstance(k, int) else k
    arrays = [_rand(n, c, h, w), _rand(oc, c // g, *k2), _rand(oc)]
    ts, cs = leaves_like_torch(torch, arrays, device)
    yt = torch.nn.functional.conv2d(*ts, s, p, d, g)
    y = F.conv2d(*cs, s, p, d, g)
    assert grad_fn_name(y) == grad_fn_name(yt) == "ConvolutionBackward0"
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-4,
                               atol=1e-4)
    backward_like_torch(torch, yt, y, _rand(*yt.shape), device)
    assert_grads_like_torch(cs, ts)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=2, groups=2, dilation=2)])
def test_conv_transpose2d_matches_torch(device, kwargs):
    torch = pytest.importorskip("torch")
    arrays = [_rand(2, 4, 5, 4), _rand(4, 3, 3, 2), _rand(3 * kwargs.get("groups", 1))]
    ts, cs = leaves_like_torch(torch, arrays, device)
    yt = torch.nn.functional.conv_transpose2d(*ts, **kwargs)
    y = F.conv_transpose2d(*cs, **kwargs)
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-4,
                               atol=1e-4)
    backward_like_torch(torch, yt, y, _rand(*yt.shape), device)
    assert_grads_like_torch(cs, ts)


@pytest.mark.parametrize("padding", ["same", "valid", 2])
def test_conv1d_matches_torch(device, padding):
    torch = pytest.importorskip("torch")
    arrays = [_rand(2, 4, 9), _rand(6, 2, 4), _rand(6)]
    ts, cs = leaves_like_torch(torch, arrays, device)
    yt = torch.nn.functional.conv1d(*ts, padding=padding, groups=2)
    y = F.conv1d(*cs, padding=padding, groups=2)
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-4,
                               atol=1e-4)
    y.sum().backward()
    yt.sum().backward()
    assert_grads_like_torch(cs, ts)


def test_unfold_fold_match_torch(device):
    torch = pytest.importorskip("torch")
    xn = _rand(2, 3, 6, 5)
    x = clgrad.tensor(xn, device=device, requires_grad=True)
    xt = torch.tensor(xn, requires_grad=True)
    cols = F.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    colst = torch.nn.functional.unfold(xt, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    assert type(cols.grad_fn).__name__ == "Im2ColBackward0"
    np.testing.assert_allclose(cols.detach().cpu().numpy(), colst.detach().numpy())
    back = F.fold(cols, (6, 5), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    backt = torch.nn.functional.fold(colst, (6, 5), (2, 3), dilation=(2, 1), padding=1,
                                     stride=(1, 2))
    assert type(back.grad_fn).__name__ == "Col2ImBackward0"
    np.testing.assert_allclose(back.detach().cpu().numpy(), backt.detach().numpy(), rtol=1e-5)
    (back * back).sum().backward()
    (backt * backt).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv_gradcheck_and_double_backward(device):
    skip_without_fp64(device)
    x = clgrad.tensor(RNG.standard_normal((1, 2, 4, 3)), device=device, requires_grad=True)
    w = clgrad.tensor(RNG.standard_normal((2, 1, 2, 2)), device=device, requires_grad=True)
    b = clgrad.tensor(RNG.standard_normal(2), device=device, requires_grad=True)
    fn = lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, groups=2)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    wt = clgrad.tensor(RNG.standard_normal((2, 1, 2, 2)), device=device, requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, groups=2), (x, wt))


@pytest.mark.parametrize("call, message", [
    (lambda x, w: F.conv2d(x[0, 0], w),
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]"),
    (lambda x, w: F.conv2d(x, w[:, :2]), "Given groups=1, weight of size [4, 2, 3, 3], "
     "expected input[2, 3, 5, 5] to have 2 channels, but got 3 channels instead"),
    (lambda x, w: F.conv2d(x, clgrad.zeros(4, 3, 7, 7)), "Calculated padded input size per "
     "channel: (5 x 5). Kernel size: (7 x 7). Kernel size can't be greater than actual input "
     "size"),
    (lambda x, w: F.conv2d(x, w, padding="same", stride=2),
     "padding='same' is not supported for strided convolutions"),
    (lambda x, w: F.conv2d(x, w, bias=clgrad.zeros(3)), "Given weight of size [4, 3, 3, 3], "
     "expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead"),
    (lambda x, w: F.conv2d(x, w, stride=0), "non-positive stride is not supported"),
    (lambda x, w: F.conv_transpose2d(x, w), "Given transposed=1, weight of size [4, 3, 3, 3], "
     "expected input[2, 3, 5, 5] to have 4 channels, but got 3 channels instead"),
])
def test_conv_errors_match_torch(call, message):
    x, w = clgrad.zeros(2, 3, 5, 5), clgrad.zeros(4, 3, 3, 3)
    with pytest.raises(RuntimeError) as info:
        call(x, w)
    assert str(info.value) == message


def test_conv_modules_repr_init_and_parity(device):
    torch = pytest.importorskip("torch")
    assert repr(nn.Conv2d(1, 32, 3)) == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))"
    specs = ["Conv2d(4, 8, (3, 5), stride=2, padding=(1, 2), dilation=2, groups=2, "
             "bias=False, padding_mode='reflect')", "Conv1d(2, 3, 3, padding='same')",
             "ConvTranspose2d(4, 8, 3, stride=2, output_padding=1)"]
    for spec in specs:
        assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))
    m = nn.Conv2d(3, 64, 3)
    bound = 1 / np.sqrt(27)
    wv, bv = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(wv).max() <= bound and np.abs(bv).max() <= bound and wv.std() > bound / 3
    for spec in ["Conv2d(4, 6, 3, padding=1, padding_mode='replicate')",
                 "ConvTranspose2d(4, 6, 3, stride=2)"]:
        mt = eval("torch.nn." + spec)
        mc = eval("nn." + spec)
        mc.load_state_dict({k: clgrad.tensor(v.detach().numpy())
                            for k, v in mt.state_dict().items()})
        mc.to(device)
        xn = _rand(2, 4, 5, 5)
        np.testing.assert_allclose(mc(clgrad.tensor(xn, device=device)).detach().cpu().numpy(),
                                   mt(torch.tensor(xn)).detach().numpy(), rtol=1e-4,
                                   atol=1e-4)
