"""torch.distributions.kl: kl_divergence(p, q) and register_kl, with the rules PyTorch
registers (kl_same_family and kl_cross_family register theirs on import)."""
from . import kl_cross_family, kl_same_family  # noqa: F401  (their rules register on import)
from .kl_registry import _KL_MEMOIZE, _KL_REGISTRY, kl_divergence, register_kl  # noqa: F401

__all__ = ["kl_divergence", "register_kl"]
