"""The layout of a pointwise op's new output follows PyTorch's TensorIterator: channels_last
in, channels_last out; a transposed operand's order carries through broadcasting; the first
operand decides when layouts disagree (issue 9, porting gaps)."""
from __future__ import annotations

import random

import numpy as np
import pytest

import clgrad

NCHW = (2, 3, 4, 5)
CL_STRIDES = (60, 1, 15, 3)  # channels_last strides of NCHW
C_STRIDES = (60, 20, 5, 1)


def _nchw(device, channels_last=True):
    x = clgrad.arange(120, dtype=clgrad.float32, device=device).reshape(*NCHW) - 60
    return x.contiguous(memory_format=clgrad.channels_last) if channels_last else x


@pytest.mark.parametrize("fn", [
    lambda x: x + 1, lambda x: 2 * x, lambda x: -x, lambda x: x.relu(), lambda x: x.exp(),
    lambda x: x > 0, lambda x: x.clamp(-3, 3), lambda x: x * x, lambda x: x + x.sigmoid(),
    lambda x: x + clgrad.ones(1, 3, 1, 1, device=x.device),   # a per-channel bias
    lambda x: clgrad.ones(1, 3, 1, 1, device=x.device) * x,   # the bias first: still x's
    lambda x: clgrad.where(x > 0, x, 0.0), lambda x: x * clgrad.arange(5, device=x.device),
], ids=["add_scalar", "mul_scalar", "neg", "relu", "exp", "gt", "clamp", "square",
        "add_sigmoid", "add_bias", "bias_mul", "where", "promoted"])
def test_channels_last_in_channels_last_out(fn, device):
    x = _nchw(device)
    y = fn(x)
    assert y.stride() == CL_STRIDES and y.is_contiguous(memory_format=clgrad.channels_last)
    expected = fn(_nchw(device, channels_last=False))
    assert expected.stride() == C_STRIDES  # contiguous inputs keep contiguous outputs
    np.testing.assert_array_equal(y.cpu().numpy(), expected.cpu().numpy())


def test_the_first_operand_decides_and_dense_strides_are_kept(device):
    x, c = _nchw(device), _nchw(device, channels_last=False)
    assert (x + c).stride() == CL_STRIDES and (c + x).stride() == C_STRIDES
    t = clgrad.ones(3, 4, device=device).t()
    assert (t + 1).stride() == (1, 4) and (t * t).stride() == (1, 4)
    assert (t + clgrad.ones(4, 1, device=device)).stride() == (1, 4)
    assert (clgrad.ones(4, 1, device=device) + t).stride() == (1, 4)
    p = clgrad.ones(2, 3, 4, device=device).permute(2, 0, 1)  # dense, neither C nor NHWC
    assert (p + p).stride() == p.stride() == (1, 12, 4)
    strided = clgrad.ones(4, 6, device=device)[:, ::2]  # not dense: a fresh C layout
    assert (strided + 1).stride() == (3, 1)
    assert (x[:, :, ::2] + 1).stride() == (30, 1, 15, 3)  # NHWC order, dense again


def test_out_and_inplace_keep_their_own_layout(device):
    x = _nchw(device)
    out = clgrad.empty(*NCHW, device=device)
    assert clgrad.add(x, 1, out=out) is out and out.stride() == C_STRIDES
    c = _nchw(device, channels_last=False)
    c.add_(x)
    assert c.stride() == C_STRIDES
    np.testing.assert_array_equal(c.cpu().numpy(), 2 * _nchw(device).cpu().numpy())


def test_gradients_flow_through_channels_last(device):
    x = _nchw(device).requires_grad_()
    y = (x * 3 + 1).relu()
    assert y.stride() == CL_STRIDES
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(),
                                  np.where(_nchw(device).cpu().numpy() * 3 + 1 > 0, 3.0, 0.0))


def _laid_out(lib, shape, perm, step):
    """A tensor of `shape` whose dims are laid out in order `perm`, sliced with `step`."""
    big = [size * s for size, s in zip(shape, step)]
    if not big:
        return lib.tensor(1.5)
    ordered = [big[d] for d in perm]
    base = lib.arange(int(np.prod(ordered)), dtype=lib.float32).reshape(ordered)
    t = base.permute(*[perm.index(d) for d in range(len(perm))])
    return t[tuple(slice(None, None, s) for s in step)]


def _signature(t) -> tuple:
    """Strides of the dims that have more than one element (a size-1 dim's stride is never
    multiplied by an index, and PyTorch itself leaves it to chance)."""
    return tuple(s for s, n in zip(t.stride(), t.shape) if n != 1)


def test_output_strides_match_torch_on_random_layouts():
    torch = pytest.importorskip("torch")
    rng = random.Random(9)
    checked = 0
    for trial in range(1500):
        ndim = rng.randint(0, 5)
        shape = [rng.choice([1, 2, 3, 4] if trial % 8 else [0, 1, 2, 3]) for _ in range(ndim)]
        operands = []
        for k in range(rng.randint(1, 2)):
            own = list(shape)
            if k and rng.random() < 0.5:  # broadcast: fewer leading dims, some of size 1
                own = [1 if rng.random() < 0.3 else n for n in own[rng.randint(0, ndim):]]
            perm = list(range(len(own)))
            if rng.random() < 0.7:
                rng.shuffle(perm)
            operands.append((own, perm, [rng.choice([1, 1, 2]) for _ in own]))
        rng.shuffle(operands)
        ours = [_laid_out(clgrad, *o) for o in operands]
        theirs = [_laid_out(torch, *o) for o in operands]
        for name in ("add", "mul", "scalar"):
            if name == "scalar":
                expected, got = theirs[0] * 2, ours[0] * 2
            elif len(ours) == 1:
                continue
            else:
                expected = getattr(torch, name)(*theirs)
                got = getattr(clgrad, name)(*ours)
            assert tuple(got.shape) == tuple(expected.shape)
            np.testing.assert_array_equal(got.numpy(), expected.numpy())
            assert _signature(got) == _signature(expected), (operands, name, got.stride(),
                                                             expected.stride())
            checked += 1
    assert checked > 1500
