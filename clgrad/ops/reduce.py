"""Reductions, scans, sorting and counting: sum ... histc, as functions and Tensor methods.

A reduction is declared once as a ReduceSpec: an OpenCL C map applied to each element, a
combine, and a finalize, plus its numpy form. The backends run it over any set of dims of a
strided tensor; ops that need a per-output value first (var's mean, logsumexp's max, nanmean's
count) pass it as `aux`. unique, mode and histc run through the counted numpy fallback on cl.
"""
from __future__ import annotations

import builtins
import math
import operator
import warnings
from collections import namedtuple

import numpy as np

from .. import _dtype as dt
from .._strides import contiguous_strides, normalize_dim
from .._tensor import Tensor, register
from ..autograd.grad_mode import no_grad
from ..autograd.graph import needs_grad, record
from . import reduce_grad as rg

__all__ = ["sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
           "argmax", "argmin", "std", "var", "std_mean", "var_mean", "norm", "logsumexp", "all",
           "any", "count_nonzero", "cumsum", "cumprod", "cummax", "cummin", "sort", "argsort",
           "topk", "kthvalue", "median", "nanmedian", "mode", "unique", "bincount", "histc"]

from .._typenames import SCALAR_NAMES as _TYPE_NAMES  # noqa: E402  (one shared table)


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


def _return_type(name: str, fields=("values", "indices")):
    cls = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"clgrad.return_types.{name}(\n{body})"
    cls.__repr__ = __repr__
    cls.__module__ = "clgrad.return_types"
    return cls


_RT = {name: _return_type(name) for name in (
    "max", "min", "cummax", "cummin", "sort", "topk", "kthvalue", "median", "nanmedian", "mode")}
_RT["aminmax"] = _return_type("aminmax", ("min", "max"))


# -- argument handling ------------------------------------------------------------------------
def _check_tensor(x, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _dims(x: Tensor, dim) -> tuple:
    """Sorted reduced dims; None or () mean every dim. A 0-d tensor reduces nothing."""
    nd = x.ndim
    if dim is None:
        return tuple(range(nd))
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return tuple(range(nd))
        raw = [operator.index(d) for d in dim]
    else:
        raw = [operator.index(dim)]
    seen = []
    for d in raw:
        d = normalize_dim(d, nd)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.append(d)
    return tuple(sorted(seen)) if nd else ()


def _one_dim(x: Tensor, dim) -> int:
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"expected dim to be an int, got {type(dim).__name__}")
    return normalize_dim(operator.index(dim), x.ndim)


def _shapes(x: Tensor, dims: tuple, keepdim: bool):
    kshape = tuple(1 if d in dims else s for d, s in enumerate(x._shape))
    fshape = kshape if keepdim else tuple(s for d, s in enumerate(x._shape) if d not in dims)
    return kshape, fshape


def _outputs(x: Tensor, dims: tuple, keepdim: bool, *dtypes):
    """Fresh result tensors and keepdim-shaped views of them for the backend."""
    kshape, fshape = _shapes(x, dims, keepdim)
    results, views = [], []
    for d in dtypes:
        out = Tensor._empty(fshape, d, x.device)
        results.append(out)
        views.append(out if keepdim else out._view(kshape, contiguous_strides(kshape), 0))
    return results, views


def _acc_of(d: dt.dtype) -> dt.dtype:
    if d.is_floating_point:
        return dt.float64 if d is dt.float64 else dt.float32
    return dt.int64


def _reduce(spec: ReduceSpec, x: Tensor, dims: tuple, keepdim: bool, out_dtype: dt.dtype,
            acc: dt.dtype, aux: Tensor | None = None, param: float = 0.0) -> Tensor:
    (out,), (view,) = _outputs(x, dims, keepdim, out_dtype)
    x._storage.backend.reduce(spec, view, x, dims, acc, aux, param)
    return out


def _count(x: Tensor, dims: tuple) -> int:
    n = 1
    for d in dims:
        n *= x._shape[d]
    return n


