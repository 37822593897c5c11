"""VGG-11/16 (plain and with BatchNorm) with torchvision's layout and initialisation."""
from __future__ import annotations

from typing import Any, List, Union

import clgrad
from clgrad import nn

from ._api import Weights, WeightsEnum, build, register_model

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights",
           "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights",
           "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
           "make_layers", "cfgs"]

_URL = "https://download.pytorch.org/models/"

# Channel counts of each 3x3 convolution; "M" is a 2x2 max pool. Configurations A, B, D, E
# of Simonyan & Zisserman's table 1 (torchvision's names).
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """Convolutional ``features``, a 7x7 adaptive average pool and a 3-layer classifier."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = clgrad.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def make_layers(cfg: List[Union[str, int]], batch_norm: bool = False) -> nn.Sequential:
    """The ``features`` Sequential: conv [+ BatchNorm] + ReLU per number, MaxPool per "M"."""
    layers: list = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(int(v)))
        layers.append(nn.ReLU(inplace=True))
        in_channels = int(v)
    return nn.Sequential(*layers)


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(_URL + "vgg11-8a719046.pth", 132863336)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(_URL + "vgg11_bn-6002323d.pth", 132868840)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(_URL + "vgg13-19584684.pth", 133047848)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(_URL + "vgg13_bn-abd245e5.pth", 133053736)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(_URL + "vgg19-dcbb9e9d.pth", 143667240)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(_URL + "vgg19_bn-c79401a0.pth", 143678248)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(_URL + "vgg16-397923af.pth", 138357544)
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(_URL + "vgg16_bn-6c64b313.pth", 138365992)
    DEFAULT = IMAGENET1K_V1


def _vgg(cfg: str, batch_norm: bool, weights, weights_enum, kwargs: dict) -> VGG:
    if weights is not None:
        # Loaded weights replace the random ones: skip the initialisation, as torchvision does.
        kwargs.setdefault("init_weights", False)
    return build(lambda **kw: VGG(make_layers(cfgs[cfg], batch_norm), **kw), weights,
                 weights_enum, kwargs)


@register_model("vgg11", VGG11_Weights)
def vgg11(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (configuration "A"). ``weights``: None or a local state_dict file."""
    return _vgg("A", False, weights, VGG11_Weights, kwargs)


@register_model("vgg11_bn", VGG11_BN_Weights)
def vgg11_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 with BatchNorm. ``weights``: None or a local state_dict file."""
    return _vgg("A", True, weights, VGG11_BN_Weights, kwargs)


@register_model("vgg13", VGG13_Weights)
def vgg13(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 (configuration "B"). ``weights``: None or a local state_dict file."""
    return _vgg("B", False, weights, VGG13_Weights, kwargs)


@register_model("vgg13_bn", VGG13_BN_Weights)
def vgg13_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 with BatchNorm. ``weights``: None or a local state_dict file."""
    return _vgg("B", True, weights, VGG13_BN_Weights, kwargs)


@register_model("vgg16", VGG16_Weights)
def vgg16(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (configuration "D"). ``weights``: None or a local state_dict file."""
    return _vgg("D", False, weights, VGG16_Weights, kwargs)


@register_model("vgg16_bn", VGG16_BN_Weights)
def vgg16_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 with BatchNorm. ``weights``: None or a local state_dict file."""
    return _vgg("D", True, weights, VGG16_BN_Weights, kwargs)


@register_model("vgg19", VGG19_Weights)
def vgg19(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 (configuration "E"). ``weights``: None or a local state_dict file."""
    return _vgg("E", False, weights, VGG19_Weights, kwargs)


@register_model("vgg19_bn", VGG19_BN_Weights)
def vgg19_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 with BatchNorm. ``weights``: None or a local state_dict file."""
    return _vgg("E", True, weights, VGG19_BN_Weights, kwargs)
