"""clgrad.vision: datasets, transforms and image utilities (torchvision's API)."""
from . import datasets, transforms, utils  # noqa: F401
from . import models  # noqa: F401,E402
from . import io  # noqa: F401,E402
