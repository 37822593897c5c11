"""memory_format: channels_last (NHWC strides) through to / contiguous / empty / *_like /
clone, preserve_format keeping dense strides, is_contiguous(memory_format=), Module.to."""
import pickle

import clgrad
import numpy as np
import pytest


def test_formats_exist_and_print():
    for name in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format"):
        fmt = getattr(clgrad, name)
        assert isinstance(fmt, clgrad.memory_format)
        assert repr(fmt) == f"clgrad.{name}"
        assert pickle.loads(pickle.dumps(fmt)) is fmt


def test_channels_last_strides_and_values(device):
    x = clgrad.arange(120.0, device=device).reshape(2, 3, 4, 5)
    y = x.to(memory_format=clgrad.channels_last)
    assert y.stride() == (60, 1, 15, 3)
    assert y.is_contiguous(memory_format=clgrad.channels_last) and not y.is_contiguous()
    assert np.array_equal(y.cpu().numpy(), x.cpu().numpy())
    assert np.array_equal((y * 2 + y).cpu().numpy(), x.cpu().numpy() * 3)
    assert y.sum(dim=1).tolist() == x.sum(dim=1).tolist()
    z = y.contiguous()
    assert z.stride() == (60, 20, 5, 1) and np.array_equal(z.cpu().numpy(), x.cpu().numpy())
    assert y.contiguous(memory_format=clgrad.channels_last) is y
    w = clgrad.ones(2, 3, 4, 5, 6, device=device).contiguous(memory_format=clgrad.channels_last_3d)
    assert w.stride() == (360, 1, 90, 18, 3)


def test_creation_and_like(device):
    e = clgrad.empty(2, 3, 4, 5, memory_format=clgrad.channels_last, device=device)
    assert e.stride() == (60, 1, 15, 3)
    y = clgrad.zeros(2, 3, 4, 5, device=device).to(memory_format=clgrad.channels_last)
    for fn in (clgrad.empty_like, clgrad.zeros_like, clgrad.ones_like):
        assert fn(y).stride() == (60, 1, 15, 3)
        assert fn(y, memory_format=clgrad.contiguous_format).stride() == (60, 20, 5, 1)
    assert clgrad.zeros_like(y).cpu().numpy().sum() == 0
    assert clgrad.full_like(y, 2.0).tolist() == np.full((2, 3, 4, 5), 2.0).tolist()
    assert y.clone().stride() == (60, 1, 15, 3)
    assert y.clone(memory_format=clgrad.contiguous_format).stride() == (60, 20, 5, 1)
    t = clgrad.ones(3, 4, device=device).t()
    assert t.clone().stride() == (1, 4)  # dense strides preserved
    assert clgrad.empty_like(clgrad.ones(4, 4, device=device)[:, ::2]).stride() == (2, 1)


def test_errors():
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
        clgrad.ones(2, 3).to(memory_format=clgrad.channels_last)
    with pytest.raises(RuntimeError, match="unsupported memory format Preserve"):
        clgrad.empty(2, 3, memory_format=clgrad.preserve_format)
    assert not clgrad.ones(2, 3).is_contiguous(memory_format=clgrad.channels_last)


def test_autograd_through_relayout(device):
    x = clgrad.randn(1, 2, 3, 3, dtype=clgrad.float32, device=device, requires_grad=True)
    y = x.to(memory_format=clgrad.channels_last)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * x.detach().cpu().numpy(), rtol=1e-6)


def test_module_to_channels_last(device):
    conv = clgrad.nn.Conv2d(3, 4, 3).to(device)
    weight = conv.weight
    conv.to(memory_format=clgrad.channels_last)
    assert conv.weight is weight and conv.weight.stride() == (27, 1, 9, 3)
    assert conv.bias.stride() == (1,)
    x = clgrad.randn(2, 3, 5, 5, device=device)
    ref = clgrad.nn.functional.conv2d(x, conv.weight.contiguous(), conv.bias)
    out = conv(x.to(memory_format=clgrad.channels_last))
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().cpu().numpy(),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parity
def test_strides_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        lambda m: m.ones(2, 3, 4, 5).to(memory_format=m.channels_last),
        lambda m: m.ones(2, 1, 4, 1).to(memory_format=m.channels_last),
        lambda m: m.ones(2, 3, 4, 5).permute(0, 2, 3, 1).clone(),
        lambda m: m.empty_like(m.ones(2, 3, 4, 5).permute(0, 2, 3, 1)),
        lambda m: m.zeros_like(m.ones(2, 3, 4, 5)[:, :, ::2]),
        lambda m: m.ones(2, 3, 4, 5).to(memory_format=m.channels_last).contiguous(),
        lambda m: m.ones(1, 3, 4, 5, 2).contiguous(memory_format=m.channels_last_3d),
        lambda m: m.empty(0, 3, 2, 2, memory_format=m.channels_last),
        lambda m: m.ones(2, 3, 1, 1).to(memory_format=m.channels_last),
        lambda m: m.ones(2, 3, 1, 1).contiguous(memory_format=m.channels_last),
        lambda m: m.ones(2, 3, 1, 1).clone(memory_format=m.channels_last),
        lambda m: m.ones(2, 3, 4, 5).to(m.float64, memory_format=m.channels_last),
        lambda m: m.ones(2, 3, 4, 5).to(memory_format=m.channels_last).to(
            memory_format=m.contiguous_format),
    ]
    for case in cases:
        assert case(clgrad).stride() == case(torch).stride()
    for shape, stride in [((2, 3, 4, 5), (60, 1, 15, 3)), ((1, 3, 1, 1), (3, 1, 1, 1)),
                          ((2, 3, 4, 5), (60, 20, 5, 1)), ((2, 1, 4, 5), (20, 20, 5, 1))]:
        t = torch.empty_strided(shape, stride)
        c = clgrad.empty(60 * 2).as_strided(shape, stride)
        for fmt in ("contiguous_format", "channels_last"):
            assert c.is_contiguous(memory_format=getattr(clgrad, fmt)) == \
                t.is_contiguous(memory_format=getattr(torch, fmt)), (shape, stride, fmt)
