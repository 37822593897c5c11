"""Digits: the UCI 8x8 handwritten digits, shipped inside clgrad (no download)."""
from __future__ import annotations

import gzip
import os
from typing import Callable, Optional

import numpy as np

from ...ops import creation
from .utils import to_image
from .vision import VisionDataset

__all__ = ["Digits"]

DATA_FILE = os.path.join(os.path.dirname(__file__), "data", "digits.csv.gz")
NUM_TRAIN = 1437


def load_digits_array() -> np.ndarray:
    """The bundled table: 1797 rows of 64 pixels (0..16) and the label."""
    with gzip.open(DATA_FILE, "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)


class Digits(VisionDataset):
    """The UCI "Optical Recognition of Handwritten Digits" set (E. Alpaydin, C. Kaynak, 1998;
    CC BY 4.0): 1797 8x8 grey images of the digits 0..9, bundled with clgrad.

    ``train=True`` gives the first 1437 rows of the file (80 %), ``train=False`` the last 360.
    Pixel counts 0..16 are scaled to uint8 0..255 (``round(v * 255 / 16)``), so ``ToTensor``
    gives ``v / 16``. ``root`` and ``download`` are accepted for the common signature and
    unused. Samples are ``(image, label)``: a PIL 'L' image where Pillow is installed, else a
    uint8 8x8 array; ``data`` (uint8 N x 8 x 8) and ``targets`` (int64) are cpu tensors.
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, root: Optional[str] = None, train: bool = True,
                 transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        table = load_digits_array()
        table = table[:NUM_TRAIN] if train else table[NUM_TRAIN:]
        pixels = table[:, :64].reshape(-1, 8, 8)
        self._images = ((pixels * 255 + 8) // 16).astype(np.uint8)
        self._labels = np.ascontiguousarray(table[:, 64])
        self.data = creation.from_numpy(self._images)
        self.targets = creation.from_numpy(self._labels)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index: int):
        return self._apply(to_image(self._images[index]), int(self._labels[index]))

    def __len__(self) -> int:
        return len(self._images)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"
