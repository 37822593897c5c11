"""poisson(rates) and binomial(count, prob): counts drawn as vectorised Tensor ops.

PyTorch's algorithms, each over all elements at once: Poisson by multiplying uniforms until
the product falls below exp(-rate) for rates under 10, and by Hormann's transformed rejection
(PTRS) above; Binomial by summing geometric waiting times while n * p < 10, and by Hormann's
BTRS rejection above (on min(p, 1 - p), mirrored back). Loops run over the elements still
unfinished (a shrinking set), never per element in Python. clgrad's Philox streams, not
PyTorch's generator, supply the uniforms, so the samples follow the same law, not the same
values.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from .._typenames import SCALAR_NAMES
from ..autograd.grad_mode import no_grad
from ..autograd.graph import needs_grad, record
from .creation import arange, tensor, zeros_like
from .pointwise import where
from .random_ops import _compute, _generator, _not_implemented, rand
from .rejection import until_accepted

__all__ = ["poisson", "binomial"]


def _uniform(n_like: Tensor, gen) -> Tensor:
    return rand(n_like.shape, dtype=n_like.dtype, device=n_like.device, generator=gen)


def _positive_uniform(n_like: Tensor, gen) -> Tensor:
    """Uniform on (0, 1], whose log is finite."""
    return 1 - _uniform(n_like, gen)


def _count_until(params: tuple, dtype, step) -> Tensor:
    """Per element, the count that step(state, *params) -> (state, done) reaches when done.

    The count starts at 0 and grows by one each round the element is not done; finished
    elements leave the working set, so a round costs only the unfinished ones.
    """
    n = params[0].numel()
    device = params[0].device
    result = Tensor._empty((n,), dtype, device)
    if n == 0:
        return result
    pending = arange(n, device=device)
    state = None
    count = 0
    while True:
        state, done = step(state, *params)
        result[pending[done]] = float(count)
        more = ~done
        pending = pending[more]
        if pending.numel() == 0:
            return result
        params = tuple(p[more] for p in params)
        state = state[more]
        count += 1


def _poisson_small(rate: Tensor, gen) -> Tensor:
    """Rates under 10: the number of uniforms whose running product stays above exp(-rate)."""
    def step(prod, limit):
        u = _uniform(limit, gen)
        prod = u if prod is None else prod * u
        return prod, ~(prod > limit)

    return _count_until(((-rate).exp(),), rate.dtype, step)


def _poisson_large(rate: Tensor, gen) -> Tensor:
    """Rates of 10 and more: Hormann's PTRS (1993), as PyTorch's sample_poisson."""
    slam = rate.sqrt()
    loglam = rate.log()
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)

    def propose(rate, loglam, a, b, invalpha, vr):
        u = _uniform(rate, gen) - 0.5
        v = _positive_uniform(rate, gen)
        us = 0.5 - u.abs()
        k = ((2 * a / us + b) * u + rate + 0.43).floor()
        quick = (us >= 0.07) & (v <= vr)
        possible = (k >= 0) & ~((us < 0.013) & (v > us))
        k_safe = where(k >= 0, k, 0.0)  # lgamma only where it is finite
        bound = v.log() + invalpha.log() - (a / (us * us) + b).log()
        exact = possible & (bound <= -rate + k_safe * loglam - (k_safe + 1).lgamma())
        return k, quick | exact

    return until_accepted((rate, loglam, a, b, invalpha, vr), rate.dtype, propose)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Samples of Poisson(input) in input's dtype (rates >= 0), as torch.poisson.

    Its gradient is zero (PoissonBackward0), as PyTorch's."""
    if not input.dtype.is_floating_point:
        raise _not_implemented("poisson_cpu", input.dtype)
    if input.is_cpu and input.numel() and bool((input < 0).any()):
        # Values are checked where reading them costs nothing (cpu); a cl check would wait.
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    gen = _generator(generator, "poisson")
    with no_grad():
        rate = input.reshape(-1).to(_compute(input.dtype))
        large = rate >= 10
        small = ~large & (rate != 0)
        out = zeros_like(rate)
        out[small] = _poisson_small(rate[small], gen)
        out[large] = _poisson_large(rate[large], gen)
        out = out.reshape(input.shape).to(input.dtype)
    if needs_grad(input):
        record("PoissonBackward0", out, (input,), lambda grad: (zeros_like(input),))
    return out


