"""Pointwise operations as functions, Tensor methods, in-place forms and Python operators."""
from __future__ import annotations

from .._tensor import Tensor, register
from . import table as T
from .dispatch import run

__all__ = ['add', 'sub', 'mul', 'div', 'neg', 'exp', 'log', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']


def _check_bool_sub(a, b) -> None:
    from .. import _dtype as dt
    a_bool = a.dtype is dt.bool if isinstance(a, Tensor) else isinstance(a, bool)
    b_bool = b.dtype is dt.bool if isinstance(b, Tensor) else isinstance(b, bool)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")


def _scaled(other, alpha):
    if alpha is None or alpha == 1:
        return other
    return run(T.MUL, (other, alpha))


def add(input, other, *, alpha=1, out=None) -> Tensor:
    return run(T.ADD, (input, _scaled(other, alpha)), out=out)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    _check_bool_sub(input, other)
    return run(T.SUB, (input, _scaled(other, alpha)), out=out)


def mul(input, other, *, out=None) -> Tensor:
    return run(T.MUL, (input, other), out=out)


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    if rounding_mode is None:
        return run(T.DIV, (input, other), out=out)
    raise NotImplementedError  # filled in with floor/trunc division below


def neg(input, *, out=None) -> Tensor:
    from .. import _dtype as dt
    if isinstance(input, Tensor) and input.dtype is dt.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return run(T.NEG, (input,), out=out)


def exp(input, *, out=None) -> Tensor:
    return run(T.EXP, (input,), out=out)


def log(input, *, out=None) -> Tensor:
    return run(T.LOG, (input,), out=out)


def eq(input, other, *, out=None) -> Tensor:
    return run(T.EQ, (input, other), out=out)


def ne(input, other, *, out=None) -> Tensor:
    return run(T.NE, (input, other), out=out)


def lt(input, other, *, out=None) -> Tensor:
    return run(T.LT, (input, other), out=out)


def le(input, other, *, out=None) -> Tensor:
    return run(T.LE, (input, other), out=out)


def gt(input, other, *, out=None) -> Tensor:
    return run(T.GT, (input, other), out=out)


def ge(input, other, *, out=None) -> Tensor:
    return run(T.GE, (input, other), out=out)


# -- Tensor methods, in-place forms and operators ------------------------------------------
def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _inplace(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, out=self, **kwargs)
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place form of {fn.__name__}()."
    return method


for _fn in (add, sub, mul, div, neg, exp, log, eq, ne, lt, le, gt, ge):
    register(_fn.__name__)(_method(_fn))
    register(_fn.__name__ + "_")(_inplace(_fn))
register("__iadd__")(_inplace(add))
register("__isub__")(_inplace(sub))
register("__imul__")(_inplace(mul))
register("__itruediv__")(_inplace(div))

register("__add__", "__radd__")(lambda self, other: add(self, other))
register("__sub__")(lambda self, other: sub(self, other))
register("__rsub__")(lambda self, other: sub(other, self))
register("__mul__", "__rmul__")(lambda self, other: mul(self, other))
register("__truediv__")(lambda self, other: div(self, other))
register("__rtruediv__")(lambda self, other: div(other, self))
register("__neg__")(lambda self: neg(self))
register("__eq__")(lambda self, other: eq(self, other))
register("__ne__")(lambda self, other: ne(self, other))
register("__lt__")(lambda self, other: lt(self, other))
register("__le__")(lambda self, other: le(self, other))
register("__gt__")(lambda self, other: gt(self, other))
register("__ge__")(lambda self, other: ge(self, other))