def _require_nonempty(x: Tensor, dims: tuple, op: str, sep: str = "()") -> None:
    for d in dims:
        if x._shape[d] == 0:
            raise IndexError(f"{op}{sep}: Expected reduction dim {d} to have non-zero size.")


def _float_dtype(x: Tensor) -> dt.dtype:
    return x.dtype if x.dtype.is_floating_point else dt.get_default_dtype()


# -- sums and means ---------------------------------------------------------------------------
def _sum_dtype(x: Tensor, dtype) -> dt.dtype:
    if dtype is not None:
        return dtype
    return x.dtype if x.dtype.is_floating_point else dt.int64


@register()
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over dim (all dims when None); ints and bool sum to int64."""
    _check_tensor(input, "sum")
    out_dt = _sum_dtype(input, dtype)
    dims = _dims(input, dim)
    out = _reduce(SUM, input, dims, keepdim, out_dt, _acc_of(out_dt))
    if needs_grad(input):
        shape = input._shape
        record("SumBackward0" if dim is None else "SumBackward1", out, (input,),
               lambda g: (rg.unreduce(g, shape, dims, keepdim),))
    return out


@register()
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum treating NaN as zero."""
    _check_tensor(input, "nansum")
    out_dt = _sum_dtype(input, dtype)
    spec = NANSUM if out_dt.is_floating_point else SUM
    dims = _dims(input, dim)
    out = _reduce(spec, input, dims, keepdim, out_dt, _acc_of(out_dt))
    if needs_grad(input):
        record("NansumBackward0", out, (input,),
               lambda g: (rg.unreduce(g, input._shape, dims, keepdim)
                          * input.isnan().logical_not(),), saved=(input,))
    return out


@register()
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over dim (all dims when None); ints and bool multiply in int64."""
    _check_tensor(input, "prod")
    out_dt = _sum_dtype(input, dtype)
    dims = _dims(input, dim)
    out = _reduce(PROD, input, dims, keepdim, out_dt, _acc_of(out_dt))
    if needs_grad(input):
        record("ProdBackward0" if dim is None else "ProdBackward1", out, (input,),
               lambda g: (rg.prod_backward(g, input, dims, keepdim),), saved=(input,))
    return out


@register()
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over dim; floating inputs only (or a floating dtype=)."""
    _check_tensor(input, "mean")
    if dtype is None and not input.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: "
                           f"{_TYPE_NAMES[input.dtype.name]}")
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be "
                           f"either a floating point or complex dtype. Got: "
                           f"{_TYPE_NAMES[dtype.name]}")
    out_dt = dtype or input.dtype
    dims = _dims(input, dim)
    out = _reduce(MEAN, input, dims, keepdim, out_dt, _acc_of(out_dt))
    if needs_grad(input):
        record("MeanBackward0" if dim is None else "MeanBackward1", out, (input,),
               lambda g: (rg.mean_backward(g, input, dims, keepdim),))
    return out


