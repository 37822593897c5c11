"""Weights handling shared by every model builder, and the model registry.

torchvision's builders take ``weights=`` (a ``*_Weights`` enum member, its name, or None) and
download the checkpoint on first use. clgrad never downloads: ``weights`` is None, a local
file path (a state_dict written by ``torch.save`` or ``clgrad.save``) or a state_dict mapping.
The enums exist so that programs naming ``ResNet18_Weights.DEFAULT`` reach a clear error that
says where the file lives and how to pass it, instead of an AttributeError.
"""
from __future__ import annotations

import enum
import functools
import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any, Callable

import clgrad

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models"]

_BUILDERS: dict = {}


class Weights:
    """What a torchvision weights entry describes: where its checkpoint lives."""

    def __init__(self, url: str, num_params: int) -> None:
        self.url = url
        self.meta = {"num_params": num_params}

    def __repr__(self) -> str:
        return f"Weights(url={self.url!r})"


class WeightsEnum(enum.Enum):
    """Base of the ``*_Weights`` enums; every member names a checkpoint to download."""

    @classmethod
    def verify(cls, obj):
        """Member for ``obj`` (a member, its name or ``"Enum.NAME"``); None stays None."""
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            try:
                return cls[name]
            except KeyError:
                raise ValueError(f"Failed to find Weights {name} in {cls.__name__}.") from None
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} "
                        f"but received {type(obj).__name__}.")

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def meta(self) -> dict:
        return self.value.meta

    def get_state_dict(self, *args: Any, **kwargs: Any):
        raise _no_download(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


def _no_download(member: WeightsEnum) -> RuntimeError:
    file = member.url.rsplit("/", 1)[-1]
    return RuntimeError(
        f"{member!r} would download {member.url}; clgrad.vision never downloads weights. "
        f"Fetch that file yourself (it is a torch.save'd state_dict) and pass its local path, "
        f"e.g. weights='/path/to/{file}'.")


def _member_named(name: str, weights_enum):
    """The enum member a string like 'DEFAULT' or 'ResNet18_Weights.IMAGENET1K_V1' names."""
    if weights_enum is None:
        return None
    head, _, tail = name.rpartition(".")
    if head and head != weights_enum.__name__:
        return None
    try:
        return weights_enum[tail]
    except KeyError:
        return None


def _caller_stacklevel() -> int:
    """Stack level of the first frame outside this package: warnings name the user's line."""
    frame, level = sys._getframe(1), 1
    here = os.path.dirname(__file__)
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame, level = frame.f_back, level + 1
    return level


def _handle_pretrained(kwargs: dict, weights, weights_enum):
    """torchvision's legacy ``pretrained=`` flag: warn as it does, then map onto ``weights``."""
    if "pretrained" not in kwargs:
        return weights
    pretrained = kwargs.pop("pretrained")
    warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in "
                  "the future, please use 'weights' instead.", UserWarning,
                  stacklevel=_caller_stacklevel())
    if not pretrained:
        return None
    member = weights_enum.DEFAULT if weights_enum is not None else None
    if member is None:
        raise RuntimeError("pretrained=True would download weights; clgrad.vision never "
                           "downloads. Pass a local state_dict file as weights='/path'.")
    raise _no_download(member)


def _load_state_dict(weights, weights_enum):
    """None, or the state_dict that ``weights`` names (raises where a download would be needed)."""
    if weights is None:
        return None
    if isinstance(weights, WeightsEnum):
        raise _no_download(weights)
    if isinstance(weights, Mapping):
        return weights
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        if os.path.isfile(path):
            state = clgrad.load(path, map_location="cpu", weights_only=True)
            if not isinstance(state, Mapping):
                raise TypeError(f"weights file {path!r} holds a {type(state).__name__}, "
                                f"not a state_dict")
            return state
        member = _member_named(path, weights_enum) if isinstance(weights, str) else None
        if member is not None:
            raise _no_download(member)
        raise FileNotFoundError(f"weights={path!r} is neither a local file nor a weights "
                                f"name; clgrad.vision loads weights only from local files "
                                f"(a state_dict saved by torch.save or clgrad.save)")
    raise TypeError(f"weights must be None, a local file path or a state_dict, "
                    f"got {type(weights).__name__}")


def build(model_fn: Callable, weights, weights_enum, kwargs: dict):
    """Resolve ``weights`` (before building, so a bad argument fails fast), build, load."""
    weights = _handle_pretrained(kwargs, weights, weights_enum)
    state = _load_state_dict(weights, weights_enum)
    kwargs.pop("progress", None)
    model = model_fn(**kwargs)
    if state is not None:
        model.load_state_dict(state, strict=True)
    return model


def _positional_ok(fn: Callable) -> Callable:
    """Let ``weights`` and ``progress`` also come positionally, with torchvision's warning."""
    @functools.wraps(fn)
    def builder(*args, **kwargs):
        if args:
            names = ("weights", "progress")[:len(args)]
            if len(args) > len(names):
                raise TypeError(f"{fn.__name__}() takes at most 2 positional arguments "
                                f"({len(args)} given)")
            listed = " and ".join(f"'{n}'" for n in names)
            warnings.warn(f"Using {listed} as positional parameter(s) is deprecated since "
                          f"0.13 and may be removed in the future. Please use keyword "
                          f"parameter(s) instead.", UserWarning, stacklevel=2)
            kwargs.update(zip(names, args))
        return fn(**kwargs)
    return builder


def register_model(name: str, weights_enum=None):
    """Decorator recording a builder for get_model / list_models."""
    def wrap(fn):
        fn = _positional_ok(fn)
        _BUILDERS[name] = (fn, weights_enum)
        return fn
    return wrap


def list_models(module=None, include=None, exclude=None) -> list:
    """Sorted names of the registered builders (optionally filtered by fnmatch patterns)."""
    import fnmatch
    names = [n for n, (fn, _) in _BUILDERS.items()
             if module is None or fn.__module__.startswith(module.__name__)]
    if include is not None:
        pats = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in pats)]
    if exclude is not None:
        pats = [exclude] if isinstance(exclude, str) else exclude
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in pats)]
    return sorted(names)


def get_model_builder(name: str) -> Callable:
    name = name.lower()
    try:
        return _BUILDERS[name][0]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name: str, **config: Any):
    """Build the registered model ``name`` with the builder's keyword arguments."""
    return get_model_builder(name)(**config)


def get_model_weights(name):
    """The ``*_Weights`` enum of a model (given by name or by builder)."""
    if callable(name):
        name = next((n for n, (fn, _) in _BUILDERS.items() if fn is name), None)
        if name is None:
            raise ValueError("Unknown model builder")
    get_model_builder(name)
    return _BUILDERS[name.lower()][1]


def get_weight(name: str):
    """The member that ``"ResNet18_Weights.IMAGENET1K_V1"`` names."""
    enum_name, _, member = name.partition(".")
    for _, weights_enum in _BUILDERS.values():
        if weights_enum is not None and weights_enum.__name__ == enum_name:
            return weights_enum[member]
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                     f"retrieved.")
