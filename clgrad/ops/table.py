"""The pointwise op table: each primitive declared once, as data, for every backend.

Expressions are OpenCL C over a, b, c converted to the compute type {T}; numpy forms take
arrays already in the compute dtype. Composite ops (sigmoid via exp, ...) belong in
pointwise.py, not here; a primitive here needs a reason (speed or numerical stability).
"""
from __future__ import annotations

import numpy as np

from .spec import BOOL, FLOAT, PROMOTE, PointwiseOp

OPS: dict = {}


def declare(name: str, arity: int, cl, numpy, **kw) -> PointwiseOp:
    op = OPS[name] = PointwiseOp(name, arity, cl, numpy, **kw)
    return op


# The identity, used by copies and casts.
COPY = declare("copy", 1, "a", lambda a: a)

# -- arithmetic ---------------------------------------------------------------------------
ADD = declare("add", 2, "a + b", np.add, ufunc=np.add)
SUB = declare("sub", 2, "a - b", np.subtract, ufunc=np.subtract)
MUL = declare("mul", 2, "a * b", np.multiply, ufunc=np.multiply)
# true division computes ints in the default float dtype (result rule FLOAT).
DIV = declare("div", 2, "a / b", np.true_divide, ufunc=np.true_divide, result=FLOAT,
              compute_in=FLOAT)
NEG = declare("neg", 1, "-a", np.negative, ufunc=np.negative, accepts=("int", "float"))

# -- exponentials -------------------------------------------------------------------------
EXP = declare("exp", 1, "exp(a)", np.exp, ufunc=np.exp, result=FLOAT, compute_in=FLOAT)
LOG = declare("log", 1, "log(a)", np.log, ufunc=np.log, result=FLOAT, compute_in=FLOAT)

# -- comparisons --------------------------------------------------------------------------
EQ = declare("eq", 2, "a == b", np.equal, result=BOOL)
NE = declare("ne", 2, "a != b", np.not_equal, result=BOOL)
LT = declare("lt", 2, "a < b", np.less, result=BOOL)
LE = declare("le", 2, "a <= b", np.less_equal, result=BOOL)
GT = declare("gt", 2, "a > b", np.greater, result=BOOL)
GE = declare("ge", 2, "a >= b", np.greater_equal, result=BOOL)

# -- selection ----------------------------------------------------------------------------
# where(cond, x, y): the condition is operand a (bool), promotion is over b and c only.
WHERE = declare("where", 3, "(a != 0) ? b : c", lambda a, b, c: np.where(a != 0, b, c))
