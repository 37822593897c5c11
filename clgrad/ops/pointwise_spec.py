"""The declaration of a pointwise primitive: its numpy form, OpenCL C form and dtype rules."""
from __future__ import annotations

from typing import Callable, Optional, Union

from .. import _dtype as dt
from .._typenames import scalar_name

# Result dtype rules, applied to the promoted dtype of the inputs.
PROMOTE = "promote"      # the promoted dtype (add, mul, maximum, ...)
FLOAT = "float"          # ints and bool become the default float dtype (exp, sqrt, div, ...)
BOOL = "bool"            # always bool (comparisons, logical ops, isnan, ...)


class PointwiseOp:
    """One pointwise primitive, declared once and served by every backend.

    opencl_c: an OpenCL C expression over `a`, `b`, `c` (the operands converted to the compute
        type `{T}`), or a dict from category ("bool", "int", "float") to such expressions.
    numpy: a function of numpy arrays already in the compute dtype.
    ufunc: the numpy ufunc to call with `out=` when it matches exactly (the fast path).
    accepts: the input dtype categories allowed; others raise NotImplementedError (a
        RuntimeError), as PyTorch's dispatch does.
    compute_in: optional rule for the compute dtype ("float" computes ints in default float).
    helpers: names of <%def>s of kernels/math.cl.mako the expression calls.
    grad: its Derivative (None: not differentiable, or bool results only).
    """

    def __init__(self, name: str, arity: int, opencl_c: Union[str, dict], numpy: Callable,
                 ufunc=None, result: str = PROMOTE, accepts=("bool", "int", "float"),
                 compute_in: Optional[str] = None, helpers: tuple = (),
                 grad: Optional["Derivative"] = None):
        self.name = name
        self.arity = arity
        self.opencl_c = opencl_c
        self.numpy = numpy
        self.ufunc = ufunc
        self.result = result
        self.accepts = accepts
        self.compute_in = compute_in
        self.helpers = helpers
        self.grad = grad
        self._dtype_cache: dict = {}

    def __repr__(self) -> str:
        return f"PointwiseOp({self.name})"

    def opencl_c_expr(self, T: str, compute: dt.dtype) -> str:
        """The OpenCL C expression for compute dtype `compute`, whose C type name is `T`."""
        expr = self.opencl_c
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
                                      f"'{scalar_name(promoted)}'")
        compute = promoted
        if self.compute_in == FLOAT and not promoted.is_floating_point:
            compute = dt.get_default_dtype()
        if self.result == BOOL:
            return compute, dt.bool
        if self.result == FLOAT and not promoted.is_floating_point:
            return dt.get_default_dtype(), dt.get_default_dtype()
        return compute, compute


OUT = "out"  # in Derivative.saves: the op's output


class Derivative:
    """How a pointwise primitive records autograd: PyTorch's node name and the gradient rule.

    rule(g, x, result, need) returns one gradient (or None) per entry of `inputs`, written with
        Tensor ops: g is the output's gradient, x the operands (tensors and numbers, scalar
        parameters included; for in-place forms x[0] is self's value before the write),
        result() the output (recomputed with recording under create_graph, so that double
        backward sees its dependence on the inputs), need[i] whether operand i needs a gradient.
    inputs: the operand positions that are the node's inputs, in PyTorch's order (None: an
        absent optional tensor argument, shown as an empty edge).
    scalar_forms: {position: Derivative} used when that operand is a number (PyTorch's Scalar
        overloads: another node name, and numbers take no edge).
    saves: {operand position or OUT: positions whose gradient reads it}: what the node saves
        (an in-place change to it before backward raises), as PyTorch saves it.
    """

    __slots__ = ("node", "rule", "inputs", "scalar_forms", "saves", "uses_result")

    def __init__(self, node: str, rule: Callable, inputs: tuple = (0,),
                 scalar_forms: Optional[dict] = None, saves: Optional[dict] = None):
        self.node = node
        self.rule = rule
        self.inputs = inputs
        self.scalar_forms = scalar_forms
        self.saves = saves or {}
        self.uses_result = OUT in self.saves

    def form(self, x) -> "Derivative":
        """The Derivative for operands x (a Scalar overload when an operand is a number)."""
        forms = self.scalar_forms
        if forms:
            for position, derivative in forms.items():
                if not hasattr(x[position], "_requires_grad"):
                    return derivative
        return self

    def __repr__(self) -> str:
        return f"Derivative({self.node})"


torch_type_name = scalar_name  # the one table of PyTorch's type names
