"""The eager fast paths of pointwise ops (issue 11 item 3): run's inlined same-shape path and
the cpu backend's flat-storage path must give what the general path gives, whatever the
operands' offsets, ranks, dtypes and numbers; checked against numpy and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad

torch = pytest.importorskip("torch")


def _pair(lib, device=None):
    kw = {} if device is None else {"device": device}
    base = lib.arange(24, dtype=lib.float32, **kw).reshape(4, 6) / 4 - 2
    other = lib.arange(24, dtype=lib.float32, **kw).reshape(4, 6) % 5 + 1
    return base, other


# Each case builds operands from (base, other) of either library and applies an op.
CASES = {
    "whole 2-D": lambda a, b: a * b,
    "rows at an offset": lambda a, b: a[1:3] + b[2:4],
    "one row (1-D at an offset)": lambda a, b: a[2] - b[3],
    "0-dim": lambda a, b: a[1, 2] * b[0, 0],
    "int number": lambda a, b: a[1:] + 3,
    "float number first": lambda a, b: 2.5 * a[1:],
    "transposed (strided)": lambda a, b: a.t() + b.t(),
    "column (strided)": lambda a, b: a[:, 1] + b[:, 2],
    "broadcast": lambda a, b: a + b[0],
    "comparison (bool result)": lambda a, b: a[1:] < b[1:],
    "int tensors": lambda a, b: (a * 4).to(a.new_zeros(()).int().dtype) // 3,
    "float64 beside float32": lambda a, b: a.double() + b,
}


def _host(t):
    return t.cpu().numpy() if isinstance(t, clgrad.Tensor) else t.numpy()


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_paths_match_torch(device, case):
    a, b = _pair(clgrad, device)
    ta, tb = _pair(torch)
    ours, ref = CASES[case](a, b), CASES[case](ta, tb)
    assert str(ours.dtype).rsplit(".", 1)[-1] == str(ref.dtype).rsplit(".", 1)[-1]
    assert ours.shape == ref.shape and ours.stride() == ref.stride()
    np.testing.assert_allclose(_host(ours), ref.numpy(), rtol=1e-6)


def test_out_and_in_place_into_offset_views(device):
    a, b = _pair(clgrad, device)
    na, nb = _pair(np)
    out = clgrad.zeros(4, 6, device=device)
    clgrad.add(a[1], b[2], out=out[3])  # out at an offset inside its storage
    expected = np.zeros((4, 6), np.float32)
    expected[3] = na[1] + nb[2]
    np.testing.assert_array_equal(out.cpu().numpy(), expected)
    a[2:].mul_(b[:2])  # in place into rows at an offset, reading other rows
    na[2:] *= nb[:2]
    np.testing.assert_array_equal(a.cpu().numpy(), na)
    # overlapping rows of the same storage: PyTorch refuses (the result would depend on the
    # order the work-items run in), and so does clgrad, leaving a as it was
    ta = torch.from_numpy(na.copy())
    for lib, t in ((torch, ta), (clgrad, a)):
        with pytest.raises(RuntimeError, match="refer to a single memory location"):
            t[1:].add_(t[:-1])
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            lib.add(t[1:], 1, out=t[0].expand(3, 6))
    np.testing.assert_array_equal(a.cpu().numpy(), na)
    a[1:].add_(a[:-1].clone())
    ta[1:].add_(ta[:-1].clone())
    np.testing.assert_array_equal(a.cpu().numpy(), ta.numpy())


def test_bfloat16_keeps_its_rounding(device):
    x = clgrad.tensor([1.0, 1.0 / 3, 300.5], dtype=clgrad.bfloat16, device=device)
    y = clgrad.tensor([2.0 ** -9, 1.0, 0.25], dtype=clgrad.bfloat16, device=device)
    tx = torch.tensor([1.0, 1.0 / 3, 300.5], dtype=torch.bfloat16)
    ty = torch.tensor([2.0 ** -9, 1.0, 0.25], dtype=torch.bfloat16)
    np.testing.assert_array_equal((x + y).float().cpu().numpy(), (tx + ty).float().numpy())


def test_fast_path_records_autograd(device):
    a = clgrad.ones(3, device=device, requires_grad=True)
    b = clgrad.full((3,), 2.0, device=device)
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.cpu().numpy(), [2.0, 2.0, 2.0])
    with clgrad.no_grad():
        assert (a * b).grad_fn is None and not (a * b).requires_grad
