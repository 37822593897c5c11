"""CIFAR-10 and CIFAR-100 from the official python-pickle batches."""
from __future__ import annotations

import os
import pickle
from typing import Callable, Dict, Optional

import numpy as np

from .utils import download_from_mirrors, to_image
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """CIFAR-10: 32x32 colour images in 10 classes, 50000 train and 10000 test.

    Reads ``root/cifar-10-batches-py`` (the official archive, extracted). ``download=True``
    fetches ``cifar-10-python.tar.gz`` from ``mirrors`` and checks its md5. Samples are
    ``(image, label)``: a PIL RGB image where Pillow is installed, else a uint8 HxWx3 array.
    ``data`` is the uint8 N x 32 x 32 x 3 array and ``targets`` a list, as in torchvision.
    """

    base_folder = "cifar-10-batches-py"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddbe9c3c8c6f7a3a2ed9"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root: str, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"{type(self).__name__}: dataset not found. "
                               f"{self._place_hint()}, or use download=True to download it.")
        data, self.targets = [], []
        for file_name, _ in (self.train_list if self.train else self.test_list):
            with open(os.path.join(self.root, self.base_folder, file_name), "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            data.append(entry["data"])
            self.targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self._load_meta()

    def _place_hint(self) -> str:
        names = [n for n, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        return (f"Place the official {self.filename} in '{self.root}' (it is extracted there), "
                f"or its files {', '.join(names)} in "
                f"'{os.path.join(self.root, self.base_folder)}'")

    def _check_exists(self) -> bool:
        # Presence only: hashing 180 MB on every construction is slow; the archive's md5 is
        # checked when it is downloaded.
        folder = os.path.join(self.root, self.base_folder)
        names = [n for n, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        return all(os.path.isfile(os.path.join(folder, n)) for n in names)

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        with open(path, "rb") as infile:
            data = pickle.load(infile, encoding="latin1")
        self.classes = data[self.meta["key"]]
        self.class_to_idx: Dict[str, int] = {c: i for i, c in enumerate(self.classes)}

    def download(self) -> None:
        """Download and extract the official archive into ``root`` (unless present)."""
        if self._check_exists():
            return
        archive = os.path.join(self.root, self.filename)
        if os.path.isfile(archive):
            from .utils import extract_archive
            extract_archive(archive, self.root)
            if self._check_exists():
                return
        download_from_mirrors(type(self).__name__, self.mirrors, self.filename, self.tgz_md5,
                              self.root, self.root, "p" + self._place_hint()[1:] + ".")

    def __getitem__(self, index: int):
        img, target = to_image(self.data[index]), self.targets[index]
        return self._apply(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR-10 with 100 fine classes (``cifar-100-python``)."""

    base_folder = "cifar-100-python"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
