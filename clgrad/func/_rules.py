"""Batching rules: each op on BatchedTensors as one op on the physical tensors.

B maps an op's name to its batch-aware form: with no BatchedTensor among the arguments it is
the op itself; otherwise the rule for the highest level among them runs, calling B's functions
again on the values one level down (plain tensors at the bottom). Ops without a rule take the
per-op fallback (_batched.fallback). While vmap runs batched, clgrad.* and
clgrad.nn.functional.* are swapped for these forms (install/uninstall); BatchedTensor's methods
call them directly. Nothing here runs outside vmap."""
from __future__ import annotations

import builtins
import inspect
import operator
import types
import warnings

import numpy as np

import clgrad
from clgrad.ops import pointwise as _pw

from ._batched import (BatchedTensor, SANCTIONED, Unbatchable, _method_caller, fallback,
                       is_inplace, level_info, logical_dim, pad, top_level, unwrap, wrap, LEVELS)

B: dict = {}          # name -> batch-aware function
_BY_ORIG: dict = {}   # id(original function) -> batch-aware function
_NUMBER = (builtins.int, builtins.float, builtins.bool)


def _aware(orig, rule, name: str):
    """The batch-aware form of `orig`: rule(self_fn, level, args, kwargs) when batched."""
    def fn(*args, **kwargs):
        level = top_level(args, kwargs)
        if not level:
            return orig(*args, **kwargs)
        if rule is None:
            return fallback(fn, level, args, kwargs, name)
        return rule(fn, orig, level, args, kwargs, name)
    fn.__name__ = getattr(orig, "__name__", name)
    fn.__doc__ = getattr(orig, "__doc__", None)
    fn.__wrapped__ = orig
    fn._vmap_orig = orig
    return fn


def _register(name: str, orig, rule) -> None:
    existing = _BY_ORIG.get(id(orig))
    if existing is None:
        existing = _BY_ORIG[id(orig)] = _aware(orig, rule, name)
    B.setdefault(name, existing)


def _norm(d: int, n: int) -> int:
    m = builtins.max(n, 1)
    if not -m <= d < m:
        raise IndexError("Dimension out of range (expected to be in range of [%d, %d], but got "
                         "%d)" % (-m, m - 1, d))
    return d % m


