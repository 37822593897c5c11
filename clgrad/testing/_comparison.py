"""assert_close: PyTorch's torch.testing.assert_close, its tolerances and its messages.

Values are compared on the host in numpy (the comparison waits for the device): a tensor
pair must agree in shape, and by default in dtype and device, then isclose must hold
everywhere; containers are compared item by item and the failing item is named.
"""
from __future__ import annotations

import builtins
import collections.abc
from typing import Any, Callable, Optional, Union

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor

# PyTorch's default (rtol, atol) per dtype; integers and bool compare exactly.
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5),
               "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _dtype_of_number(x) -> dt.dtype:
    if isinstance(x, builtins.bool):
        return dt.bool
    return dt.int64 if isinstance(x, builtins.int) else dt.float64


def _is_number(x) -> builtins.bool:
    return isinstance(x, (builtins.bool, builtins.int, builtins.float))


def _tolerances(*dtypes) -> tuple:
    pairs = [_TOLERANCES.get(d.name, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


class _Mismatch(AssertionError):
    """A failed comparison, before the item identifier is appended."""


def _attribute(name: str, actual, expected) -> None:
    if actual != expected:
        raise _Mismatch(f"The values for attribute '{name}' do not match: {actual} != "
                        f"{expected}.")


def _fmt(x) -> str:
    return repr(x.item() if isinstance(x, (np.generic, np.ndarray)) else x)


def _values(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float,
            equal_nan: builtins.bool, scalar: builtins.bool) -> None:
    """Raise _Mismatch with PyTorch's report unless isclose(actual, expected) everywhere."""
    exact = rtol == 0 and atol == 0
    common = np.result_type(actual, expected)
    if common.kind == "b":
        common = np.dtype(np.int64)  # differences of bools count as 0/1
    a = actual.astype(common).ravel()
    b = expected.astype(common).ravel()
    with np.errstate(all="ignore"):
        if common.kind == "f":
            close = (a == b) | (np.isfinite(a - b) & (np.abs(a - b) <= atol + rtol * np.abs(b)))
            if equal_nan:
                close |= np.isnan(a) & np.isnan(b)
        else:
            wide = np.abs(a.astype(np.float64) - b.astype(np.float64))
            close = (a == b) | (wide <= atol + rtol * np.abs(b.astype(np.float64)))
        if close.all():
            return
        kind = "Scalars" if scalar else "Tensor-likes"
        title = f"{kind} are not {'equal' if exact else 'close'}!\n\n"
        if common.kind == "f":
            diff = np.abs(a - b)
        else:
            diff = np.abs(a.astype(np.int64) - b.astype(np.int64))
        diff = np.where(close, 0, diff)
        rel = diff / np.abs(b.astype(np.float64 if common.kind != "f" else common))
        rel = np.where(close, 0, rel)
    allowed_abs = "" if exact else f" (up to {atol} allowed)"
    allowed_rel = "" if exact else f" (up to {rtol} allowed)"
    if scalar:
        raise _Mismatch(f"{title}Expected {_fmt(expected.reshape(()))} but got "
                        f"{_fmt(actual.reshape(()))}.\nAbsolute difference: "
                        f"{_fmt(diff[0])}{allowed_abs}\nRelative difference: "
                        f"{_fmt(float(rel[0]))}{allowed_rel}")
    bad = int((~close).sum())
    total = close.size

    def where(values):
        i = int(np.nanargmax(values)) if not np.isnan(values).any() else \
            int(np.flatnonzero(np.isnan(values))[0])
        return values[i], tuple(int(k) for k in np.unravel_index(i, actual.shape))

    max_abs, abs_at = where(diff.astype(np.float64) if common.kind != "f" else diff)
    if common.kind != "f":
        max_abs = int(max_abs)
    max_rel, rel_at = where(rel.astype(np.float64))
    raise _Mismatch(f"{title}Mismatched elements: {bad} / {total} ({bad / total:.1%})\n"
                    f"Greatest absolute difference: {_fmt(max_abs)} at index {abs_at}"
                    f"{allowed_abs}\nGreatest relative difference: {_fmt(float(max_rel))} at "
                    f"index {rel_at}{allowed_rel}")


def _host(x) -> np.ndarray:
    return x.detach()._host() if isinstance(x, Tensor) else np.asarray(x)


def _compare_leaf(actual, expected, rtol, atol, equal_nan, check_device, check_dtype) -> None:
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        _attribute("shape", actual.shape, expected.shape)
        if check_device:
            _attribute("device", actual.device, expected.device)
        if check_dtype:
            _attribute("dtype", actual.dtype, expected.dtype)
        if rtol is None:
            rtol, atol = _tolerances(actual.dtype, expected.dtype)
        _values(_host(actual), _host(expected), rtol, atol, equal_nan, actual.dim() == 0)
        return
    if isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        _attribute("shape", actual.shape, expected.shape)
        if check_dtype:
            _attribute("dtype", actual.dtype, expected.dtype)
        if rtol is None:
            rtol, atol = _tolerances(dt.from_numpy_dtype(actual.dtype),
                                     dt.from_numpy_dtype(expected.dtype))
        _values(actual, expected, rtol, atol, equal_nan, actual.ndim == 0)
        return
    if _is_number(actual) and _is_number(expected):
        da, de = _dtype_of_number(actual), _dtype_of_number(expected)
        if check_dtype and type(actual) is not type(expected):
            raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
        if rtol is None:
            rtol, atol = _tolerances(da, de)
        _values(np.asarray(actual), np.asarray(expected), rtol, atol, equal_nan, True)
        return
    if actual is None and expected is None:
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type "
                    f"{_type_repr(actual)} and {_type_repr(expected)}.")


def _type_repr(x) -> str:
    return "<class 'clgrad.Tensor'>" if type(x) is Tensor else repr(type(x))


def _is_sequence(x) -> builtins.bool:
    return (isinstance(x, collections.abc.Sequence) and not isinstance(x, (str, bytes))
            and not isinstance(x, Tensor))


def _compare(actual, expected, path: str, options: dict) -> None:
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}" + (f"\n\nThe failure occurred for item {path}"
                                                  if path else ""))
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{path}[{i}]", options)
        return
    if isinstance(actual, collections.abc.Mapping) and \
            isinstance(expected, collections.abc.Mapping):
        keys_a, keys_e = set(actual), set(expected)
        if keys_a != keys_e:
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the "
                            f"actual mapping: {sorted(keys_e - keys_a, key=repr)}\nAdditional "
                            f"keys in the actual mapping: {sorted(keys_a - keys_e, key=repr)}")
        for key in actual:
            _compare(actual[key], expected[key], f"{path}[{key!r}]", options)
        return
    try:
        _compare_leaf(actual, expected, **options)
    except _Mismatch as exc:
        text = str(exc)
        if path:
            text += f"\n\nThe failure occurred for item {path}"
        raise _Mismatch(text) from None


