"""Pooling, normalisation and resampling against numpy and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
import clgrad.nn as nn
import clgrad.nn.functional as F
from clgrad.autograd import gradcheck, gradgradcheck

from helpers import (assert_grads_like_torch, backward_like_torch, grad_fn_name,
                     leaves_like_torch, skip_without_fp64)

RNG = np.random.default_rng(11)


def _rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _torch_parity(device, name, args, kwargs, arrays, atol=1e-5, grad_rtol=1e-4):
    """Forward, grad_fn name and gradients of F.<name> against torch's."""
    torch = pytest.importorskip("torch")
    ts, cs = leaves_like_torch(torch, arrays, device)
    yt = getattr(torch.nn.functional, name)(*ts, *args, **kwargs)
    y = getattr(F, name)(*cs, *args, **kwargs)
    assert grad_fn_name(y) == grad_fn_name(yt)
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-5,
                               atol=atol)
    backward_like_torch(torch, yt, y, _rand(*yt.shape), device)
    assert_grads_like_torch(cs, ts, rtol=grad_rtol, atol=grad_rtol, scaled=True)


# -- pooling --------------------------------------------------------------------------------
POOL_CASES = [
    ("max_pool2d", (3,), {}), ("max_pool2d", (3, 2, 1), {}),
    ("max_pool2d", ((3, 2), (2, 1), (1, 1), (2, 1)), dict(ceil_mode=True)),
    ("max_pool2d", (2,), dict(ceil_mode=True)),
    ("avg_pool2d", (3, 2, 1), {}),
    ("avg_pool2d", (3, 2, 1), dict(count_include_pad=False, ceil_mode=True)),
    ("avg_pool2d", ((3, 2), (2, 3), (1, 1)), dict(divisor_override=5)),
    ("adaptive_avg_pool2d", ((4, 3),), {}), ("adaptive_avg_pool2d", ((5, 11),), {}),
    ("adaptive_avg_pool2d", (1,), {}),
    ("adaptive_max_pool2d", ((4, 3),), {}), ("adaptive_max_pool2d", ((5, 11),), {}),
    # windows that do not overlap (the backward's row kernel on CPU devices): gaps between
    # windows, padding, dilation, ceil_mode's partial last window, unused trailing rows
    ("max_pool2d", (2,), {}), ("max_pool2d", ((2, 1), (3, 2), (1, 0)), {}),
    ("max_pool2d", (2, 3, 1, 2), dict(ceil_mode=True)), ("max_pool2d", (3,), dict(ceil_mode=True)),
    ("avg_pool2d", (2,), {}), ("avg_pool2d", (2, 3, 1), dict(count_include_pad=False)),
    ("avg_pool2d", (3,), dict(ceil_mode=True, count_include_pad=False)),
]


@pytest.mark.parametrize("name, args, kwargs", POOL_CASES)
def test_pool2d_matches_torch(device, name, args, kwargs):
    _torch_parity(device, name, args, kwargs, [_rand(2, 3, 9, 8)])


@pytest.mark.parametrize("name, args, kwargs", [
    ("max_pool1d", (3, 2, 1), {}), ("avg_pool1d", (3, 2, 1), dict(ceil_mode=True)),
    ("adaptive_avg_pool1d", (4,), {}), ("adaptive_max_pool1d", (4,), {})])
def test_pool1d_matches_torch(device, name, args, kwargs):
    _torch_parity(device, name, args, kwargs, [_rand(2, 3, 10)])


@pytest.mark.parametrize("k, s, p", [(3, 2, 1), (2, 2, 0), (3, 2, 0), (2, 1, 0)])
def test_max_pool_indices_match_torch(device, k, s, p):
    """NaN (the last wins), ties (the first wins) and -inf, padded and unpadded windows
    (those unrolled by the forward kernel)."""
    torch = pytest.importorskip("torch")
    xn = np.round(_rand(2, 3, 7, 6))  # small integers: many ties
    xn[0, 0, 0, :2] = np.nan
    xn[0, 1, 2:4, 2:4] = -np.inf
    xn[1, 2, 4, 1] = np.nan
    out, idx = F.max_pool2d(clgrad.tensor(xn, device=device), k, s, p, return_indices=True)
    outt, idxt = torch.nn.functional.max_pool2d(torch.tensor(xn), k, s, p,
                                                return_indices=True)
    np.testing.assert_array_equal(idx.cpu().numpy(), idxt.numpy())
    np.testing.assert_allclose(out.cpu().numpy(), outt.numpy())


