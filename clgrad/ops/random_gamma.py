"""Gamma and Dirichlet sampling with PyTorch's implicit reparameterisation gradients.

_standard_gamma(alpha) draws Gamma(alpha, 1) by Marsaglia and Tsang's method (2000) as
vectorised Tensor ops, with alpha < 1 boosted to alpha + 1 times U^(1/alpha); its gradient is
-(d cdf(x; alpha) / d alpha) / pdf(x; alpha), which _standard_gamma_grad approximates with
the series, saddle-point and rational formulas of PyTorch's standard_gamma_grad_one, so a
sample's gradient equals torch's for the same sample. _sample_dirichlet normalises Gamma
draws; _dirichlet_grad is PyTorch's dirichlet_grad_one (the Beta marginal's implicit
gradient). Each formula is evaluated on all elements and its branch chosen with where, so
nothing loops per element. The samples use clgrad's Philox streams (reproducible under
manual_seed, the same on every device up to rounding), not PyTorch's generator.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..autograd.graph import needs_grad, record
from .pointwise import where
from .random_ops import _compute, _generator, _not_implemented, rand, randn
from .rejection import until_accepted

__all__ = ["_standard_gamma", "_standard_gamma_grad", "_sample_dirichlet", "_dirichlet_grad"]


def _f32(x: float) -> float:
    """A C++ float literal (0.8f) as the double it compares as."""
    return float(np.float32(x))


def _gamma_draws(alpha: Tensor, generator) -> Tensor:
    """Gamma(alpha, 1) draws for a flat alpha in its compute dtype; 0 where alpha <= 0 or NaN."""
    gen = _generator(generator, "_standard_gamma")
    device, dtype = alpha.device, alpha.dtype
    valid = alpha > 0
    alpha = where(valid, alpha, 1.0)
    small = alpha < 1
    # U^(1/alpha) * Gamma(alpha + 1) is Gamma(alpha); it keeps the acceptance rate high.
    boost = where(small, (1 - rand(alpha.shape, dtype=dtype, device=device, generator=gen))
                  .pow(alpha.reciprocal()), 1.0)
    d = where(small, alpha + 1, alpha) - 1.0 / 3.0
    c = (9.0 * d).rsqrt()

    def propose(d, c):
        x = randn(d.shape, dtype=dtype, device=device, generator=gen)
        y = 1.0 + c * x
        v = y * y * y
        u = 1 - rand(d.shape, dtype=dtype, device=device, generator=gen)
        xx = x * x
        squeeze = u < 1.0 - _f32(0.0331) * xx * xx
        positive = y > 0
        v_safe = where(positive, v, 1.0)  # log(v) only where it is defined
        exact = u.log() < 0.5 * xx + d * (1.0 - v_safe + v_safe.log())
        return d * v, positive & (squeeze | exact)

    draws = until_accepted((d, c), dtype, propose)
    return where(valid, draws * boost, 0.0)


def _check_float(t: Tensor, kernel: str) -> None:
    # float and double only, as PyTorch's cpu kernels (its CUDA ones also take half)
    if t.dtype not in (dt.float32, dt.float64):
        raise _not_implemented(kernel, t.dtype)


def _standard_gamma(input: Tensor, generator=None) -> Tensor:
    """Samples of Gamma(input, 1), at least the dtype's smallest normal number (as torch).

    Differentiable in `input` by implicit reparameterisation (StandardGammaBackward0)."""
    _check_float(input, "gamma_cpu")
    with no_grad():
        flat = input.reshape(-1).to(_compute(input.dtype))
        draws = _gamma_draws(flat, generator).to(input.dtype)
        out = draws.reshape(input.shape).clamp_min(dt.finfo(input.dtype).tiny)
    if needs_grad(input):
        # the rule holds detached views (sharing out's version counter), not out itself:
        # out -> its node -> the rule -> out would be a reference cycle
        alpha, sample = input.detach(), out.detach()
        record("StandardGammaBackward0", out, (input,),
               lambda grad: (grad * _standard_gamma_grad(alpha, sample),), saved=(sample,))
    return out


def _digamma(x: Tensor) -> Tensor:
    return x.digamma()


def _gamma_grad_small_x(alpha: Tensor, x: Tensor) -> Tensor:
    """Taylor series of the incomplete gamma function, for x < 0.8.

    torch divides -d cdf / d alpha = -x^alpha ((log x - psi(alpha)) s1 - s2) by the density
    x^(alpha - 1) e^-x; the powers are cancelled here first, so float32 does not underflow
    to 0 / 0 where torch's double arithmetic would not."""
    numer, denom = 1.0, alpha
    series1 = 1.0 / denom
    series2 = 1.0 / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    result = -x * x.exp() * ((x.log() - _digamma(alpha)) * series1 - series2)
    return where(result.isnan(), 0.0, result)


