"""ExponentialFamily: densities p(x) = h(x) exp(<t(x), theta> - F(theta)); the base of the
families whose entropy and same-type KL follow from their log normalizer F by autograd."""
from __future__ import annotations

import clgrad

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    @property
    def _natural_params(self):
        """The natural parameters theta, one tensor per parameter."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """F(theta), whose gradient is the mean of the sufficient statistics."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """E[log h(x)]."""
        raise NotImplementedError

    def entropy(self):
        """H = F(theta) - <theta, grad F(theta)> - E[log h(x)] (Bregman form, as torch)."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = clgrad.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for np_, g in zip(nparams, gradients):
            result = result - (np_ * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
