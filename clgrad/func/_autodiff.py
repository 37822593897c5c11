"""grad, vjp, jvp and the Jacobians over the tape autograd.

Each transform makes its inputs differentiable: an input that already carries a graph (an outer
transform is differentiating through this one) is aliased, so the outer graph stays connected;
others are detached leaves. Graphs are always built with create_graph=True so transforms nest;
results are detached when no outer transform needs them."""
import clgrad

from ._tree import flatten


def _prepare(x):
    if x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _finish(t, keep):
    if t is None:
        return None
    return t if keep else t.detach()


def _select(args, argnums):
    if isinstance(argnums, int):
        if not -len(args) <= argnums < len(args):
            raise RuntimeError("Got argnums=%d, but only %d positional inputs"
                               % (argnums, len(args)))
        return (argnums,), True
    if isinstance(argnums, tuple) and argnums:
        return tuple(a % len(args) for a in argnums), False
    raise RuntimeError("argnums must be int or Tuple[int, ...], got: %r" % (argnums,))


def _vjp_core(func, args, argnums, has_aux, kwargs):
    """Runs func with args[argnums] differentiable: (output, aux, diff leaves, rebuilders)."""
    nums, single = _select(args, argnums)
    args = list(args)
    keep = False
    diff = []
    rebuilds = []
    for i in nums:
        leaves, rb = flatten(args[i])
        keep = keep or any(getattr(t, "requires_grad", False) for t in leaves)
        new = [_prepare(t) for t in leaves]
        diff.append(new)
        rebuilds.append(rb)
        args[i] = rb(new)
    with clgrad.enable_grad():
        out = func(*args, **kwargs)
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError("grad_and_value(f)(*args): output of function f should be a "
                               "tuple: (output, aux) if has_aux is True")
        out, aux = out
    return out, aux, diff, rebuilds, single, keep


def _grads(outputs, inputs, cotangents):
    # Outputs that do not depend on any input contribute zero (autograd refuses them).
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return [clgrad.zeros_like(x) for x in inputs]
    got = clgrad.autograd.grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                               create_graph=True, allow_unused=True)
    return [clgrad.zeros_like(x) if g is None else g for g, x in zip(got, inputs)]


def grad_and_value(func, argnums=0, has_aux=False):
    def wrapper(*args, **kwargs):
        out, aux, diff, rebuilds, single, keep = _vjp_core(func, args, argnums, has_aux, kwargs)
        if not isinstance(out, clgrad.Tensor):
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                               "Tensor, got %s" % type(out))
        if out.dim() != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                               "scalar Tensor, got tensor with %d dims. Maybe you wanted "
                               "to use the vjp or jacrev APIs instead?" % out.dim())
        flat = [t for group in diff for t in group]
        gs = _grads((out,), flat, (clgrad.ones_like(out),))
        res, i = [], 0
        for group, rb in zip(diff, rebuilds):
            res.append(rb([_finish(g, keep) for g in gs[i:i + len(group)]]))
            i += len(group)
        g = res[0] if single else tuple(res)
        value = _finish(out, keep)
        return (g, (value, aux)) if has_aux else (g, value)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    out, aux, diff, rebuilds, _, keep = _vjp_core(func, primals, tuple(range(len(primals))),
                                                  has_aux, {})
    out_leaves, out_rb = flatten(out)

    def vjp_fn(cotangents):
        cots, _ = flatten(cotangents)
        if len(cots) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function")
        flat = [t for group in diff for t in group]
        gs = _grads(out_leaves, flat, cots)
        res, i = [], 0
        for group, rb in zip(diff, rebuilds):
            res.append(rb([_finish(g, keep) for g in gs[i:i + len(group)]]))
            i += len(group)
        return tuple(res)

    value = out_rb([_finish(t, keep) for t in out_leaves])
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """Forward-mode product by the double-vjp trick: d/du <vjp(u), t> = J t."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                           "tuples")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure")
    out, aux, diff, _, _, keep = _vjp_core(func, primals, tuple(range(len(primals))),
                                           has_aux, {})
    out_leaves, out_rb = flatten(out)
    flat = [t for group in diff for t in group]
    tans = [t for tan in tangents for t in flatten(tan)[0]]
    us = [clgrad.zeros_like(o).requires_grad_(True) for o in out_leaves]
    with clgrad.enable_grad():
        gs = _grads(out_leaves, flat, us)
        jv = clgrad.autograd.grad(gs, us, tans, create_graph=True, allow_unused=True)
    jv = [clgrad.zeros_like(o) if j is None else j for j, o in zip(jv, out_leaves)]
    res = (out_rb([_finish(t, keep) for t in out_leaves]),
           out_rb([_finish(t, keep) for t in jv]))
    return res + (aux,) if has_aux else res


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    def wrapper(*args, **kwargs):
        out, aux, diff, rebuilds, single, keep = _vjp_core(func, args, argnums, has_aux, kwargs)
        out_leaves, out_rb = flatten(out)
        flat = [t for group in diff for t in group]
        per_out = []
        for o in out_leaves:
            rows = [[] for _ in flat]
            for k in range(o.numel()):
                onehot = clgrad.zeros(o.numel(), dtype=o.dtype, device=o.device)
                onehot[k] = 1
                gs = _grads((o,), flat, (onehot.reshape(o.shape),))
                for r, g in zip(rows, gs):
                    r.append(g)
            jacs = []
            for x, r in zip(flat, rows):
                if r:
                    j = clgrad.stack(r).reshape(tuple(o.shape) + tuple(x.shape))
                else:
                    j = clgrad.zeros(tuple(o.shape) + tuple(x.shape), dtype=o.dtype,
                                     device=o.device)
                jacs.append(_finish(j, keep))
            res, i = [], 0
            for group, rb in zip(diff, rebuilds):
                res.append(rb(jacs[i:i + len(group)]))
                i += len(group)
            per_out.append(res[0] if single else tuple(res))
        jac = out_rb(per_out)
        return (jac, aux) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The same Jacobian as jacrev (computed by reverse mode; the values are identical)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           "'same'. Got %s" % randomness)
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    return jacfwd(jacrev(func, argnums), argnums)
