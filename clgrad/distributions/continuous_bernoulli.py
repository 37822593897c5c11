"""ContinuousBernoulli(probs | logits): the density on [0, 1] proportional to
p^x (1 - p)^(1 - x), used for VAEs on non-binary pixels (Loaiza-Ganem and Cunningham, 2019).
Near p = 1/2 its normalizer is singular in form, so a Taylor expansion replaces the closed
form inside `lims`, as torch does."""
from __future__ import annotations

import math
import numbers

import clgrad

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ExponentialFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
            # validate before clamping (the clamped values would always pass)
            if validate_args is not None:
                if not self.arg_constraints["probs"].check(self.probs).all():
                    raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
        else:
            is_scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = clgrad.Size() if is_scalar else self._param.size()
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        new._lims = self._lims
        batch_shape = clgrad.Size(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(ContinuousBernoulli, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _outside_unstable_region(self):
        return clgrad.le(self.probs, self._lims[0]) | clgrad.gt(self.probs, self._lims[1])

    def _cut_probs(self):
        return clgrad.where(self._outside_unstable_region(), self.probs,
                            self._lims[0] * clgrad.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """log C(p), C the normalizing constant."""
        cut_probs = self._cut_probs()
        below_half = clgrad.where(clgrad.le(cut_probs, 0.5), cut_probs,
                                  clgrad.zeros_like(cut_probs))
        above_half = clgrad.where(clgrad.ge(cut_probs, 0.5), cut_probs,
                                  clgrad.ones_like(cut_probs))
        log_norm = (clgrad.log(clgrad.abs(clgrad.log1p(-cut_probs) - clgrad.log(cut_probs)))
                    - clgrad.where(clgrad.le(cut_probs, 0.5), clgrad.log1p(-2.0 * below_half),
                                   clgrad.log(2.0 * above_half - 1.0)))
        x = clgrad.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return clgrad.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut_probs = self._cut_probs()
        mus = (cut_probs / (2.0 * cut_probs - 1.0)
               + 1.0 / (clgrad.log1p(-cut_probs) - clgrad.log(cut_probs)))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * clgrad.pow(x, 2)) * x
        return clgrad.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return clgrad.sqrt(self.variance)

    @property
    def variance(self):
        cut_probs = self._cut_probs()
        vars_ = (cut_probs * (cut_probs - 1.0) / clgrad.pow(1.0 - 2.0 * cut_probs, 2)
                 + 1.0 / clgrad.pow(clgrad.log1p(-cut_probs) - clgrad.log(cut_probs), 2))
        x = clgrad.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return clgrad.where(self._outside_unstable_region(), vars_, taylor)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self):
        return self._param.size()

    def sample(self, sample_shape=clgrad.Size()):
        shape = self._extended_shape(sample_shape)
        u = clgrad.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        with clgrad.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=clgrad.Size()):
        shape = self._extended_shape(sample_shape)
        u = clgrad.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return (-clgrad.nn.functional.binary_cross_entropy_with_logits(
            logits, value, reduction="none") + self._cont_bern_log_norm())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = ((clgrad.pow(cut_probs, value) * clgrad.pow(1.0 - cut_probs, 1.0 - value)
                 + cut_probs - 1.0) / (2.0 * cut_probs - 1.0))
        unbounded_cdfs = clgrad.where(self._outside_unstable_region(), cdfs, value)
        return clgrad.where(clgrad.le(value, 0.0), clgrad.zeros_like(value),
                            clgrad.where(clgrad.ge(value, 1.0), clgrad.ones_like(value),
                                         unbounded_cdfs))

    def icdf(self, value):
        cut_probs = self._cut_probs()
        return clgrad.where(
            self._outside_unstable_region(),
            (clgrad.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0))
             - clgrad.log1p(-cut_probs)) / (clgrad.log(cut_probs) - clgrad.log1p(-cut_probs)),
            value)

    def entropy(self):
        log_probs0 = clgrad.log1p(-self.probs)
        log_probs1 = clgrad.log(self.probs)
        return (self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm()
                - log_probs0)

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        out_unst_reg = clgrad.le(x, self._lims[0] - 0.5) | clgrad.gt(x, self._lims[1] - 0.5)
        cut_nat_params = clgrad.where(out_unst_reg, x,
                                      (self._lims[0] - 0.5) * clgrad.ones_like(x))
        log_norm = (clgrad.log(clgrad.abs(clgrad.special.expm1(cut_nat_params)))
                    - clgrad.log(clgrad.abs(cut_nat_params)))
        taylor = 0.5 * x + clgrad.pow(x, 2) / 24.0 - clgrad.pow(x, 4) / 2880.0
        return clgrad.where(out_unst_reg, log_norm, taylor)
