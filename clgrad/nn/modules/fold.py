"""torch.nn.modules.fold's classes under their PyTorch module path (programs import
them from here: ``from torch.nn.modules.fold import ...``); defined elsewhere in nn."""
from .misc_layers import Fold, Unfold  # noqa: F401

__all__ = ["Fold", "Unfold"]
