"""The declaration of a pointwise primitive: its numpy form, OpenCL C form and dtype rules."""
from __future__ import annotations

from typing import Callable, Optional, Union

from .. import _dtype as dt

# Result dtype rules, applied to the promoted dtype of the inputs.
PROMOTE = "promote"      # the promoted dtype (add, mul, maximum, ...)
FLOAT = "float"          # ints and bool become the default float dtype (exp, sqrt, div, ...)
BOOL = "bool"            # always bool (comparisons, logical ops, isnan, ...)


class PointwiseOp:
    """One pointwise primitive, declared once and served by every backend.

    cl: an OpenCL C expression over `a`, `b`, `c` (the operands converted to the compute type
        `{T}`), or a dict from category ("bool", "int", "float") to such expressions.
    numpy: a function of numpy arrays already in the compute dtype.
    ufunc: the numpy ufunc to call with `out=` when it matches exactly (the fast path).
    accepts: the input dtype categories allowed; others raise NotImplementedError (a
        RuntimeError), as PyTorch's dispatch does.
    compute_in: optional rule for the compute dtype ("float" computes ints in default float).
    helpers: names of <%def>s of kernels/math.cl.mako the expression calls.
    """

    def __init__(self, name: str, arity: int, cl: Union[str, dict], numpy: Callable,
                 ufunc=None, result: str = PROMOTE, accepts=("bool", "int", "float"),
                 compute_in: Optional[str] = None, helpers: tuple = ()):
        self.name = name
        self.arity = arity
        self.cl = cl
        self.numpy = numpy
        self.ufunc = ufunc
        self.result = result
        self.accepts = accepts
        self.compute_in = compute_in
        self.helpers = helpers
        self._dtype_cache: dict = {}

    def __repr__(self) -> str:
        return f"PointwiseOp({self.name})"

    def cl_expr(self, T: str, compute: dt.dtype) -> str:
        expr = self.cl
        if isinstance(expr, dict):
            category = ("bool", "int", "float")[compute.category]
            expr = expr.get(category) or expr["int" if category == "bool" else "float"]
        return expr.replace("{T}", T)

    def dtypes(self, promoted: dt.dtype) -> tuple:
        """(compute dtype, result dtype) for inputs whose promoted dtype is `promoted`."""
        cached = self._dtype_cache.get((promoted, dt.get_default_dtype()))
        if cached is None:
            cached = self._dtype_cache[(promoted, dt.get_default_dtype())] = \
                self._resolve_dtypes(promoted)
        return cached

    def _resolve_dtypes(self, promoted: dt.dtype) -> tuple:
        category = ("bool", "int", "float")[promoted.category]
        if category not in self.accepts:
            raise NotImplementedError(f'"{self.name}" not implemented for '
                               f"'{_torch_type_name(promoted)}'")
        compute = promoted
        if self.compute_in == FLOAT and not promoted.is_floating_point:
            compute = dt.get_default_dtype()
        if self.result == BOOL:
            return compute, dt.bool
        if self.result == FLOAT and not promoted.is_floating_point:
            return dt.get_default_dtype(), dt.get_default_dtype()
        return compute, compute


def _torch_type_name(d: dt.dtype) -> str:
    return {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
            "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double"}[d.name]


torch_type_name = _torch_type_name
