"""Layouts through dtype and device conversions, and contiguity of empty tensors, as torch's.

.to(dtype) / .half() / .double() / .float() / .to(device) keep a dense input's strides
(memory_format=preserve_format), and lay any other input out densely in its dims' stride
order; is_contiguous() is True for any tensor with no elements.
"""
import itertools

import numpy as np
import pytest

import clgrad
from helpers import to_numpy

DTYPES = ("float64", "float16", "int32", "float32")


def _layouts():
    """(shape, permutation, step) triples: every dense layout of a few small shapes, and
    each also sliced with step 2 along one dim (not dense: made dense in its dims' order)."""
    for shape in ((2, 3, 4, 5), (3, 1, 2, 3, 1), (2, 1, 3)):
        for perm in itertools.permutations(range(len(shape))):
            yield shape, perm, None
            yield shape, perm, len(shape) - 1 - perm[0]


@pytest.mark.parity
def test_to_keeps_dense_strides(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for shape, perm, sliced in _layouts():
        a = rng.standard_normal(shape).astype(np.float32)
        t = torch.tensor(a).permute(perm)
        c = clgrad.tensor(a, device=device).permute(perm)
        if sliced is not None:
            index = (slice(None),) * sliced + (slice(None, None, 2),)
            t, c = t[index], c[index]
        for target in sorted({"cpu", device}):
            for name in DTYPES:
                want = t.to(getattr(torch, name), copy=True)  # a copy, as a device move
                got = c.to(target, getattr(clgrad, name), copy=True)
                assert got.stride() == want.stride(), (shape, perm, sliced, target, name)
                np.testing.assert_array_equal(to_numpy(got), want.numpy())


def test_shorthands_keep_channels_last(device):
    for fmt, shape in ((clgrad.channels_last, (2, 3, 4, 5)),
                       (clgrad.channels_last_3d, (2, 3, 2, 4, 5))):
        x = clgrad.randn(*shape, device=device).contiguous(memory_format=fmt)
        for y in (x.half(), x.double(), x.float(), x.to(clgrad.int64), x.cpu(), x.to(device)):
            assert y.is_contiguous(memory_format=fmt) and not y.is_contiguous()
            got = to_numpy(y)
            np.testing.assert_array_equal(got, to_numpy(x).astype(got.dtype))


def test_to_gradient_reaches_a_channels_last_input(device):
    x = clgrad.randn(2, 3, 4, 5, device=device).contiguous(
        memory_format=clgrad.channels_last).requires_grad_()
    y = x.double()
    assert y.is_contiguous(memory_format=clgrad.channels_last)
    (y * y).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), 2 * to_numpy(x), rtol=1e-6)


@pytest.mark.parity
def test_is_contiguous_of_any_layout_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    formats = (None, "contiguous_format", "preserve_format", "channels_last",
               "channels_last_3d")
    empty_seen = 0
    for _ in range(2000):
        nd = int(rng.integers(1, 6))
        shape = tuple(int(s) for s in rng.choice([0, 1, 2, 3], nd))
        stride = tuple(int(s) for s in rng.choice([0, 1, 2, 3, 6, 12], nd))
        empty_seen += 0 in shape
        t = torch.empty_strided(shape, stride)
        c = clgrad.empty(400).as_strided(shape, stride)
        for fmt in formats:
            if fmt is None:
                assert c.is_contiguous() == t.is_contiguous(), (shape, stride)
                continue
            want = t.is_contiguous(memory_format=getattr(torch, fmt))
            assert c.is_contiguous(memory_format=getattr(clgrad, fmt)) == want, (
                shape, stride, fmt)
    assert empty_seen > 500


def test_empty_tensors_are_contiguous(device):
    for shape, stride in (((0, 3), (1, 7)), ((2, 0, 3), (5, 100, 1)), ((0,), (0,))):
        t = clgrad.empty(1, device=device).as_strided(shape, stride)
        assert t.is_contiguous()
        assert t.is_contiguous(memory_format=clgrad.preserve_format)
        assert t.view(-1).shape == (0,)
