"""gradcheck / gradgradcheck: analytical gradients against central finite differences."""
from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical Jacobians disagree."""


def _as_tuple(x):
    from .._tensor import Tensor
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(func, inputs):
    return tuple(o for o in _as_tuple(func(*inputs)) if o is not None)


def _one_hot(like, flat_index: int):
    from ..ops.creation import tensor
    host = np.zeros(like.numel(), like.dtype.np)
    host[flat_index] = 1
    return tensor(host.reshape(like.shape), dtype=like.dtype, device=like.device)


def numerical_jacobians(func, inputs, eps: float):
    """J[i][o]: (numel(input i), numel(output o)) by central differences."""
    from ..ops.creation import tensor
    from .grad_mode import no_grad
    result = []
    for i, x in enumerate(inputs):
        if not (hasattr(x, "requires_grad") and x.requires_grad):
            result.append(None)
            continue
        base = x.detach().cpu().numpy().copy()
        columns = []
        for j in range(base.size):
            values = []
            for delta in (eps, -eps):
                moved = base.copy().reshape(-1)
                moved[j] += delta
                args = list(inputs)
                args[i] = tensor(moved.reshape(base.shape), dtype=x.dtype, device=x.device)
                with no_grad():
                    values.append([o.detach().cpu().numpy().astype(np.float64).reshape(-1)
                                   for o in _outputs(func, args)])
            columns.append([(p - m) / (2 * eps) for p, m in zip(*values)])
        per_output = [np.stack([c[o] for c in columns]) if columns else None
                      for o in range(len(columns[0]) if columns else 0)]
        result.append(per_output)
    return result


def analytical_jacobians(func, inputs):
    from . import grad as autograd_grad
    outputs = _outputs(func, inputs)
    diff_inputs = [x for x in inputs if hasattr(x, "requires_grad") and x.requires_grad]
    jac = {id(x): [np.zeros((x.numel(), o.numel())) for o in outputs] for x in diff_inputs}
    for o_index, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for k in range(out.numel()):
            grads = autograd_grad(out, diff_inputs, grad_outputs=_one_hot(out, k),
                                  retain_graph=True, allow_unused=True)
            for x, g in zip(diff_inputs, grads):
                if g is not None:
                    jac[id(x)][o_index][:, k] = g.detach().cpu().numpy().reshape(-1)
    return [jac.get(id(x)) for x in inputs], outputs


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_unused) -> bool:
    """Check the gradients of func at inputs (use float64 inputs with requires_grad=True)."""
    inputs = _as_tuple(inputs)
    analytical, outputs = analytical_jacobians(func, inputs)
    numerical = numerical_jacobians(func, inputs, eps)
    for i, (a_list, n_list) in enumerate(zip(analytical, numerical)):
        if a_list is None:
            continue
        for o, (a, n) in enumerate(zip(a_list, n_list)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {o} with respect to input {i},\n"
                        f"numerical:{n}\nanalytical:{a}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, **_unused) -> bool:
    """gradcheck of the gradient itself (double backward through create_graph=True)."""
    from ..ops.creation import tensor
    from . import grad as autograd_grad
    inputs = _as_tuple(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device,
                   requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n_inputs = len(inputs)
    diff = [i for i, x in enumerate(inputs) if hasattr(x, "requires_grad") and x.requires_grad]

    def first_grads(*args):
        # The numerical pass calls this under no_grad with fresh inputs: differentiate anyway.
        from .grad_mode import enable_grad
        with enable_grad():
            xs = tuple(x if i not in diff or x.requires_grad else x.detach().requires_grad_()
                       for i, x in enumerate(args[:n_inputs]))
            gos = args[n_inputs:]
            outs = _outputs(func, xs)
            grads = autograd_grad(outs, [xs[i] for i in diff], grad_outputs=gos,
                                  create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