# log(k!) - (k + 1/2) log(k + 1) + (k + 1) - log(2 pi) / 2 for k = 0 .. 9 (Stirling's tail).
_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_tail(k: Tensor) -> Tensor:
    table = tensor(_STIRLING_TAIL, dtype=k.dtype, device=k.device)
    listed = table[k.clamp(0, 9).long()]
    kp1sq = (k + 1) * (k + 1)
    series = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    return where(k <= 9, listed, series)


def _binomial_inversion(count: Tensor, prob: Tensor, gen) -> Tensor:
    """n * p < 10: how many geometric waiting times fit in `count` trials."""
    def step(total, count, logq):
        geom = (_positive_uniform(count, gen).log() / logq).ceil()
        total = geom if total is None else total + geom
        return total, total > count

    return _count_until((count, (-prob).log1p()), count.dtype, step)


def _binomial_btrs(count: Tensor, prob: Tensor, gen) -> Tensor:
    """n * p >= 10 (p <= 1/2): Hormann's BTRS (1993), as PyTorch's btrs."""
    stddev = (count * prob * (1 - prob)).sqrt()
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = ((count + 1) * prob).floor()

    def propose(count, a, b, c, v_r, r, alpha, m):
        u = _uniform(count, gen) - 0.5
        v = _positive_uniform(count, gen)
        us = 0.5 - u.abs()
        k = ((2 * a / us + b) * u + c).floor()
        inside = (k >= 0) & (k <= count)
        quick = (us >= 0.07) & (v <= v_r)
        v = (v * alpha / (a / (us * us) + b)).log()
        ks = where(inside, k, 0.0)  # the bound only where its logs are defined
        upperbound = ((m + 0.5) * ((m + 1) / (r * (count - m + 1))).log()
                      + (count + 1) * ((count - m + 1) / (count - ks + 1)).log()
                      + (ks + 0.5) * (r * (count - ks + 1) / (ks + 1)).log()
                      + _stirling_tail(m) + _stirling_tail(count - m)
                      - _stirling_tail(ks) - _stirling_tail(count - ks))
        return k, inside & (quick | (v <= upperbound))

    return until_accepted((count, a, b, c, v_r, r, alpha, m), count.dtype, propose)


def _check_binomial_dtype(t: Tensor, what: str) -> None:
    if not t.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for {what}, got: "
                         f"{SCALAR_NAMES[t.dtype.name]}")


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Samples of Binomial(count, prob) in count's dtype, broadcasting the two (torch's)."""
    _check_binomial_dtype(count, "count")
    _check_binomial_dtype(prob, "prob")
    if prob.dtype is not count.dtype:
        raise RuntimeError(f"Found dtype {SCALAR_NAMES[prob.dtype.name]} but expected "
                           f"{SCALAR_NAMES[count.dtype.name]}")
    if count.dtype not in (dt.float32, dt.float64):  # as PyTorch's cpu kernel
        raise _not_implemented("binomial_cpu", count.dtype)
    gen = _generator(generator, "binomial")
    with no_grad():
        shape = tuple(np.broadcast_shapes(tuple(count.shape), tuple(prob.shape)))
        compute = _compute(count.dtype)
        n = count.to(compute).expand(shape).reshape(-1)
        p = prob.to(compute).expand(shape).reshape(-1)
        flip = p > 0.5
        q = where(flip, 1 - p, p)
        trivial = (n <= 0) | (p <= 0) | (p >= 1) | p.isnan()
        btrs = ~trivial & (n * q >= 10)
        inversion = ~trivial & ~btrs
        k = zeros_like(n)
        k[inversion] = _binomial_inversion(n[inversion], q[inversion], gen)
        k[btrs] = _binomial_btrs(n[btrs], q[btrs], gen)
        k = where(flip, n - k, k)
        k = where(p >= 1, n, k)
        k = where(p.isnan(), float("nan"), k)
        k = where((n <= 0) | (p <= 0), 0.0, k)
        return k.reshape(shape).to(count.dtype)
