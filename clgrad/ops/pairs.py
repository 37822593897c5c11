"""The functions PyTorch offers both as torch.X(t, ...) and t.X(...): the other half of each
pair clgrad had only one side of, and the pairs it lacked, composed from existing Tensor ops
(so they get autograd and every device). tests/test_method_pairs.py keeps the list honest."""
from __future__ import annotations

import builtins
import math
from collections import namedtuple
from typing import Optional

from .. import _dtype as dt
from .._checks import not_tensor
from .._tensor import Tensor, register

# Tensor methods that also are torch functions taking the tensor first.
_FUNCTION_FORMS = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
    "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_",
    "clamp_max_", "clamp_min_", "clip_", "clone", "cos_", "cosh_", "detach", "detach_",
    "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_",
    "get_device", "i0_", "index_put_", "is_complex", "is_floating_point", "is_signed",
    "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_", "negative_",
    "numel", "reciprocal_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_",
    "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_", "deg2rad_", "rad2deg_",
    "gcd_", "lcm_", "ldexp_")


def _function_form(name: str):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise not_tensor(name, input)
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Function form of Tensor.{name}()."
    return fn


def _float(x: Tensor) -> Tensor:
    return x if x.is_floating_point() else x.to(dt.get_default_dtype())


def _F():
    from .. import nn
    return nn.functional


def _linalg():
    from .. import linalg
    return linalg


# -- activations --------------------------------------------------------------------------
def relu(input: Tensor) -> Tensor:
    return _F().relu(input)


def relu_(input: Tensor) -> Tensor:
    return _F().relu_(input)


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return _F().softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return _F().log_softmax(input, dim, dtype=dtype)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _F().hardshrink(input, lambd)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    return _F().prelu(input, weight)


# -- elementwise ----------------------------------------------------------------------------
def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians."""
    return _float(input) * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees."""
    return _float(input) * (180.0 / math.pi)


def sgn(input: Tensor) -> Tensor:
    """sign(input) (for real tensors)."""
    return input.sign()


def angle(input: Tensor) -> Tensor:
    """The argument of each (real) element: pi for negatives, 0 otherwise, NaN kept."""
    x = _float(input)
    return (x * 0).where(x >= 0, math.pi).where(~x.isnan(), x)


