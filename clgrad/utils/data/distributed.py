"""DistributedSampler: each of ``num_replicas`` processes reads its own share of a dataset."""
from __future__ import annotations

import math
import os
from typing import Iterator, Optional

from ...ops import random_ops
from ...random import Generator
from .dataset import Dataset
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _env_int(name: str, what: str) -> int:
    value = os.environ.get(name)
    if value is None:
        raise RuntimeError(f"DistributedSampler: {what} was not given and ${name} is not set "
                           f"(clgrad has no process group; pass {what} explicitly)")
    return int(value)


class DistributedSampler(Sampler):
    """Restricts loading to a rank's subset of the dataset, the same across epochs unless
    `set_epoch` is called.

    clgrad has no ``distributed`` package: ``num_replicas`` and ``rank`` default to the
    ``WORLD_SIZE`` and ``RANK`` environment variables (as set by ``torchrun``).
    """

    def __init__(self, dataset: Dataset, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = _env_int("WORLD_SIZE", "num_replicas")
        if rank is None:
            rank = _env_int("RANK", "rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas)
                                         / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            g = Generator().manual_seed(self.seed + self.epoch)
            indices = random_ops.randperm(len(self.dataset), generator=g,
                                          device="cpu").tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        indices = indices[self.rank:self.total_size:self.num_replicas]
        assert len(indices) == self.num_samples
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which seeds the shuffle so every replica shuffles alike."""
        self.epoch = epoch
