"""Anomaly detection: name the forward op whose backward produced NaN."""
from __future__ import annotations

import traceback

_enabled = False
_check_nan = True


def is_anomaly_enabled() -> bool:
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan


class detect_anomaly:
    """Context manager (and decorator) turning anomaly detection on: each node remembers the
    forward traceback that created it, and a backward rule returning NaN raises naming it."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        global _enabled, _check_nan
        self._prev = (_enabled, _check_nan)
        _enabled, _check_nan = True, self.check_nan

    def __exit__(self, *exc):
        global _enabled, _check_nan
        _enabled, _check_nan = self._prev

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Set anomaly detection on or off, at once and as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        global _enabled, _check_nan
        self._prev = (_enabled, _check_nan)
        _enabled, _check_nan = bool(mode), check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _enabled, _check_nan
        _enabled, _check_nan = self._prev


def remember_forward(node) -> None:
    """Store where the forward op was called (only while anomaly detection is on)."""
    node.metadata["traceback_"] = "".join(traceback.format_stack()[:-3])


def check_gradient(node, grads) -> None:
    if not _check_nan:
        return
    for i, grad in enumerate(grads):
        if grad is None or not grad.dtype.is_floating_point:
            continue
        if bool(grad.isnan().any()):
            where = node.metadata.get("traceback_")
            hint = f"\nTraceback of forward call that caused the error:\n{where}" if where else ""
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its "
                               f"{i}th output.{hint}")