def _float_only(op: str, input, other) -> None:
    promoted = dt.result_type(input, other)
    if not promoted.is_floating_point:
        from .._typenames import scalar_name
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'{scalar_name(promoted)}\'')


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(input) + exp(other)) without overflow."""
    from .pointwise import maximum, where
    _float_only("logaddexp", input, other)
    m = maximum(input, other)
    both_inf = input.isinf() & (input == other)
    result = m + (-(input - other).abs()).exp().log1p()
    return where(both_inf, input, result)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """log2(2 ** input + 2 ** other) without overflow."""
    from .pointwise import maximum, where
    _float_only("logaddexp2", input, other)
    m = maximum(input, other)
    both_inf = input.isinf() & (input == other)
    result = m + (-(input - other).abs()).exp2().log1p() / math.log(2.0)
    return where(both_inf, input, result)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """0 for negatives, 1 for positives, `values` at zero."""
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    one = (input > 0).to(input.dtype)
    return values.where(input == 0, one) if values.dim() else one.where(input != 0, values)


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64."""
    base = input.double() if isinstance(input, Tensor) else input
    exp_ = exponent.double() if isinstance(exponent, Tensor) else exponent
    if not isinstance(base, Tensor):
        from .creation import tensor
        base = tensor(float(base), dtype=dt.float64, device=exp_.device)
    return base.pow(exp_)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2 ** other."""
    return _float(input) * _float(other).exp2() if isinstance(other, Tensor) else \
        _float(input) * 2.0 ** other


def _shift_operands(op: str, input, other) -> tuple:
    """(input, other) in their promoted integer dtype; floats and bool << bool refused."""
    from .._typenames import scalar_name
    for x in (input, other):
        if isinstance(x, Tensor) and x.is_floating_point():
            raise RuntimeError(f'"{op}_cpu" not implemented for \'{scalar_name(x.dtype)}\'')
    promoted = dt.result_type(input, other)
    if promoted is dt.bool:
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'Bool\'')
    # A bool operand shifts by (or is) 0 or 1 in the promoted dtype, as in PyTorch.
    return tuple(x.to(promoted) if isinstance(x, Tensor) and x.dtype is dt.bool else x
                 for x in (input, other))


def bitwise_left_shift(input, other) -> Tensor:
    """input << other for integer tensors."""
    from .pointwise import lshift
    return lshift(*_shift_operands("lshift", input, other))


def bitwise_right_shift(input, other) -> Tensor:
    """input >> other for integer tensors (arithmetic)."""
    from .pointwise import rshift
    return rshift(*_shift_operands("rshift", input, other))


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """Greatest common divisor of integer tensors (Euclid; gcd(0, 0) = 0)."""
    from .shape import broadcast_tensors
    a, b = broadcast_tensors(input.abs(), other.abs())
    while builtins.bool((b != 0).any()):
        safe = b.where(b != 0, 1)
        a, b = b.where(b != 0, a), a.remainder(safe).where(b != 0, 0)
    return a


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """Least common multiple of integer tensors (0 if either is 0)."""
    g = gcd(input, other)
    return (input.abs().div(g.where(g != 0, 1), rounding_mode="trunc") * other.abs()).where(
        g != 0, 0)


# -- shape and joins ------------------------------------------------------------------------
def ravel(input: Tensor) -> Tensor:
    return input.reshape(-1)


def adjoint(input: Tensor) -> Tensor:
    """The (conjugate) transpose of the last two dims, a view."""
    return input.transpose(-2, -1)


def msort(input: Tensor) -> Tensor:
    return input.sort(dim=0).values


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    return input.narrow(dim, start, length).clone()


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    if builtins.sum(split_sizes) != input.shape[dim]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                           f"{input.shape[dim]} (input tensor's size at dimension {dim}), but "
                           f"got split_sizes={list(split_sizes)}")
    return input.split(list(split_sizes), dim)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    return input.chunk(chunks, dim)


def unsafe_split(input: Tensor, split_size, dim: int = 0) -> tuple:
    return input.split(split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    return split_with_sizes(input, split_sizes, dim)


def _split_dim(name: str, input: Tensor, sections, dim: int, min_dim: int) -> tuple:
    if input.dim() < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, "
                           f"but got a tensor with {input.dim()} dimensions!")
    if isinstance(sections, builtins.int) and input.shape[dim] % sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                           f"size of the dimension {input.shape[dim]} is not divisible by the "
                           f"split_size {sections}!")
    return input.tensor_split(sections, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_dim("hsplit", input, indices_or_sections, 1 if input.dim() > 1 else 0, 1)


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_dim("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_dim("dsplit", input, indices_or_sections, 2, 3)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    return input.flatten().diag(offset)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of dims (from the first towards the second)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = dims
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0, d1)
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Optional[Tensor] = None,
         append: Optional[Tensor] = None) -> Tensor:
    """The n-th forward difference along dim."""
    from .join import cat
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[dim]
        x = x.narrow(dim, 1, size - 1) - x.narrow(dim, 0, size - 1) if x.dtype is not dt.bool \
            else x.narrow(dim, 1, size - 1) ^ x.narrow(dim, 0, size - 1)
    return x


def _check_counts(counts) -> None:
    if counts and builtins.min(counts) < 0:
        raise RuntimeError("repeats can not be negative")


def repeat_interleave(input, repeats=None, dim: Optional[int] = None, *,
                      output_size: Optional[int] = None) -> Tensor:
    """Repeat each element (or slice along dim) `repeats` times."""
    from .creation import arange, tensor
    if repeats is None:  # repeat_interleave(repeats): indices repeated by their counts
        counts = input.tolist()
        _check_counts(counts)
        return tensor([i for i, c in enumerate(counts) for _ in range(c)], dtype=dt.int64,
                      device=input.device)
    if dim is None:
        input, dim = input.reshape(-1), 0
    dim = dim % builtins.max(input.dim(), 1)
    n = input.shape[dim]
    if isinstance(repeats, Tensor) and repeats.numel() != 1:
        counts = repeats.tolist()
        if len(counts) != n:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {len(counts)} and input.size({dim}) = {n}")
        _check_counts(counts)
    else:
        if builtins.int(repeats) < 0:
            raise RuntimeError("Repeats must be non-negative")
        counts = [builtins.int(repeats)] * n
    index = tensor([i for i, c in enumerate(counts) for _ in range(c)], dtype=dt.int64,
                   device=input.device) if counts else arange(0, device=input.device)
    return input.index_select(dim, index)


# -- comparisons of metadata ------------------------------------------------------------------
def is_same_size(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape


def is_nonzero(input: Tensor) -> bool:
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item())


def is_inference(input: Tensor) -> bool:
    """False: clgrad's inference_mode records nothing but makes ordinary tensors."""
    return False


