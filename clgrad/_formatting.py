"""Tensor printing in PyTorch's format (the rules of torch/_tensor_str.py).

Values are read to the host once: the whole tensor, or when it is summarised only the corner
boxes that will be printed (first and last `edgeitems` along each long dimension), so printing
a large cl tensor transfers a few elements, not all of them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
from typing import Any, Iterator

import numpy as np

from ._dtype import bool as bool_, get_default_dtype, int64
from ._tensor import Tensor

__all__ = ["set_printoptions"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    r"""Set options for printing tensors.

    Args:
        precision: digits after the decimal point for floating point output (default 4).
        threshold: number of elements above which the output is summarised (default 1000).
        edgeitems: items shown at the beginning and end of each summarised dimension
            (default 3).
        linewidth: characters per line before rows are wrapped (default 80).
        profile: preset defaults, one of ``'default'``, ``'short'``, ``'full'``; the other
            arguments override it.
        sci_mode: force (True) or forbid (False) scientific notation; None (default) lets
            the formatter choose. Like PyTorch, every call resets it to the value given.
    """
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for :func:`set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs) -> Iterator[None]:
    """Context manager that sets print options temporarily (arguments as set_printoptions)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# -- host values -----------------------------------------------------------------------------
def _printed_values(t, summarize: bool, edge: int) -> tuple[np.ndarray, tuple]:
    """The host values that will be printed, and per dimension whether it is cut by `...`.

    A cut dimension keeps its first and last `edge` entries (2 * edge in all); the kept
    region is the product of one or two index ranges per dimension, read box by box.
    """
    t = t.detach()
    shape = t._shape
    cut = tuple(summarize and n > 2 * edge for n in shape)
    if not any(cut):
        return t._host(), cut
    ranges = [((0, edge), (n - edge, edge)) if c else ((0, n),) for n, c in zip(shape, cut)]
    out = np.empty(tuple(2 * edge if c else n for n, c in zip(shape, cut)), t.dtype.np)
    if out.size == 0:
        return out, cut
    for box in itertools.product(*ranges):
        offset = t._offset + sum(start * st for (start, _), st in zip(box, t._stride))
        values = t._view(tuple(n for _, n in box), t._stride, offset)._host()
        dest = tuple(slice(edge, 2 * edge) if c and start else slice(0, n)
                     for (start, n), c in zip(box, cut))
        out[dest] = values
    return out, cut


# -- element formatting ----------------------------------------------------------------------
class _Formatter:
    """Chooses one notation and width for all printed elements of a tensor."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            for value in set(flat.tolist()):
                self.max_width = max(self.max_width, len(f"{value}"))
            return
        vals = flat.astype(np.float64)
        nonzero_finite = vals[np.isfinite(vals) & (vals != 0)]
        if nonzero_finite.size == 0:
            return
        magnitudes = np.abs(nonzero_finite)
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        precision = PRINT_OPTS.precision
        for value in np.unique(nonzero_finite).tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1  # room for the trailing "."
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if math.isfinite(value):
                    text += "."
            else:
                text = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            text = f"{value}"
        return text.rjust(self.max_width)


# -- layout ----------------------------------------------------------------------------------
def _vector_str(values: np.ndarray, cut: bool, indent: int, summarize: bool,
                fmt: _Formatter) -> str:
    edge = PRINT_OPTS.edgeitems
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    items = values.tolist()
    if summarize and not edge:
        data = ["..."]
    elif cut:
        data = ([fmt.format(v) for v in items[:edge]] + [" ..."]
                + [fmt.format(v) for v in items[edge:]])
    else:
        data = [fmt.format(v) for v in items]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values: np.ndarray, cut: tuple, indent: int, summarize: bool,
                fmt: _Formatter) -> str:
    ndim = values.ndim
    if ndim == 0:
        return fmt.format(values.item())
    if ndim == 1:
        return _vector_str(values, cut[0], indent, summarize, fmt)
    if cut[0]:
        edge = PRINT_OPTS.edgeitems
        slices = ([_nested_str(values[i], cut[1:], indent + 1, summarize, fmt)
                   for i in range(edge)] + ["..."]
                  + [_nested_str(values[edge + i], cut[1:], indent + 1, summarize, fmt)
                     for i in range(edge)])
    else:
        slices = [_nested_str(row, cut[1:], indent + 1, summarize, fmt) for row in values]
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(t, indent: int) -> str:
    if t.numel() == 0:
        return "[]"
    summarize = t.numel() > PRINT_OPTS.threshold
    edge = PRINT_OPTS.edgeitems
    values, cut = _printed_values(t, summarize, edge)
    fmt = _Formatter(values, t.dtype.is_floating_point)
    return _nested_str(values, cut, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    # PyTorch's measure of the last line (one more than its length when there is no newline).
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, *, tensor_contents: str | None = None) -> str:
    """``repr(t)`` exactly as PyTorch writes it (with ``clgrad`` dtypes and ``cl`` devices)."""
    # Tensor and nn.Parameter (which writes "Parameter containing:" above) print as tensor(...),
    # a subclass of Parameter as Parameter(Sub(...)), other subclasses as Sub(...), as in
    # PyTorch. This module lies below nn: Parameter names itself in a class attribute.
    family = getattr(type(t), "_repr_family", None)
    plain = type(t) is Tensor or "_repr_family" in vars(type(t))
    prefix = "tensor(" if plain else f"{type(t).__name__}("
    indent = len(prefix)
    suffixes = []

    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default_dtype = get_default_dtype()
    if t.numel() == 0:
        # Like NumPy, the shape is spelled out unless it is (0,); the dtype cannot be
        # inferred from no elements, so anything but the default float type is shown.
        if t.dim() != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype != default_dtype:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype not in (default_dtype, int64, bool_):
            suffixes.append(f"dtype={t.dtype}")
        body = None if tensor_contents is not None else _tensor_str(t, indent)
    if tensor_contents is not None:
        body = tensor_contents

    try:
        grad_fn = t.grad_fn
        grad_fn_name = None if grad_fn is None else type(grad_fn).__name__
    except RuntimeError:
        grad_fn_name = "Invalid"
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")

    text = _add_suffixes(prefix + body, suffixes, indent)
    if not plain and family is not None:
        text = f"{family}({text})"
    return text
