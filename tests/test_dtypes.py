"""dtypes and type promotion, against tables taken from PyTorch's documented rules."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad

ABBREV = {"b1": clgrad.bool, "u1": clgrad.uint8, "i1": clgrad.int8, "i2": clgrad.int16,
          "i4": clgrad.int32, "i8": clgrad.int64, "f2": clgrad.float16,
          "f4": clgrad.float32, "f8": clgrad.float64}
ORDER = ["b1", "u1", "i1", "i2", "i4", "i8", "f2", "f4", "f8"]

# torch.promote_types(row, column), printed by PyTorch 2.13.
PROMOTE = {
    #      b1 u1 i1 i2 i4 i8 f2 f4 f8
    "b1": "b1 u1 i1 i2 i4 i8 f2 f4 f8",
    "u1": "u1 u1 i2 i2 i4 i8 f2 f4 f8",
    "i1": "i1 i2 i1 i2 i4 i8 f2 f4 f8",
    "i2": "i2 i2 i2 i2 i4 i8 f2 f4 f8",
    "i4": "i4 i4 i4 i4 i4 i8 f2 f4 f8",
    "i8": "i8 i8 i8 i8 i8 i8 f2 f4 f8",
    "f2": "f2 f2 f2 f2 f2 f2 f2 f4 f8",
    "f4": "f4 f4 f4 f4 f4 f4 f4 f4 f8",
    "f8": "f8 f8 f8 f8 f8 f8 f8 f8 f8",
}

# torch.result_type(1-D tensor of row dtype, 0-dim tensor of column dtype): a 0-dim tensor
# only matters when it is of a higher category.
WITH_ZERO_DIM = {
    "b1": "b1 u1 i1 i2 i4 i8 f2 f4 f8",
    "u1": "u1 u1 u1 u1 u1 u1 f2 f4 f8",
    "i1": "i1 i1 i1 i1 i1 i1 f2 f4 f8",
    "i2": "i2 i2 i2 i2 i2 i2 f2 f4 f8",
    "i4": "i4 i4 i4 i4 i4 i4 f2 f4 f8",
    "i8": "i8 i8 i8 i8 i8 i8 f2 f4 f8",
    "f2": "f2 f2 f2 f2 f2 f2 f2 f2 f2",
    "f4": "f4 f4 f4 f4 f4 f4 f4 f4 f4",
    "f8": "f8 f8 f8 f8 f8 f8 f8 f8 f8",
}

# torch.result_type(1-D tensor, Python scalar) for True, 3 and 2.5.
WITH_SCALARS = {
    "b1": ("b1", "i8", "f4"), "u1": ("u1", "u1", "f4"), "i1": ("i1", "i1", "f4"),
    "i2": ("i2", "i2", "f4"), "i4": ("i4", "i4", "f4"), "i8": ("i8", "i8", "f4"),
    "f2": ("f2", "f2", "f2"), "f4": ("f4", "f4", "f4"), "f8": ("f8", "f8", "f8"),
}


@pytest.mark.parametrize("row", ORDER)
def test_promote_types_table(row):
    expected = [ABBREV[x] for x in PROMOTE[row].split()]
    got = [clgrad.promote_types(ABBREV[row], ABBREV[col]) for col in ORDER]
    assert got == expected


@pytest.mark.parametrize("row", ORDER)
def test_result_type_with_zero_dim_tensors(row):
    tensor = clgrad.ones(2, dtype=ABBREV[row])
    expected = [ABBREV[x] for x in WITH_ZERO_DIM[row].split()]
    got = [clgrad.result_type(tensor, clgrad.ones((), dtype=ABBREV[col])) for col in ORDER]
    assert got == expected


@pytest.mark.parametrize("row", ORDER)
def test_result_type_with_python_scalars(row):
    tensor = clgrad.ones(2, dtype=ABBREV[row])
    got = tuple(clgrad.result_type(tensor, s) for s in (True, 3, 2.5))
    assert got == tuple(ABBREV[x] for x in WITH_SCALARS[row])


def test_default_dtype_drives_float_scalars():
    clgrad.set_default_dtype(clgrad.float64)
    try:
        assert clgrad.result_type(clgrad.ones(2, dtype=clgrad.int32), 2.5) is clgrad.float64
        assert clgrad.tensor([1.5]).dtype is clgrad.float64
    finally:
        clgrad.set_default_dtype(clgrad.float32)
    with pytest.raises(TypeError):
        clgrad.set_default_dtype(clgrad.int32)


def test_promotion_in_ops(device):
    a = clgrad.ones(3, dtype=clgrad.uint8, device=device)
    b = clgrad.ones(3, dtype=clgrad.int8, device=device)
    assert (a + b).dtype is clgrad.int16
    assert (a + 1.5).dtype is clgrad.float32
    assert (b * clgrad.tensor(2.0, dtype=clgrad.float64, device=device)).dtype is clgrad.float64
    assert (b * clgrad.tensor(2, dtype=clgrad.int64, device=device)).dtype is clgrad.int8
    assert (a / 2).dtype is clgrad.float32


def test_can_cast():
    assert clgrad.can_cast(clgrad.int32, clgrad.float16)
    assert not clgrad.can_cast(clgrad.float32, clgrad.int64)
    assert not clgrad.can_cast(clgrad.int8, clgrad.bool)
    assert clgrad.can_cast(clgrad.bool, clgrad.uint8)


def test_finfo_iinfo_match_numpy():
    for d in (clgrad.float16, clgrad.float32, clgrad.float64):
        info = clgrad.finfo(d)
        assert info.eps == float(np.finfo(d.np).eps)
        assert info.max == float(np.finfo(d.np).max)
        assert info.tiny == float(np.finfo(d.np).tiny)
        assert info.bits == d.itemsize * 8
    assert clgrad.finfo().dtype == "float32"
    for d in (clgrad.uint8, clgrad.int8, clgrad.int16, clgrad.int32, clgrad.int64):
        assert clgrad.iinfo(d).max == int(np.iinfo(d.np).max)
        assert clgrad.iinfo(d).min == int(np.iinfo(d.np).min)
    with pytest.raises(TypeError):
        clgrad.finfo(clgrad.int32)
    with pytest.raises(TypeError):
        clgrad.iinfo(clgrad.float32)


def test_dtype_attributes_and_repr():
    assert repr(clgrad.float32) == "clgrad.float32"
    assert clgrad.float is clgrad.float32 and clgrad.long is clgrad.int64
    assert clgrad.half is clgrad.float16 and clgrad.double is clgrad.float64
    assert clgrad.float16.is_floating_point and not clgrad.int8.is_floating_point
    assert clgrad.int8.is_signed and not clgrad.uint8.is_signed
    assert clgrad.int64.itemsize == 8 and clgrad.bool.itemsize == 1


def test_parity_with_torch_promotion():
    torch = pytest.importorskip("torch")
    for a in ORDER:
        for b in ORDER:
            ours = clgrad.promote_types(ABBREV[a], ABBREV[b])
            theirs = torch.promote_types(getattr(torch, ABBREV[a].name),
                                         getattr(torch, ABBREV[b].name))
            assert str(theirs) == f"torch.{ours.name}"
