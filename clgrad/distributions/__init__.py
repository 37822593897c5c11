"""Probability distributions with PyTorch's torch.distributions API, built from Tensor ops."""
from . import constraints  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .simple import Normal, Uniform, Exponential, Laplace  # noqa: F401
from .discrete import Bernoulli, Categorical, OneHotCategorical  # noqa: F401
from .independent import Independent  # noqa: F401
from .multivariate_normal import MultivariateNormal  # noqa: F401
from .kl import kl_divergence, register_kl  # noqa: F401
