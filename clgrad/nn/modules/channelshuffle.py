"""torch.nn.modules.channelshuffle's classes under their PyTorch module path (programs import
them from here: ``from torch.nn.modules.channelshuffle import ...``); defined elsewhere in nn."""
from .shuffle_activation import ChannelShuffle  # noqa: F401

__all__ = ["ChannelShuffle"]