def is_conj(input: Tensor) -> bool:
    return False  # no complex dtypes: never a lazily conjugated view


def is_neg(input: Tensor) -> bool:
    return False  # no lazily negated views


def is_distributed(input: Tensor) -> bool:
    return False


def resolve_conj(input: Tensor) -> Tensor:
    return input


def resolve_neg(input: Tensor) -> Tensor:
    return input


def conj(input: Tensor) -> Tensor:
    return input  # real tensors are their own conjugate (PyTorch returns self too)


def conj_physical(input: Tensor) -> Tensor:
    return input.clone()


def conj_physical_(input: Tensor) -> Tensor:
    return input


# -- reductions and statistics --------------------------------------------------------------
def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other."""
    return (input - other).norm(p)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along dim, shifted by the max for stability."""
    x = _float(input)
    m = x.detach().amax(dim, keepdim=True) if x.numel() else x.detach()
    m = m.where(m.isfinite(), 0.0)
    return (x - m).exp().cumsum(dim).log() + m


def cov(input: Tensor, *, correction: int = 1, fweights: Optional[Tensor] = None,
        aweights: Optional[Tensor] = None) -> Tensor:
    """Covariance of the rows (variables) over the columns (observations)."""
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    x = _float(input)
    x = x.reshape(1, -1) if x.dim() < 2 else x
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    n = x.shape[1]
    if w is None:
        avg = x.mean(1, keepdim=True)
        norm = n - correction
        xc = x - avg
        c = xc.matmul(xc.t()) / builtins.max(norm, 0)
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1, keepdim=True) / w_sum
        if aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights.to(x.dtype)).sum() / w_sum
        xc = x - avg
        c = (xc * w).matmul(xc.t()) / norm.clamp_min(0)
    return c.squeeze() if input.dim() < 2 else c


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows."""
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along dim rescaled to p-norm at most maxnorm."""
    dims = [d for d in range(input.dim()) if d != dim % input.dim()]
    norms = input.norm(p, dim=dims, keepdim=True)
    factor = (maxnorm / (norms + 1e-7)).where(norms > maxnorm, 1.0)
    return input * factor


def _quantile(name: str, input: Tensor, q, dim, keepdim: bool, interpolation: str,
              ignore_nan: bool) -> Tensor:
    """Sort along dim (NaN sorts last), then read and interpolate at q * (count - 1)."""
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(f"{name}() interpolation must be one of linear, lower, higher, "
                         f"midpoint or nearest. Got {interpolation}")
    if not input.is_floating_point():
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    scalar_q = not isinstance(q, Tensor)
    if not scalar_q and q.dim() > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    qs = [builtins.float(q)] if scalar_q else q.reshape(-1).tolist()
    if builtins.any(not 0 <= v <= 1 for v in qs):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None or input.dim() == 0 else input
    d = 0 if dim is None else dim % builtins.max(input.dim(), 1)
    ordered = x.sort(dim=d).values
    nan = ordered.isnan()
    count = (~nan).sum(d, keepdim=True) if ignore_nan else \
        nan.sum(d, keepdim=True) * 0 + ordered.shape[d]
    has_nan = nan.any(d, keepdim=True)
    last = (count - 1).clamp_min(0)
    results = []
    for v in qs:
        pos = (count - 1).to(x.dtype) * v
        lo, hi = pos.floor(), pos.ceil()
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = pos.round()  # half to even, as PyTorch rounds
        lo_i = lo.long().clamp(min=0).minimum(last)
        hi_i = hi.long().clamp(min=0).minimum(last)
        a, b = ordered.gather(d, lo_i), ordered.gather(d, hi_i)
        frac = (pos - lo) * 0 + 0.5 if interpolation == "midpoint" else pos - lo
        r = a + (b - a) * frac
        bad = (count == 0) if ignore_nan else has_nan
        r = r.where(~bad, math.nan)
        if not keepdim:
            r = r.squeeze(d)
        elif dim is None:
            r = r.reshape([1] * input.dim())
        results.append(r)
    if scalar_q:
        return results[0]
    from .join import stack
    out = stack(results)
    return out.reshape(list(q.shape) + list(out.shape[1:]))


