"""Every index form PyTorch accepts (ranges, numpy arrays and scalars, lists of bools, nested
lists, index tensors of each integer dtype and bool, mixed with slices, None and Ellipsis), for
reads, writes and index_put_, compared with PyTorch and numpy."""
import warnings

import clgrad
import numpy as np
import pytest


def _t(m, values, dtype=None):
    return m.tensor(values) if dtype is None else m.tensor(values, dtype=getattr(m, dtype))


# name -> key builder over a module (torch or clgrad); each key valid for shape (3, 4, 5).
KEYS = {
    "range": lambda m: range(2),
    "range_step": lambda m: (slice(None), range(1, 4, 2)),
    "empty_range": lambda m: range(0),
    "np_int_array": lambda m: np.array([0, 2]),
    "np_int32_array_2d": lambda m: (np.array([[0], [2]], np.int32), np.array([1, 3])),
    "np_int_scalar": lambda m: np.int64(1),
    "np_scalars_mixed": lambda m: (np.int32(2), slice(None), np.int16(-1)),
    "np_0d_array": lambda m: np.array(1),
    "np_bool_array": lambda m: np.array([True, False, True]),
    "np_bool_array_2d": lambda m: np.array([[True, False, True, True]] * 3),
    "np_uint8_array": lambda m: np.array([1, 0, 1], np.uint8),
    "py_true": lambda m: True,
    "py_false": lambda m: False,
    "list_of_bools": lambda m: [True, False, True],
    "bools_second_dim": lambda m: (slice(None), [True, False, True, False]),
    "nested_list": lambda m: [[0, 1], [2, 0]],
    "nested_lists_split": lambda m: ([[0, 1], [2, 0]], slice(None), [[1], [3]]),
    "ellipsis_list": lambda m: (Ellipsis, [0, 4]),
    "none_list_slice": lambda m: (None, [0, 1], None, slice(1, 3)),
    "int32_tensors": lambda m: (_t(m, [0, 2], "int32"), _t(m, [1, 3], "int32")),
    "int64_tensor": lambda m: _t(m, [2, 0, 2], "int64"),
    "bool_tensor": lambda m: _t(m, [True, False, True]),
    "bool_tensor_2d": lambda m: _t(m, [[True, False, False, True]] * 3),
    "zero_dim_int_tensor": lambda m: _t(m, 1),
    "zero_dim_bool_tensor": lambda m: _t(m, True),
    "tuple_in_list": lambda m: [(0, 1)],
    "negative": lambda m: [-1, -3],
    "list_of_tensors": lambda m: [_t(m, 0), _t(m, 2)],
    "list_and_slice": lambda m: ([0, 2], slice(None, None, 2)),
    "split_advanced": lambda m: ([0, 1], slice(None), [1, 2]),
    "ellipsis_bool": lambda m: (Ellipsis, _t(m, [True, False, True, False, True])),
}

# numpy agrees with PyTorch on these (ranges and 0-dim tensors aside).
NUMPY_KEYS = ["np_int_array", "np_int32_array_2d", "np_bool_array", "list_of_bools",
              "nested_lists_split", "ellipsis_list", "negative", "split_advanced",
              "list_and_slice", "bools_second_dim"]

BASE = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


def _on(key, device):
    if isinstance(key, clgrad.Tensor):
        return key.to(device)
    if isinstance(key, (tuple, list)):
        return type(key)(_on(k, device) for k in key)
    return key


def _torch_get(torch, key):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.from_numpy(BASE.copy())[KEYS[key](torch)]


@pytest.mark.parity
@pytest.mark.parametrize("key", sorted(KEYS))
def test_read_matches_torch(device, key):
    torch = pytest.importorskip("torch")
    want = _torch_get(torch, key)
    x = clgrad.tensor(BASE, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = x[_on(KEYS[key](clgrad), device)]
    assert tuple(got.shape) == tuple(want.shape)
    assert got.dtype is clgrad.float32
    np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())


@pytest.mark.parametrize("key", NUMPY_KEYS)
def test_read_matches_numpy(device, key):
    x = clgrad.tensor(BASE, device=device)
    got = x[_on(KEYS[key](clgrad), device)]
    np.testing.assert_array_equal(got.cpu().numpy(), BASE[KEYS[key](np)])


