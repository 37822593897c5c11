"""numpy kernels of the optim family (mixed into CpuBackend): the fused optimizer updates.

The same rules as kernels/optim.cl.mako, written with numpy on whole arrays. Values are
computed in the parameter's dtype (float32 for float16, written back rounded), with the
host scalars cast to it first, as PyTorch's CPU kernels do.
"""
from __future__ import annotations

import numpy as np


def _lerp(start, end, w):
    # torch.lerp's two-sided form (matches its rounding).
    if w < 0.5:
        return start + w * (end - start)
    return end - (end - start) * (1 - w)


def _sgd(f, p, g, st, weight_decay, momentum, dampening_c, lr):
    if f["momentum"]:
        if f["first"]:
            b = g.copy()
        else:
            b = st[0] * momentum + dampening_c * g
        st[0][...] = b
        g = g + momentum * b if f["nesterov"] else b
    return p + (-lr) * g


def _adam(f, p, g, st, weight_decay, decay, w1, beta2, w2, step_size, bc2_sqrt, eps):
    m = _lerp(st[0], g, w1)
    v = st[1] * beta2 + w2 * (g * g)
    st[0][...] = m
    st[1][...] = v
    if f["amsgrad"]:
        v = np.maximum(st[2], v)
        st[2][...] = v
    denom = np.sqrt(v) / bc2_sqrt + eps
    return p + (-step_size) * (m / denom)


def _rmsprop(f, p, g, st, weight_decay, alpha, w, eps, momentum, lr):
    s = st[0] * alpha + w * (g * g)
    st[0][...] = s
    k = 1
    if f["momentum"]:
        k += 1
    if f["centered"]:
        a = _lerp(st[k], g, w)
        st[k][...] = a
        avg = np.sqrt(s + (-1) * (a * a)) + eps
    else:
        avg = np.sqrt(s) + eps
    if f["momentum"]:
        b = st[1] * momentum + g / avg
        st[1][...] = b
        return p + (-lr) * b
    return p + (-lr) * (g / avg)


def _adagrad(f, p, g, st, weight_decay, eps, clr):
    s = st[0] + g * g
    st[0][...] = s
    return p + (-clr) * (g / (np.sqrt(s) + eps))


def _adadelta(f, p, g, st, weight_decay, rho, w, eps, lr):
    s = st[0] * rho + w * (g * g)
    delta = np.sqrt(st[1] + eps) / np.sqrt(s + eps) * g
    st[0][...] = s
    st[1][...] = st[1] * rho + w * (delta * delta)
    return p + (-lr) * delta


def _adamax(f, p, g, st, weight_decay, w1, beta2, eps, clr):
    m = _lerp(st[0], g, w1)
    u = np.maximum(st[1] * beta2, np.abs(g) + eps)
    st[0][...] = m
    st[1][...] = u
    return p + (-clr) * (m / u)


def _nadam(f, p, g, st, weight_decay, decay, w1, beta2, w2, bc2, eps, c_grad, c_avg):
    m = _lerp(st[0], g, w1)
    v = st[1] * beta2 + w2 * (g * g)
    st[0][...] = m
    st[1][...] = v
    denom = np.sqrt(v / bc2) + eps
    p = p + c_grad * (g / denom)
    return p + c_avg * (m / denom)


def _radam(f, p, g, st, weight_decay, decay, w1, beta2, w2, bc1, lr, bc2_sqrt, eps, rect):
    m = _lerp(st[0], g, w1)
    v = st[1] * beta2 + w2 * (g * g)
    st[0][...] = m
    st[1][...] = v
    if f["rectify"]:
        return p - (m / bc1) * lr * (bc2_sqrt / (np.sqrt(v) + eps)) * rect
    return p - (m / bc1) * lr


_RULES = {"sgd": _sgd, "adam": _adam, "rmsprop": _rmsprop, "adagrad": _adagrad,
          "adadelta": _adadelta, "adamax": _adamax, "nadam": _nadam, "radam": _radam}


class CpuOptim:
    def optim_step(self, kind: str, flags: tuple, param, grad, states: list,
                   scalars: list) -> None:
        """One fused update of `param` (and its `states`) in place; all contiguous, one dtype."""
        f = dict(flags)
        target = self.view(param)
        compute = np.float32 if target.dtype == np.float16 else target.dtype.type
        scalars = [compute(s) for s in scalars]
        half = target.dtype == np.float16
        p = target.astype(compute) if half else target
        g = self.view(grad)
        g = g.astype(compute) if half else g
        st = [self.view(s) for s in states]
        if half:
            st = [s.astype(compute) for s in st]
        if f["maximize"]:
            g = -g
        if f.get("decoupled"):
            p = p * scalars[1]
        elif f["wd"]:
            g = g + scalars[0] * p
        result = _RULES[kind](f, p, g, st, *scalars)
        target[...] = result
        if half:
            for view, value in zip((self.view(s) for s in states), st):
                view[...] = value
