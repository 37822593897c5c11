"""Random sampling: rand, randn, randint, randperm, normal, bernoulli, multinomial and the
in-place samplers (uniform_, normal_, bernoulli_, random_, exponential_, geometric_, cauchy_,
log_normal_).

Every call takes a fresh range of Philox counter blocks from its generator (the default one
unless `generator=` is given) and runs on the tensor's device: `cl` draws the bits in its
kernels, `cpu` replays the same counters in numpy, so one seed gives the same values on
every device. Values differ from PyTorch's generators. The results do not track gradients.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _dtype as dt
from .._device import canonical
from .._tensor import Tensor, register
from ..backends.cpu.random import blocks_for, words_per_element
from ..random import Generator, default_generator
from .creation import finish, parse_size
from .value_checks import check_in_range, check_probabilities

__all__ = ["rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
           "normal", "bernoulli", "multinomial"]

# PyTorch's C++ scalar type names, as its "not implemented for" messages print them.
from .._typenames import SCALAR_NAMES as _TORCH_NAME  # noqa: E402
_C_NAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short",
           "int32": "int", "int64": "long int", "float16": "c10::Half", "float32": "float",
           "float64": "double"}
_MANTISSA = {"float16": 11, "float32": 24, "float64": 53}
_I64_MIN, _I64_MAX = -2 ** 63, 2 ** 63 - 1


def _num(x) -> str:
    """A number as PyTorch's messages print it (2, 1.5, -1)."""
    return f"{x:g}" if isinstance(x, float) else str(x)


def _generator(generator, op: str) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}(): argument 'generator' must be clgrad.Generator, not "
                        f"{type(generator).__name__}")
    return generator


def _not_implemented(kernel: str, dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{_TORCH_NAME[dtype.name]}\'')


def _require_float(t: Tensor, kernel: str) -> None:
    if not t.dtype.is_floating_point:
        raise _not_implemented(kernel, t.dtype)


def _compute(dtype) -> dt.dtype:
    """The type the transforms run in: double for float64, float for everything else."""
    return dt.float64 if dtype is dt.float64 else dt.float32


def _into(t: Tensor, write) -> Tensor:
    """Run write(target) on t, through a contiguous temporary when t is strided."""
    if t._requires_grad and t._grad_fn is None:
        from ..autograd.grad_mode import is_grad_enabled
        if is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
    if t.is_contiguous():
        write(t)
    else:
        tmp = Tensor._empty(t._shape, t.dtype, t.device)
        write(tmp)
        from .copy import copy_into
        copy_into(t, tmp)
    t._version[0] += 1
    return t


def _fill(t: Tensor, kind: str, p0: float, p1: float, generator, op: str) -> Tensor:
    compute = _compute(t.dtype)
    bits = _MANTISSA.get(t.dtype.name, 24) if kind == "uniform" else 24
    bits = min(bits, 24)
    gen = _generator(generator, op)
    blocks = blocks_for(t.numel(), words_per_element(compute))
    seed, ctr = gen._take(blocks)
    backend = t._storage.backend
    return _into(t, lambda out: backend.random_fill(out, kind, compute, bits, seed, ctr,
                                                    float(p0), float(p1)))


# -- in-place samplers ---------------------------------------------------------------------
@register()
def uniform_(self: Tensor, from_: float = 0, to: float = 1, *, generator=None, **kw) -> Tensor:
    """Fill with numbers drawn uniformly from [from, to)."""
    from_ = kw.pop("from", from_)
    _require_float(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_num(from_)} > to={_num(to)}")
    return _fill(self, "uniform", to - from_, from_, generator, "uniform_")


@register()
def normal_(self: Tensor, mean: float = 0, std: float = 1, *, generator=None) -> Tensor:
    """Fill with numbers from the normal distribution N(mean, std^2) (Box-Muller)."""
    _require_float(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    return _fill(self, "normal", mean, std, generator, "normal_")


@register()
def log_normal_(self: Tensor, mean: float = 1, std: float = 2, *, generator=None) -> Tensor:
    """Fill with exp(N(mean, std^2)) samples."""
    _require_float(self, "log_normal_cpu")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    return _fill(self, "log_normal", mean, std, generator, "log_normal_")


@register()
def exponential_(self: Tensor, lambd: float = 1, *, generator=None) -> Tensor:
    """Fill with samples of the exponential distribution of rate lambd."""
    if not self.dtype.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_TORCH_NAME[self.dtype.name]}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    return _fill(self, "exponential", -1.0 / lambd, 0, generator, "exponential_")


@register()
def cauchy_(self: Tensor, median: float = 0, sigma: float = 1, *, generator=None) -> Tensor:
    """Fill with samples of the Cauchy distribution."""
    if not self.dtype.is_floating_point:
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_C_NAME[self.dtype.name]}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
    return _fill(self, "cauchy", median, sigma, generator, "cauchy_")


@register()
def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (>= 1)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    if self.dtype is dt.bool:
        raise _not_implemented("geometric_cpu", self.dtype)
    return _fill(self, "geometric", math.log1p(-p), 0, generator, "geometric_")