def quantile(input: Tensor, q, dim: Optional[int] = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles along dim (all elements when dim is None); NaN if a NaN is there."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q, dim: Optional[int] = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile() ignoring NaN (NaN only where a slice holds nothing else)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: Optional[int] = None):
    """Collapse each run of equal consecutive elements (or slices along dim) to one."""
    from .creation import ones, tensor
    from .join import cat
    x = input.reshape(-1) if dim is None else input.movedim(dim, 0)
    n = x.shape[0] if x.dim() else 1
    if n == 0:
        keep = ones(0, dtype=dt.bool, device=input.device)
    else:
        change = x[1:] != x[:-1]
        if change.dim() > 1:
            change = change.reshape(n - 1, -1).any(1)
        keep = cat([ones(1, dtype=dt.bool, device=input.device), change])
    starts = keep.nonzero().reshape(-1)
    values = x.index_select(0, starts)
    if dim is not None:
        values = values.movedim(0, dim)
    out = [values]
    if return_inverse:
        inverse = keep.long().cumsum(0) - 1
        out.append(inverse.reshape(input.shape) if dim is None else inverse)
    if return_counts:
        ends = cat([starts, tensor([n], dtype=dt.int64, device=input.device)])
        out.append(ends[1:] - ends[:-1])
    return out[0] if len(out) == 1 else tuple(out)


_FREXP = namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input: Tensor):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, 0.5 <= |mantissa| < 1."""
    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    finite = input.isfinite() & (input != 0)
    safe = input.where(finite, 1.0)
    e = safe.abs().log2().floor() + 1
    half = (e * 0.5).floor()
    # two scalings: 2 ** -e alone overflows for subnormal inputs
    m = safe * (-half).exp2() * (half - e).exp2()
    for _ in range(2):  # log2's rounding near powers of two: renormalise
        big = m.abs() >= 1
        m, e = m.where(~big, m * 0.5), e.where(~big, e + 1)
        small = m.abs() < 0.5
        m, e = m.where(~small, m * 2), e.where(~small, e - 1)
    return _FREXP(m.where(finite, input), e.where(finite, 0.0).to(dt.int32))


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """Reduce the slices of source into input's slices index[i] along dim ('prod', 'mean',
    'amax', 'amin'): scatter_reduce with the index spread along dim."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    dim = dim % builtins.max(source.dim(), 1)
    shape = [1] * source.dim()
    shape[dim] = -1
    spread = index.reshape(shape).expand(source.shape)
    return input.scatter_reduce(dim, spread, source, reduce, include_self=include_self)


_HISTOGRAM = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input: Tensor, bins=100, *, range=None, weight: Optional[Tensor] = None,
              density: bool = False):
    """(hist, bin_edges): counts (or summed weights) of input in each bin; the last bin
    includes its right edge. bins: a count (edges spaced over range or [min, max]) or edges."""
    from .creation import linspace
    x = input.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins.to(x.dtype)
    else:
        if range is None:
            lo, hi = (x.min().item(), x.max().item()) if x.numel() else (0.0, 0.0)
        else:
            lo, hi = range
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5  # numpy's and PyTorch's widening of an empty range
        edges = linspace(lo, hi, bins + 1, dtype=x.dtype, device=x.device)
    n = edges.numel() - 1
    # bin of each element: how many left edges it reaches; the last right edge is inclusive
    which = (x.unsqueeze(-1) >= edges[:-1]).sum(-1) - 1
    which = which.where(x != edges[-1], n - 1)
    inside = (x >= edges[0]) & (x <= edges[-1])
    w = (weight.reshape(-1).to(x.dtype) if weight is not None else x * 0 + 1) * inside
    hist = (x.new_zeros(n)).scatter_add(0, which.clamp(0, n - 1), w)
    if density:
        hist = hist / (hist.sum() * (edges[1:] - edges[:-1]))
    return _HISTOGRAM(hist, edges)