@register()
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements."""
    _check_tensor(input, "nanmean")
    if not input.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_TYPE_NAMES[input.dtype.name]}")
    out_dt = dtype or input.dtype
    acc = _acc_of(out_dt)
    dims = _dims(input, dim)
    count = _reduce(NOTNAN, input, dims, True, acc, acc)
    out = _reduce(NANMEAN, input, dims, keepdim, out_dt, acc, aux=count)
    if needs_grad(input):
        # PyTorch computes nanmean as nansum / count: its node is the division's.
        kshape = rg.kept_shape(input._shape, dims)
        record("DivBackward0", out, (input,),
               lambda g: (rg.unreduce(g.reshape(kshape) / count, input._shape, dims, True)
                          * input.isnan().logical_not(),), saved=(input,))
    return out


# -- variance ---------------------------------------------------------------------------------
def _correction(unbiased, correction) -> float:
    if correction is not None:
        if unbiased is not None:
            raise RuntimeError("Cannot pass both correction and unbiased arguments")
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


def _moments(op: str, spec: ReduceSpec, input: Tensor, dim, unbiased, keepdim, correction,
             with_mean: bool):
    _check_tensor(input, op)
    if isinstance(dim, builtins.bool):  # var(input, unbiased) of the old signature
        dim, unbiased = None, dim
    if not input.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    c = _correction(unbiased, correction)
    dims = _dims(input, dim)
    n = _count(input, dims)
    if n - c <= 0 and input.numel():
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    acc = _acc_of(input.dtype)
    centre = _reduce(MEAN, input, dims, True, acc, acc)
    result = _reduce(spec, input, dims, keepdim, input.dtype, acc, aux=centre, param=c)
    average = _reduce(MEAN, input, dims, keepdim, input.dtype, acc) if with_mean else None
    if needs_grad(input):
        _record_moments(spec is STD, input, dims, keepdim, c, result, average, dim, unbiased,
                        correction)
    return result if not with_mean else (result, average)


def _record_moments(is_std: bool, input: Tensor, dims: tuple, keepdim: bool, c: float,
                    result: Tensor, average, dim, unbiased, correction) -> None:
    def spread(g):
        if not is_std:
            return rg.var_backward(g, input, dims, keepdim, c)
        res = rg.saved_output(saved, lambda: std(input, dim, unbiased, keepdim,
                                                 correction=correction))
        return rg.std_backward(g, input, res, dims, keepdim, c)

    saved = result.detach()
    stem = "Std" if is_std else "Var"
    keep = (input, saved) if is_std else (input,)
    if average is None:
        record(stem + "Backward0", result, (input,), lambda g: (spread(g),), saved=keep)
    else:
        record(stem + "MeanBackward0", (result, average), (input,),
               lambda g, gm: (spread(g) + rg.mean_backward(gm, input, dims, keepdim),),
               saved=keep)


@register()
def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance over dim with `correction` (1 by default; unbiased=False means 0)."""
    return _moments("var", VAR, input, dim, unbiased, keepdim, correction, False)


@register()
def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation over dim (see var)."""
    return _moments("std", STD, input, dim, unbiased, keepdim, correction, False)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None) -> tuple:
    """(var, mean) over dim."""
    return _moments("var_mean", VAR, input, dim, unbiased, keepdim, correction, True)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None) -> tuple:
    """(std, mean) over dim."""
    return _moments("std_mean", STD, input, dim, unbiased, keepdim, correction, True)


# -- norms and logsumexp ------------------------------------------------------------------------
@register()
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector p-norm over dim (p = 'fro', 2, 1, inf, -inf, 0 or any other number)."""
    _check_tensor(input, "norm")
    if not input.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {_TYPE_NAMES[input.dtype.name]}")
    if p is None or p == "fro":
        p = 2.0
    if isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} is a matrix norm; use clgrad.linalg.matrix_norm")
    p = float(p)
    out_dt = dtype or input.dtype
    acc = _acc_of(out_dt)
    dims = _dims(input, dim)
    if math.isinf(p):
        if input.numel() == 0 and dim is None:
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if input._shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the inf norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
        spec = NORMINF if p > 0 else NORMNINF
    else:
        spec = {2.0: NORM2, 1.0: NORM1, 0.0: NORM0}.get(p, NORMP)
    out = _reduce(spec, input, dims, keepdim, out_dt, acc, param=p)
    if needs_grad(input):
        saved = out.detach()

        def rule(g):
            res = rg.saved_output(saved, lambda: norm(input, p, dim, keepdim, dtype))
            return (rg.norm_backward(g, input, res, p, dims, keepdim),)
        record("LinalgVectorNormBackward0", out, (input,), rule, saved=(input, saved))
    return out


