"""clgrad.vision.transforms: torchvision's transforms (PIL images, numpy arrays, tensors)."""
from . import functional  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transforms import __all__  # noqa: F401