def _np_max_pool2d(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, c, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].max((2, 3))
    return out


@pytest.mark.kernel
def test_max_pool2d_matches_numpy_and_routes_gradient(device):
    xn = _rand(2, 2, 6, 5)
    x = clgrad.tensor(xn, device=device, requires_grad=True)
    y = F.max_pool2d(x, 2, 2)
    assert type(y.grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"
    np.testing.assert_array_equal(y.detach().cpu().numpy(), _np_max_pool2d(xn, 2, 2))
    y.sum().backward()
    grad = x.grad.cpu().numpy()
    # Each window sends exactly one 1 to its maximum.
    assert grad.sum() == y.numel()
    np.testing.assert_array_equal(grad[:, :, :6:2, :4:2] + grad[:, :, 1:6:2, :4:2]
                                  + grad[:, :, :6:2, 1:4:2] + grad[:, :, 1:6:2, 1:4:2],
                                  np.ones((2, 2, 3, 2), np.float32))


@pytest.mark.kernel
def test_avg_pool2d_matches_numpy(device):
    xn = _rand(1, 2, 4, 6)
    y = F.avg_pool2d(clgrad.tensor(xn, device=device), 2)
    ref = xn.reshape(1, 2, 2, 2, 3, 2).mean((3, 5))
    np.testing.assert_allclose(y.cpu().numpy(), ref, rtol=1e-5, atol=1e-7)


def test_pool_gradcheck(device):
    skip_without_fp64(device)
    x = clgrad.tensor(RNG.standard_normal((1, 2, 5, 4)), device=device, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, 2, 1, 1), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                            count_include_pad=False), (x,))
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 2, 1), (x,))
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 3)), (x,))
    assert gradcheck(lambda x: F.adaptive_max_pool2d(x, (2, 3)), (x,))


@pytest.mark.parametrize("call, message", [
    (lambda x: F.max_pool2d(x, 3, padding=2), "pad should be at most half of effective "
     "kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (lambda x: F.max_pool2d(x, 7), "Given input size: (3x6x6). Calculated output size: "
     "(3x0x0). Output size is too small"),
    (lambda x: F.max_pool2d(x[0, 0], 2), "non-empty 3D or 4D (batch mode) tensor expected "
     "for input"),
    (lambda x: F.max_pool2d(x, 2, stride=0), "stride should not be zero"),
])
def test_pool_errors_match_torch(call, message):
    with pytest.raises(RuntimeError) as info:
        call(clgrad.zeros(2, 3, 6, 6))
    assert str(info.value) == message