@register()
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over dim, computed stably."""
    _check_tensor(input, "logsumexp")
    out_dt = _float_dtype(input)
    acc = _acc_of(out_dt)
    dims = _dims(input, dim)
    shift = _reduce(AMAX, input, dims, True, acc, acc)
    out = _reduce(LOGSUMEXP, input, dims, keepdim, out_dt, acc, aux=shift)
    if needs_grad(input):
        saved = out.detach()

        def rule(g):
            res = rg.saved_output(saved, lambda: logsumexp(input, dim, keepdim))
            return (rg.logsumexp_backward(g, input, res, dims, keepdim),)
        record("LogsumexpBackward0", out, (input,), rule, saved=(input, saved))
    return out


# -- logical and counting -----------------------------------------------------------------------
def _logical(spec: ReduceSpec, input: Tensor, dim, keepdim: bool) -> Tensor:
    _check_tensor(input, spec.name)
    out_dt = dt.uint8 if input.dtype is dt.uint8 else dt.bool
    return _reduce(spec, input, _dims(input, dim), keepdim, out_dt, _acc_of(input.dtype))


@register()
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element over dim is nonzero."""
    return _logical(ALL, input, dim, keepdim)


@register()
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element over dim is nonzero."""
    return _logical(ANY, input, dim, keepdim)


@register()
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements over dim, as int64."""
    _check_tensor(input, "count_nonzero")
    return _reduce(COUNT, input, _dims(input, dim), False, dt.int64, _acc_of(input.dtype))


# -- extremes ---------------------------------------------------------------------------------
def _extreme_all(spec: ReduceSpec, input: Tensor, dim, keepdim: bool, op: str,
                 node: str) -> Tensor:
    _check_tensor(input, op)
    dims = _dims(input, dim)
    if input.numel() == 0 and (dim is None or dim == () or dim == []):
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    _require_nonempty(input, dims, op)
    out = _reduce(spec, input, dims, keepdim, input.dtype, _acc_of(input.dtype))
    if needs_grad(input):
        saved = out.detach()

        def rule(g):
            if node.startswith("A"):  # amax / amin: shared among ties per slice
                return (rg.scale_by_count(g, input, saved, dims, keepdim),)
            return (rg.evenly_distribute(g, input, saved),)  # max() / min(): NaN matches NaN
        record(node, out, (input,), rule, saved=(input, saved))
    return out


@register()
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over dim (all dims when empty); NaN propagates."""
    return _extreme_all(AMAX, input, dim, keepdim, "amax", "AmaxBackward0")


@register()
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over dim (all dims when empty); NaN propagates."""
    return _extreme_all(AMIN, input, dim, keepdim, "amin", "AminBackward0")


def _with_indices(kind: str, input: Tensor, dim, keepdim: bool, op: str):
    d = _one_dim(input, dim)
    dims = (d,) if input.ndim else ()
    _require_nonempty(input, dims, op)
    (values, indices), (vv, iv) = _outputs(input, dims, keepdim, input.dtype, dt.int64)
    input._storage.backend.arg_reduce(kind, vv, iv, input, dims)
    if needs_grad(input):
        _record_select(op.capitalize() + "Backward0", values, indices, input, d, keepdim)
    return _RT[op](values, indices)


def _record_select(name: str, values: Tensor, indices: Tensor, input: Tensor, d: int,
                   keepdim: bool) -> None:
    """Record an op whose values are input's elements at indices along d."""
    shape = input._shape
    record(name, (values, None), (input,),
           lambda g, _: (rg.select_backward(g, indices, shape, d, keepdim),), saved=(indices,))


def _max_min(kind: str, input: Tensor, dim, keepdim: bool, other):
    op = "max" if kind == "max" else "min"
    _check_tensor(input, op)
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        from . import pointwise
        binary = getattr(pointwise, "maximum" if kind == "max" else "minimum", None)
        if binary is None:
            import clgrad
            binary = getattr(clgrad, "maximum" if kind == "max" else "minimum")
        return binary(input, other)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}() received an invalid combination of arguments - got "
                            "(keepdim=bool, ), but expected (int dim, bool keepdim = False)")
        return _extreme_all(AMAX if kind == "max" else AMIN, input, None, False, op,
                            op.capitalize() + "Backward1")
    return _with_indices(kind, input, dim, keepdim, op)


