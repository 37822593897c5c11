"""Tensor printing in PyTorch's format."""
from __future__ import annotations

import numpy as np


def tensor_repr(t) -> str:
    values = np.array2string(t.detach()._host(), separator=", ")
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    return "tensor(" + values + "".join(", " + e for e in extras) + ")"
