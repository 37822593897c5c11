"""Tensor printing: literal PyTorch outputs, and parity with torch's repr when it is installed."""
from __future__ import annotations

import math

import numpy as np
import pytest

import clgrad
from clgrad._formatting import get_printoptions, printoptions, set_printoptions
from helpers import device_supports_fp64

NAN, INF = math.nan, math.inf


@pytest.fixture(autouse=True)
def default_printoptions():
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


def make(values, dtype: str | None, device: str, requires_grad: bool = False):
    if dtype == "float64" and not device_supports_fp64(device):
        pytest.skip("device has no float64")
    dt = None if dtype is None else getattr(clgrad, dtype)
    return clgrad.tensor(values, dtype=dt, device=device, requires_grad=requires_grad)


def expand(template: str, device: str) -> str:
    """`{dev}` is the device suffix on the same line, `{devnl}` the suffix on a new line."""
    on_cl = device != "cpu"
    return template.format(dev=f", device='{device}'" if on_cl else "",
                           devnl=f",\n       device='{device}'" if on_cl else "")


ARANGE_2000 = np.arange(2000.0).tolist()
GRID_1200 = np.arange(1200).reshape(30, 40).tolist()

# (values, dtype, print options, expected repr), the strings as PyTorch 2 prints them.
LITERALS = [
    (3.5, None, {}, "tensor(3.5000{dev})"),
    (1.0, None, {}, "tensor(1.{dev})"),
    (-0.0, None, {}, "tensor(-0.{dev})"),
    (NAN, None, {}, "tensor(nan{dev})"),
    (-INF, None, {}, "tensor(-inf{dev})"),
    (7, None, {}, "tensor(7{dev})"),
    (True, None, {}, "tensor(True{dev})"),
    (123456.0, None, {}, "tensor(123456.{dev})"),
    (1e-7, None, {}, "tensor(1.0000e-07{dev})"),
    ([1.0, 2.0, 3.0], None, {}, "tensor([1., 2., 3.]{dev})"),
    ([1.5, -2.25, 3e-5], None, {}, "tensor([ 1.5000e+00, -2.2500e+00,  3.0000e-05]{dev})"),
    ([[1, 2], [-30, 4]], None, {}, "tensor([[  1,   2],\n        [-30,   4]]{dev})"),
    ([True, False], None, {}, "tensor([ True, False]{dev})"),
    ([1.0, 2.5], "float64", {}, "tensor([1.0000, 2.5000]{dev}, dtype=clgrad.float64)"),
    ([0.1, 65504.0], "float16", {},
     "tensor([9.9976e-02, 6.5504e+04]{dev}, dtype=clgrad.float16)"),
    ([1, 2], "int32", {}, "tensor([1, 2]{dev}, dtype=clgrad.int32)"),
    ([NAN, 1.0, -INF], None, {}, "tensor([nan, 1., -inf]{dev})"),
    ([0.5, INF], None, {}, "tensor([0.5000,    inf]{dev})"),
    ([1e10, 1.0], None, {}, "tensor([1.0000e+10, 1.0000e+00]{dev})"),
    ([[0.0, -0.0], [0.25, 100.0]], None, {},
     "tensor([[  0.0000,  -0.0000],\n        [  0.2500, 100.0000]]{dev})"),
    (ARANGE_2000, None, {},
     "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
     "        1.9990e+03]{dev})"),
    ((np.arange(24.0).reshape(2, 3, 4) / 8).tolist(), None, {},
     "tensor([[[0.0000, 0.1250, 0.2500, 0.3750],\n"
     "         [0.5000, 0.6250, 0.7500, 0.8750],\n"
     "         [1.0000, 1.1250, 1.2500, 1.3750]],\n"
     "\n"
     "        [[1.5000, 1.6250, 1.7500, 1.8750],\n"
     "         [2.0000, 2.1250, 2.2500, 2.3750],\n"
     "         [2.5000, 2.6250, 2.7500, 2.8750]]]{dev})"),
    ((np.arange(30.0) * 1.5).tolist(), None, {},
     "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
     "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
     "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n"
     "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000]{dev})"),
    ((np.arange(24.0).reshape(2, 3, 4) * 1000.123).tolist(), "float64", {},
     "tensor([[[    0.0000,  1000.1230,  2000.2460,  3000.3690],\n"
     "         [ 4000.4920,  5000.6150,  6000.7380,  7000.8610],\n"
     "         [ 8000.9840,  9001.1070, 10001.2300, 11001.3530]],\n"
     "\n"
     "        [[12001.4760, 13001.5990, 14001.7220, 15001.8450],\n"
     "         [16001.9680, 17002.0910, 18002.2140, 19002.3370],\n"
     "         [20002.4600, 21002.5830, 22002.7060, 23002.8290]]]{dev},\n"
     "       dtype=clgrad.float64)"),
    (GRID_1200, None, {},
     "tensor([[   0,    1,    2,  ...,   37,   38,   39],\n"
     "        [  40,   41,   42,  ...,   77,   78,   79],\n"
     "        [  80,   81,   82,  ...,  117,  118,  119],\n"
     "        ...,\n"
     "        [1080, 1081, 1082,  ..., 1117, 1118, 1119],\n"
     "        [1120, 1121, 1122,  ..., 1157, 1158, 1159],\n"
     "        [1160, 1161, 1162,  ..., 1197, 1198, 1199]]{dev})"),
    ([1.12345, 2.0], None, {"precision": 2}, "tensor([1.12, 2.00]{dev})"),
    (list(range(10)), None, {"threshold": 5}, "tensor([0, 1, 2,  ..., 7, 8, 9]{dev})"),
    (np.arange(12).reshape(4, 3).tolist(), None, {"threshold": 5, "edgeitems": 1},
     "tensor([[ 0,  ...,  2],\n        ...,\n        [ 9,  ..., 11]]{dev})"),
    ([1.0, 2.0], None, {"sci_mode": True}, "tensor([1.0000e+00, 2.0000e+00]{dev})"),
    ([0.0, 0.0], None, {"sci_mode": True}, "tensor([0., 0.]{dev})"),
    ([1e-5, 1e10], None, {"sci_mode": False},
     "tensor([          0.0000, 10000000000.0000]{dev})"),
    (np.arange(12.0).tolist(), None, {"linewidth": 30},
     "tensor([ 0.,  1.,  2.,  3.,\n         4.,  5.,  6.,  7.,\n"
     "         8.,  9., 10., 11.]{devnl})"),
    (np.arange(10.0).tolist(), None, {"edgeitems": 0, "threshold": 3},
     "tensor([...]{dev}, size=(10,))"),
    (np.arange(10).reshape(5, 2).tolist(), None, {"edgeitems": 0, "threshold": 3},
     "tensor([...]{dev}, size=(5, 2))"),
    (3.0, None, {"edgeitems": 0, "threshold": 3}, "tensor(3.{dev}, size=())"),
    ([1.12345, 2.0], None, {"profile": "short"}, "tensor([1.12, 2.00]{dev})"),
    (list(range(1001)), None, {"profile": "short"}, "tensor([   0,    1,  ...,  999, 1000]{dev})"),
    (np.arange(20.0).reshape(1, 20).tolist(), None, {"profile": "full"},
     "tensor([[ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
     "         14., 15., 16., 17., 18., 19.]]{dev})"),
]