@register()
def max(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """max(input) -> the maximum; max(input, dim) -> (values, indices); max(input, other)."""
    return _max_min("max", input, dim, keepdim, other)


@register()
def min(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """min(input) -> the minimum; min(input, dim) -> (values, indices); min(input, other)."""
    return _max_min("min", input, dim, keepdim, other)


def _arg(kind: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    op = "arg" + kind
    _check_tensor(input, op)
    if dim is None:
        if input.numel() == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        dims = tuple(range(input.ndim))
    else:
        d = _one_dim(input, dim)
        dims = (d,) if input.ndim else ()
        _require_nonempty(input, dims, op)
    (indices,), (iv,) = _outputs(input, dims, keepdim, dt.int64)
    input._storage.backend.arg_reduce(kind, None, iv, input, dims)
    return indices


@register()
def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first maximum (of the flattened input when dim is None)."""
    return _arg("max", input, dim, keepdim)


@register()
def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first minimum (of the flattened input when dim is None)."""
    return _arg("min", input, dim, keepdim)


@register()
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """(min, max) over dim (all dims when None)."""
    _check_tensor(input, "aminmax")
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        dims = tuple(range(input.ndim))
    else:
        d = _one_dim(input, dim)
        dims = (d,) if input.ndim else ()
        _require_nonempty(input, dims, "aminmax", sep="")
    acc = _acc_of(input.dtype)
    low = _reduce(AMIN, input, dims, keepdim, input.dtype, acc)
    high = _reduce(AMAX, input, dims, keepdim, input.dtype, acc)
    if needs_grad(input):
        saved_low, saved_high = low.detach(), high.detach()
        record("AminmaxBackward0", (low, high), (input,),
               lambda g_low, g_high: (
                   rg.scale_by_count(g_low, input, saved_low, dims, keepdim)
                   + rg.scale_by_count(g_high, input, saved_high, dims, keepdim),),
               saved=(input, saved_low, saved_high))
    return _RT["aminmax"](low, high)


# -- scans ------------------------------------------------------------------------------------
def _scan(kind: str, input: Tensor, dim, dtype, op: str) -> Tensor:
    _check_tensor(input, op)
    d = _one_dim(input, dim)
    out_dt = _sum_dtype(input, dtype)
    out = Tensor._empty(input._shape, out_dt, input.device)
    input._storage.backend.scan(kind, out, input, d)
    if needs_grad(input):
        if kind == "sum":
            record("CumsumBackward0", out, (input,),
                   lambda g: (rg.cumsum_backward(g, input, d),))
        else:
            saved = out.detach()

            def rule(g):
                res = rg.saved_output(saved, lambda: cumprod(input, dim, dtype=dtype))
                return (rg.cumprod_backward(g, input, res, d),)
            record("CumprodBackward0", out, (input,), rule, saved=(input, saved))
    return out


@register()
def cumsum(input: Tensor, dim, *, dtype=None) -> Tensor:
    """Cumulative sum along dim; ints and bool accumulate in int64."""
    return _scan("sum", input, dim, dtype, "cumsum")


@register()
def cumprod(input: Tensor, dim, *, dtype=None) -> Tensor:
    """Cumulative product along dim; ints and bool accumulate in int64."""
    return _scan("prod", input, dim, dtype, "cumprod")


def _cumext(kind: str, input: Tensor, dim):
    op = "cum" + kind
    _check_tensor(input, op)
    d = _one_dim(input, dim)
    values = Tensor._empty(input._shape, input.dtype, input.device)
    indices = Tensor._empty(input._shape, dt.int64, input.device)
    input._storage.backend.scan(kind, values, input, d, indices)
    if needs_grad(input):
        shape = input._shape

        def rule(g, _):
            if not shape:
                return (g,)
            return (rg.scatter_dim(g, d, indices, shape[d], accumulate=True),)
        record(op.capitalize() + "Backward0", (values, None), (input,), rule, saved=(indices,))
    return _RT[op](values, indices)


@register()
def cummax(input: Tensor, dim):
    """(values, indices) of the running maximum along dim (NaN propagates)."""
    return _cumext("max", input, dim)


@register()
def cummin(input: Tensor, dim):
    """(values, indices) of the running minimum along dim (NaN propagates)."""
    return _cumext("min", input, dim)


# -- sorting and selection ----------------------------------------------------------------------
def _select(input: Tensor, d: int, descending: bool, count: int, keepdim: bool = True,
            mode: str = "range", start: int = 0, with_values: bool = True):
    """Run the backend's sort writing `count` positions per row along d."""
    shape = list(input._shape)
    if input.ndim:
        shape[d] = count
    shape = tuple(shape)
    final = shape if keepdim or not input.ndim else shape[:d] + shape[d + 1:]
    values = Tensor._empty(final, input.dtype, input.device) if with_values else None
    indices = Tensor._empty(final, dt.int64, input.device)
    strides = contiguous_strides(shape)
    vv = values if values is None or keepdim else values._view(shape, strides, 0)
    iv = indices if keepdim else indices._view(shape, strides, 0)
    input._storage.backend.sort(input, d, descending, vv, iv, mode, start)
    return values, indices


def _dim_size(input: Tensor, d: int) -> int:
    return input._shape[d] if input.ndim else 1


@register()
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) sorted along dim; always stable, NaN sorts as the largest."""
    _check_tensor(input, "sort")
    d = _one_dim(input, dim)
    values, indices = _select(input, d, builtins.bool(descending), _dim_size(input, d))
    if needs_grad(input):
        _record_select("SortBackward0", values, indices, input, d, True)
    return _RT["sort"](values, indices)


@register()
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort input along dim (stable)."""
    _check_tensor(input, "argsort")
    d = _one_dim(input, dim)
    return _select(input, d, builtins.bool(descending), _dim_size(input, d),
                   with_values=False)[1]


@register()
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The k largest (or smallest) elements along dim, in sorted order."""
    _check_tensor(input, "topk")
    d = _one_dim(input, dim)
    k = operator.index(k)
    if not 0 <= k <= _dim_size(input, d):
        raise RuntimeError("selected index k out of range")
    values, indices = _select(input, d, builtins.bool(largest), k)
    if needs_grad(input):
        _record_select("TopkBackward0", values, indices, input, d, True)
    return _RT["topk"](values, indices)


@register()
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest element along dim."""
    _check_tensor(input, "kthvalue")
    d = _one_dim(input, dim)
    _require_nonempty(input, (d,) if input.ndim else (), "kthvalue")
    k = operator.index(k)
    if not 1 <= k <= _dim_size(input, d):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    values, indices = _select(input, d, False, 1, keepdim, start=k - 1)
    if needs_grad(input):
        _record_select("KthvalueBackward0", values, indices, input, d, keepdim)
    return _RT["kthvalue"](values, indices)


def _median(mode: str, input: Tensor, dim, keepdim: bool):
    _check_tensor(input, mode)
    name = mode.capitalize()
    if dim is None:
        with no_grad():
            flat = input.reshape(-1)
        if flat.numel() == 0:
            from .creation import full
            value = full((), math.nan, dtype=input.dtype, device=input.device)
        else:
            value = _select(flat, 0, False, 1, False, mode=mode)[0]
        if needs_grad(input):
            saved = value.detach()
            record(name + "Backward0", value, (input,),
                   lambda g: (rg.evenly_distribute(g, input, saved),), saved=(input, saved))
        return value
    d = _one_dim(input, dim)
    _require_nonempty(input, (d,) if input.ndim else (), mode)
    values, indices = _select(input, d, False, 1, keepdim, mode=mode)
    if needs_grad(input):
        _record_select(name + "Backward1", values, indices, input, d, keepdim)
    return _RT[mode](values, indices)


@register()
def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median (NaN when a NaN is present); with dim, (values, indices)."""
    return _median("median", input, dim, keepdim)


@register()
def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of the non-NaN elements; with dim, (values, indices)."""
    return _median("nanmedian", input, dim, keepdim)


# -- host-side ops (the counted numpy fallback on cl) ---------------------------------------------
def _host(input: Tensor, op: str) -> np.ndarray:
    if input.is_cl:
        from ..backends.cl.fallback import note_fallback
        note_fallback(op, input.device)
    return input.detach()._host()


def _device_tensor(array: np.ndarray, dtype: dt.dtype, device) -> Tensor:
    from .creation import from_host_array
    return from_host_array(np.ascontiguousarray(array, dtype=dtype.np), dtype, device)


@register()
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the most frequent value along dim (the smallest on ties; the
    index of its last occurrence)."""
    _check_tensor(input, "mode")
    d = _one_dim(input, dim)
    _require_nonempty(input, (d,) if input.ndim else (), "mode")
    a = _host(input, "mode")
    a = a.reshape(1) if a.ndim == 0 else a
    rows = np.moveaxis(a, d, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    vals = np.empty(flat.shape[0], a.dtype)
    idxs = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        uniq, counts = np.unique(row, return_counts=True)
        best = uniq[np.argmax(counts)]
        vals[r] = best
        idxs[r] = np.flatnonzero(row == best)[-1]
    shape = rows.shape[:-1]
    vals, idxs = vals.reshape(shape), idxs.reshape(shape)
    if keepdim and input.ndim:
        vals, idxs = np.expand_dims(vals, d), np.expand_dims(idxs, d)
    values = _device_tensor(vals, input.dtype, input.device)
    indices = _device_tensor(idxs, dt.int64, input.device)
    if needs_grad(input):
        _record_select("ModeBackward0", values, indices, input, d, keepdim)
    return _RT["mode"](values, indices)


@register()
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The sorted unique elements (along dim: unique slices), optionally with the inverse
    indices and the counts."""
    _check_tensor(input, "unique")
    a = _host(input, "unique")
    axis = None if dim is None else normalize_dim(operator.index(dim), input.ndim)
    values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
    if axis is None:
        inverse = inverse.reshape(a.shape)
    result = [_device_tensor(values, input.dtype, input.device)]
    if return_inverse:
        result.append(_device_tensor(inverse.reshape(-1) if axis is not None else inverse,
                                     dt.int64, input.device))
    if return_counts:
        result.append(_device_tensor(counts, dt.int64, input.device))
    if needs_grad(input):
        # PyTorch records a node whose backward raises.
        op = "_unique2" if axis is None else "unique_dim"
        rg.not_implemented("Unique2Backward0" if axis is None else "UniqueDimBackward0",
                           tuple(result), input, f"the derivative for '{op}' is not "
                           "implemented.")
    return result[0] if len(result) == 1 else tuple(result)


@register()
def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    """A histogram of `bins` equal bins over [min, max] (the data's range when equal)."""
    _check_tensor(input, "histc")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{_TYPE_NAMES[input.dtype.name]}'")
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    a = _host(input, "histc").reshape(-1)
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    inside = a[(a >= lo) & (a <= hi)]
    pos = ((inside - lo) / (hi - lo) * bins).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    counts = np.bincount(pos, minlength=bins)[:bins]
    return _device_tensor(counts, input.dtype, input.device)


# -- bincount (sort-based on cl: deterministic, no atomics) ---------------------------------
@register()
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Counts (or weight sums) of each value of a 1-d non-negative integer tensor."""
    _check_tensor(input, "bincount")
    if input.dtype.is_floating_point or input.dtype is dt.bool:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{_TYPE_NAMES[input.dtype.name]}'")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None:
        if weights.ndim != 1 or weights._shape[0] != input._shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out_dt = dt.float32 if weights.dtype is dt.float32 else dt.float64
    else:
        out_dt = dt.int64
    nbins = minlength
    if input.numel():
        low, high = aminmax(input)
        if low.item() < 0:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        nbins = builtins.max(nbins, high.item() + 1)
    out = Tensor._empty((nbins,), out_dt, input.device)
    input._storage.backend.bincount(input, weights, out)
    if weights is not None and needs_grad(weights):
        rg.not_implemented("NotImplemented", out, weights,
                           "derivative for aten::bincount is not implemented", RuntimeError)
    return out
