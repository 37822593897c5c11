"""torch.nn.modules.pixelshuffle's classes under their PyTorch module path (programs import
them from here: ``from torch.nn.modules.pixelshuffle import ...``); defined elsewhere in nn."""
from .sampling import PixelShuffle, PixelUnshuffle  # noqa: F401

__all__ = ["PixelShuffle", "PixelUnshuffle"]
