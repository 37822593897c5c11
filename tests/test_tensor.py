"""Tensor basics (API §1): creation, attributes, host reads, movement, numpy interop, memory."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad

ALL_DTYPES = [clgrad.bool, clgrad.uint8, clgrad.int8, clgrad.int16, clgrad.int32,
              clgrad.int64, clgrad.float16, clgrad.float32, clgrad.float64]


def test_tensor_infers_dtype_like_torch(device):
    assert clgrad.tensor([1, 2], device=device).dtype is clgrad.int64
    assert clgrad.tensor([1.0, 2], device=device).dtype is clgrad.float32
    assert clgrad.tensor([True, False], device=device).dtype is clgrad.bool
    assert clgrad.tensor(np.arange(3, dtype=np.int16), device=device).dtype is clgrad.int16
    assert clgrad.tensor(np.float64(2.5), device=device).dtype is clgrad.float64
    assert clgrad.tensor(3.5, device=device).shape == ()
    with pytest.raises(TypeError):
        clgrad.tensor(np.array([1 + 2j]))
    with pytest.raises(TypeError):
        clgrad.from_numpy(np.array([1], dtype=np.uint16))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_round_trip_every_dtype(device, dtype):
    values = np.array([[0, 1, 2], [3, 0, 1]]).astype(dtype.np)
    t = clgrad.tensor(values, device=device)
    assert t.dtype is dtype
    assert t.device == clgrad.device(device)
    np.testing.assert_array_equal(t.cpu().numpy(), values)
    assert t.tolist() == values.tolist()


def test_attributes(device):
    t = clgrad.zeros(2, 3, 4, device=device)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, clgrad.Size)
    assert repr(t.shape) == "clgrad.Size([2, 3, 4])"
    assert t.size() == (2, 3, 4) and t.size(-1) == 4 and t.size(1) == 3
    assert t.dim() == 3 and t.ndim == 3 and t.numel() == 24 and len(t) == 2
    assert t.stride() == (12, 4, 1) and t.stride(0) == 12
    assert t.storage_offset() == 0 and t.is_contiguous()
    assert t.element_size() == 4 and t.nbytes == 96 and t.itemsize == 4
    assert t.is_leaf and not t.requires_grad and t.grad is None and t.grad_fn is None
    assert t.is_floating_point() and t.dtype.is_floating_point
    assert t.is_cl == device.startswith("cl") and t.is_cpu == (device == "cpu")
    with pytest.raises(IndexError):
        t.size(3)
    with pytest.raises(TypeError):
        len(clgrad.tensor(1.0, device=device))


def test_scalar_conversions(device):
    t = clgrad.tensor([2.5], device=device)
    assert t.item() == 2.5 and float(t) == 2.5 and int(t) == 2 and bool(t)
    i = clgrad.tensor(7, device=device)
    assert [10, 20, 30, 40, 50, 60, 70, 80][i] == 80  # __index__
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        clgrad.ones(2, device=device).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(clgrad.ones(2, device=device))
    with pytest.raises(TypeError):
        [1, 2][clgrad.tensor(1.0)]


def test_empty_and_fill_creation(device):
    assert clgrad.empty(2, 3, device=device).shape == (2, 3)
    np.testing.assert_array_equal(clgrad.zeros((2, 2), device=device).cpu().numpy(), 0)
    np.testing.assert_array_equal(clgrad.ones([3], dtype=clgrad.int8, device=device).tolist(),
                                  [1, 1, 1])
    full = clgrad.full((2,), 7, device=device)
    assert full.dtype is clgrad.int64 and full.tolist() == [7, 7]
    assert clgrad.full((1,), 1.5, device=device).dtype is clgrad.float32
    assert clgrad.full((1,), True, device=device).dtype is clgrad.bool
    base = clgrad.ones(2, 2, dtype=clgrad.int32, device=device)
    assert clgrad.zeros_like(base).dtype is clgrad.int32
    assert clgrad.full_like(base, 3).tolist() == [[3, 3], [3, 3]]
    assert base.new_ones(3).dtype is clgrad.int32 and base.new_zeros(1, 2).shape == (1, 2)
    assert base.new_full((2,), 5).tolist() == [5, 5]
    assert base.new_tensor([1.5]).dtype is clgrad.int32
    assert base.new_empty(4).device == base.device
    with pytest.raises(RuntimeError, match="negative dimension"):
        clgrad.zeros(-1, device=device)
    with pytest.raises(TypeError):
        clgrad.zeros(2.5, device=device)
    t = clgrad.zeros(3, device=device, requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_requires_grad_only_on_floats(device):
    with pytest.raises(RuntimeError, match="floating point"):
        clgrad.zeros(2, dtype=clgrad.int64, device=device, requires_grad=True)


def test_numpy_shares_memory_on_cpu():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = clgrad.from_numpy(array)
    array[0, 0] = 100
    assert t[0, 0].item() == 100 if hasattr(clgrad.Tensor, "__getitem__") else True
    t.add_(1)
    assert array[0, 0] == 101 and array[1, 2] == 6
    back = t.numpy()
    back[1, 1] = -1
    assert array[1, 1] == -1
    assert np.shares_memory(back, array)


def test_from_numpy_strided_and_rejected_layouts():
    base = np.arange(12, dtype=np.int32).reshape(3, 4)
    t = clgrad.from_numpy(base[:, 1::2])
    assert t.shape == (3, 2) and t.stride() == (4, 2)
    assert t.tolist() == base[:, 1::2].tolist()
    assert (t * 1).tolist() == base[:, 1::2].tolist()
    with pytest.raises(ValueError, match="negative"):
        clgrad.from_numpy(base[::-1])
    with pytest.raises(TypeError):
        clgrad.from_numpy([1, 2])


def test_numpy_on_cl_raises_like_cuda(cl_device):
    t = clgrad.ones(2, device=cl_device)
    with pytest.raises(TypeError, match="can't convert cl:0 device type tensor to numpy"):
        t.numpy()
    assert np.asarray(t).tolist() == [1.0, 1.0]  # __array__ copies to the host
    with pytest.raises(RuntimeError, match="requires grad"):
        clgrad.ones(2, requires_grad=True).numpy()


def test_to_moves_devices_and_dtypes(cl_device):
    cpu = clgrad.tensor([[1.5, -2.0], [3.0, 4.25]])
    cl = cpu.to(cl_device)
    assert cl.device == clgrad.device(cl_device) and cl.dtype is clgrad.float32
    assert cl.tolist() == cpu.tolist()
    assert cpu.to("cpu") is cpu and cl.to(cl_device) is cl
    assert cpu.to("cpu", copy=True) is not cpu
    as_int = cl.to(clgrad.int32)
    assert as_int.device == cl.device and as_int.tolist() == [[1, -2], [3, 4]]
    assert cl.to("cpu", clgrad.float64).dtype is clgrad.float64
    assert cl.cl() is cl and cpu.cl().device == clgrad.device("cl:0")
    assert cpu.cuda().device.type == "cl"  # ported CUDA code keeps working
    other = clgrad.zeros(1, dtype=clgrad.float16, device=cl_device)
    moved = cpu.to(other)
    assert moved.device == other.device and moved.dtype is clgrad.float16
    assert cpu.type_as(other).dtype is clgrad.float16
    assert cl.t().cpu().tolist() == [[1.5, 3.0], [-2.0, 4.25]]  # non-contiguous read


def test_conversion_methods(device):
    t = clgrad.tensor([1.7, -2.2, 0.0], device=device)
    assert t.int().tolist() == [1, -2, 0] and t.int().dtype is clgrad.int32
    assert t.long().dtype is clgrad.int64 and t.double().dtype is clgrad.float64
    assert t.bool().tolist() == [True, True, False]
    assert t.half().dtype is clgrad.float16
    np.testing.assert_allclose(t.half().float().tolist(), [1.7, -2.2, 0.0], rtol=1e-3)
    assert t.byte().dtype is clgrad.uint8 and t.short().dtype is clgrad.int16
    assert t.float() is t


def test_clone_contiguous_copy_detach(device):
    t = clgrad.tensor([[1, 2], [3, 4]], device=device)
    c = t.clone()
    c.fill_(0)
    assert t.tolist() == [[1, 2], [3, 4]]
    tt = t.t()
    assert not tt.is_contiguous()
    cont = tt.contiguous()
    assert cont.is_contiguous() and cont.tolist() == [[1, 3], [2, 4]]
    assert t.contiguous() is t
    dst = clgrad.zeros(2, 2, dtype=clgrad.float32, device=device)
    dst.copy_(tt)
    assert dst.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    dst.copy_(clgrad.tensor([5, 6]))  # broadcast, across devices and dtypes
    assert dst.tolist() == [[5.0, 6.0], [5.0, 6.0]]
    d = t.detach()
    assert d._storage is t._storage


def test_inplace_bumps_version_shared_by_views(device):
    t = clgrad.zeros(4, device=device)
    v = t.view(2, 2)
    before = t._version_count
    t.add_(1)
    assert t._version_count == before + 1 == v._version_count
    v.mul_(3)
    assert t.tolist() == [3.0] * 4 and t._version_count == before + 2


def test_inplace_rules(device):
    t = clgrad.zeros(2, 3, dtype=clgrad.int64, device=device)
    with pytest.raises(RuntimeError, match="can't be cast"):
        t.add_(1.5)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        clgrad.zeros(3, device=device).add_(clgrad.ones(2, 3, device=device))


def test_device_mismatch_names_both(cl_device):
    with pytest.raises(RuntimeError, match="cpu") as info:
        clgrad.ones(2) + clgrad.ones(2, device=cl_device)
    assert cl_device in str(info.value)
    # a 0-dim cpu tensor is accepted beside cl tensors, as in PyTorch
    out = clgrad.ones(2, device=cl_device) + clgrad.tensor(2.0)
    assert out.device == clgrad.device(cl_device) and out.tolist() == [3.0, 3.0]


def test_shape_mismatch_error(device):
    with pytest.raises(RuntimeError, match="must match the size"):
        clgrad.ones(2, 3, device=device) + clgrad.ones(4, device=device)


def test_float16_storage(device):
    t = clgrad.tensor([1.0, 2.0, 65504.0], dtype=clgrad.float16, device=device)
    assert (t / 2).dtype is clgrad.float16
    np.testing.assert_array_equal((t / 2).cpu().numpy(),
                                  np.array([0.5, 1.0, 32752.0], np.float16))


def test_memory_accounting(cl_device):
    before = clgrad.cl.memory_allocated(cl_device)
    t = clgrad.empty(1024, 256, device=cl_device)
    assert clgrad.cl.memory_allocated(cl_device) == before + 1024 * 256 * 4
    assert clgrad.cl.max_memory_allocated(cl_device) >= before + t.nbytes
    assert clgrad.cl.memory_reserved(cl_device) >= t.nbytes
    del t
    assert clgrad.cl.memory_allocated(cl_device) == before
    clgrad.cl.empty_cache()


def test_out_of_memory_error(cl_device, monkeypatch):
    import pyopencl as cl
    from clgrad.backends.cl.runtime import runtime
    rt = runtime(clgrad.device(cl_device).index)
    freed = []

    class FullPool:
        def allocate(self, nbytes):
            raise cl.MemoryError("clCreateBuffer", cl.status_code.MEM_OBJECT_ALLOCATION_FAILURE,
                                 "out of memory")

        def free_held(self):
            freed.append(True)

    monkeypatch.setattr(rt, "pool", FullPool())
    with pytest.raises(clgrad.OutOfMemoryError, match="out of memory"):
        clgrad.empty(10, device=cl_device)
    assert freed  # the pool's cached blocks were released before giving up
    assert issubclass(clgrad.OutOfMemoryError, RuntimeError)