# -- normalisation --------------------------------------------------------------------------
def _np_batch_norm(x, w, b, eps=1e-5):
    mean = x.mean((0, 2, 3), keepdims=True)
    var = x.var((0, 2, 3), keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w[None, :, None, None] + b[None, :, None, None]


@pytest.mark.kernel
def test_batch_norm_matches_numpy(device):
    xn = (_rand(3, 2, 4, 5) * 4 + 100).astype(np.float32)  # a large mean: one-pass stability
    wn, bn = _rand(2), _rand(2)
    rm = clgrad.zeros(2, device=device)
    rv = clgrad.ones(2, device=device)
    y = F.batch_norm(clgrad.tensor(xn, device=device), rm, rv, clgrad.tensor(wn, device=device),
                     clgrad.tensor(bn, device=device), training=True, momentum=0.25)
    np.testing.assert_allclose(y.cpu().numpy(), _np_batch_norm(xn.astype(np.float64), wn, bn),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(rm.cpu().numpy(), 0.25 * xn.mean((0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(rv.cpu().numpy(), 0.75 + 0.25 * xn.var((0, 2, 3), ddof=1),
                               rtol=1e-4)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(device, training):
    torch = pytest.importorskip("torch")
    rm, rv = _rand(6), np.abs(_rand(6)) + 0.5
    rmt, rvt = torch.tensor(rm), torch.tensor(rv)
    rmc, rvc = clgrad.tensor(rm, device=device), clgrad.tensor(rv, device=device)
    arrays = [_rand(4, 6, 5, 3) * 3 + 10, _rand(6), _rand(6)]
    ts, cs = leaves_like_torch(torch, arrays, device)
    yt = torch.nn.functional.batch_norm(ts[0], rmt, rvt, ts[1], ts[2], training, 0.3)
    y = F.batch_norm(cs[0], rmc, rvc, cs[1], cs[2], training, 0.3)
    assert type(y.grad_fn).__name__ == "NativeBatchNormBackward0"
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), atol=3e-5)
    np.testing.assert_allclose(rmc.cpu().numpy(), rmt.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rvc.cpu().numpy(), rvt.numpy(), rtol=1e-5, atol=1e-6)
    backward_like_torch(torch, yt, y, _rand(*yt.shape), device)
    assert_grads_like_torch(cs, ts, rtol=1e-7, scaled=True)


@pytest.mark.parametrize("name, args, shapes", [
    ("layer_norm", ((5, 3),), [(4, 6, 5, 3), (5, 3), (5, 3)]),
    ("layer_norm", ((3,),), [(4, 6, 5, 3)]),
    ("group_norm", (3,), [(4, 6, 5, 3), (6,), (6,)]),
    ("group_norm", (1,), [(4, 6, 5)]),
])
def test_layer_group_norm_match_torch(device, name, args, shapes):
    arrays = [_rand(*shapes[0]) * 3 + 10] + [_rand(*s) for s in shapes[1:]]
    inputs = arrays[:1]
    params = arrays[1:]

    torch = pytest.importorskip("torch")
    ts, cs = leaves_like_torch(torch, arrays, device)
    call = lambda mod, t: getattr(mod, name)(t[0], *args, *t[1:])  # noqa: E731
    yt, y = call(torch.nn.functional, ts), call(F, cs)
    assert inputs and len(params) in (0, 2)
    assert grad_fn_name(y) == grad_fn_name(yt)
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), atol=3e-5)
    backward_like_torch(torch, yt, y, _rand(*yt.shape), device)
    assert_grads_like_torch(cs, ts, rtol=1e-7, scaled=True)


def test_instance_norm_matches_torch(device):
    _torch_parity(device, "instance_norm", (), {}, [_rand(2, 3, 4, 5)], atol=3e-5)


def test_norm_gradcheck_and_double_backward(device):
    skip_without_fp64(device)
    x = clgrad.tensor(RNG.standard_normal((3, 2, 2)), device=device, requires_grad=True)
    w = clgrad.tensor(RNG.standard_normal(2), device=device, requires_grad=True)
    b = clgrad.tensor(RNG.standard_normal(2), device=device, requires_grad=True)
    bn = lambda x, w, b: F.batch_norm(x, None, None, w, b, True)  # noqa: E731
    assert gradcheck(bn, (x, w, b))
    assert gradgradcheck(bn, (x, w, b))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    lw = clgrad.tensor(RNG.standard_normal((2, 2)), device=device, requires_grad=True)
    assert gradcheck(lambda x, w: F.layer_norm(x, (2, 2), w), (x, lw))


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.batch_norm(x[:1, :, 0, 0], None, None, training=True), ValueError,
     "Expected more than 1 value per channel when training, got input size "
     "clgrad.Size([1, 3])"),
    (lambda x: F.batch_norm(x, None, None, clgrad.ones(4), training=True), RuntimeError,
     "weight should contain 3 elements not 4"),
    (lambda x: F.layer_norm(x, (4,)), RuntimeError, "Given normalized_shape=[4], expected "
     "input with shape [*, 4], but got input of size[4, 3, 5, 5]"),
    (lambda x: F.group_norm(x, 2), RuntimeError, "Expected number of channels in input to be "
     "divisible by num_groups, but got input of shape [4, 3, 5, 5] and num_groups=2"),
])
def test_norm_errors_match_torch(call, error, message):
    with pytest.raises(error) as info:
        call(clgrad.zeros(4, 3, 5, 5))
    assert str(info.value) == message