@pytest.mark.parametrize("values,dtype,options,template", LITERALS,
                         ids=[f"literal{i}" for i in range(len(LITERALS))])
def test_literal_repr(device, values, dtype, options, template):
    set_printoptions(**options)
    t = make(values, dtype, device)
    assert repr(t) == expand(template, device)
    assert str(t) == repr(t)


@pytest.mark.parametrize("shape,dtype,template", [
    ((0,), None, "tensor([]{dev})"),
    ((0, 3), None, "tensor([]{dev}, size=(0, 3))"),
    ((0,), "int64", "tensor([]{dev}, dtype=clgrad.int64)"),
    ((2, 0), "bool", "tensor([]{dev}, size=(2, 0), dtype=clgrad.bool)"),
    ((1, 0, 2), "float16", "tensor([]{dev}, size=(1, 0, 2), dtype=clgrad.float16)"),
])
def test_empty_repr(device, shape, dtype, template):
    dt = None if dtype is None else getattr(clgrad, dtype)
    assert repr(clgrad.empty(shape, dtype=dt, device=device)) == expand(template, device)


def test_device_pushes_dtype_to_next_line(device):
    t = make((np.arange(12.0) * 1.5).tolist(), "float64", device)
    body = ("tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
            "        12.0000, 13.5000, 15.0000, 16.5000]")
    if device == "cpu":
        assert repr(t) == body + ", dtype=clgrad.float64)"
    else:
        assert repr(t) == body + f", device='{device}',\n       dtype=clgrad.float64)"


