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
# torch.nn.modules.<file> paths programs name (torch.nn.modules.pixelshuffle.PixelShuffle,
# from torch.nn.modules.utils import _pair): bound by `import clgrad` as by `import torch`,
# and each of PyTorch's files lists the classes PyTorch defines there even where ours live
# in another file (Conv3d in conv3d.py).
from .modules import (batchnorm, channelshuffle, distance, fold,  # noqa: F401,E402
                      instancenorm, padding, pixelshuffle, upsampling, utils as _modules_utils)
from .modules import (activation as _m_activation, conv as _m_conv,  # noqa: E402
                      loss as _m_loss, normalization as _m_normalization,
                      pooling as _m_pooling, sparse as _m_sparse)
for _mod, _names in ((_m_activation, ("RReLU", "Softmax2d")),
                     (_m_conv, ("Conv3d", "ConvTranspose3d", "LazyConv1d", "LazyConv2d",
                                "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
                                "LazyConvTranspose3d")),
                     (_m_loss, ("NLLLoss2d", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
                                "MultiMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss")),
                     (_m_normalization, ("LocalResponseNorm", "RMSNorm")),
                     (_m_pooling, ("MaxPool3d", "AvgPool3d", "FractionalMaxPool2d",
                                   "FractionalMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
                                   "AdaptiveMaxPool3d", "AdaptiveAvgPool3d")),
                     (_m_sparse, ("EmbeddingBag",))):
    for _name in _names:
        setattr(_mod, _name, globals()[_name])
del _mod, _names, _name
