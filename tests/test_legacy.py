"""Legacy forms and device-selection APIs ported programs use (API.md §10, issue 9 items 2, 3,
10): Tensor(...)/FloatTensor(...), Tensor.type(name), autograd.Variable, accelerator,
backends flags, onnx, constants."""
import math
import re

import numpy as np
import pytest

import clgrad


def test_tensor_legacy_constructor():
    t = clgrad.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype is clgrad.float32 and t.device.type == "cpu"
    assert clgrad.Tensor().shape == (0,)
    d = clgrad.Tensor([[1, 2], [3, 4]])
    assert d.dtype is clgrad.float32 and d.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(d, clgrad.Tensor)
    with pytest.raises(TypeError, match=re.escape("data must be a sequence (got float)")):
        clgrad.Tensor(2.5)
    with pytest.raises(TypeError, match="invalid data type 'str'"):
        clgrad.Tensor("a")


def test_tensor_constructor_follows_default_dtype():
    old = clgrad.get_default_dtype()
    clgrad.set_default_dtype(clgrad.float64)
    try:
        assert clgrad.Tensor([1.0]).dtype is clgrad.float64
    finally:
        clgrad.set_default_dtype(old)


@pytest.mark.parametrize("name,dtype", [
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"),
    ("LongTensor", "int64"), ("IntTensor", "int32"), ("ShortTensor", "int16"),
    ("CharTensor", "int8"), ("ByteTensor", "uint8"), ("BoolTensor", "bool")])
def test_typed_constructors(name, dtype):
    cls = getattr(clgrad, name)
    assert cls.dtype is getattr(clgrad, dtype)
    t = cls([1, 0, 1])
    assert t.dtype is cls.dtype and t.device.type == "cpu"
    assert cls(2, 2).shape == (2, 2)
    assert isinstance(t, cls)
    assert t.type() == f"clgrad.{name}"
    other = clgrad.FloatTensor if name != "FloatTensor" else clgrad.DoubleTensor
    assert not isinstance(t, other)


def test_long_tensor_truncates_floats():
    assert clgrad.LongTensor([1.7, -2.5]).tolist() == [1, -2]


def test_cl_typed_constructors(cl_device):
    t = clgrad.cl.FloatTensor([1.0, 2.0])
    assert t.is_cl and t.dtype is clgrad.float32
    assert isinstance(t, clgrad.cl.FloatTensor) and not isinstance(t, clgrad.FloatTensor)
    assert clgrad.cl.LongTensor(3).dtype is clgrad.int64
    assert t.type() == "clgrad.cl.FloatTensor"
    with pytest.raises(RuntimeError, match="legacy constructor expects device type: cpu"):
        clgrad.FloatTensor(2, device=cl_device)
    on_cl = clgrad.Tensor([1, 2], device=cl_device)
    assert on_cl.device == clgrad.device(cl_device) and on_cl.dtype is clgrad.float32


def test_tensor_type_conversions(device):
    x = clgrad.ones(2, device=device)
    assert x.type() == ("clgrad.FloatTensor" if device == "cpu" else "clgrad.cl.FloatTensor")
    for name in ("torch.DoubleTensor", "clgrad.DoubleTensor"):
        y = x.type(name)
        assert y.dtype is clgrad.float64 and y.device.type == "cpu"
    assert x.type(clgrad.int32).dtype is clgrad.int32
    assert x.type(clgrad.LongTensor).type() == "clgrad.LongTensor"
    with pytest.raises(ValueError, match="invalid type: 'foo'"):
        x.type("foo")
    if device != "cpu":
        for name in ("torch.cuda.LongTensor", "clgrad.cl.LongTensor"):
            y = x.cpu().type(name)
            assert y.is_cl and y.dtype is clgrad.int64


def test_variable_returns_a_tensor(device):
    x = clgrad.ones(3, device=device)
    v = clgrad.autograd.Variable(x, requires_grad=True)
    assert type(v) is clgrad.Tensor and v.requires_grad and v.is_leaf
    (v * 2).sum().backward()
    assert v.grad.tolist() == [2.0, 2.0, 2.0]
    assert isinstance(x, clgrad.autograd.Variable)
    assert not clgrad.autograd.Variable(x).requires_grad


def test_device_flags(device):
    x = clgrad.zeros(1, device=device)
    assert x.is_cuda == x.is_cl == (device != "cpu")
    assert not (x.is_xpu or x.is_mps or x.is_meta)
    assert clgrad.device("cuda:0") == clgrad.device("cl:0")


def test_accelerator():
    acc = clgrad.accelerator
    if clgrad.cl.is_available():
        assert acc.is_available() and acc.current_accelerator() == clgrad.device("cl")
        assert acc.device_count() == clgrad.cl.device_count()
        assert acc.current_device_index() == clgrad.cl.current_device()
        acc.set_device_index(0)
        acc.synchronize()
        x = clgrad.ones(2, device=acc.current_accelerator())
        assert x.is_cl
    else:
        assert not acc.is_available() and acc.current_accelerator() is None
        with pytest.raises(RuntimeError, match="none is available"):
            acc.current_device_index()


def test_backend_flags_are_honest():
    cudnn = clgrad.backends.cudnn
    assert cudnn.is_available() is False and cudnn.version() is None
    assert cudnn.enabled is True and cudnn.benchmark is False and cudnn.deterministic is False
    cudnn.benchmark = True  # ported programs set it; nothing changes
    cudnn.benchmark = False
    assert clgrad.backends.mps.is_available() is False and clgrad.backends.mps.is_built() is False
    assert clgrad.backends.opencl.is_available() == clgrad.cl.is_available()


def test_cuda_is_cl():
    import clgrad.cuda as cuda
    assert cuda is clgrad.cl and clgrad.cuda is clgrad.cl
    assert clgrad.cuda.is_available() == clgrad.cl.is_available()


def test_onnx():
    assert clgrad.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match=re.escape("state_dict()")):
        clgrad.onnx.export(clgrad.nn.Linear(2, 2), (clgrad.ones(1, 2),), "m.onnx")


def test_constants():
    assert clgrad.pi == math.pi and clgrad.e == math.e and clgrad.inf == math.inf
    assert math.isnan(clgrad.nan)
    assert clgrad.newaxis is None


@pytest.mark.parity
def test_type_names_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "BoolTensor", "ByteTensor"):
        t = getattr(torch, name)([1, 0])
        c = getattr(clgrad, name)([1, 0])
        assert t.type().replace("torch.", "clgrad.") == c.type()
        assert np.array_equal(t.numpy(), c.numpy())
    assert torch.Tensor(2, 3).shape == tuple(clgrad.Tensor(2, 3).shape)


def test_legacy_tensor_methods_resize_pin_apply_map(device):
    t = clgrad.ones(2, 3, device=device)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        r = t.resize(3, 2)
    assert r.shape == (3, 2) and r.device == t.device
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="can only change the shape"):
        t.resize(4)
    assert not t.is_pinned()
    if device == "cpu":
        assert t.pin_memory() is t
        t.apply_(lambda v: v * 2)
        t.map_(clgrad.tensor([1.0, 2.0, 3.0]), lambda a, b: a + b)
        assert t.tolist() == [[3.0, 4.0, 5.0]] * 2
    else:
        with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
            t.pin_memory()
        with pytest.raises(TypeError, match="only implemented on CPU"):
            t.apply_(lambda v: v)