def _size_arg(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _wrap_result(out, level):
    if isinstance(out, clgrad.Tensor):
        return wrap(out, level)
    if isinstance(out, tuple):
        items = [_wrap_result(o, level) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
    if isinstance(out, list):
        return [_wrap_result(o, level) for o in out]
    return out


# -- pointwise ---------------------------------------------------------------------------------
def _is_operand(x) -> builtins.bool:
    return isinstance(x, (clgrad.Tensor, np.number, np.bool_) + _NUMBER)


def _pointwise(fn, orig, level, args, kwargs, name):
    """Batch dims to the front, logical ranks aligned by size-1 dims after them; unbatched
    tensors and numbers broadcast as they are."""
    if kwargs.get("out") is not None:
        raise Unbatchable("vmap: out=")
    tensors = [a for a in args if isinstance(a, clgrad.Tensor)]
    tensors += [a for a in kwargs.values() if isinstance(a, clgrad.Tensor)]
    if not tensors:
        return fallback(fn, level, args, kwargs, name)
    ranks = [logical_dim(t, level) for t in tensors]
    top = builtins.max(ranks)
    batched0 = [t for t, r in zip(tensors, ranks) if r == 0 and unwrap(t, level)[1]]
    if batched0 and builtins.any(t.dtype != batched0[0].dtype for t in tensors):
        # a logical 0-dim tensor does not promote within its category; its physical form would
        return fallback(fn, level, args, kwargs, name)
    inplace = is_inplace(name) or kwargs.get("inplace") is True
    if inplace and (not unwrap(args[0], level)[1] or logical_dim(args[0], level) != top):
        raise Unbatchable("vmap: in-place into an unbatched or broadcast tensor")

    def lift(a):
        v, batched = unwrap(a, level)
        if batched:
            k = top - (v.dim() - 1)
            return pad(v, k) if k else v
        return a
    new_args = [lift(a) for a in args]
    new_kwargs = {k: lift(a) for k, a in kwargs.items()} if kwargs else kwargs
    out = fn(*new_args, **new_kwargs)
    if inplace:
        return args[0]
    return _wrap_result(out, level)


def _operator(op, name, reflected=False):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        args = (other, self) if reflected else (self, other)
        return _pointwise(op, op, top_level(args, None), args, {}, name)
    return method


def _unary_operator(op):
    def method(self):
        return _pointwise(op, op, self._blevel, (self,), {}, op.__name__)
    return method


# -- reductions --------------------------------------------------------------------------------
_TUPLE_DIMS = {"sum", "mean", "amax", "amin", "var", "std", "all", "any", "nansum", "nanmean",
               "count_nonzero", "var_mean", "std_mean", "logsumexp"}
_FLAT_ALL = {"argmax", "argmin", "prod", "norm"}   # dim=None: over the flattened sample


def _reduce(fn, orig, level, args, kwargs, name):
    sig = _SIGS.get(name)
    if sig is None:
        sig = _SIGS[name] = inspect.signature(orig)
    bound = sig.bind(*args, **kwargs)
    params = list(sig.parameters)
    x = bound.arguments[params[0]]
    v, batched = unwrap(x, level)
    rest = [a for k, a in bound.arguments.items() if k != params[0]]
    if not batched or top_level(rest, None) >= level:
        if name in ("max", "min"):
            other = bound.arguments.get("other", bound.arguments.get("dim"))
            if isinstance(other, clgrad.Tensor):
                return B["maximum" if name == "max" else "minimum"](x, other)
        return fallback(fn, level, args, kwargs, name)
    dim = bound.arguments.get("dim", None)
    if name in ("max", "min"):
        other = bound.arguments.get("other")
        if isinstance(dim, clgrad.Tensor) or isinstance(other, clgrad.Tensor):
            return B["maximum" if name == "max" else "minimum"](
                x, dim if other is None else other)
    r = v.dim() - 1
    keepdim = bound.arguments.get("keepdim", False)
    size = v.shape[0]
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        if name in ("max", "min"):
            src = v.unsqueeze(1) if r == 0 else v
            out = B["amax" if name == "max" else "amin"](src, tuple(range(1, builtins.max(r, 1)
                                                                          + 1)))
            return wrap(out, level)
        if name in _FLAT_ALL:
            flat = v.unsqueeze(1) if r == 0 else v.reshape(size, -1)
            bound.arguments[params[0]] = flat
            bound.arguments["dim"] = 1
            if "keepdim" in sig.parameters:
                bound.arguments["keepdim"] = False
            out = fn(*bound.args, **bound.kwargs)
            if keepdim and r:
                out = out.reshape((size,) + (1,) * r)
            return _wrap_result(out, level)
        if r == 0:
            v, dims, keepdim = v.unsqueeze(1), (1,), False
        else:
            dims = tuple(range(1, r + 1))
        if name not in _TUPLE_DIMS:
            return fallback(fn, level, args, kwargs, name)
        bound.arguments["dim"] = dims
    elif isinstance(dim, (tuple, list)):
        if name not in _TUPLE_DIMS:
            return fallback(fn, level, args, kwargs, name)
        try:
            dims = [_norm(d, r) for d in dim]
        except IndexError:
            return fallback(fn, level, args, kwargs, name)
        if r == 0:
            v, dims, keepdim = v.unsqueeze(1), [1], False
        else:
            dims = [d + 1 for d in dims]
        bound.arguments["dim"] = type(dim)(dims)
    elif isinstance(dim, builtins.int):
        try:
            d = _norm(dim, r)
        except IndexError:
            return fallback(fn, level, args, kwargs, name)
        if r == 0:
            v, d, keepdim = v.unsqueeze(1), 1, False
        else:
            d += 1
        bound.arguments["dim"] = d
    else:
        return fallback(fn, level, args, kwargs, name)
    if "keepdim" in sig.parameters:
        bound.arguments["keepdim"] = keepdim
    bound.arguments[params[0]] = v
    return _wrap_result(fn(*bound.args, **bound.kwargs), level)


_SIGS: dict = {}


# -- ops along one dim (softmax, scans, ...) -----------------------------------------------------
def _along_dim(default_pos: int, implicit=None):
    def rule(fn, orig, level, args, kwargs, name):
        x = args[0]
        v, batched = unwrap(x, level)
        if not batched or top_level(args[1:], kwargs) >= level:
            return fallback(fn, level, args, kwargs, name)
        args = list(args)
        kwargs = dict(kwargs)
        if len(args) > default_pos:
            dim, where = args[default_pos], "pos"
        else:
            dim, where = kwargs.get("dim"), "kw"
        r = v.dim() - 1
        if dim is None:
            if implicit is None:
                return fallback(fn, level, args, kwargs, name)
            warnings.warn("Implicit dimension choice for %s has been deprecated. Change the "
                          "call to include dim=X as an argument." % implicit, stacklevel=3)
            dim = 0 if r in (0, 1, 3) else 1
        if not isinstance(dim, builtins.int):
            return fallback(fn, level, args, kwargs, name)
        try:
            d = _norm(dim, r)
        except IndexError:
            return fallback(fn, level, args, kwargs, name)
        scalar = r == 0
        if scalar:
            v = v.unsqueeze(1)
        d += 1
        args[0] = v
        if where == "pos":
            args[default_pos] = d
        else:
            kwargs["dim"] = d
        out = fn(*args, **kwargs)
        if scalar:
            out = out.squeeze(1)
        return wrap(out, level)
    return rule


def _normalize(fn, orig, level, args, kwargs, name):
    """F.normalize(input, p=2.0, dim=1, ...): dim shifted (its default is 1, not None)."""
    args = list(args)
    if len(args) < 3 and "dim" not in kwargs:
        kwargs = dict(kwargs, dim=1)
    return _along_dim(2)(fn, orig, level, tuple(args), kwargs, name)


# -- matmul family -------------------------------------------------------------------------------
def _matmul_core(level, a, b):
    mm = B["matmul"]
    av, ab = unwrap(a, level)
    bv, bb = unwrap(b, level)
    ra, rb = logical_dim(a, level), logical_dim(b, level)
    if ab and bb:
        if ra == 1 and rb == 1:
            return mm(av.unsqueeze(1), bv.unsqueeze(2)).squeeze(-1).squeeze(-1)
        if ra == 1:
            return mm(pad(av.unsqueeze(1), rb - 2), bv).squeeze(-2)
        if rb == 1:
            return mm(av, pad(bv.unsqueeze(-1), ra - 2)).squeeze(-1)
        top = builtins.max(ra, rb)
        return mm(pad(av, top - ra), pad(bv, top - rb))
    if ab:
        if rb == 1:
            return mm(av, b)
        if ra == 1:
            return mm(av, b).movedim(-2, 0)
        return mm(pad(av, builtins.max(0, rb - ra)), b)
    if ra == 1:
        return mm(bv, a) if rb == 1 else mm(a, bv)
    if rb == 1:
        return mm(a, bv.transpose(0, 1)).movedim(-1, 0)
    return mm(a, pad(bv, builtins.max(0, ra - rb)))


_MATMUL_RANKS = {"matmul": None, "mm": (2, 2), "bmm": (3, 3), "mv": (2, 1), "dot": (1, 1),
                 "inner": None, "__matmul__": None}


def _matmul(fn, orig, level, args, kwargs, name):
    if kwargs or len(args) != 2 or not all(isinstance(a, clgrad.Tensor) for a in args):
        return fallback(fn, level, args, kwargs, name)
    a, b = args
    ra, rb = logical_dim(a, level), logical_dim(b, level)
    want = _MATMUL_RANKS.get(name)
    if ra == 0 or rb == 0 or (want is not None and (ra, rb) != want) or a.dtype != b.dtype:
        return fallback(fn, level, args, kwargs, name)
    return wrap(_matmul_core(level, a, b), level)


def _matmul_method(reflected=False):
    def method(self, other):
        if not isinstance(other, clgrad.Tensor):
            return NotImplemented
        args = (other, self) if reflected else (self, other)
        return B["matmul"](*args)
    return method


def _linear(fn, orig, level, args, kwargs, name):
    sig = _SIGS.get(name)
    if sig is None:
        sig = _SIGS[name] = inspect.signature(orig)
    bound = sig.bind(*args, **kwargs)
    x, w = bound.arguments["input"], bound.arguments["weight"]
    bias = bound.arguments.get("bias")
    xv, xb = unwrap(x, level)
    if xb and top_level((w, bias), None) < level and logical_dim(x, level) >= 1:
        return wrap(fn(xv, w, bias), level)
    if w.dim() not in (1, 2) or x.dim() == 0:
        return fallback(fn, level, args, kwargs, name)
    out = B["matmul"](x, w.transpose(0, 1) if w.dim() == 2 else w)
    return out if bias is None else out + bias


# -- nn.functional ops whose batch dim can lead ---------------------------------------------------
def _leading():
    """layer_norm (normalizes trailing dims) and embedding (looks up each index): the physical
    input, batch dim first, is a valid input as it is when only it is batched."""
    def rule(fn, orig, level, args, kwargs, name):
        v, batched = unwrap(args[0], level)
        if not batched or top_level(args[1:], kwargs) >= level or (
                name == "F.layer_norm" and v.dim() == 1):
            return fallback(fn, level, args, kwargs, name)
        return wrap(fn(v, *args[1:], **kwargs), level)
    return rule


def _elementwise_loss(fn, orig, level, args, kwargs, name):
    """mse_loss / l1_loss of same-shape operands: the unreduced loss, then the reduction over
    the logical dims."""
    sig = _SIGS.get(name)
    if sig is None:
        sig = _SIGS[name] = inspect.signature(orig)
    bound = sig.bind(*args, **kwargs)
    a, b = bound.arguments["input"], bound.arguments["target"]
    reduction = bound.arguments.get("reduction", "mean")
    extra = {k for k, v in bound.arguments.items()
             if k not in ("input", "target", "reduction") and v is not None}
    if extra or reduction not in ("none", "mean", "sum") or tuple(a.shape) != tuple(b.shape):
        return fallback(fn, level, args, kwargs, name)
    diff = a - b
    loss = diff * diff if name == "F.mse_loss" else diff.abs()
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


# -- shape ops (Tensor methods; clgrad.* forms share them) ---------------------------------------
def _bt_method(rule, name, batched_args=0):
    """A BatchedTensor method running `rule(self, value, r, *args)` when no other argument is
    batched at this level (but the last `batched_args` ones), the per-op fallback otherwise."""
    def method(self, *args, **kwargs):
        level = self._blevel
        if top_level(args[:len(args) - batched_args], kwargs) >= level:
            return fallback(_method_caller(name), level, (self,) + args, kwargs, name)
        v = self._bvalue
        try:
            out = rule(self, v, v.dim() - 1, *args, **kwargs)
        except _Fallback:
            return fallback(_method_caller(name), level, (self,) + args, kwargs, name)
        return out
    method.__name__ = name
    return method


class _Fallback(Exception):
    """A rule that meets arguments it does not handle: the per-op fallback gives the answer."""


def _dims_of(r, dims):
    try:
        return [_norm(d, r) + 1 for d in dims]
    except (IndexError, TypeError):
        raise _Fallback()


def _view(self, v, r, *shape):
    shape = _size_arg(shape)
    if not all(isinstance(s, builtins.int) for s in shape):
        raise _Fallback()
    return wrap(v.view((v.shape[0],) + shape), self._blevel)


def _reshape(self, v, r, *shape):
    shape = _size_arg(shape)
    if not all(isinstance(s, builtins.int) for s in shape):
        raise _Fallback()
    return wrap(v.reshape((v.shape[0],) + shape), self._blevel)


def _view_as(self, v, r, other):
    return wrap(v.view((v.shape[0],) + tuple(other.shape)), self._blevel)


def _reshape_as(self, v, r, other):
    return wrap(v.reshape((v.shape[0],) + tuple(other.shape)), self._blevel)


def _permute(self, v, r, *dims):
    dims = _size_arg(dims)
    if len(dims) != r:
        raise _Fallback()
    return wrap(v.permute((0,) + tuple(_dims_of(r, dims))), self._blevel)


def _transpose(self, v, r, dim0, dim1):
    d0, d1 = _dims_of(r, (dim0, dim1))
    if r == 0:
        return wrap(v, self._blevel)
    return wrap(v.transpose(d0, d1), self._blevel)


def _t(self, v, r):
    if r > 2:
        raise _Fallback()
    return wrap(v.transpose(1, 2) if r == 2 else v, self._blevel)


def _unsqueeze(self, v, r, dim):
    if not isinstance(dim, builtins.int) or not -(r + 1) <= dim <= r:
        raise _Fallback()
    return wrap(v.unsqueeze(dim % (r + 1) + 1), self._blevel)


def _squeeze(self, v, r, dim=None):
    shape = v.shape[1:]
    if dim is None:
        dims = tuple(i + 1 for i, s in enumerate(shape) if s == 1)
    elif isinstance(dim, builtins.int):
        (d,) = _dims_of(r, (dim,))
        dims = (d,) if r and shape[d - 1] == 1 else ()
    else:
        dims = tuple(d for d in _dims_of(r, dim) if shape[d - 1] == 1) if r else ()
    if not dims:
        return wrap(v.view(v.shape), self._blevel)
    return wrap(v.squeeze(dims), self._blevel)


def _flatten(self, v, r, start_dim=0, end_dim=-1):
    if r == 0:
        _dims_of(0, (start_dim, end_dim))
        return wrap(v.unsqueeze(1), self._blevel)
    s, e = _dims_of(r, (start_dim, end_dim))
    return wrap(v.flatten(s, e), self._blevel)


def _unflatten(self, v, r, dim, sizes):
    (d,) = _dims_of(r, (dim,))
    return wrap(v.unflatten(d, sizes), self._blevel)


def _expand(self, v, r, *sizes):
    sizes = _size_arg(sizes)
    if len(sizes) < r or not all(isinstance(s, builtins.int) for s in sizes):
        raise _Fallback()
    v = pad(v, len(sizes) - r)
    return wrap(v.expand((v.shape[0],) + sizes), self._blevel)


def _expand_as(self, v, r, other):
    return _expand(self, v, r, tuple(other.shape))


def _select(self, v, r, dim, index):
    if not isinstance(index, builtins.int) or isinstance(index, builtins.bool):
        raise _Fallback()
    (d,) = _dims_of(r, (dim,))
    return wrap(v.select(d, index), self._blevel)


def _narrow(self, v, r, dim, start, length):
    if not isinstance(start, builtins.int):
        raise _Fallback()
    (d,) = _dims_of(r, (dim,))
    return wrap(v.narrow(d, start, length), self._blevel)


def _movedim(self, v, r, source, destination):
    one = isinstance(source, builtins.int)
    src = _dims_of(r, (source,) if one else source)
    dst = _dims_of(r, (destination,) if isinstance(destination, builtins.int) else destination)
    return wrap(v.movedim(src[0] if one else tuple(src), dst[0] if one else tuple(dst)),
                self._blevel)


def _flip(self, v, r, *dims):
    dims = _size_arg(dims)
    return wrap(v.flip(tuple(_dims_of(r, dims))), self._blevel)


def _unbind(self, v, r, dim=0):
    (d,) = _dims_of(r, (dim,))
    return tuple(wrap(t, self._blevel) for t in v.unbind(d))


def _split(self, v, r, split_size_or_sections, dim=0):
    (d,) = _dims_of(r, (dim,))
    return tuple(wrap(t, self._blevel) for t in v.split(split_size_or_sections, d))


def _chunk(self, v, r, chunks, dim=0):
    (d,) = _dims_of(r, (dim,))
    return tuple(wrap(t, self._blevel) for t in v.chunk(chunks, d))


def _repeat(self, v, r, *sizes):
    sizes = _size_arg(sizes)
    if len(sizes) < r:
        raise _Fallback()
    return wrap(pad(v, len(sizes) - r).repeat((1,) + sizes), self._blevel)


def _contiguous(self, v, r, memory_format=None):
    if memory_format not in (None, clgrad.contiguous_format):
        raise _Fallback()
    return wrap(v.contiguous(), self._blevel)


def _clone(self, v, r, *, memory_format=None):
    if memory_format not in (None, clgrad.contiguous_format, clgrad.preserve_format):
        raise _Fallback()
    return wrap(v.clone(), self._blevel)


def _to(self, v, r, *args, **kwargs):
    if kwargs.get("memory_format") is not None:
        raise _Fallback()
    args = list(args)
    if args and isinstance(args[0], clgrad.Tensor):
        args[0:1] = [args[0].device, args[0].dtype]
    return wrap(v.to(*args, **kwargs), self._blevel)


def _type_as(self, v, r, other):
    return wrap(v.to(other.dtype), self._blevel)


def _getitem(self, v, r, key):
    items = key if isinstance(key, tuple) else (key,)
    for k in items:
        if not (k is None or k is Ellipsis or isinstance(k, builtins.slice)
                or (isinstance(k, builtins.int) and not isinstance(k, builtins.bool))):
            raise _Fallback()
    return wrap(v[(builtins.slice(None),) + items], self._blevel)


def _setitem(self, v, r, key, value):
    items = key if isinstance(key, tuple) else (key,)
    for k in items:
        if not (k is None or k is Ellipsis or isinstance(k, builtins.slice)
                or (isinstance(k, builtins.int) and not isinstance(k, builtins.bool))):
            raise _Fallback()
    pkey = (builtins.slice(None),) + items
    vv, vb = unwrap(value, self._blevel)
    if vb:
        region = v[pkey].dim() - 1
        k = region - (vv.dim() - 1)
        if k < 0:
            raise _Fallback()
        vv = pad(vv, k)
    v[pkey] = vv
    return None


_SHAPE_METHODS = {
    "view": _view, "reshape": _reshape, "view_as": _view_as, "reshape_as": _reshape_as,
    "permute": _permute, "transpose": _transpose, "swapaxes": _transpose,
    "swapdims": _transpose, "t": _t, "unsqueeze": _unsqueeze, "squeeze": _squeeze,
    "flatten": _flatten, "unflatten": _unflatten, "expand": _expand, "expand_as": _expand_as,
    "select": _select, "narrow": _narrow, "movedim": _movedim, "moveaxis": _movedim,
    "flip": _flip, "unbind": _unbind, "split": _split, "chunk": _chunk, "repeat": _repeat,
    "contiguous": _contiguous, "clone": _clone, "to": _to, "type_as": _type_as,
    "__getitem__": _getitem,
}
_CASTS = ("float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte",
          "bool", "cpu", "cl", "cuda")


def _method_rule(name):
    """clgrad.<name>(x, ...) for a shape op: the method's rule on x."""
    def rule(fn, orig, level, args, kwargs, _name):
        x = args[0] if args else None
        if type(x) is not BatchedTensor or x._blevel != level:
            return fallback(fn, level, args, kwargs, name)
        return getattr(x, name)(*args[1:], **kwargs)
    return rule


def _join(stack):
    def rule(fn, orig, level, args, kwargs, name):
        tensors = args[0] if args else kwargs.get("tensors")
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        rest = {k: a for k, a in kwargs.items() if k not in ("tensors", "dim")}
        if rest or not isinstance(tensors, (list, tuple)) or not tensors \
                or not isinstance(dim, builtins.int):
            return fallback(fn, level, args, kwargs, name)
        size = level_info(level).size
        r = logical_dim(tensors[0], level)
        try:
            d = _norm(dim, r + 1 if stack else r)
        except IndexError:
            return fallback(fn, level, args, kwargs, name)
        values = []
        for t in tensors:
            v, batched = unwrap(t, level)
            if not batched:
                v = t.unsqueeze(0).expand((size,) + tuple(t.shape))
            values.append(v)
        return wrap(fn(values, d + 1), level)
    return rule


# -- creation ----------------------------------------------------------------------------------
def _like(fn, orig, level, args, kwargs, name):
    x = args[0] if args else kwargs.get("input")
    v, batched = unwrap(x, level)
    if not batched or top_level(args[1:], {k: a for k, a in kwargs.items() if k != "input"}) \
            >= level:
        return fallback(fn, level, args, kwargs, name)
    random = name in ("rand_like", "randn_like")
    if random and (LEVELS[-1].level != level or len(LEVELS) > 1
                   or level_info(level).randomness == "same"):
        return fallback(fn, level, args, kwargs, name)
    SANCTIONED[0] += 1
    try:
        out = fn(v, *args[1:], **{k: a for k, a in kwargs.items() if k != "input"})
    finally:
        SANCTIONED[0] -= 1
    return wrap(out, level)


def _random_pointwise(fn, orig, level, args, kwargs, name):
    """dropout and friends: 'different' draws for the whole batch at once; 'same' loops with
    the generator replayed per sample."""
    info = level_info(level)
    if info.randomness == "error":  # a draw raises PyTorch's error; none (eval mode) batches
        return _pointwise(fn, orig, level, args, kwargs, name)
    if len(LEVELS) > 1 or info.randomness != "different":
        return fallback(fn, level, args, kwargs, name)
    SANCTIONED[0] += 1
    try:
        return _pointwise(fn, orig, level, args, kwargs, name)
    finally:
        SANCTIONED[0] -= 1


def _random_creation(orig, name):
    """rand / randn under randomness='different': one draw of (batch, *size)."""
    def fn(*args, **kwargs):
        if top_level(args, kwargs):
            return fallback(fn, top_level(args, kwargs), args, kwargs, name)
        if len(LEVELS) != 1 or LEVELS[0].randomness != "different" \
                or kwargs.get("out") is not None or SANCTIONED[0]:
            return orig(*args, **kwargs)
        info = LEVELS[0]
        SANCTIONED[0] += 1
        try:
            out = orig((info.size,) + _size_arg(args), **kwargs)
        finally:
            SANCTIONED[0] -= 1
        return wrap(out, info.level)
    fn.__name__ = name
    fn._vmap_orig = orig
    return fn


# -- autograd.grad across batched tensors --------------------------------------------------------
def _levels(x):
    out = []
    while type(x) is BatchedTensor:
        out.append(x._blevel)
        x = x._bvalue
    return out, x


def _rewrap(phys, levels):
    for lvl in reversed(levels):
        phys = wrap(phys, lvl)
    return phys


def _grad_aware(orig):
    def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
             only_inputs=True, allow_unused=None, is_grads_batched=False,
             materialize_grads=False):
        single_out = isinstance(outputs, clgrad.Tensor)
        outs = [outputs] if single_out else list(outputs)
        single_in = isinstance(inputs, clgrad.Tensor)
        ins = [inputs] if single_in else list(inputs)
        if not any(type(t) is BatchedTensor for t in outs + ins) and not (
                grad_outputs is not None and any(
                    type(g) is BatchedTensor for g in (
                        [grad_outputs] if isinstance(grad_outputs, clgrad.Tensor)
                        else grad_outputs))):
            return orig(outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
                        allow_unused, is_grads_batched, materialize_grads)
        out_levels = [_levels(t) for t in outs]
        want = out_levels[0][0]
        if any(lv != want for lv, _ in out_levels):
            raise Unbatchable("vmap: autograd.grad of outputs batched differently")
        in_levels = [_levels(t) for t in ins]
        if any(lv != want for lv, _ in in_levels):
            raise Unbatchable("vmap: autograd.grad of inputs batched unlike the outputs")
        gos = None
        if grad_outputs is not None:
            given = [grad_outputs] if isinstance(grad_outputs, clgrad.Tensor) \
                else list(grad_outputs)
            gos = []
            for g, (_, phys) in zip(given, out_levels):
                if g is None:
                    gos.append(None)
                    continue
                lv, gp = _levels(g)
                if lv == want:
                    gos.append(gp)
                elif not lv:
                    gos.append(gp.expand(phys.shape))
                else:
                    raise Unbatchable("vmap: grad_outputs batched unlike the outputs")
        got = orig([p for _, p in out_levels], [p for _, p in in_levels], gos, retain_graph,
                   create_graph, only_inputs, allow_unused, is_grads_batched, materialize_grads)
        return tuple(None if g is None else _rewrap(g, want) for g in got)
    grad._vmap_orig = orig
    return grad


# -- the tables ----------------------------------------------------------------------------------
_F_POINTWISE = ("relu", "relu_", "hardtanh", "hardtanh_", "relu6", "threshold", "threshold_",
                "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu", "celu_",
                "gelu", "silu", "mish", "sigmoid", "tanh", "hardsigmoid", "hardswish",
                "softplus", "logsigmoid", "hardshrink", "softshrink", "softsign", "tanhshrink")
_REDUCTIONS = ("sum", "mean", "amax", "amin", "max", "min", "prod", "var", "std", "logsumexp",
               "norm", "argmax", "argmin", "all", "any", "nansum", "nanmean", "count_nonzero",
               "var_mean", "std_mean")
_built = [False]


def build() -> None:
    if _built[0]:
        return
    _built[0] = True
    import clgrad.nn.functional as F
    pointwise = dict(_pw._WITH_INPLACE)
    pointwise.update(_pw._METHOD_ONLY)
    for skip in ("allclose", "equal"):
        pointwise.pop(skip)
    pointwise["where"] = _pw.where
    for name, fn in pointwise.items():
        _register(name, fn, _pointwise)
    for name in _REDUCTIONS:
        _register(name, getattr(clgrad, name), _reduce)
    for name in ("softmax", "log_softmax"):
        _register(name, getattr(clgrad, name), _along_dim(1))
        _register("F." + name, getattr(F, name), _along_dim(1, "softmax"))
    _register("F.softmin", F.softmin, _along_dim(1, "softmax"))
    for name in ("cumsum", "cumprod", "logcumsumexp"):
        if hasattr(clgrad, name):
            _register(name, getattr(clgrad, name), _along_dim(1))
    for name in ("matmul", "mm", "bmm", "mv", "dot", "inner"):
        if hasattr(clgrad, name):
            _register(name, getattr(clgrad, name), _matmul)
    _register("F.linear", F.linear, _linear)
    _register("F.layer_norm", F.layer_norm, _leading())
    _register("F.embedding", F.embedding, _leading())
    _register("F.normalize", F.normalize, _normalize)
    for name in ("mse_loss", "l1_loss"):
        _register("F." + name, getattr(F, name), _elementwise_loss)
    for name in _F_POINTWISE:
        _register("F." + name, getattr(F, name), _pointwise)
    for name in ("dropout", "alpha_dropout", "rrelu"):
        _register("F." + name, getattr(F, name), _random_pointwise)
    _register("bernoulli", clgrad.bernoulli, _random_pointwise)
    for name in ("cat", "concat", "concatenate"):
        _register(name, getattr(clgrad, name), _join(False))
    _register("stack", clgrad.stack, _join(True))
    for name in ("zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
                 "randn_like"):
        _register(name, getattr(clgrad, name), _like)
    for name in ("reshape", "permute", "transpose", "swapaxes", "swapdims", "t", "unsqueeze",
                 "squeeze", "flatten", "unflatten", "select", "narrow", "movedim", "moveaxis",
                 "flip", "unbind", "split", "chunk", "clone"):
        if hasattr(clgrad, name):
            _register(name, getattr(clgrad, name), _method_rule(name))
    _install_methods()


def _install_methods() -> None:
    from ._batched import install_fallbacks
    T = clgrad.Tensor
    for name, fn in list(_pw._WITH_INPLACE.items()) + list(_pw._METHOD_ONLY.items()):
        if name in ("allclose", "equal"):
            continue
        aware = _BY_ORIG[id(fn)]
        setattr(BatchedTensor, name, _as_method(aware))
        if name in _pw._WITH_INPLACE:
            setattr(BatchedTensor, name + "_", _inplace_method(name + "_"))
    BatchedTensor.where = lambda self, condition, y: B["where"](condition, self, y)
    for name in _REDUCTIONS + ("softmax", "log_softmax", "cumsum", "cumprod", "logcumsumexp",
                               "matmul", "mm", "bmm", "mv", "dot", "inner"):
        if name in B and hasattr(T, name):
            setattr(BatchedTensor, name, _as_method(B[name]))
    for name, rule in _SHAPE_METHODS.items():
        setattr(BatchedTensor, name, _bt_method(rule, name))
    BatchedTensor.__setitem__ = _bt_method(_setitem, "__setitem__", 1)
    for name in _CASTS:
        if hasattr(T, name):
            setattr(BatchedTensor, name, _cast_method(name))
    BatchedTensor.T = property(lambda self: self.permute(
        tuple(range(self.dim() - 1, -1, -1))))
    BatchedTensor.mT = property(lambda self: self.transpose(-2, -1))
    ops = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
           "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
           "pow": operator.pow, "and": operator.and_, "or": operator.or_, "xor": operator.xor}
    for short, op in ops.items():
        setattr(BatchedTensor, "__%s__" % short, _operator(op, "__%s__" % short))
        setattr(BatchedTensor, "__r%s__" % short,
                _operator(op, "__r%s__" % short, reflected=True))
        iop = getattr(operator, "i" + short)
        setattr(BatchedTensor, "__i%s__" % short, _inplace_operator(iop, "__i%s__" % short))
    for short in ("eq", "ne", "lt", "le", "gt", "ge"):
        setattr(BatchedTensor, "__%s__" % short,
                _operator(getattr(operator, short), "__%s__" % short))
    for short, op in (("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs),
                      ("invert", operator.invert)):
        setattr(BatchedTensor, "__%s__" % short, _unary_operator(op))
    BatchedTensor.__matmul__ = _matmul_method()
    BatchedTensor.__rmatmul__ = _matmul_method(reflected=True)
    for name, fn in list(_pw._WITH_INPLACE.items()) + list(_pw._METHOD_ONLY.items()):
        if name not in ("allclose", "equal"):
            _TENSOR_METHODS[name] = _as_method(_BY_ORIG[id(fn)])
    for name in ("matmul", "mm", "bmm", "mv", "dot", "inner", "max", "min"):
        if name in B:
            _TENSOR_METHODS[name] = _as_method(B[name])
    install_fallbacks()


_TENSOR_METHODS: dict = {}


def _as_method(aware):
    def method(self, *args, **kwargs):
        return aware(self, *args, **kwargs)
    method.__name__ = aware.__name__
    return method


def _inplace_method(name):
    def method(self, *args, **kwargs):
        level = top_level((self,) + args, kwargs)
        return _pointwise(_method_caller(name), None, level, (self,) + args, kwargs, name)
    method.__name__ = name
    return method


def _inplace_operator(op, name):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        return _pointwise(op, op, top_level((self, other), None), (self, other), {}, name)
    return method


def _cast_method(name):
    def method(self, *args, **kwargs):
        if top_level(args, kwargs):
            return fallback(_method_caller(name), self._blevel, (self,) + args, kwargs, name)
        return wrap(getattr(self._bvalue, name)(*args, **kwargs), self._blevel)
    method.__name__ = name
    return method


# -- swapping the entry points while vmap runs batched --------------------------------------------
_SWAPPED: list = []   # (namespace, name, original)
_RANDOM_CREATION = ("rand", "randn")


def _aware_for(orig, name: str):
    aware = _BY_ORIG.get(id(orig))
    if aware is not None and aware._vmap_orig is orig:
        return aware
    aware = B.get(name)
    if aware is None or aware._vmap_orig is not orig:
        aware = _aware(orig, None, name)
    _BY_ORIG[id(orig)] = aware
    return aware


_PLAN: dict = {}  # namespace -> (size, itemgetter, originals, {name: original}, {name: aware})


def _plan(ns, prefix: str) -> tuple:
    """The functions of a module to swap (two dicts, applied with dict.update), computed again
    when the module gained or changed names (setattr by other code) since the last vmap."""
    d = vars(ns)
    known = _PLAN.get(ns)
    if known is not None and known[0] == len(d) and known[1](d) == known[2]:
        return known
    origs, awares = {}, {}
    for name, orig in list(d.items()):
        if name.startswith("_") or not isinstance(orig, types.FunctionType):
            continue
        if name in _RANDOM_CREATION and ns is clgrad:
            aware = _random_creation(orig, name)
        else:
            aware = _aware_for(orig, prefix + name)
        origs[name] = orig
        awares[name] = aware
    names = tuple(origs)
    known = _PLAN[ns] = (len(d), operator.itemgetter(*names), tuple(origs.values()), origs,
                         awares)
    return known


def install() -> None:
    build()
    import clgrad.autograd
    import clgrad.nn.functional as F
    for ns, prefix in ((clgrad, ""), (F, "F.")):
        plan = _plan(ns, prefix)
        vars(ns).update(plan[4])
        _SWAPPED.append((vars(ns), None, plan[3]))
    # plain.method(batched, ...): the Tensor methods of the rules see batched arguments
    T = clgrad.Tensor
    for name, method in _TENSOR_METHODS.items():
        orig = vars(T).get(name)
        if orig is not None:
            _SWAPPED.append((T, name, orig))
            setattr(T, name, method)
    orig = clgrad.autograd.grad
    aware = _GRAD.get("aware")
    if aware is None or aware._vmap_orig is not orig:
        aware = _GRAD["aware"] = _grad_aware(orig)
    _SWAPPED.append((vars(clgrad.autograd), "grad", orig))
    vars(clgrad.autograd)["grad"] = aware
    from . import _autodiff
    orig = vars(_autodiff)["_prepare"]
    aware = _GRAD.get("prepare")
    if aware is None or aware._vmap_orig is not orig:
        aware = _GRAD["prepare"] = _prepare_aware(orig)
    _SWAPPED.append((vars(_autodiff), "_prepare", orig))
    vars(_autodiff)["_prepare"] = aware


def _prepare_aware(orig):
    """grad/vjp/jacrev under vmap: an input not batched at the innermost level becomes an
    expanded batched one, so that its gradient is per sample (per-sample gradients of shared
    parameters) and autograd.grad sees inputs batched like the outputs."""
    def prepare(x):
        e = orig(x)
        if LEVELS and isinstance(e, clgrad.Tensor):
            info = LEVELS[-1]
            if type(e) is not BatchedTensor or e._blevel != info.level:
                e = wrap(e.unsqueeze(0).expand((info.size,) + tuple(e.shape)), info.level)
        return e
    prepare._vmap_orig = orig
    return prepare


_GRAD: dict = {}


def uninstall() -> None:
    while _SWAPPED:
        ns, name, orig = _SWAPPED.pop()
        if name is None:
            ns.update(orig)
        elif type(ns) is dict:
            ns[name] = orig
        else:
            setattr(ns, name, orig)


__all__ = ["B", "install", "uninstall", "build", "Unbatchable"]