def assert_close(actual: Any, expected: Any, *, allow_subclasses: builtins.bool = True,
                 rtol: Optional[float] = None, atol: Optional[float] = None,
                 equal_nan: builtins.bool = False, check_device: builtins.bool = True,
                 check_dtype: builtins.bool = True, check_layout: builtins.bool = True,
                 check_stride: builtins.bool = False,
                 msg: Union[str, Callable[[str], str], None] = None) -> None:
    """Assert that actual and expected are close (PyTorch's torch.testing.assert_close).

    Tensors must match in shape (and dtype and device unless told otherwise); values pass
    when |actual - expected| <= atol + rtol * |expected|, with per-dtype defaults (float32:
    rtol 1.3e-6, atol 1e-5; float64: 1e-7, 1e-7; float16: 1e-3, 1e-5; integers exact).
    Sequences and mappings are compared elementwise.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but "
                         f"got no {'rtol' if rtol is None else 'atol'}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype)
    try:
        _compare(actual, expected, "", options)
    except _Mismatch as exc:
        text = str(exc)
        if callable(msg):
            text = msg(text)
        elif msg is not None:
            text = msg
        raise AssertionError(text) from None


def assert_allclose(actual: Any, expected: Any, rtol: Optional[float] = None,
                    atol: Optional[float] = None, equal_nan: builtins.bool = True,
                    msg: str = "") -> None:
    """Deprecated (as in PyTorch since 1.12): use assert_close."""
    import warnings
    warnings.warn("`clgrad.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `clgrad.testing.assert_close()` "
                  "instead.", FutureWarning, stacklevel=2)
    from ..ops.creation import tensor
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        # assert_allclose kept its own, looser table of defaults.
        rtol, atol = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5),
                      "float64": (1e-5, 1e-8)}.get(
            dt.promote_types(actual.dtype, expected.dtype).name, (0.0, 0.0))
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, msg=msg or None)