def test_default_dtype_decides_dtype_suffix(device):
    clgrad.set_default_dtype(clgrad.float64)
    try:
        t32 = clgrad.tensor([1.0, 2.0], dtype=clgrad.float32, device=device)
        assert repr(t32) == expand("tensor([1., 2.]{dev}, dtype=clgrad.float32)", device)
        assert repr(clgrad.empty(0, dtype=clgrad.int64, device=device)) == expand(
            "tensor([]{dev}, dtype=clgrad.int64)", device)
        if device_supports_fp64(device):
            t64 = clgrad.tensor([1.0, 2.0], device=device)
            assert repr(t64) == expand("tensor([1., 2.]{dev})", device)
            assert repr(clgrad.empty(0, device=device)) == expand("tensor([]{dev})", device)
    finally:
        clgrad.set_default_dtype(clgrad.float32)


def test_requires_grad_and_grad_fn_suffixes(device):
    leaf = make([1.0, 2.0], None, device, requires_grad=True)
    assert repr(leaf) == expand("tensor([1., 2.]{dev}, requires_grad=True)", device)

    class AddBackward0:
        pass

    # Autograd lives elsewhere: stand in a node so that only the printing is under test.
    node = leaf.detach()
    node._requires_grad = True
    node._grad_fn = AddBackward0()
    assert repr(node) == expand("tensor([1., 2.]{dev}, grad_fn=<AddBackward0>)", device)
    wide = make([1.0, 2.0], "float16", device)
    wide._grad_fn = AddBackward0()
    assert repr(wide) == expand(
        "tensor([1., 2.]{dev}, dtype=clgrad.float16, grad_fn=<AddBackward0>)", device)


def test_summarised_views(device):
    base = make(np.arange(1000.0, 2200.0).reshape(30, 40).tolist(), None, device)
    assert repr(base.T) == expand(
        "tensor([[1000., 1040., 1080.,  ..., 2080., 2120., 2160.],\n"
        "        [1001., 1041., 1081.,  ..., 2081., 2121., 2161.],\n"
        "        [1002., 1042., 1082.,  ..., 2082., 2122., 2162.],\n"
        "        ...,\n"
        "        [1037., 1077., 1117.,  ..., 2117., 2157., 2197.],\n"
        "        [1038., 1078., 1118.,  ..., 2118., 2158., 2198.],\n"
        "        [1039., 1079., 1119.,  ..., 2119., 2159., 2199.]]{dev})", device)


def test_printoptions_api():
    set_printoptions(precision=2, threshold=10, edgeitems=1, linewidth=60, sci_mode=True)
    assert get_printoptions() == dict(precision=2, threshold=10, edgeitems=1, linewidth=60,
                                      sci_mode=True)
    set_printoptions(linewidth=70)  # like PyTorch, sci_mode falls back to None
    assert get_printoptions()["sci_mode"] is None
    assert get_printoptions()["precision"] == 2
    set_printoptions(profile="full", precision=3)
    assert get_printoptions() == dict(precision=3, threshold=math.inf, edgeitems=3,
                                      linewidth=80, sci_mode=None)
    with printoptions(precision=1):
        assert repr(clgrad.tensor([1.25, 2.0])) == "tensor([1.2, 2.0])"
    assert get_printoptions()["precision"] == 3


# -- parity with torch ---------------------------------------------------------------------
_rng = np.random.default_rng(0)
PARITY_CASES = [
    (3.25, None), (-0.0, None), (NAN, None), (INF, None), (-5, None), (False, None),
    (2.5, "float16"), (1e-310, "float64"),
    ([1.0, -2.0, 3.0], None), ([1.5, -2.25, 3e-5], None), ([1e8, 1.0], None),
    ([1.01e8, 1.0], None), ([999.0, 1.0], None), ([1000.5, 1.0], None), ([1e-4, 1.0], None),
    ([9.9e-5, 1.0], None), ([0.0, -0.0, 0.0], None), ([-0.0, 0.5], None),
    ([NAN, 1.0, -INF], None), ([NAN, NAN], None), ([INF, -INF, 2.5], None),
    ([1, -2, 300000], None), ([1, 2], "int32"), ([0, 255], "uint8"), ([-128, 7], "int8"),
    ([True, False, True], None), ([1.1, 2.2, -3.3], "float16"), ([65504.0, -1.0], "float16"),
    ([1e300, 1e-300], "float64"), ([1 / 3, 2 / 3], "float64"),
    ([[1.0, 2.0], [3.0, 4.0]], None), ([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], "int16"),
]
for _shape in [(2000,), (30, 40), (11, 12, 13), (3, 4, 5, 6), (2, 3, 7, 100), (1001,), (50,)]:
    PARITY_CASES += [(_rng.standard_normal(_shape).tolist(), None),
                     (_rng.integers(-1000, 1000, _shape).tolist(), None),
                     ((_rng.standard_normal(_shape) * 1e6).tolist(), "float64")]
