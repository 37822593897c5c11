"""clgrad.nn: modules, layers and losses (PyTorch's torch.nn)."""
from . import functional  # noqa: F401
from .modules.conv import *  # noqa: F401,F403
from .modules.pooling import *  # noqa: F401,F403
from .modules.normalization import *  # noqa: F401,F403
from .modules.sampling import *  # noqa: F401,F403
from . import init  # noqa: F401
from . import utils  # noqa: F401
from .parameter import (Parameter, Buffer, UninitializedParameter,  # noqa: F401
                        UninitializedBuffer)
from .modules.module import Module  # noqa: F401
from .modules.container import *  # noqa: F401,F403
from .modules.linear import *  # noqa: F401,F403
from .modules.activation import *  # noqa: F401,F403
from .modules.loss import *  # noqa: F401,F403
from .modules.dropout import *  # noqa: F401,F403
from .modules.sparse import *  # noqa: F401,F403
from .modules.flatten import *  # noqa: F401,F403
from .modules.rnn import *  # noqa: F401,F403
from .modules.transformer import *  # noqa: F401,F403
from .modules.misc_layers import *  # noqa: F401,F403
from .modules.conv3d import *  # noqa: F401,F403
from .modules.margin_losses import *  # noqa: F401,F403
from .modules.norm_extra import *  # noqa: F401,F403
from .modules.lp_pool import *  # noqa: F401,F403
from .modules.shuffle_activation import *  # noqa: F401,F403
from .modules.lazy import *  # noqa: F401,F403
from .modules.fractional_pool import *  # noqa: F401,F403
from .modules.adaptive import *  # noqa: F401,F403
from .parallel import DataParallel  # noqa: F401,E402  (torch.nn.DataParallel)