@pytest.mark.parity
@pytest.mark.parametrize("key", sorted(KEYS))
@pytest.mark.parametrize("value", ["scalar", "broadcast", "full"])
def test_write_matches_torch(device, key, value):
    torch = pytest.importorskip("torch")
    shape = tuple(_torch_get(torch, key).shape)
    values = {"scalar": -1.5,
              "broadcast": np.arange(shape[-1], dtype=np.float32) + 100 if shape else -2.0,
              "full": np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) + 100}
    v = values[value]
    want = torch.from_numpy(BASE.copy())
    x = clgrad.tensor(BASE, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want[KEYS[key](torch)] = torch.tensor(v) if isinstance(v, np.ndarray) else v
        except RuntimeError:
            pytest.skip("PyTorch itself refuses this write (a uint8 mask filled by a number)")
        x[_on(KEYS[key](clgrad), device)] = (clgrad.tensor(v, device=device)
                                             if isinstance(v, np.ndarray) else v)
    np.testing.assert_array_equal(x.cpu().numpy(), want.numpy())


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_torch(device, dtype, accumulate):
    torch = pytest.importorskip("torch")
    idx = [2, 0, 2] if dtype != "bool" else [True, False, True]
    n = 3 if dtype != "bool" else 2
    vals = np.arange(n * 4 * 5, dtype=np.float32).reshape(n, 4, 5)
    want = torch.from_numpy(BASE.copy()).index_put_(
        (_t(torch, idx, dtype),), torch.from_numpy(vals), accumulate=accumulate)
    got = clgrad.tensor(BASE, device=device).index_put_(
        (_t(clgrad, idx, dtype).to(device),), clgrad.tensor(vals, device=device),
        accumulate=accumulate)
    np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())
    # two index tensors of different integer dtypes and a broadcast 0-dim value
    i0 = _t(clgrad, [0, 0, 1], "int32").to(device)
    i1 = _t(clgrad, [3, 3, 1]).to(device)
    got = clgrad.zeros(3, 4, device=device).index_put_((i0, i1), clgrad.tensor(1.0,
                                                       device=device), accumulate=accumulate)
    expected = np.zeros((3, 4), np.float32)
    expected[0, 3] = 2.0 if accumulate else 1.0
    expected[1, 1] = 1.0
    np.testing.assert_array_equal(got.cpu().numpy(), expected)


def test_uint8_index_is_a_deprecated_mask(device):
    x = clgrad.tensor(BASE, device=device)
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        got = x[clgrad.tensor([1, 0, 1], dtype=clgrad.uint8, device=device)]
    np.testing.assert_array_equal(got.cpu().numpy(), BASE[[0, 2]])


@pytest.mark.parametrize("dtype", ["int8", "int16", "float32"])
def test_other_index_dtypes_raise(device, dtype):
    x = clgrad.tensor(BASE, device=device)
    idx = clgrad.tensor([1, 0], dtype=getattr(clgrad, dtype), device=device)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        x[idx]
    with pytest.raises(IndexError):
        x.index_put_((idx,), clgrad.tensor(1.0, device=device))


@pytest.mark.parametrize("item,name", [(np.bool_(True), "numpy.bool"), (1.0, "float"),
                                       (np.float64(1.0), "numpy.float64")])
def test_scalar_keys_torch_refuses(item, name):
    with pytest.raises(IndexError, match=f"valid indices \\(got {name}\\)"):
        clgrad.zeros(3)[item]


@pytest.mark.parametrize("key,message", [
    (5, "index 5 is out of bounds for dimension 0 with size 3"),
    ([5], "index 5 is out of bounds for dimension 0 with size 3"),
    ((slice(None), [0, 9]), "index 9 is out of bounds for dimension 0 with size 4"),
    (np.array([0, -4]), "index -4 is out of bounds for dimension 0 with size 3"),
    ([True, False], "The shape of the mask [2] at index 0 does not match"),
])
def test_errors(device, key, message):
    x = clgrad.tensor(BASE, device=device)
    import re
    with pytest.raises(IndexError, match=re.escape(message)):
        x[key].tolist()  # cl raises at the read (a device-side check)


def test_autograd_through_forms(device):
    # (key, the same key as numpy reads it): a short list of lists is a tuple in PyTorch.
    for key, np_key in ((range(2), [0, 1]), (np.array([2, 0, 2]), None),
                        ([True, False, True], None), ([[0, 1], [2, 2]], ([0, 1], [2, 2])),
                        ((Ellipsis, np.array([1, 1])), None)):
        x = clgrad.tensor(BASE, device=device, requires_grad=True)
        x[key].sum().backward()
        expected = np.zeros_like(BASE)
        np.add.at(expected, key if np_key is None else np_key, 1.0)
        np.testing.assert_array_equal(x.grad.cpu().numpy(), expected)


def test_autograd_write(device):
    x = clgrad.tensor(BASE[0], device=device, requires_grad=True)
    v = clgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 1
    y[np.array([0, 2]), range(2)] = v
    (y * clgrad.arange(20.0, device=device).reshape(4, 5)).sum().backward()
    want = np.arange(20.0, dtype=np.float32).reshape(4, 5)
    assert v.grad.tolist() == [0.0, 11.0]
    want[[0, 2], [0, 1]] = 0
    np.testing.assert_array_equal(x.grad.cpu().numpy(), want)
    assert clgrad.autograd.gradcheck(
        lambda a: a[[True, False, True]][:, np.array([0, 0])],
        (clgrad.randn(3, 2, dtype=clgrad.float64, requires_grad=True),))
