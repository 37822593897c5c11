"""clgrad.vision.models: torchvision's classification architectures, weights from local files.

``resnet18(weights="/path/resnet18-f37072fd.pth")`` loads a state_dict saved by torch.save or
clgrad.save with ``load_state_dict(strict=True)``; nothing is ever downloaded.
"""
from ._api import (Weights, WeightsEnum, get_model, get_model_builder,  # noqa: F401
                   get_model_weights, get_weight, list_models)
from .alexnet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