def _check_probs_host(p: Tensor) -> None:
    # At once on cpu; by the device (raised at the next synchronisation) elsewhere.
    check_in_range(p, 0, 1, "bernoulli", "Expected p_in >= 0 && p_in <= 1 to be true, but got "
                   "false.  (Could this error message be improved?  If so, please report an "
                   "enhancement request to PyTorch.)")


@register()
def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 with probability p (a number or a tensor broadcastable to self), else 0."""
    if not isinstance(p, Tensor):
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
        return _fill(self, "bernoulli", p, 0, generator, "bernoulli_")
    if p.device != self.device:
        p = p.to(self.device)
    _require_float(p, "bernoulli_tensor_cpu_p_")
    probs = p.expand(self._shape).contiguous()
    _check_probs_host(probs)
    compute = _compute(p.dtype)
    gen = _generator(generator, "bernoulli_")
    seed, ctr = gen._take(blocks_for(self.numel(), words_per_element(compute)))
    backend = self._storage.backend
    return _into(self, lambda out: backend.bernoulli_tensor(out, probs, compute, seed, ctr))


def bernoulli(input: Tensor, p=None, *, generator=None, out: Tensor | None = None) -> Tensor:
    """Draw 0 or 1 for each element, with probability `input` (or `p`) of drawing 1."""
    target = Tensor._empty(input._shape, input.dtype, input.device) if out is None else out
    if p is None:
        _require_float(input, "bernoulli_tensor_cpu_p_")
        return bernoulli_(target, input, generator=generator)
    return bernoulli_(target, p, generator=generator)


register("bernoulli")(bernoulli)


def _int_bounds(dtype) -> tuple:
    if dtype is dt.bool:
        return 0, 1
    info = np.iinfo(dtype.np)
    return int(info.min), int(info.max)


def _check_int64(*values) -> None:
    for v in values:
        if v is not None and not _I64_MIN <= v <= _I64_MAX:
            raise ValueError("Overflow when unpacking long long")


def _random_range(t: Tensor, from_: int, to) -> tuple:
    """(low, range) of random_(from, to) on t's dtype, with PyTorch's checks."""
    name = t.dtype.name
    if to is None:
        if t.dtype.is_floating_point:
            to = 2 ** _MANTISSA[name] + 1
        else:
            to = _int_bounds(t.dtype)[1] + 1
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={from_} >= to={to}")
    if t.dtype.is_floating_point:
        limit = 2 ** _MANTISSA[name]
        for what, v in (("from", from_), ("to - 1", to - 1)):
            if not -limit <= v <= limit:
                warnings.warn(f"{what} is out of bounds [-(2^{_MANTISSA[name]}), "
                              f"2^{_MANTISSA[name]}]. Due to precision limitations "
                              f"{_C_NAME[name]} can support discrete uniform distribution "
                              "only within this range.", UserWarning, stacklevel=3)
    else:
        lo, hi = _int_bounds(t.dtype)
        if not lo <= from_ <= hi:
            raise RuntimeError(f"from is out of bounds for {_C_NAME[name]}")
        if not lo <= to - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_NAME[name]}")
    return from_, to - from_


def _as_int(value, what: str) -> int:
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"random_(): argument '{what}' must be int, not {type(value).__name__}")


@register()
def random_(self: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """random_(from=0, to=None) or random_(to): integers uniform on [from, to - 1].

    With no bounds: [0, 2^mantissa] for floating dtypes, [0, max] for integer ones.
    """
    from_, to = 0, None
    if len(args) == 1:
        to = args[0]
    elif len(args) == 2:
        from_, to = args
    elif len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    from_ = kwargs.pop("from", kwargs.pop("from_", from_))
    to = kwargs.pop("to", to)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    from_ = _as_int(from_, "from")
    to = None if to is None else _as_int(to, "to")
    _check_int64(from_, to)
    low, span = _random_range(self, from_, to)
    wide = span > 2 ** 32
    gen = _generator(generator, "random_")
    seed, ctr = gen._take(blocks_for(self.numel(), 2 if wide else 1))
    backend = self._storage.backend
    return _into(self, lambda out: backend.random_int(out, seed, ctr, low, span - 1, wide))


# -- creation ------------------------------------------------------------------------------
def _new(size, dtype, device, out, op: str) -> Tensor:
    shape = parse_size(size, op)
    if out is not None:
        if out._shape != shape:
            raise RuntimeError(f"{op}: expected out of shape {list(shape)}, got "
                               f"{list(out._shape)}")
        return out
    dtype = dt.get_default_dtype() if dtype is None else dtype
    return Tensor._empty(shape, dtype, canonical(device))


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Numbers drawn uniformly from [0, 1)."""
    t = _new(size, dtype, device, out, "rand")
    return finish(uniform_(t, 0, 1, generator=generator), requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Numbers drawn from the standard normal distribution."""
    t = _new(size, dtype, device, out, "randn")
    return finish(normal_(t, 0, 1, generator=generator), requires_grad)


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False, pin_memory: bool = False, **kwargs) -> Tensor:
    """randint(low=0, high, size): integers drawn uniformly from [low, high)."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    low, high = kwargs.pop("low", None), kwargs.pop("high", None)
    if kwargs:
        raise TypeError(f"randint() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif args:
        raise TypeError(f"randint() received an invalid combination of arguments: {len(args)} "
                        "positional numbers")
    if high is None or size is None:
        raise TypeError("randint() received an invalid combination of arguments - expected "
                        "(int high, tuple of ints size) or (int low, int high, tuple of ints "
                        "size)")
    low = 0 if low is None else low
    t = _new((size,), dt.int64 if dtype is None else dtype, device, out, "randint")
    return finish(random_(t, low, high, generator=generator), requires_grad)


def _like(input: Tensor, dtype, device) -> tuple:
    return (input.dtype if dtype is None else dtype,
            input.device if device is None else canonical(device))


def rand_like(input: Tensor, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return rand(input._shape, generator=generator, dtype=dtype, device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return randn(input._shape, generator=generator, dtype=dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, *args, generator=None, dtype=None, layout=None, device=None,
                 requires_grad: bool = False, memory_format=None, **kwargs) -> Tensor:
    """randint_like(input, low=0, high): integers from [low, high) in input's shape."""
    dtype, device = _like(input, dtype, device)
    return randint(*args, input._shape, generator=generator, dtype=dtype, device=device,
                   requires_grad=requires_grad, **kwargs)


def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0 .. n - 1 (the same on every device for a given seed)."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = (out.dtype if out is not None else dt.int64) if dtype is None else dtype
    if dtype is dt.bool:
        raise _not_implemented("randperm", dtype)
    if dtype is dt.float16 and n > 2049:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if not dtype.is_floating_point and n > _int_bounds(dtype)[1] + 1:
        raise RuntimeError(f"value cannot be converted to type {dtype.np.name}_t without "
                           "overflow")
    t = _new((n,), dtype, device, out, "randperm")
    gen = _generator(generator, "randperm")
    seed, ctr = gen._take(blocks_for(n, 2))
    backend = t._storage.backend
    return finish(_into(t, lambda target: backend.randperm(target, seed, ctr)), requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Samples of N(mean, std^2); mean and std are numbers (then `size` is required) or
    tensors, broadcast together (the result takes mean's dtype, else std's)."""
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected "
                            "(Tensor mean, Tensor std), (Tensor mean, float std), "
                            "(float mean, Tensor std) or (float mean, float std, size)")
        t = _new((size,), dtype, device, out, "normal")
        return finish(normal_(t, mean, std, generator=generator), requires_grad)
    ref = mean if mean_t else std
    _require_float(ref, "normal_kernel_cpu")
    if std_t:
        _require_float(std, "normal_kernel_cpu")
        if std.is_cpu and std.numel() and not (std._storage.backend.view(std) >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    shape = mean._shape if not std_t else std._shape if not mean_t else \
        tuple(np.broadcast_shapes(mean._shape, std._shape))
    z = Tensor._empty(shape, ref.dtype, ref.device)
    normal_(z, 0, 1, generator=generator)
    # As PyTorch: a standard normal scaled by std, then shifted by mean, in the result dtype.
    # Tensor operators, so that gradients reach mean and std wherever they record the graph.
    std = std.to(ref.dtype) if std_t else std
    mean = mean.to(ref.dtype) if mean_t else mean
    result = z * std + mean
    if out is not None:
        from .copy import copy_into
        copy_into(out, result)
        out._version[0] += 1
        return out
    return finish(result, requires_grad)


@register()
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None,
                out: Tensor | None = None) -> Tensor:
    """Indices drawn from the categories of each row of `input` (non-negative weights)."""
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_TORCH_NAME[input.dtype.name]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    ncat = input._shape[-1]
    if ncat == 0:
        raise RuntimeError("multinomial(): cannot sample from a distribution with no categories")
    if not replacement and num_samples > ncat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    probs = input.contiguous()
    rows = 1 if input.dim() == 1 else input._shape[0]
    probs2d = probs._view((rows, ncat), (ncat, 1), probs._offset)
    check_probabilities(probs2d, 0 if replacement else num_samples, "multinomial")
    compute = _compute(input.dtype)
    gen = _generator(generator, "multinomial")
    seed, ctr = gen._take(blocks_for(rows * num_samples, words_per_element(compute)))
    result = Tensor._empty((rows, num_samples), dt.int64, input.device)
    result._storage.backend.multinomial(result, probs2d, num_samples, replacement, compute,
                                        seed, ctr)
    if input.dim() == 1:
        result = result._view((num_samples,), (1,), 0)
    if out is not None:
        from .copy import copy_into
        copy_into(out, result)
        out._version[0] += 1
        return out
    return result


# The samplers built on the functions above (Gamma, Dirichlet, Poisson, Binomial) live in
# modules of their own; imported last, they find every name above already defined.
from .random_gamma import (_standard_gamma, _standard_gamma_grad,  # noqa: E402
                           _sample_dirichlet, _dirichlet_grad)
from .random_counts import poisson, binomial  # noqa: E402

__all__ += ["_standard_gamma", "_standard_gamma_grad", "_sample_dirichlet", "_dirichlet_grad",
            "poisson", "binomial"]
