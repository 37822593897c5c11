"""torch.nn.modules.batchnorm's classes under their PyTorch module path (programs import
them from here: ``from torch.nn.modules.batchnorm import ...``); defined elsewhere in nn."""
from .conv3d import BatchNorm3d  # noqa: F401
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d  # noqa: F401
from .norm_extra import SyncBatchNorm  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d  # noqa: F401

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
    "LazyBatchNorm3d", "SyncBatchNorm"
]
