"""MNIST, FashionMNIST and KMNIST from their official IDX files."""
from __future__ import annotations

import gzip
import os
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ...ops import creation
from .utils import download_from_mirrors, to_image
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "read_idx"]

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
              0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4).astype(np.int64)
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise RuntimeError(f"{path}: expected {expected} data bytes for shape "
                           f"{tuple(dims.tolist())}, found {len(raw) - offset}")
    data = np.frombuffer(raw, dtype=dtype, offset=offset).reshape(tuple(dims.tolist()))
    return data.astype(dtype.newbyteorder("="), copy=True)


class MNIST(VisionDataset):
    """The MNIST database of handwritten digits (28x28 grey images, labels 0..9).

    Reads ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (or ``.gz``), as
    torchvision lays them out, or the same files placed directly in ``root``. ``download=True``
    fetches the official archives from ``mirrors`` (a class attribute) and checks their md5.
    Samples are ``(image, label)``: a PIL 'L' image where Pillow is installed, else a uint8
    HxW numpy array.
    """

    mirrors: List[str] = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources: List[Tuple[str, str]] = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"{type(self).__name__}: dataset not found. "
                               f"{self._place_hint()}")
        self._images, self._labels = self._load_data()
        self.data = creation.from_numpy(self._images)
        self.targets = creation.from_numpy(self._labels)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self) -> Dict[str, int]:
        return {_class: i for i, _class in enumerate(self.classes)}

    def _split_files(self, train: Optional[bool] = None) -> List[str]:
        prefix = "train" if (self.train if train is None else train) else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _find(self, name: str) -> Optional[str]:
        for folder in (self.raw_folder, self.root):
            for candidate in (name, name + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
        return None

    def _check_exists(self) -> bool:
        return all(self._find(name) is not None for name in self._split_files())

    def _place_hint(self) -> str:
        names = ", ".join(f"{n}.gz" for n in self._split_files(True) + self._split_files(False))
        return (f"Place the official files {names} (gzip-compressed or not) in "
                f"'{self.raw_folder}' or directly in '{self.root}', or use download=True to "
                f"download them.")

    def _load_data(self):
        image_file, label_file = self._split_files()
        images = read_idx(self._find(image_file))
        labels = read_idx(self._find(label_file)).astype(np.int64)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(f"{type(self).__name__}: {image_file} holds {images.shape} and "
                               f"{label_file} holds {labels.shape}; expected N x H x W images "
                               "and N labels")
        return images, labels

    def download(self) -> None:
        """Download the official archives into ``raw_folder`` (unless already present)."""
        every = self._split_files(True) + self._split_files(False)
        if all(self._find(name) is not None for name in every):
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if self._find(os.path.splitext(filename)[0]) is not None:
                continue
            hint = self._place_hint().split(", or use download=True")[0] + "."
            download_from_mirrors(type(self).__name__, self.mirrors, filename, md5,
                                  self.raw_folder, None, hint[0].lower() + hint[1:])

    def __getitem__(self, index: int):
        img, target = to_image(self._images[index]), int(self._labels[index])
        return self._apply(img, target)

    def __len__(self) -> int:
        return len(self._images)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's article images), in MNIST's format and layout."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (cursive Japanese characters), in MNIST's format and layout."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
