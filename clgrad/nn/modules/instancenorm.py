"""torch.nn.modules.instancenorm's classes under their PyTorch module path (programs import
them from here: ``from torch.nn.modules.instancenorm import ...``); defined elsewhere in nn."""
from .conv3d import InstanceNorm3d  # noqa: F401
from .lazy import LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d  # noqa: F401
from .normalization import InstanceNorm1d, InstanceNorm2d  # noqa: F401

__all__ = [
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d", "LazyInstanceNorm3d"
]
