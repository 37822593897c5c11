"""Reductions: sum, mean, prod, var/std, norm, logsumexp, all/any, max/min and the arg forms,
as functions and Tensor methods. Each runs a ReduceSpec of reduce_table.py; its gradient
rule is in reduce_grad.py. Scans are in scan.py, sorting and counting in sort.py, the ops
that run on the host in host_fallback.py.
"""
from __future__ import annotations

import builtins
import math
import warnings

from .. import _dtype as dt
from .._tensor import Tensor, register
from .._typenames import SCALAR_NAMES as _TYPE_NAMES
from ..autograd.graph import needs_grad, record
from . import pointwise
from . import reduce_grad as rg
from .reduce_args import (RETURN_TYPES, acc_of, check_input, one_dim, outputs, reduced_count,
                          reduced_dims, require_nonempty, run_reduce, sum_dtype)
from .reduce_table import (ALL, AMAX, AMIN, ANY, COUNT, LOGSUMEXP, MEAN, NANMEAN, NANSUM,
                           NORM0, NORM1, NORM2, NORMINF, NORMNINF, NORMP, NOTNAN, PROD, STD,
                           SUM, VAR, ReduceSpec)

__all__ = ["sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
           "argmax", "argmin", "std", "var", "std_mean", "var_mean", "norm", "logsumexp", "all",
           "any", "count_nonzero"]


def _float_dtype(x: Tensor) -> dt.dtype:
    return x.dtype if x.dtype.is_floating_point else dt.get_default_dtype()


@register()
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over dim (all dims when None); ints and bool sum to int64."""
    check_input(input, "sum")
    out_dt = sum_dtype(input, dtype)
    dims = reduced_dims(input, dim)
    out = run_reduce(SUM, input, dims, keepdim, out_dt, acc_of(out_dt))
    if needs_grad(input):
        shape = input._shape
        record("SumBackward0" if dim is None else "SumBackward1", out, (input,),
               lambda g: (rg.unreduce(g, shape, dims, keepdim),))
    return out


@register()
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum treating NaN as zero."""
    check_input(input, "nansum")
    out_dt = sum_dtype(input, dtype)
    spec = NANSUM if out_dt.is_floating_point else SUM
    dims = reduced_dims(input, dim)
    out = run_reduce(spec, input, dims, keepdim, out_dt, acc_of(out_dt))
    if needs_grad(input):
        record("NansumBackward0", out, (input,),
               lambda g: (rg.unreduce(g, input._shape, dims, keepdim)
                          * input.isnan().logical_not(),), saved=(input,))
    return out


@register()
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over dim (all dims when None); ints and bool multiply in int64."""
    check_input(input, "prod")
    out_dt = sum_dtype(input, dtype)
    dims = reduced_dims(input, dim)
    out = run_reduce(PROD, input, dims, keepdim, out_dt, acc_of(out_dt))
    if needs_grad(input):
        record("ProdBackward0" if dim is None else "ProdBackward1", out, (input,),
               lambda g: (rg.prod_backward(g, input, dims, keepdim),), saved=(input,))
    return out


@register()
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over dim; floating inputs only (or a floating dtype=)."""
    check_input(input, "mean")
    if dtype is None and not input.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: "
                           f"{_TYPE_NAMES[input.dtype.name]}")
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be "
                           f"either a floating point or complex dtype. Got: "
                           f"{_TYPE_NAMES[dtype.name]}")
    out_dt = dtype or input.dtype
    dims = reduced_dims(input, dim)
    out = run_reduce(MEAN, input, dims, keepdim, out_dt, acc_of(out_dt))
    if needs_grad(input):
        record("MeanBackward0" if dim is None else "MeanBackward1", out, (input,),
               lambda g: (rg.mean_backward(g, input, dims, keepdim),))
    return out


