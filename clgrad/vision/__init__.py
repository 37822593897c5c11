"""clgrad.vision: datasets, transforms and image utilities (torchvision's API)."""
from . import datasets, transforms, utils  # noqa: F401
