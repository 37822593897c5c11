"""Grad mode: whether operations record the graph. Thread-local, as in PyTorch."""
from __future__ import annotations

import functools
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def _set_enabled(mode: bool) -> None:
    _state.enabled = mode


def is_inference_mode_enabled() -> bool:
    return getattr(_state, "inference", False)


class _GradModeContext:
    """A context manager that also works as a decorator (a fresh context per call)."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__.__new__(self.__class__)._clone_from(self):
                return fn(*args, **kwargs)
        return wrapper

    def _clone_from(self, other):
        self.__dict__.update(other.__dict__)
        return self

    def __exit__(self, *exc) -> None:
        _set_enabled(self._prev)


class _NoParamContext(_GradModeContext):
    """Also usable as a bare decorator: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if fn is not None and callable(fn):
            self.__init__()
            return self(fn)
        return self


class no_grad(_NoParamContext):
    """Disable gradient recording inside the block or the decorated function."""

    def __init__(self, fn=None):
        self._prev = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_enabled(False)


class enable_grad(_NoParamContext):
    """Enable gradient recording inside no_grad."""

    def __init__(self, fn=None):
        self._prev = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_enabled(True)


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off; takes effect at once (like PyTorch) and as a context."""

    def __init__(self, mode: bool):
        self._prev = is_grad_enabled()
        self.mode = bool(mode)
        _set_enabled(self.mode)

    def __enter__(self):
        _set_enabled(self.mode)

    def __call__(self, fn):
        _set_enabled(self._prev)  # used as a decorator: the constructor must not leak
        return super().__call__(fn)


class inference_mode(_GradModeContext):
    """Like no_grad (clgrad has no separate inference tensors)."""

    def __init__(self, mode: bool = True):
        self._prev = True
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = is_grad_enabled()
        self._prev_inference = is_inference_mode_enabled()
        _state.inference = self.mode
        if self.mode:
            _set_enabled(False)

    def __exit__(self, *exc) -> None:
        _state.inference = self._prev_inference
        _set_enabled(self._prev)

    def __call__(self, fn):
        if not callable(fn) or isinstance(fn, bool):
            return inference_mode(fn)
        return super().__call__(fn)