def test_norm_modules_running_stats_and_repr(device):
    torch = pytest.importorskip("torch")
    bt, bc = torch.nn.BatchNorm2d(3, momentum=None), nn.BatchNorm2d(3, momentum=None)
    bc.to(device)
    for _ in range(3):
        xn = _rand(4, 3, 2, 2)
        bt(torch.tensor(xn))
        bc(clgrad.tensor(xn, device=device))
    assert bc.num_batches_tracked.item() == 3
    np.testing.assert_allclose(bc.running_var.cpu().numpy(), bt.running_var.numpy(),
                               rtol=1e-5)
    bt.eval()
    bc.eval()
    xn = _rand(4, 3, 2, 2)
    np.testing.assert_allclose(bc(clgrad.tensor(xn, device=device)).detach().cpu().numpy(),
                               bt(torch.tensor(xn)).detach().numpy(), atol=1e-5)
    for spec in ["BatchNorm2d(3)", "BatchNorm1d(3, affine=False, momentum=None)",
                 "LayerNorm((4, 5))", "LayerNorm(4, bias=False)", "GroupNorm(2, 4)",
                 "InstanceNorm2d(3)", "MaxPool2d(2)", "MaxPool2d(3, 2, 1, ceil_mode=True)",
                 "MaxPool1d(2)", "AvgPool2d(2)", "AvgPool1d(3)", "AdaptiveAvgPool2d((3, None))",
                 "AdaptiveMaxPool2d(2)", "Upsample(scale_factor=2)",
                 "Upsample(size=(3, 4), mode='bilinear')", "PixelShuffle(2)", "ZeroPad2d(1)",
                 "ZeroPad2d((1, 2, 3, 4))"]:
        mc, mt = eval("nn." + spec), eval("torch.nn." + spec)
        assert repr(mc) == repr(mt)
        assert list(mc.state_dict()) == list(mt.state_dict())


# -- resampling and padding -----------------------------------------------------------------
@pytest.mark.parametrize("name, args, kwargs", [
    ("pad", ((1, 2, 0, 1),), {}), ("pad", ((1, -2, 2, 1),), dict(value=3.0)),
    ("pad", ((2, 1, 1, 3),), dict(mode="reflect")),
    ("pad", ((2, 1, 1, 3),), dict(mode="replicate")),
    ("interpolate", (), dict(scale_factor=2)), ("interpolate", ((7, 4),), {}),
    ("interpolate", ((7, 11),), dict(mode="nearest-exact")),
    ("interpolate", ((7, 11),), dict(mode="bilinear")),
    ("interpolate", ((3, 11),), dict(mode="bilinear", align_corners=True)),
    ("interpolate", (), dict(scale_factor=1.7, mode="bilinear")),
    ("pixel_shuffle", (2,), {}), ("pixel_unshuffle", (1,), {}),
])
def test_sampling_matches_torch(device, name, args, kwargs):
    _torch_parity(device, name, args, kwargs, [_rand(2, 4, 5, 6)])


@pytest.mark.kernel
def test_upsample_nearest_matches_numpy(device):
    xn = _rand(1, 2, 3, 2)
    y = F.interpolate(clgrad.tensor(xn, device=device), scale_factor=2)
    np.testing.assert_array_equal(y.cpu().numpy(), xn.repeat(2, 2).repeat(2, 3))
    up = nn.PixelShuffle(2)(clgrad.tensor(_rand(1, 8, 2, 3), device=device))
    assert up.shape == (1, 2, 4, 6)


@pytest.mark.kernel
def test_backward_kernels_agree_with_numpy_backend(device):
    """col2im, pool backward and norm backward kernels give the numpy backend's gradients."""
    xn, wn = _rand(2, 4, 5, 5), _rand(4, 2, 3, 3)
    cases = [
        lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
        lambda x, w: F.max_pool2d(x, 3, 2, 1, ceil_mode=True) * w.sum(),
        lambda x, w: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False) * w.sum(),
        lambda x, w: F.adaptive_avg_pool2d(x, (3, 2)) * w.sum(),
        lambda x, w: F.adaptive_max_pool2d(x, (2, 3)) * w.sum(),
        lambda x, w: F.batch_norm(x, None, None, w[:, 0, 0, 0], w[:, 1, 0, 0], True),
        lambda x, w: F.group_norm(x, 2, w[:, 0, 0, 0], w[:, 1, 0, 0]),
        lambda x, w: F.layer_norm(x, (5, 5), w[0, 0].repeat(2, 2)[:5, :5]),
    ]
    for fn in cases:
        grads = []
        for dev in ("cpu", device):
            x = clgrad.tensor(xn, device=dev, requires_grad=True)
            w = clgrad.tensor(wn, device=dev, requires_grad=True)
            y = fn(x, w)
            y.backward(clgrad.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32)
                                     .reshape(y.shape), device=dev))
            grads.append((y.detach().cpu().numpy(), x.grad.cpu().numpy(),
                          w.grad.cpu().numpy()))
        for a, b in zip(*grads):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
