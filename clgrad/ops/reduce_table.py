"""The reduction table: each reduction declared once, as data, for every backend.

A ReduceSpec is an OpenCL C map applied to each element, a combine and a finalize, plus its
numpy form; the backends run it over any set of dims of a strided tensor. Ops that need a
per-output value first (var's mean, logsumexp's max, nanmean's count) pass it as `aux`.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype as dt


class ReduceSpec:
    """One reduction as data.

    opencl_c_map: OpenCL C over x (the element in the accumulator type {T}), a (aux) and p;
    combine: "sum", "prod", "max", "min", "and", "or"; opencl_c_finalize: OpenCL C over acc,
    n (the reduced count), a and p; numpy(arr, axis, aux, p, count): the keepdims result.
    """

    def __init__(self, name: str, opencl_c_map: str, combine: str, opencl_c_finalize: str,
                 numpy):
        self.name = name
        self.opencl_c_map = opencl_c_map
        self.combine = combine
        self.opencl_c_finalize = opencl_c_finalize
        self.numpy = numpy

    def opencl_c_map_expr(self, acc: dt.dtype) -> str:
        """The OpenCL C map for accumulator dtype `acc`."""
        return self.opencl_c_map.replace("{T}", _ctype(acc))

    def opencl_c_finalize_expr(self, acc: dt.dtype) -> str:
        """The OpenCL C finalize for accumulator dtype `acc`."""
        return self.opencl_c_finalize.replace("{T}", _ctype(acc))

    def __repr__(self) -> str:
        return f"ReduceSpec({self.name})"


def _ctype(acc: dt.dtype) -> str:
    return {"float32": "float", "float64": "double"}.get(acc.name, "long")


def _np_extreme(fn, identity):
    def run(a, axis, aux, p, count):
        if count == 0:
            shape = tuple(1 if d in axis else s for d, s in enumerate(a.shape))
            return np.full(shape, identity, a.dtype)
        return fn(a, axis=axis, keepdims=True)
    return run


def _np_sum(a, axis):
    return np.sum(a, axis=axis, keepdims=True)


SUM = ReduceSpec("sum", "x", "sum", "acc", lambda a, ax, aux, p, n: _np_sum(a, ax))
NANSUM = ReduceSpec("nansum", "isnan(x) ? ({T})0 : x", "sum", "acc",
                    lambda a, ax, aux, p, n: np.nansum(a, axis=ax, keepdims=True))
MEAN = ReduceSpec("mean", "x", "sum", "acc / n", lambda a, ax, aux, p, n: _np_sum(a, ax) / n)
NOTNAN = ReduceSpec("notnan", "!isnan(x)", "sum", "acc",
                    lambda a, ax, aux, p, n: _np_sum(~np.isnan(a), ax))
NANMEAN = ReduceSpec("nanmean", "isnan(x) ? ({T})0 : x", "sum", "acc / a",
                     lambda a, ax, aux, p, n: np.nansum(a, axis=ax, keepdims=True) / aux)
PROD = ReduceSpec("prod", "x", "prod", "acc",
                  lambda a, ax, aux, p, n: np.prod(a, axis=ax, keepdims=True))
AMAX = ReduceSpec("amax", "x", "max", "acc", _np_extreme(np.max, -np.inf))
AMIN = ReduceSpec("amin", "x", "min", "acc", _np_extreme(np.min, np.inf))
ALL = ReduceSpec("all", "x != ({T})0", "and", "acc",
                 lambda a, ax, aux, p, n: np.all(a != 0, axis=ax, keepdims=True))
ANY = ReduceSpec("any", "x != ({T})0", "or", "acc",
                 lambda a, ax, aux, p, n: np.any(a != 0, axis=ax, keepdims=True))
COUNT = ReduceSpec("count_nonzero", "x != ({T})0", "sum", "acc",
                   lambda a, ax, aux, p, n: _np_sum(a != 0, ax))
VAR = ReduceSpec("var", "(x - a) * (x - a)", "sum", "acc / fmax(n - p, ({T})0)",
                 lambda a, ax, aux, p, n: _np_sum((a - aux) ** 2, ax) / builtins.max(n - p, 0))
STD = ReduceSpec("std", "(x - a) * (x - a)", "sum", "sqrt(acc / fmax(n - p, ({T})0))",
                 lambda a, ax, aux, p, n: np.sqrt(_np_sum((a - aux) ** 2, ax)
                                                  / builtins.max(n - p, 0)))
NORM2 = ReduceSpec("norm2", "x * x", "sum", "sqrt(acc)",
                   lambda a, ax, aux, p, n: np.sqrt(_np_sum(a * a, ax)))
NORM1 = ReduceSpec("norm1", "fabs(x)", "sum", "acc",
                   lambda a, ax, aux, p, n: _np_sum(np.abs(a), ax))
NORM0 = ReduceSpec("norm0", "x != ({T})0", "sum", "acc",
                   lambda a, ax, aux, p, n: _np_sum(a != 0, ax))
NORMP = ReduceSpec("normp", "pow(fabs(x), p)", "sum", "pow(acc, ({T})1 / p)",
                   lambda a, ax, aux, p, n: _np_sum(np.abs(a) ** p, ax) ** (1 / p))
NORMINF = ReduceSpec("norminf", "fabs(x)", "max", "acc",
                     lambda a, ax, aux, p, n: np.max(np.abs(a), axis=ax, keepdims=True))
NORMNINF = ReduceSpec("normninf", "fabs(x)", "min", "acc",
                      lambda a, ax, aux, p, n: np.min(np.abs(a), axis=ax, keepdims=True))
# Shifting by the max keeps exp() in range; an infinite max shifts by 0 (PyTorch's rule).
LOGSUMEXP = ReduceSpec(
    "logsumexp", "exp(x - (isinf(a) ? ({T})0 : a))", "sum",
    "log(acc) + (isinf(a) ? ({T})0 : a)",
    lambda a, ax, aux, p, n: np.log(_np_sum(np.exp(a - np.where(np.isinf(aux), 0, aux)), ax))
    + np.where(np.isinf(aux), 0, aux))
