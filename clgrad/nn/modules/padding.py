"""torch.nn.modules.padding's classes under their PyTorch module path (programs import
them from here: ``from torch.nn.modules.padding import ...``); defined elsewhere in nn."""
from .misc_layers import (  # noqa: F401
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad3d, ReflectionPad3d, ReplicationPad3d,
    ZeroPad3d)
from .sampling import (  # noqa: F401
    ConstantPad1d, ConstantPad2d, ReflectionPad1d, ReflectionPad2d, ReplicationPad1d,
    ReplicationPad2d, ZeroPad1d, ZeroPad2d)

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"
]