# -- linear algebra ---------------------------------------------------------------------------
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2)."""
    outer = vec1.outer(vec2)
    outer = outer if alpha == 1 else outer * alpha
    if beta == 0:
        return outer + input * 0
    return outer + (input if beta == 1 else input * beta)


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    L = _linalg().cholesky(input)
    return L.mT if upper else L


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """Solve A X = input with A = L L^T given its Cholesky factor input2."""
    L = input2.mT if upper else input2
    return _linalg().solve(L.matmul(L.mT), input)


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    L = input.mT if upper else input
    return _linalg().inv(L.matmul(L.mT))


def inverse(input: Tensor) -> Tensor:
    return _linalg().inv(input)


def det(input: Tensor) -> Tensor:
    return _linalg().det(input)


def slogdet(input: Tensor):
    return _linalg().slogdet(input)


def logdet(input: Tensor) -> Tensor:
    """log(det(input)): NaN for a negative determinant, -inf for zero."""
    sign, logabs = _linalg().slogdet(input)
    return logabs.where(sign > 0, math.nan).where(sign != 0, -math.inf)


def qr(input: Tensor, some: bool = True):
    return _linalg().qr(input, "reduced" if some else "complete")


_SVD = namedtuple("svd", ["U", "S", "V"])


def svd(input: Tensor, some: bool = True, compute_uv: bool = True):
    """U, S, V (not Vh) with input = U diag(S) V^T."""
    U, S, Vh = _linalg().svd(input, full_matrices=not some)
    if not compute_uv:
        return _SVD(U.new_zeros(U.shape) * 0, S, Vh.new_zeros(Vh.shape))
    return _SVD(U, S, Vh.mT)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    return _linalg().pinv(input, rtol=rcond)


def matrix_power(input: Tensor, n: int) -> Tensor:
    """input @ input @ ... (n times; n < 0 uses the inverse), by repeated squaring."""
    from .creation import eye
    if n == 0:
        e = eye(input.shape[-1], dtype=input.dtype, device=input.device)
        return e.expand(input.shape).clone()
    base = _linalg().inv(input) if n < 0 else input
    n = builtins.abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else result.matmul(base)
        n >>= 1
        if n:
            base = base.matmul(base)
    return result


def cross(input: Tensor, other: Tensor, dim: Optional[int] = None) -> Tensor:
    """The 3-vector cross product along dim (default: the first dim of size 3)."""
    from .join import stack
    from .shape import broadcast_tensors
    a, b = broadcast_tensors(input, other)
    if dim is None:
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        sizes = [i for i, n in enumerate(a.shape) if n == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes[0]
    if a.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[dim]} and {b.shape[dim]}")
    a0, a1, a2 = a.unbind(dim)
    b0, b1, b2 = b.unbind(dim)
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


_TRIANGULAR = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def triangular_solve(input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False):
    """Solve op(T) X = input, T the upper (or lower) triangle of A, op transposes if asked."""
    from .creation import eye
    T = A.triu() if upper else A.tril()
    if unitriangular:
        ident = eye(A.shape[-1], dtype=A.dtype, device=A.device)
        T = T * (1 - ident) + ident
    if transpose:
        T = T.mT
    return _TRIANGULAR(_linalg().solve(T, input), A.clone())


def matrix_exp(input: Tensor) -> Tensor:
    """exp of square matrices: scaling and squaring over an 18-term Taylor series."""
    from .creation import eye
    if input.dim() < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError("matrix_exp: The input tensor A must have at least 2 dimensions.")
    norm = input.detach().abs().sum(-2).amax().item() if input.numel() else 0.0
    squarings = builtins.max(0, math.ceil(math.log2(norm)) + 1) if norm > 0 else 0
    a = input / (2.0 ** squarings)
    ident = eye(input.shape[-1], dtype=input.dtype, device=input.device).expand(input.shape)
    result, term = ident, ident
    for k in range(1, 19):
        term = term.matmul(a) / k
        result = result + term
    for _ in range(squarings):
        result = result.matmul(result)
    return result


def as_strided_(input: Tensor, size, stride, storage_offset: Optional[int] = None) -> Tensor:
    """Make input itself the strided view of its storage (in place, as PyTorch)."""
    view = input.as_strided(size, stride, storage_offset)
    for slot in ("_shape", "_stride", "_offset"):
        setattr(input, slot, getattr(view, slot))
    input._contig = None
    return input


def as_strided_scatter(input: Tensor, src: Tensor, size, stride,
                       storage_offset: Optional[int] = None) -> Tensor:
    """A copy of input with src written through the strided view (size, stride, offset)."""
    out = input.clone()
    out.as_strided(size, stride, storage_offset).copy_(src)
    return out


def resize_as_(input: Tensor, the_template: Tensor) -> Tensor:
    return input.resize_(the_template.shape)


# -- scatter-into-a-copy forms ------------------------------------------------------------------
def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    out = input.clone()
    out.select(dim, index).copy_(src)
    return out


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: Optional[int] = None,
                  end: Optional[int] = None, step: int = 1) -> Tensor:
    out = input.clone()
    index = [builtins.slice(None)] * input.dim()
    index[dim] = builtins.slice(start, end, step)
    out[tuple(index)] = src
    return out


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    out = input.clone()
    out.diagonal(offset, dim1, dim2).copy_(src)
    return out


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero() cut or padded with fill_value to exactly `size` rows."""
    from .creation import full
    from .join import cat
    found = input.nonzero()
    if found.shape[0] >= size:
        return found[:size]
    pad = full((size - found.shape[0], input.dim()), fill_value, dtype=dt.int64,
               device=input.device)
    return cat([found, pad])