def _gamma_grad_large_alpha(alpha: Tensor, x: Tensor) -> Tensor:
    """Rice saddle point expansion, for alpha > 8 (a polynomial near x = alpha)."""
    numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
    numer_2 = (1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha
               + alpha * (107 + 3600 * x))
    near = numer_1 * numer_2 / (1244160 * (alpha * alpha) * (alpha * alpha))
    is_near = (_f32(0.9) * alpha <= x) & (x <= _f32(1.1) * alpha)
    x = where(is_near, 0.5 * alpha, x)  # the far formula is singular at x = alpha
    denom = (8 * alpha).sqrt()
    term2 = denom / (alpha - x)
    term3 = (x - alpha - alpha * (x / alpha).log()).pow(-1.5)
    term23 = where(x < alpha, term2 - term3, term2 + term3)
    term1 = ((x / alpha).log() * term23
             - (2 / alpha).sqrt() * (alpha + x) / ((alpha - x) * (alpha - x)))
    stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
    far = -stirling * (x * term1) / denom
    return where(is_near, near, far)


_GAMMA_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343,
              1, 0.32668115, 0.10406089, 0.0014179084),
             (0.53487893, 0.1298071, 0.065735949, -0.0015649758,
              0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
             (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
              0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07))


def _gamma_grad_rational(alpha: Tensor, x: Tensor) -> Tensor:
    """Bivariate rational approximation in log(x / alpha) and log(alpha)."""
    u = (x / alpha).log()
    v = alpha.log()
    coef = [_GAMMA_UV[0][i] + u * (_GAMMA_UV[1][i] + u * _GAMMA_UV[2][i]) for i in range(8)]
    p = coef[0] + v * (coef[1] + v * (coef[2] + v * coef[3]))
    q = coef[4] + v * (coef[5] + v * (coef[6] + v * coef[7]))
    return (p / q).exp()


def _standard_gamma_grad(input: Tensor, output: Tensor) -> Tensor:
    """d sample / d alpha of Gamma(alpha, 1) samples `output` (torch._standard_gamma_grad)."""
    _check_float(input, "_standard_gamma_grad_cpu")
    with no_grad():
        alpha, x = input, output.to(input.dtype)
        small_x = x < _f32(0.8)
        large_alpha = ~small_x & (alpha > 8.0)
        rational = ~small_x & ~large_alpha
        # Each formula sees its own elements and a harmless point elsewhere, so the lanes
        # where does not pick raise no overflow or invalid-value warnings.
        return where(small_x, _gamma_grad_small_x(alpha, where(small_x, x, 0.5)),
                     where(large_alpha,
                           _gamma_grad_large_alpha(where(large_alpha, alpha, 9.0),
                                                   where(large_alpha, x, 1.0)),
                           _gamma_grad_rational(where(rational, alpha, 1.0),
                                                where(rational, x, 1.0))))


def _sample_dirichlet(input: Tensor, generator=None) -> Tensor:
    """Dirichlet(input) samples over the last dim: Gamma draws normalised to sum to 1."""
    _check_float(input, "dirichlet")
    with no_grad():
        compute = _compute(input.dtype)
        info = dt.finfo(compute)
        gammas = _gamma_draws(input.reshape(-1).to(compute), generator)
        gammas = gammas.reshape(input.shape).clamp_min(info.tiny)
        x = gammas / gammas.sum(-1, keepdim=True)
        return x.clamp(info.tiny, 1 - info.eps).to(input.dtype)


