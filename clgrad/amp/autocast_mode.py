"""Automatic mixed precision: autocast, with PyTorch's per-op precision lists.

Inside ``autocast(device_type)`` an op from the lower-precision list casts its floating-point
inputs on that device type to the autocast dtype (float16 on cl, as on cuda; bfloat16 on cpu),
an op from the float32 list casts them up to float32, and a promote op casts them to the
widest among them. The ops are wrapped once, where ported code reaches them (``clgrad.X``,
``clgrad.nn.functional.X``, ``Tensor.X``); outside autocast a wrapper costs one flag test.
Like PyTorch's dispatcher, an op's own internals run without autocast (a nested wrapped call
passes straight through), so a composite never sees half its inputs cast.

float16 is a storage dtype on every cl device (computed in float where cl_khr_fp16 is
missing), so results are those of float16 storage on every device.
"""
from __future__ import annotations

import functools
import threading

from .. import _dtype as dt
from ..backends import resolve_name
from .._tensor import Tensor

__all__ = ["autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]

_DEVICE_TYPES = ("cpu", "cl", "cuda")
_DEFAULT_DTYPE = {"cpu": dt.bfloat16, "cl": dt.float16}
_ALLOWED = {"cpu": (dt.bfloat16, dt.float16), "cl": (dt.float16, dt.bfloat16)}


class _State(threading.local):
    def __init__(self):
        self.enabled = {"cpu": False, "cl": False}
        self.dtype = dict(_DEFAULT_DTYPE)
        self.cache_enabled = True
        self.depth = 0          # nesting of autocast regions (the cast cache lives with it)
        self.inside_op = False  # a wrapped op is running: its internals are not autocast
        self.cache: dict = {}


_state = _State()
_any_enabled = [False]  # any thread, any device: the one test a wrapper makes when off


def _canonical(device_type: str) -> str:
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(f"User specified an unsupported autocast device_type "
                           f"'{device_type}'")
    return resolve_name(device_type)  # "cuda" is cl here


def is_autocast_available(device_type: str) -> bool:
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type: str | None = None) -> bool:
    return _state.enabled[_canonical(device_type or "cl")]


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    _state.enabled[_canonical(device_type)] = bool(enabled)
    _any_enabled[0] = _any_enabled[0] or bool(enabled)


def get_autocast_dtype(device_type: str):
    return _state.dtype[_canonical(device_type)]


def set_autocast_dtype(device_type: str, dtype) -> None:
    _state.dtype[_canonical(device_type)] = dtype


def is_autocast_cache_enabled() -> bool:
    return _state.cache_enabled


def clear_autocast_cache() -> None:
    _state.cache.clear()


