"""Probability distributions with PyTorch's torch.distributions API, built from Tensor ops."""
from . import constraints  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .simple import Normal, Uniform, Exponential, Laplace  # noqa: F401
from .discrete import (Bernoulli, Categorical, OneHotCategorical,  # noqa: F401
                       OneHotCategoricalStraightThrough)
from .independent import Independent  # noqa: F401
from .multivariate_normal import MultivariateNormal  # noqa: F401
from .lowrank_multivariate_normal import LowRankMultivariateNormal  # noqa: F401
from .exp_family import ExponentialFamily  # noqa: F401
from .gamma import Gamma, Chi2  # noqa: F401
from .dirichlet import Dirichlet, Beta  # noqa: F401
from .counts import Poisson, Binomial, Geometric, NegativeBinomial, Multinomial  # noqa: F401
from .heavy_tailed import StudentT, Cauchy, FisherSnedecor, GeneralizedPareto  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transformed_distribution import TransformedDistribution  # noqa: F401
from .transformed_families import (LogNormal, HalfNormal, Gumbel, HalfCauchy,  # noqa: F401
                                   Pareto, Weibull, InverseGamma, Kumaraswamy, LogisticNormal)
from .mixture_same_family import MixtureSameFamily  # noqa: F401
from .continuous_bernoulli import ContinuousBernoulli  # noqa: F401
from .von_mises import VonMises  # noqa: F401
from .lkj_cholesky import LKJCholesky  # noqa: F401
from .wishart import Wishart  # noqa: F401
from .relaxed_bernoulli import RelaxedBernoulli  # noqa: F401
from .relaxed_categorical import RelaxedOneHotCategorical  # noqa: F401
from .constraint_registry import biject_to, transform_to  # noqa: F401
from .kl import kl_divergence, register_kl  # noqa: F401


def _bind_torch_module_paths() -> None:
    """PyTorch keeps one module per distribution (torch.distributions.normal.Normal, ...);
    programs import from those paths, so each is bound here to the class it names (the
    families that have a module of their own here, gamma or dirichlet, need no alias)."""
    import sys
    import types
    paths = {"normal": ["Normal"], "uniform": ["Uniform"], "exponential": ["Exponential"],
             "laplace": ["Laplace"], "bernoulli": ["Bernoulli"], "categorical": ["Categorical"],
             "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"],
             "chi2": ["Chi2"], "beta": ["Beta"],
             "poisson": ["Poisson"], "binomial": ["Binomial"], "geometric": ["Geometric"],
             "studentT": ["StudentT"], "cauchy": ["Cauchy"], "log_normal": ["LogNormal"],
             "half_normal": ["HalfNormal"], "gumbel": ["Gumbel"], "half_cauchy": ["HalfCauchy"],
             "pareto": ["Pareto"], "weibull": ["Weibull"], "inverse_gamma": ["InverseGamma"],
             "negative_binomial": ["NegativeBinomial"], "multinomial": ["Multinomial"],
             "kumaraswamy": ["Kumaraswamy"], "logistic_normal": ["LogisticNormal"],
             "fishersnedecor": ["FisherSnedecor"], "generalized_pareto": ["GeneralizedPareto"]}
    for module, names in paths.items():
        alias = types.ModuleType(f"{__name__}.{module}")
        for name in names:
            setattr(alias, name, globals()[name])
        alias.__all__ = names
        sys.modules[alias.__name__] = alias
        globals()[module] = alias


_bind_torch_module_paths()
