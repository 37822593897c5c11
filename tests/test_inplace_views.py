"""In-place view ops (unsqueeze_, squeeze_, transpose_/swapdims_/swapaxes_, t_) and the
legacy Tensor.new, as ported programs call them (``img.unsqueeze_(0)``, ``x.data.new(size)``)."""
import numpy as np
import pytest

import clgrad

from helpers import leaf, to_numpy

CASES = [  # (method, args, input shape)
    ("unsqueeze_", (0,), (2, 3)), ("unsqueeze_", (-1,), (2, 3)), ("unsqueeze_", (0,), ()),
    ("squeeze_", (), (1, 2, 1, 3)), ("squeeze_", (2,), (1, 2, 1, 3)),
    ("squeeze_", ((0, 2),), (1, 2, 1, 3)), ("squeeze_", (1,), (1, 2, 1, 3)),
    ("transpose_", (0, 2), (2, 3, 4)), ("swapdims_", (-1, 0), (2, 3, 4)),
    ("swapaxes_", (1, 1), (2, 3)), ("t_", (), (2, 3)), ("t_", (), (4,)),
]


@pytest.mark.parametrize("name,args,shape", CASES)
def test_inplace_view_makes_the_tensor_its_view(device, name, args, shape):
    arr = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = clgrad.tensor(arr, device=device)
    storage = x._storage
    version = x._version[0]
    want = getattr(x, name.rstrip("_"))(*args)
    out = getattr(x, name)(*args)
    assert out is x
    assert x.shape == want.shape and x.stride() == want.stride()
    np.testing.assert_array_equal(to_numpy(x), to_numpy(want))
    assert x._version[0] == version + 1 and x._storage is storage
    x.add_(1)  # still the same memory as the tensor it views
    np.testing.assert_array_equal(to_numpy(want), to_numpy(x))


def test_inplace_view_on_a_view_keeps_the_base(device):
    base = clgrad.zeros(2, 3, device=device)
    v = base[0]
    v.unsqueeze_(0)
    assert v.shape == (1, 3) and v._base is base
    v.fill_(5.0)
    np.testing.assert_array_equal(to_numpy(base), [[5, 5, 5], [0, 0, 0]])


def test_gradients_flow_through_inplace_views(device):
    a = leaf(np.arange(6.0).reshape(2, 3), device)
    b = a * 2
    b.unsqueeze_(0).transpose_(1, 2)
    assert b.shape == (1, 3, 2) and b.requires_grad
    w = clgrad.arange(6.0, dtype=clgrad.float64, device=device).reshape(1, 3, 2)
    (b * w).sum().backward()
    # d/da of sum(2 a^T w): 2 w^T
    np.testing.assert_allclose(to_numpy(a.grad), 2 * np.arange(6.0).reshape(3, 2).T)


def test_errors_as_pytorch(device):
    a = clgrad.ones(2, 3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        a.unsqueeze_(0)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-3, 2\], but got 5"):
        clgrad.ones(2, 3, device=device).unsqueeze_(5)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, "
                                           "but self is 3D"):
        clgrad.ones(2, 3, 4, device=device).t_()


def test_matches_torch():
    torch = pytest.importorskip("torch")
    for name, args, shape in CASES:
        t = torch.arange(int(np.prod(shape)), dtype=torch.float32).reshape(shape)
        c = clgrad.arange(int(np.prod(shape)), dtype=clgrad.float32).reshape(shape)
        getattr(t, name)(*args)
        getattr(c, name)(*args)
        assert tuple(c.shape) == tuple(t.shape) and c.stride() == t.stride(), name


def test_legacy_new(device):
    x = clgrad.ones(2, dtype=clgrad.float64, device=device)
    e = x.new(2, 3)
    assert e.shape == (2, 3) and e.dtype == clgrad.float64 and e.device == x.device
    assert x.new().shape == (0,)
    assert x.new(clgrad.Size([4])).shape == (4,)
    d = x.new([1, 2])
    assert d.dtype == clgrad.float64 and d.device == x.device
    np.testing.assert_array_equal(to_numpy(d), [1.0, 2.0])
    np.testing.assert_array_equal(to_numpy(x.new((2, 3))), [2.0, 3.0])  # a tuple is data
    # the pattern programs use: x.data.new(x.size()).normal_(mean, std)
    n = x.data.new(x.size()).normal_(0, 1)
    assert n.shape == x.shape and n.dtype == x.dtype
    with pytest.raises(TypeError, match="new\\(\\)"):
        x.new([1, 2], dtype=clgrad.float32)
    with pytest.raises(TypeError, match="expected"):
        x.new(clgrad.tensor([1, 2], device=device))


def test_legacy_new_matches_torch():
    torch = pytest.importorskip("torch")
    for args in [(2, 3), (), ([1, 2],), ((2, 3),), (torch.Size([4]),)]:
        t = torch.ones(2, dtype=torch.float64).new(*args)
        cargs = tuple(clgrad.Size(a) if isinstance(a, torch.Size) else a for a in args)
        c = clgrad.ones(2, dtype=clgrad.float64).new(*cargs)
        assert tuple(c.shape) == tuple(t.shape) and str(c.dtype)[7:] == str(t.dtype)[6:]
        if args and not isinstance(args[0], int) and not isinstance(args[0], torch.Size):
            np.testing.assert_array_equal(c.numpy(), t.numpy())