_PAIRS = ("relu", "relu_", "softmax", "log_softmax", "hardshrink", "prelu", "deg2rad",
          "rad2deg", "sgn", "angle", "logaddexp", "logaddexp2", "heaviside", "float_power",
          "ldexp", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "ravel",
          "adjoint", "msort", "narrow_copy", "split_with_sizes", "unsafe_chunk",
          "unsafe_split", "unsafe_split_with_sizes", "hsplit", "vsplit", "dsplit",
          "diagflat", "rot90", "diff", "repeat_interleave", "is_same_size", "is_nonzero",
          "is_inference", "is_conj", "is_neg", "is_distributed", "resolve_conj",
          "resolve_neg", "conj", "conj_physical", "conj_physical_", "dist", "logcumsumexp",
          "cov", "corrcoef", "renorm", "quantile", "addr", "cholesky", "cholesky_solve",
          "cholesky_inverse", "inverse", "det", "slogdet", "logdet", "qr", "svd", "pinverse",
          "matrix_power", "select_scatter", "slice_scatter", "diagonal_scatter",
          "nonzero_static", "cross", "nanquantile", "unique_consecutive", "frexp",
          "index_reduce", "histogram", "triangular_solve", "matrix_exp", "as_strided_",
          "as_strided_scatter", "resize_as_")
# In-place forms: the result written back into self.
_INPLACE = {"deg2rad_": deg2rad, "rad2deg_": rad2deg, "gcd_": gcd, "lcm_": lcm,
            "ldexp_": ldexp, "sgn_": sgn}


def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        return self.copy_(fn(self, *args, **kwargs))
    method.__name__ = name
    method.__doc__ = f"In-place form of {fn.__name__}()."
    return method


for _name in _PAIRS:
    register(_name)(_method(globals()[_name]))
for _name, _fn in _INPLACE.items():
    register(_name)(_inplace(_fn, _name))
for _name in _FUNCTION_FORMS:
    globals()[_name] = _function_form(_name)
register("ger")(lambda self, vec2: self.outer(vec2))
register("__lshift__")(lambda self, other: bitwise_left_shift(self, other))
register("__rshift__")(lambda self, other: bitwise_right_shift(self, other))

__all__ = list(_PAIRS) + list(_FUNCTION_FORMS) + ["cross"]
