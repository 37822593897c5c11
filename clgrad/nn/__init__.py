"""clgrad.nn: modules, layers and losses (PyTorch's torch.nn)."""
from . import functional  # noqa: F401
from .modules.conv import *  # noqa: F401,F403
from .modules.pooling import *  # noqa: F401,F403
from .modules.normalization import *  # noqa: F401,F403
from .modules.sampling import *  # noqa: F401,F403
