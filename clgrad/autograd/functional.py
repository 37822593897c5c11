"""Higher-level derivatives: vjp, jvp, jacobian, hessian, vhp, hvp."""
from __future__ import annotations

import numpy as np


def _as_tuple(x):
    from .._tensor import Tensor
    return (x, True) if isinstance(x, Tensor) else (tuple(x), False)


def _grad_inputs(inputs, create_graph: bool):
    # Work on fresh leaves so the caller's tensors and graph stay untouched.
    return tuple(x.detach().requires_grad_(True) for x in inputs)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J)."""
    from . import grad
    from .grad_mode import enable_grad
    inputs, single_in = _as_tuple(inputs)
    with enable_grad():
        xs = _grad_inputs(inputs, create_graph)
        outputs = func(*xs)
        outs, single_out = _as_tuple(outputs)
        vs = None if v is None else _as_tuple(v)[0]
        grads = grad(outs, xs, grad_outputs=vs, create_graph=create_graph, allow_unused=True)
    grads = tuple(g if g is not None else x.new_zeros(x.shape) for g, x in zip(grads, xs))
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return (outs[0] if single_out else outs), (grads[0] if single_in else grads)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v), by differentiating a vjp with respect to its cotangent."""
    from . import grad
    from .grad_mode import enable_grad
    inputs, single_in = _as_tuple(inputs)
    vs = _as_tuple(v)[0] if v is not None else tuple(x.new_ones(x.shape) for x in inputs)
    with enable_grad():
        xs = _grad_inputs(inputs, create_graph)
        outs, single_out = _as_tuple(func(*xs))
        cotangents = tuple(o.new_zeros(o.shape).requires_grad_(True) for o in outs)
        g = grad(outs, xs, grad_outputs=cotangents, create_graph=True, allow_unused=True)
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None]
        result = grad([p[0] for p in pairs], cotangents, grad_outputs=[p[1] for p in pairs],
                      create_graph=create_graph, allow_unused=True)
    result = tuple(r if r is not None else o.new_zeros(o.shape) for r, o in zip(result, outs))
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return (outs[0] if single_out else outs), (result[0] if single_out else result)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """d func / d inputs, shaped output.shape + input.shape, row by row with vjps."""
    from ..ops.creation import tensor
    from . import grad
    from .grad_mode import enable_grad
    inputs, single_in = _as_tuple(inputs)
    with enable_grad():
        xs = _grad_inputs(inputs, create_graph)
        outs, single_out = _as_tuple(func(*xs))
        table = []
        for out in outs:
            rows = [[] for _ in xs]
            for k in range(out.numel()):
                onehot = np.zeros(out.numel(), out.dtype.np)
                onehot[k] = 1
                seed = tensor(onehot.reshape(out.shape), dtype=out.dtype, device=out.device)
                gs = grad(out, xs, grad_outputs=seed, retain_graph=True,
                          create_graph=create_graph, allow_unused=True)
                for i, (g, x) in enumerate(zip(gs, xs)):
                    rows[i].append(g if g is not None else x.new_zeros(x.shape))
            from ..ops.join import stack
            per_input = tuple(
                stack(r).reshape(tuple(out.shape) + tuple(x.shape)) if r else
                x.new_zeros(tuple(out.shape) + tuple(x.shape)) for r, x in zip(rows, xs))
            if not create_graph:
                per_input = tuple(p.detach() for p in per_input)
            table.append(per_input[0] if single_in else per_input)
    return table[0] if single_out else tuple(table)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """Second derivatives of a scalar function, shaped input.shape + input.shape."""
    inputs_t, single_in = _as_tuple(inputs)

    def gradient(*xs):
        jac = jacobian(func, xs, create_graph=True)
        return jac[0] if single_in else jac

    result = jacobian(gradient, inputs_t if not single_in else inputs_t[0],
                      create_graph=create_graph)
    return result


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H)."""
    inputs_t, single_in = _as_tuple(inputs)

    def gradient(*xs):
        return vjp(func, xs, create_graph=True)[1]

    out = func(*inputs_t)
    return out.detach(), vjp(gradient, inputs_t if not single_in else inputs_t[0], v,
                             create_graph=create_graph)[1]


hvp = vhp  # the Hessian of a scalar function is symmetric
