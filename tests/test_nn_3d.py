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


# -- PyTorch parity of every 3-d pooling and convolution form --------------------------------
def _volume(seed, shape, ties=False, nans=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    if ties:
        x = np.round(x)  # equal values in a window: the first in scan order wins
    if nans:
        x.flat[rng.choice(x.size, nans, replace=False)] = np.nan
    return x


POOLS = {
    "max": (lambda F: lambda t: F.max_pool3d(t, 2), {}),
    "max_geometry": (lambda F: lambda t: F.max_pool3d(
        t, (3, 2, 2), (2, 1, 2), (1, 1, 0), (1, 2, 1), ceil_mode=True), {}),
    "max_ties_nan": (lambda F: lambda t: F.max_pool3d(t, 3, 2, 1), dict(ties=True, nans=6)),
    "max_indices": (lambda F: lambda t: F.max_pool3d(t, (2, 3, 2), (1, 2, 2), 1,
                                                     return_indices=True), dict(ties=True)),
    "avg": (lambda F: lambda t: F.avg_pool3d(t, 3, 2, 1, ceil_mode=True), {}),
    "avg_exclude_pad": (lambda F: lambda t: F.avg_pool3d(
        t, 3, (1, 2, 2), 1, ceil_mode=True, count_include_pad=False), {}),
    "avg_divisor": (lambda F: lambda t: F.avg_pool3d(t, (2, 3, 2), divisor_override=7), {}),
    "adaptive_avg": (lambda F: lambda t: F.adaptive_avg_pool3d(t, (3, None, 4)), {}),
    "adaptive_avg_mean": (lambda F: lambda t: F.adaptive_avg_pool3d(t, 1), {}),
    "adaptive_max": (lambda F: lambda t: F.adaptive_max_pool3d(t, (3, 2, 4)), dict(nans=4)),
    "adaptive_max_indices": (lambda F: lambda t: F.adaptive_max_pool3d(
        t, (2, 4, 3), return_indices=True), dict(ties=True)),
}


def _grad_fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


@pytest.mark.parity
@pytest.mark.parametrize("case", sorted(POOLS))
@pytest.mark.parametrize("batched", [True, False])
def test_3d_pooling_matches_torch(device, case, batched):
    torch = pytest.importorskip("torch")
    make, options = POOLS[case]
    x = _volume(3, (2, 3, 5, 6, 7) if batched else (3, 5, 6, 7), **options)
    tx = torch.tensor(x, requires_grad=True)
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    want, got = make(torch.nn.functional)(tx), make(F)(cx)
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    np.testing.assert_allclose(to_numpy(got[0]), want[0].detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert _grad_fn_name(got[0]) == _grad_fn_name(want[0])
    if len(want) == 2:
        assert got[1].dtype == clgrad.int64
        np.testing.assert_array_equal(to_numpy(got[1]), want[1].numpy())
    weights = np.random.default_rng(4).standard_normal(tuple(want[0].shape)).astype(np.float32)
    (want[0].nan_to_num() * torch.tensor(weights)).sum().backward()
    (got[0].nan_to_num() * clgrad.tensor(weights, device=device)).sum().backward()
    np.testing.assert_allclose(to_numpy(cx.grad), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parity
def test_3d_integer_pooling_matches_torch(device):
    """Integer volumes: max as torch's, and the average a single truncating division of the
    window's sum (the separable passes only sum)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).integers(-9, 9, (2, 3, 5, 4, 6))
    forms = [lambda F: F.max_pool3d(t, 2, 1, 1),
             lambda F: F.avg_pool3d(t, 2),
             lambda F: F.avg_pool3d(t, 3, 2, 1, ceil_mode=True),
             lambda F: F.avg_pool3d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
             lambda F: F.avg_pool3d(t, (2, 2, 3), divisor_override=4)]
    for form in forms:
        t = torch.tensor(x)
        want = form(torch.nn.functional)
        t = clgrad.tensor(x, device=device)
        got = form(F)
        assert got.dtype == clgrad.int64
        np.testing.assert_array_equal(to_numpy(got), want.numpy())


# id -> (fn(F), input shape, weight shape, bias length)
CONVS = {
    "conv": (lambda F: lambda x, w, b: F.conv3d(x, w, b, (1, 2, 1), 1, (2, 1, 1)),
             (2, 4, 6, 5, 6), (6, 4, 2, 3, 2), 6),
    "conv_groups_same": (lambda F: lambda x, w, b: F.conv3d(
        x, w, b, padding="same", groups=2), (1, 4, 4, 5, 3), (6, 2, 3, 3, 1), 6),
    "conv_pointwise": (lambda F: lambda x, w, b: F.conv3d(x, w, b), (2, 3, 3, 4, 5),
                       (5, 3, 1, 1, 1), 5),
    "transposed": (lambda F: lambda x, w, b: F.conv_transpose3d(
        x, w, b, (2, 1, 2), (1, 0, 1), (1, 0, 1), groups=2), (1, 4, 3, 4, 3), (4, 3, 3, 2, 3),
        6),
    # output_padding past the stride (allowed below the dilation): the last rows get no window
    "transposed_dilated": (lambda F: lambda x, w, b: F.conv_transpose3d(
        x, w, b, 1, 0, 1, dilation=2), (1, 2, 3, 3, 4), (2, 3, 2, 2, 2), 3),
}


@pytest.mark.parity
@pytest.mark.parametrize("case", sorted(CONVS))
def test_3d_convolutions_match_torch(device, case):
    torch = pytest.importorskip("torch")
    make, x_shape, w_shape, channels = CONVS[case]
    rng = np.random.default_rng(6)
    x, w, b = (rng.standard_normal(s) for s in (x_shape, w_shape, channels))
    ts = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in (x, w, b)]
    cs = [clgrad.tensor(a, dtype=clgrad.float32, device=device, requires_grad=True)
          for a in (x, w, b)]
    want, got = make(torch.nn.functional)(*ts), make(F)(*cs)
    assert _grad_fn_name(got) == _grad_fn_name(want) == "ConvolutionBackward0"
    np.testing.assert_allclose(to_numpy(got), want.detach().numpy(), rtol=1e-4, atol=1e-4)
    (want * want).sum().backward()
    (got * got).sum().backward()
    for c, t in zip(cs, ts):
        np.testing.assert_allclose(to_numpy(c.grad), t.grad.numpy(), rtol=1e-4, atol=1e-3)
        assert c.grad.is_contiguous()


# -- return_indices and MaxUnpool --------------------------------------------------------------
@pytest.mark.parity
def test_3d_layers_return_indices_and_unpool(device):
    torch = pytest.importorskip("torch")
    x = _volume(7, (2, 3, 4, 6, 4), ties=True)
    tx, cx = torch.tensor(x), clgrad.tensor(x, device=device)
    for make in (lambda m: m.MaxPool3d(2, return_indices=True),
                 lambda m: m.MaxPool3d(3, 2, 1, ceil_mode=True, return_indices=True),
                 lambda m: m.AdaptiveMaxPool3d((3, 2, 4), return_indices=True)):
        (tv, ti), (cv, ci) = make(torch.nn)(tx), make(nn)(cx)
        np.testing.assert_array_equal(to_numpy(ci), ti.numpy())
        np.testing.assert_array_equal(to_numpy(cv), tv.numpy())
    tv, ti = torch.nn.MaxPool3d(2, return_indices=True)(tx)
    cv, ci = nn.MaxPool3d(2, return_indices=True)(cx)
    for size in (None, x.shape, x.shape[2:]):
        want = torch.nn.MaxUnpool3d(2)(tv, ti, output_size=size)
        got = nn.MaxUnpool3d(2)(cv, ci, output_size=size)
        np.testing.assert_array_equal(to_numpy(got), want.numpy())
    assert repr(nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))


@pytest.mark.parity
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_unpool_matches_torch(device, dims):
    torch = pytest.importorskip("torch")
    x = _volume(8, (2, 3) + (6, 5, 4)[:dims])
    pool = {1: "max_pool1d", 2: "max_pool2d", 3: "max_pool3d"}[dims]
    unpool = f"max_unpool{dims}d"
    tv, ti = getattr(torch.nn.functional, pool)(torch.tensor(x), 2, 1, return_indices=True)
    cv, ci = getattr(F, pool)(clgrad.tensor(x, device=device), 2, 1, return_indices=True)
    tv.requires_grad_()
    cv.requires_grad_()
    want = getattr(torch.nn.functional, unpool)(tv, ti, 2, 1)
    got = getattr(F, unpool)(cv, ci, 2, 1)
    np.testing.assert_array_equal(to_numpy(got), want.detach().numpy())
    assert _grad_fn_name(got) == _grad_fn_name(want)
    (want * want).sum().backward()
    (got * got).sum().backward()
    np.testing.assert_allclose(to_numpy(cv.grad), tv.grad.numpy(), rtol=1e-6)
    unbatched = getattr(F, unpool)(cv[0], ci[0], 2, 1)
    np.testing.assert_array_equal(to_numpy(unbatched), want[0].detach().numpy())


def test_max_unpool_gradgradcheck(device):
    from helpers import skip_without_fp64
    skip_without_fp64(device)
    x = clgrad.tensor(_volume(9, (1, 2, 4, 4, 4)), dtype=clgrad.float64, device=device)
    values, indices = F.max_pool3d(x, 2, return_indices=True)
    values.requires_grad_()
    assert clgrad.autograd.gradgradcheck(lambda v: F.max_unpool3d(v, indices, 2), (values,))


def test_max_unpool_errors(device):
    v, i = F.max_pool3d(clgrad.randn(1, 1, 4, 4, 4, device=device), 2, return_indices=True)
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: 100 \(output volumes "
                                           r"are of size 4x4x4\)"):
        F.max_unpool3d(v, clgrad.full_like(i, 100), 2)
    with pytest.raises(ValueError, match=r"dim 0 must be between 2 and 6"):
        F.max_unpool3d(v, i, 2, output_size=(9, 4, 4))
    with pytest.raises(ValueError, match="containing 3 or 5 elements"):
        F.max_unpool3d(v, i, 2, output_size=(4, 4))
    with pytest.raises(RuntimeError, match="elements in indices should be type int64"):
        F.max_unpool3d(v, i.int(), 2)
    with pytest.raises(RuntimeError, match="should be a 4d or 5d Tensor"):
        F.max_unpool3d(v[0, 0], i[0, 0], 2)