class autocast:
    """Context manager and decorator running its region's ops in mixed precision."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: "
                             f"`{type(device_type)}`")
        self.device = _canonical(device_type)
        self.fast_dtype = _state.dtype[self.device] if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = _state.cache_enabled if cache_enabled is None else cache_enabled
        if self._enabled and self.fast_dtype not in _ALLOWED[self.device]:
            import warnings
            what = "CPU" if self.device == "cpu" else "CL"
            warnings.warn(f"In {what} autocast, but the target dtype is not supported. "
                          f"Disabling autocast.\n{what} Autocast only supports dtypes of "
                          f"{', '.join(str(d) for d in _ALLOWED[self.device])} currently.",
                          UserWarning, stacklevel=2)
            self._enabled = False

    def __enter__(self):
        if self._enabled:
            _install()
        self._saved = (_state.enabled[self.device], _state.dtype[self.device],
                       _state.cache_enabled)
        set_autocast_enabled(self.device, self._enabled)
        _state.dtype[self.device] = self.fast_dtype
        _state.cache_enabled = self._cache_enabled
        _state.depth += 1
        return self

    def __exit__(self, *exc):
        _state.depth -= 1
        if _state.depth == 0:
            _state.cache.clear()
        _state.enabled[self.device], _state.dtype[self.device], _state.cache_enabled = \
            self._saved
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return wrapped


# -- casting -------------------------------------------------------------------------------
def _cast(value, dtype, device_type: str):
    if isinstance(value, Tensor):
        if (value.is_floating_point() and value.dtype is not dtype
                and value.device.type == device_type):
            cacheable = (_state.cache_enabled and value.is_leaf and value.requires_grad)
            if cacheable:
                hit = _state.cache.get(id(value))
                if hit is not None and hit[0] is value:
                    return hit[1]
            cast = value.to(dtype)
            if cacheable:
                _state.cache[id(value)] = (value, cast)
            return cast
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, dtype, device_type) for v in value)
    return value


def _device_type_of(args, kwargs):
    for value in list(args) + list(kwargs.values()):
        if isinstance(value, Tensor):
            return value.device.type
        if isinstance(value, (list, tuple)):
            for v in value:
                if isinstance(v, Tensor):
                    return v.device.type
    return None


def _widest(args, kwargs):
    widest = None
    for value in list(args) + list(kwargs.values()):
        for v in (value if isinstance(value, (list, tuple)) else (value,)):
            if isinstance(v, Tensor) and v.is_floating_point():
                widest = v.dtype if widest is None else dt.promote_types(widest, v.dtype)
    return widest


def _wrap(fn, policies: dict):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if not _any_enabled[0] or _state.inside_op:
            return fn(*args, **kwargs)
        device_type = _device_type_of(args, kwargs)
        policy = policies.get(device_type)
        if policy is None or not _state.enabled[device_type]:
            return fn(*args, **kwargs)
        if policy == "lower":
            target = _state.dtype[device_type]
        elif policy == "fp32":
            target = dt.float32
        else:
            target = _widest(args, kwargs)
        if target is not None:
            args = _cast(args, target, device_type)
            kwargs = {k: _cast(v, target, device_type) for k, v in kwargs.items()}
        _state.inside_op = True
        try:
            return fn(*args, **kwargs)
        finally:
            _state.inside_op = False
    op._autocast_policies = policies
    return op


# PyTorch's autocast op lists (CUDA's for cl, CPU's for cpu), by the names ported code calls.
_LISTS = {
    "cl": {
        "lower": "__matmul__ __rmatmul__ addbmm addmm addmv addr baddbmm bmm chain_matmul "
                 "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d "
                 "linear matmul mm mv prelu scaled_dot_product_attention",
        "fp32": "__pow__ __rdiv__ __rpow__ __rtruediv__ acos asin "
                "binary_cross_entropy_with_logits cosh cosine_embedding_loss cdist "
                "cosine_similarity cross_entropy cumprod cumsum dist erfinv exp expm1 "
                "group_norm hinge_embedding_loss kl_div l1_loss layer_norm log log_softmax "
                "log10 log1p log2 margin_ranking_loss mse_loss multilabel_margin_loss "
                "multi_margin_loss nll_loss norm normalize pdist poisson_nll_loss pow prod "
                "reciprocal rsqrt sinh smooth_l1_loss soft_margin_loss softmax softmin "
                "softplus sum renorm tan triplet_margin_loss",
        "promote": "addcdiv addcmul atan2 bilinear cross dot grid_sample index_put "
                   "scatter_add tensordot cat stack",
    },
    "cpu": {
        "lower": "conv1d conv2d conv3d bmm mm baddbmm addmm addbmm linear matmul __matmul__ "
                 "__rmatmul__ conv_transpose1d conv_transpose2d conv_transpose3d prelu "
                 "scaled_dot_product_attention",
        "fp32": "avg_pool3d binary_cross_entropy grid_sample prod quantile nanquantile cdist "
                "trace cholesky cholesky_inverse cholesky_solve inverse pinverse max_pool3d "
                "adaptive_avg_pool3d mse_loss cosine_embedding_loss nll_loss "
                "hinge_embedding_loss poisson_nll_loss smooth_l1_loss cross_entropy l1_loss "
                "huber_loss margin_ranking_loss soft_margin_loss triplet_margin_loss "
                "multi_margin_loss ctc_loss kl_div multilabel_margin_loss "
                "binary_cross_entropy_with_logits",
        "promote": "stack cat index_copy",
    },
}
_installed = [False]


def _policies() -> dict:
    table: dict = {}
    for device_type, lists in _LISTS.items():
        for policy, names in lists.items():
            for name in names.split():
                table.setdefault(name, {})[device_type] = policy
    return table


def _install() -> None:
    """Wrap the listed ops where ported code reaches them, at the first autocast region (so a
    program that never uses autocast never pays for a wrapper)."""
    if _installed[0]:
        return
    _installed[0] = True
    import clgrad
    import clgrad.nn.functional as F
    for name, policies in _policies().items():
        for namespace in (clgrad, F, Tensor):
            fn = namespace.__dict__.get(name) if namespace is Tensor else \
                getattr(namespace, name, None)
            if fn is not None and callable(fn) and not hasattr(fn, "_autocast_policies"):
                setattr(namespace, name, _wrap(fn, policies))


def custom_fwd(fwd=None, *, device_type: str = "cl", cast_inputs=None):
    """Decorate a custom Function's forward: run it with the caller's autocast state, or
    with ``cast_inputs`` applied and autocast off (PyTorch's torch.amp.custom_fwd)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    device = _canonical(device_type)

    @functools.wraps(fwd)
    def forward(*args, **kwargs):
        if cast_inputs is None or not _state.enabled[device]:
            return fwd(*args, **kwargs)
        args = _cast(args, cast_inputs, device)
        kwargs = {k: _cast(v, cast_inputs, device) for k, v in kwargs.items()}
        with autocast(device, enabled=False):
            return fwd(*args, **kwargs)
    return forward


def custom_bwd(bwd=None, *, device_type: str = "cl"):
    """Decorate a custom Function's backward (runs with autocast off, as forward's region
    has ended by the time backward runs)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    device = _canonical(device_type)

    @functools.wraps(bwd)
    def backward(*args, **kwargs):
        with autocast(device, enabled=False):
            return bwd(*args, **kwargs)
    return backward