@register()
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements."""
    check_input(input, "nanmean")
    if not input.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_TYPE_NAMES[input.dtype.name]}")
    out_dt = dtype or input.dtype
    acc = acc_of(out_dt)
    dims = reduced_dims(input, dim)
    count = run_reduce(NOTNAN, input, dims, True, acc, acc)
    out = run_reduce(NANMEAN, input, dims, keepdim, out_dt, acc, aux=count)
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
    check_input(input, op)
    if isinstance(dim, builtins.bool):  # var(input, unbiased) of the old signature
        dim, unbiased = None, dim
    if not input.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    c = _correction(unbiased, correction)
    dims = reduced_dims(input, dim)
    n = reduced_count(input, dims)
    if n - c <= 0 and input.numel():
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    acc = acc_of(input.dtype)
    centre = run_reduce(MEAN, input, dims, True, acc, acc)
    result = run_reduce(spec, input, dims, keepdim, input.dtype, acc, aux=centre, param=c)
    average = run_reduce(MEAN, input, dims, keepdim, input.dtype, acc) if with_mean else None
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
    check_input(input, "norm")
    if not input.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {_TYPE_NAMES[input.dtype.name]}")
    if p is None or p == "fro":
        p = 2.0
    if isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} is a matrix norm; use clgrad.linalg.matrix_norm")
    p = float(p)
    out_dt = dtype or input.dtype
    acc = acc_of(out_dt)
    dims = reduced_dims(input, dim)
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
    out = run_reduce(spec, input, dims, keepdim, out_dt, acc, param=p)
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
    check_input(input, "logsumexp")
    out_dt = _float_dtype(input)
    acc = acc_of(out_dt)
    dims = reduced_dims(input, dim)
    shift = run_reduce(AMAX, input, dims, True, acc, acc)
    out = run_reduce(LOGSUMEXP, input, dims, keepdim, out_dt, acc, aux=shift)
    if needs_grad(input):
        saved = out.detach()

        def rule(g):
            res = rg.saved_output(saved, lambda: logsumexp(input, dim, keepdim))
            return (rg.logsumexp_backward(g, input, res, dims, keepdim),)
        record("LogsumexpBackward0", out, (input,), rule, saved=(input, saved))
    return out


# -- logical and counting -----------------------------------------------------------------------
def _logical(spec: ReduceSpec, input: Tensor, dim, keepdim: bool) -> Tensor:
    check_input(input, spec.name)
    out_dt = dt.uint8 if input.dtype is dt.uint8 else dt.bool
    return run_reduce(spec, input, reduced_dims(input, dim), keepdim, out_dt, acc_of(input.dtype))


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
    check_input(input, "count_nonzero")
    return run_reduce(COUNT, input, reduced_dims(input, dim), False, dt.int64, acc_of(input.dtype))


# -- extremes ---------------------------------------------------------------------------------
def _extreme_all(spec: ReduceSpec, input: Tensor, dim, keepdim: bool, op: str,
                 node: str) -> Tensor:
    check_input(input, op)
    dims = reduced_dims(input, dim)
    if input.numel() == 0 and (dim is None or dim == () or dim == []):
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    require_nonempty(input, dims, op)
    out = run_reduce(spec, input, dims, keepdim, input.dtype, acc_of(input.dtype))
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
    d = one_dim(input, dim)
    dims = (d,) if input.ndim else ()
    require_nonempty(input, dims, op)
    (values, indices), (vv, iv) = outputs(input, dims, keepdim, input.dtype, dt.int64)
    input._storage.backend.arg_reduce(kind, vv, iv, input, dims)
    if needs_grad(input):
        rg.record_select(op.capitalize() + "Backward0", values, indices, input, d, keepdim)
    return RETURN_TYPES[op](values, indices)


def _max_min(kind: str, input: Tensor, dim, keepdim: bool, other):
    op = "max" if kind == "max" else "min"
    check_input(input, op)
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        return (pointwise.maximum if kind == "max" else pointwise.minimum)(input, other)
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
    check_input(input, op)
    if input.dtype is dt.bool:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        if input.numel() == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        dims = tuple(range(input.ndim))
    else:
        d = one_dim(input, dim)
        dims = (d,) if input.ndim else ()
        require_nonempty(input, dims, op)
    (indices,), (iv,) = outputs(input, dims, keepdim, dt.int64)
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
    check_input(input, "aminmax")
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        dims = tuple(range(input.ndim))
    else:
        d = one_dim(input, dim)
        dims = (d,) if input.ndim else ()
        require_nonempty(input, dims, "aminmax", sep="")
    acc = acc_of(input.dtype)
    low = run_reduce(AMIN, input, dims, keepdim, input.dtype, acc)
    high = run_reduce(AMAX, input, dims, keepdim, input.dtype, acc)
    if needs_grad(input):
        saved_low, saved_high = low.detach(), high.detach()
        record("AminmaxBackward0", (low, high), (input,),
               lambda g_low, g_high: (
                   rg.scale_by_count(g_low, input, saved_low, dims, keepdim)
                   + rg.scale_by_count(g_high, input, saved_high, dims, keepdim),),
               saved=(input, saved_low, saved_high))
    return RETURN_TYPES["aminmax"](low, high)
