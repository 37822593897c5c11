"""Random number generators: one Philox4x32-10 stream shared by every device.

A generator's state is (seed, offset): the Philox key is the 64-bit seed and each random call
takes the next `offset` counter blocks (of four 32-bit words). The state does not depend on
the device, so `manual_seed` seeds cpu and every cl device at once and a seed gives the same
bits everywhere. Values differ from PyTorch's own generators.
"""
from __future__ import annotations

import os

import numpy as np

from . import _capture, _dtype as dt
from ._device import canonical

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state"]

DEFAULT_SEED = 67280421310721  # PyTorch's default seed for its cpu generator
_U64 = 2 ** 64
STATE_SIZE = 16  # bytes: seed (uint64, little-endian), then offset (uint64)


def _seed_value(seed) -> int:
    """PyTorch's seed rules: int(seed), negatives wrap, outside [-2^63, 2^64) overflows."""
    value = int(seed)
    if not -2 ** 63 <= value < _U64:
        raise ValueError("Overflow when unpacking long long")
    return value % _U64


class Generator:
    """A Philox4x32-10 generator: ``Generator(device='cpu')``.

    The state is device-independent, so a generator serves tensors on any device; `device`
    is kept for PyTorch compatibility.
    """

    def __init__(self, device="cpu"):
        self.device = canonical(device)
        self._seed = DEFAULT_SEED
        self._offset = 0

    def manual_seed(self, seed) -> "Generator":
        """Seed the generator and restart its stream."""
        self._seed = _seed_value(seed)
        self._offset = 0
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The state as a uint8 tensor: seed and offset, little-endian uint64 each."""
        from .ops.creation import tensor
        raw = np.array([self._seed, self._offset], dtype="<u8").view(np.uint8)
        return tensor(raw, dtype=dt.uint8, device="cpu")

    def set_state(self, new_state) -> "Generator":
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a clgrad.ByteTensor, but got "
                            f"{type(new_state).__name__}")
        if new_state.dtype is not dt.uint8:
            raise TypeError("RNG state must be a clgrad.ByteTensor")
        if new_state.numel() != STATE_SIZE:
            raise RuntimeError(f"Expected a Philox generator state of size {STATE_SIZE} but "
                               f"found the input RNG state size to be {new_state.numel()}")
        raw = np.ascontiguousarray(new_state.detach()._host().reshape(-1)).view("<u8")
        self._seed, self._offset = int(raw[0]), int(raw[1])
        return self

    def _take(self, blocks: int) -> tuple:
        """(seed, first counter block) for a call using `blocks` blocks; advances the offset."""
        start = self._offset
        self._offset = (start + blocks) % _U64
        if _capture.ACTIVE:  # a replay must draw fresh numbers, as eager calls do
            _capture.random_taken(self, self._seed, start, blocks)
        return self._seed, start

    def __repr__(self) -> str:
        return f"<clgrad.Generator object at {hex(id(self))}>"


default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed the default generator (every device: the stream is shared) and return it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (a uint8 tensor covering every device)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)
