"""Index lists and numpy arrays become index tensors as PyTorch's indexing_tensor_from_data
makes them: bool and uint8 data are masks, anything else is int64 (floats truncated, numpy
arrays of any number dtype cast as numpy casts), with PyTorch's errors (issue 9, item 5)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import clgrad

X = np.arange(5.0)
Y = np.arange(25.0).reshape(5, 5)

# (id, tensor, key, expected values): what PyTorch 2.x returns for each.
READS = [
    ("float_list", X, [1.0, 2], [1.0, 2.0]),
    ("truncated", X, [1.5, -0.5], [1.0, 0.0]),
    ("negative_float", X, [-1.0], [4.0]),
    ("bool_and_float", X, [True, 1.0], [1.0, 1.0]),
    ("bool_and_int", X, [True, 2], [1.0, 2.0]),
    ("numpy_float64_scalars", X, [np.float64(1.0), 2], [1.0, 2.0]),
    ("nested_float_list", X, [[1.0, 2]], [1.0, 2.0]),
    ("float_list_then_int", Y, ([1.0, 2], 0), [5.0, 10.0]),
    ("slice_then_float_list", Y, (slice(None), [0.0, 3]), Y[:, [0, 3]].tolist()),
    ("two_float_lists", Y, ([1.0, 2], [0, 1.0]), [5.0, 11.0]),
    ("numpy_float_array", X, np.array([1.0, 2.0]), [1.0, 2.0]),
    ("numpy_float32_rows", Y, np.array([1.9, 2.0], np.float32), Y[[1, 2]].tolist()),
    ("numpy_float16", X, np.array([3, 4], np.float16), [3.0, 4.0]),
    ("numpy_int8", X, np.array([1, 2], np.int8), [1.0, 2.0]),
    ("numpy_int16", X, np.array([1, 2], np.int16), [1.0, 2.0]),
    ("numpy_uint16", X, np.array([1, 2], np.uint16), [1.0, 2.0]),
    ("numpy_uint32", Y, np.array([4, 0], np.uint32), Y[[4, 0]].tolist()),
    ("numpy_2d_float", Y, np.array([[1.0, 2.0]]), Y[[[1, 2]]].tolist()),
    ("numpy_0d_float", Y, np.array(2.0), Y[2].tolist()),
    ("numpy_0d_in_tuple", Y, (np.array(1.0),), Y[1].tolist()),
    ("numpy_floats_as_pair", Y, [np.array([1.5, 2.0]), np.array([0, 1])], [5.0, 11.0]),
    ("numpy_bool_mask", X, np.array([1, 0, 1, 0, 1], bool), [0.0, 2.0, 4.0]),
]


@pytest.mark.parametrize("name, base, key, expected", READS, ids=[r[0] for r in READS])
def test_reads(name, base, key, expected, device):
    t = clgrad.tensor(base, dtype=clgrad.float32, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "non-tuple sequence", as in PyTorch
        got = t[key]
    assert got.device == t.device and got.tolist() == expected


@pytest.mark.parametrize("name, base, key, expected", READS, ids=[r[0] for r in READS])
def test_reads_match_torch(name, base, key, expected):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert torch.tensor(base, dtype=torch.float32)[key].tolist() == expected


def test_writes_and_uint8_masks(device):
    z = clgrad.zeros(5, device=device)
    z[[1.0, 3]] = 2.0
    z[np.array([4.0])] = 7.0
    assert z.tolist() == [0.0, 2.0, 0.0, 2.0, 7.0]
    x = clgrad.tensor(X, dtype=clgrad.float32, device=device)
    with pytest.warns(UserWarning, match="indexing with dtype clgrad.uint8 is now deprecated"):
        assert x[np.array([1, 0, 1, 0, 1], np.uint8)].tolist() == [0.0, 2.0, 4.0]


ERRORS = [
    ("nan", [float("nan")], RuntimeError, "value cannot be converted to type int64 without "
                                          "overflow"),
    ("inf", [1.0, float("inf")], RuntimeError, "without overflow"),
    ("huge", [1e30], RuntimeError, "without overflow"),
    ("below_int64", [-2.0 ** 64], RuntimeError, "without overflow"),
    ("two_to_63", [2.0 ** 63], IndexError, "index -9223372036854775808 is out of bounds"),
    ("complex", [1 + 0j], TypeError, "'complex' object cannot be interpreted as an integer"),
    ("numpy_float32_scalar", [np.float32(1.5), 2], TypeError,
     "'numpy.float32' object cannot be interpreted as an integer"),
    ("numpy_float16_scalar", [np.float16(1.0), 1], TypeError, "'numpy.float16' object"),
    ("numpy_object_array", np.array([1, "a"], dtype=object), TypeError,
     "can't convert np.ndarray of type numpy.object_. The only supported types are: float64, "
     "float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, "
     "uint16, uint8, and bool."),
    ("numpy_str_array", np.array(["a"]), TypeError, "of type numpy.str_"),
    ("numpy_nan_array", np.array([1.0, np.nan]), IndexError,
     "index -9223372036854775808 is out of bounds for dimension 0 with size 5"),
    ("float_out_of_range", [5.0], IndexError, "index 5 is out of bounds for dimension 0"),
    ("float_scalar", 1.0, IndexError, r"only integers, slices \(`:`\), ellipsis \(`...`\), None "
                                      r"and long or byte Variables are valid indices \(got "
                                      r"float\)"),
    ("float_tensor", clgrad.tensor([1.0]), IndexError,
     "tensors used as indices must be long, int, byte or bool tensors"),
]


def _key(key, lib):
    return lib.tensor(key.tolist()) if isinstance(key, clgrad.Tensor) else key


@pytest.mark.parametrize("name, key, error, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, key, error, message, device):
    x = clgrad.tensor(X, dtype=clgrad.float32, device=device)
    if isinstance(key, clgrad.Tensor):
        key = key.to(device)
    with pytest.raises(error, match=message):
        x[key].tolist()  # cl raises at the read (a device-side check)


@pytest.mark.parametrize("name, key, error, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name, key, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match=message.replace("clgrad", "torch")):
        torch.tensor(X, dtype=torch.float32)[_key(key, torch)]
