"""Domain checks of op inputs with PyTorch's errors: at once on the cpu device (its values are
host memory: reading them costs no wait), and by the device itself elsewhere (the backend's
check kernels report to the queue's error word; the error is raised at the next host
synchronisation, with the op's name), so no check adds a wait on the device's hot path."""
from __future__ import annotations

import numpy as np

from .. import _capture

_PROBABILITY = "probability tensor contains either `inf`, `nan` or element < 0"
_PROB_SUM = "invalid multinomial distribution (sum of probabilities <= 0)"
_PROB_FEW = ("invalid multinomial distribution (with replacement=False, not enough "
             "non-negative category to sample)")


def check_in_range(x, lo: float, hi: float, op: str, message: str) -> None:
    """RuntimeError(message) if an element of x is outside [lo, hi] or NaN."""
    if x.numel() == 0:
        return
    x = x.contiguous()
    backend = x._storage.backend
    if x.is_cpu:
        _capture.host_check(_cpu_in_range, x, lo, hi, message)
    else:
        backend.check_in_range(x, lo, hi, op, message)


def _cpu_in_range(x, lo: float, hi: float, message: str) -> None:
    host = x._storage.backend.view(x)
    if not ((host >= lo) & (host <= hi)).all():
        raise RuntimeError(message)


def check_probabilities(probs, need: int, op: str) -> None:
    """multinomial's checks of each row of probs (rows, ncat), contiguous: RuntimeError for a
    negative, infinite or NaN value, a row summing to 0, or fewer than `need` positive
    categories."""
    rows, ncat = probs._shape
    if rows * ncat == 0:
        return
    backend = probs._storage.backend
    if probs.is_cpu:
        _capture.host_check(_cpu_probabilities, probs, need)
    else:
        backend.check_probabilities(probs, need, op)


def _cpu_probabilities(probs, need: int) -> None:
    rows, ncat = probs._shape
    host = probs._storage.backend.view(probs).reshape(rows, ncat).astype(np.float64)
    if not (np.isfinite(host) & (host >= 0)).all():
        raise RuntimeError(_PROBABILITY)
    if (host.sum(axis=1) <= 0).any():
        raise RuntimeError(_PROB_SUM)
    if ((host > 0).sum(axis=1) < need).any():
        raise RuntimeError(_PROB_FEW)
