"""torch.nn.modules.distance's classes under their PyTorch module path (programs import
them from here: ``from torch.nn.modules.distance import ...``); defined elsewhere in nn."""
from .misc_layers import CosineSimilarity, PairwiseDistance  # noqa: F401

__all__ = ["CosineSimilarity", "PairwiseDistance"]