def _beta_grad_alpha_small(x, alpha, beta):
    """Taylor expansion for x close to 0 (d/d alpha)."""
    factor = _digamma(alpha) - _digamma(alpha + beta) - x.log()
    numer = 1.0
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer = numer * (i - beta) * x / i
        denom = alpha + i
        series = series + numer / denom * (factor + 1 / denom)
    result = x * (1 - x).pow(-beta) * series
    return where(result.isnan(), 0.0, result)


def _beta_grad_beta_small(x, alpha, beta):
    """Taylor expansion for x close to 0 (d/d beta)."""
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer, betas, dbetas = 1.0, 1.0, 0.0
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    result = -(1 - x).pow(1 - beta) * series
    return where(result.isnan(), 0.0, result)


def _beta_grad_alpha_mid(x, alpha, beta):
    """Rice saddle point expansion, for alpha and beta both large."""
    total = alpha + beta
    mean = alpha / total
    std = (alpha * beta / (total + 1)).sqrt() / total
    bb = beta * beta
    poly = 47 * x * bb * bb + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * bb * beta + alpha * (
            3 * (59 + 180 * beta - 90 * x) * bb + alpha * (
                (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                    8 * (1 - x) * (135 * beta - 11)))))
    prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
    near = prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / (2 * alpha * beta / total).sqrt()
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
                * (1 + 1 / (12 * beta) + 1 / (288 * bb))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * bb
    axbx = alpha * (x - 1) + beta * x
    term1_den = (2 * alpha / beta).sqrt() * total.pow(1.5) * axbx * axbx
    term1 = term1_num / term1_den
    term2 = 0.5 * (alpha / (total * x)).log()
    term3 = (8 * alpha * beta / total).sqrt() / (beta * x + alpha * (x - 1))
    term4 = (beta * (beta / (total * (1 - x))).log()
             + alpha * (alpha / (total * x)).log()).pow(-1.5)
    term1234 = term1 + term2 * (term3 + where(x < mean, term4, -term4))
    far = stirling * prefactor * term1234
    return where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), near, far)


# Coefficients c[numerator/denominator][power of log x][power of a][power of b].
_DIRICHLET_C = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))),
)


def _beta_grad_rational(x, alpha, total, beta):
    """A rational correction to an analytic approximation, elsewhere."""
    u = x.log()
    a = alpha.log() - u
    b = total.log() - a
    pow_u = (1.0, u, u * u)
    pow_a = (1.0, a, a * a)
    p = q = 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            cp, cq = _DIRICHLET_C[0][i][j], _DIRICHLET_C[1][i][j]
            p = p + ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q = q + ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    approx = x * (_digamma(total) - _digamma(alpha)) / beta
    return p / q * approx


def _dirichlet_grad(x: Tensor, alpha: Tensor, total: Tensor) -> Tensor:
    """-(d cdf / d alpha) / pdf / (1 - x) of Beta(alpha, total - alpha) at x (torch's)."""
    for t in (x, alpha, total):
        _check_float(t, "_dirichlet_grad_cpu")
    with no_grad():
        beta = total - alpha
        boundary = total * x * (1 - x)
        near_zero = (x <= 0.5) & (boundary < 2.5)
        near_one = (x >= 0.5) & (boundary < 0.75)
        both_large = (alpha > 6) & (beta > 6)
        near_one = ~near_zero & near_one
        both_large = ~near_zero & ~near_one & both_large
        rational = ~near_zero & ~near_one & ~both_large

        def only(mask, value, harmless):
            # each formula sees its own elements and a harmless point elsewhere (no warnings)
            return where(mask, value, harmless)

        small = _beta_grad_alpha_small(only(near_zero, x, 0.25), only(near_zero, alpha, 1.0),
                                       only(near_zero, beta, 1.0))
        one = -_beta_grad_beta_small(only(near_one, 1 - x, 0.25), only(near_one, beta, 1.0),
                                     only(near_one, alpha, 1.0))
        mid = _beta_grad_alpha_mid(only(both_large, x, 0.3), only(both_large, alpha, 7.0),
                                   only(both_large, beta, 7.0))
        approx = _beta_grad_rational(only(rational, x, 0.5), only(rational, alpha, 1.0),
                                     only(rational, total, 2.0), only(rational, beta, 1.0))
        return where(near_zero, small, where(near_one, one, where(both_large, mid, approx)))
