"""FakeData: random images, the same for a given index every time."""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import numpy as np

from ...ops import random_ops
from ...random import Generator
from .utils import to_image
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random uint8 images of ``image_size`` (C, H, W) with random labels.

    Sample ``i`` is drawn from a clgrad generator seeded with ``i + random_offset``, so it is
    the same on every access (the values differ from torchvision's). Images are PIL images
    where Pillow is installed, else uint8 HxWxC arrays (HxW for one channel).
    """

    def __init__(self, size: int = 1000, image_size: Tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = tuple(image_size)
        self.random_offset = random_offset

    def __getitem__(self, index: int):
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        g = Generator().manual_seed(index + self.random_offset)
        img = random_ops.randint(0, 256, self.image_size, generator=g, device="cpu")
        target = int(random_ops.randint(0, self.num_classes, (1,), generator=g,
                                        device="cpu").item())
        array = np.ascontiguousarray(img.numpy().astype(np.uint8).transpose(1, 2, 0))
        if array.shape[2] == 1:
            array = array[:, :, 0]
        return self._apply(to_image(array), target)

    def __len__(self) -> int:
        return self.size