PARITY_CASES += [((_rng.standard_normal((40, 30)) * 100).tolist(), "float16"),
                 ((_rng.standard_normal((5, 300)) > 0).tolist(), None),
                 ((np.arange(120.0) * 1e-6).reshape(4, 30).tolist(), None)]

PARITY_OPTIONS = [{}, {"precision": 2}, {"sci_mode": True}, {"sci_mode": False},
                  {"linewidth": 40}, {"threshold": 5, "edgeitems": 2},
                  {"threshold": 3, "edgeitems": 0}, {"profile": "short"}]


@pytest.fixture
def torch_repr(monkeypatch):
    """torch's repr of a cpu tensor, laid out as torch would print it on `device`."""
    torch = pytest.importorskip("torch")
    import torch._tensor_str as tensor_str

    add_suffixes = tensor_str._add_suffixes

    def render(t, device: str) -> str:
        if device != "cpu":
            # Make torch print the device (as it does for cuda) and lay the suffixes out with
            # our device's name, so that line wrapping is decided with the real suffix.
            def add(text, suffixes, indent, force_newline):
                suffixes = [f"device='{device}'" if s == "device='cpu'" else s
                            for s in suffixes]
                return add_suffixes(text, suffixes, indent, force_newline)

            monkeypatch.setattr(torch._C, "_get_default_device", lambda: "cl")
            monkeypatch.setattr(tensor_str, "_add_suffixes", add)
        try:
            return repr(t).replace("torch.", "clgrad.")
        finally:
            monkeypatch.undo()

    return torch, render


@pytest.mark.parametrize("options", PARITY_OPTIONS, ids=str)
def test_parity_with_torch(device, torch_repr, options):
    torch, render = torch_repr
    mismatches = []
    torch.set_printoptions(profile="default")
    torch.set_printoptions(**options)
    set_printoptions(**options)
    try:
        for values, dtype in PARITY_CASES:
            if dtype == "float64" and not device_supports_fp64(device):
                continue
            torch_dtype = None if dtype is None else getattr(torch, dtype)
            expected = render(torch.tensor(values, dtype=torch_dtype), device)
            got = repr(make(values, dtype, device))
            if got != expected:
                mismatches.append((np.shape(values), dtype, expected, got))
    finally:
        torch.set_printoptions(profile="default")
    assert not mismatches, mismatches[0]


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "float16"])
def test_empty_parity_with_torch(device, torch_repr, shape, dtype):
    torch, render = torch_repr
    if dtype == "float64" and not device_supports_fp64(device):
        pytest.skip("device has no float64")
    expected = render(torch.empty(shape, dtype=getattr(torch, dtype)), device)
    assert repr(clgrad.empty(shape, dtype=getattr(clgrad, dtype), device=device)) == expected


def test_views_and_grad_parity_with_torch(device, torch_repr):
    torch, render = torch_repr
    x = np.random.default_rng(1).standard_normal((30, 40))
    pairs = [
        (torch.tensor(x).T, make(x.tolist(), "float64", device).T),
        (torch.tensor(x, dtype=torch.float16).T, make(x.tolist(), "float16", device).T),
        (torch.tensor(x).float().narrow(1, 5, 35).T,
         make(x.tolist(), None, device).narrow(1, 5, 35).T),
        (torch.tensor([1.0, 2.0]).expand(500, 2), make([1.0, 2.0], None, device).expand(500, 2)),
        (torch.tensor(x, dtype=torch.float32, requires_grad=True),
         make(x.tolist(), None, device, requires_grad=True)),
    ]
    for expected, got in pairs:
        assert repr(got) == render(expected, device)


def test_format_of_a_zero_dim_tensor_is_its_number(device):
    t = clgrad.tensor(0.5, device=device)
    assert f"{t}" == "0.5" and f"{t:.2f}" == "0.50"
    assert f"{clgrad.tensor(3, device=device)}" == "3"
    assert f"{clgrad.tensor([0.5], device=device)}" == str(clgrad.tensor([0.5], device=device))
