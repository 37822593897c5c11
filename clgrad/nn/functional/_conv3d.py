"""conv3d, conv_transpose3d and the 3-d poolings, on the fused ops' 2-d kernels.

A 3-d convolution is vol2col (the depth windows gathered once, then one 2-d im2col per depth
window) and one batched GEMM; its backward is the transposed GEMMs and col2vol. They record
ConvolutionBackward0 (ConvolutionBackwardBackward0 under create_graph), as PyTorch. The 3-d
poolings are ops.fused.pool3d: two separable passes of the 2-d pooling kernels, recording
PyTorch's MaxPool3DWithIndices / AvgPool3D / AdaptiveMax/AvgPool3D node names.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..._tensor import Tensor
from ..._typenames import scalar_name
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.graph import needs_grad, record
from ...ops.fused import backward_with_graph, col2vol, conv_out_size, pool3d, pool3d_indices
from ...ops.creation import tensor
from ...ops.fused import vol2col
from ._conv import _check_conv, _check_params, _matmul, _same_padding, _tuple

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
           "adaptive_max_pool3d", "max_pool3d_with_indices"]


# -- convolution ----------------------------------------------------------------------------
def conv3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W)."""
    _check_conv("conv3d", input, weight, bias, groups, 3, False)
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    extra = None
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0, 0)
        elif padding == "same":
            padding, extra = _same_padding(weight, 3, stride, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    padding = _tuple(padding, 3, "padding")
    _check_params(stride, padding, dilation)
    x = input if input.dim() == 5 else input.unsqueeze(0)
    if extra is not None and any(extra):
        from ._sampling import pad
        widths = []
        for e in reversed(extra):
            widths += [0, e]
        x = pad(x, widths)
    out = _convolution3d(x, weight, bias, stride, padding, dilation, groups)
    return out if input.dim() == 5 else out.squeeze(0)


def _out_sizes(x_shape: tuple, kernel: tuple, stride, padding, dilation) -> tuple:
    return tuple(conv_out_size(size, k, s, p, d) for size, k, s, p, d in
                 zip(x_shape[2:], kernel, stride, padding, dilation))


def _with_bias(y: Tensor, bias) -> Tensor:
    """(N, od, oc, L) GEMM rows -> the contiguous (N, oc, od, L) output, bias added in place."""
    out = y.transpose(1, 2).contiguous()
    if bias is not None:
        out.add_(bias.view(1, -1, 1, 1))
    return out


def _convolution3d(x: Tensor, weight: Tensor, bias, stride, padding, dilation,
                   groups: int) -> Tensor:
    """Batched 3-d convolution; records ConvolutionBackward0."""
    n, c = x._shape[:2]
    oc, kernel = weight._shape[0], weight._shape[2:]
    out_size = _out_sizes(x._shape, kernel, stride, padding, dilation)
    if min(out_size) < 1:
        padded = " x ".join(str(s + 2 * p) for s, p in zip(x._shape[2:], padding))
        reach = " x ".join(str(d * (k - 1) + 1) for k, d in zip(kernel, dilation))
        raise RuntimeError(f"Calculated padded input size per channel: ({padded}). Kernel "
                           f"size: ({reach}). Kernel size can't be greater than actual input "
                           "size")
    od, length = out_size[0], out_size[1] * out_size[2]
    span = weight._shape[1] * kernel[0] * kernel[1] * kernel[2]
    with no_grad():
        cols = vol2col(x, kernel, stride, padding, dilation, out_size)  # (N, od, C*K, L)
        wmat = weight.reshape(groups, oc // groups, span)
        y = _matmul(wmat, cols.view(n, od, groups, span, length)).view(n, od, oc, length)
        out = _with_bias(y, bias).view((n, oc) + out_size)
    if needs_grad(x, weight, bias):
        want = (x._requires_grad, weight._requires_grad,
                bias is not None and bias._requires_grad)
        geometry = (stride, padding, dilation, groups, out_size)
        saved_cols = cols.detach()

        def rule(g):
            if not is_grad_enabled():
                return _conv3d_grads(want, geometry, g, x, weight, saved_cols)
            # create_graph: the same gradients, recorded as PyTorch's double-backward node
            return backward_with_graph(
                "ConvolutionBackwardBackward0", (g, x, weight),
                lambda: _conv3d_grads(want, geometry, g, x, weight, saved_cols),
                lambda g_, x_, w_: _conv3d_grads(want, geometry, g_, x_, w_, None))
        record("ConvolutionBackward0", out, (x, weight, bias), rule, saved=(x, weight))
    return out


def _conv3d_grads(want: tuple, geometry: tuple, g: Tensor, x: Tensor, weight: Tensor, cols):
    """(grad input, grad weight, grad bias) of a 3-d convolution, with differentiable ops.

    cols: the forward's vol2col columns, or None to recompute them from x (under create_graph
    they must carry x's history).
    """
    stride, padding, dilation, groups, out_size = geometry
    n, oc, kernel = x._shape[0], weight._shape[0], weight._shape[2:]
    od, length = out_size[0], out_size[1] * out_size[2]
    span = weight._shape[1] * kernel[0] * kernel[1] * kernel[2]
    rows = g.reshape(n, oc, od, length).transpose(1, 2).reshape(
        n, od, groups, oc // groups, length)
    gx = gw = gb = None
    if want[0]:
        wmat = weight.reshape(groups, oc // groups, span)
        gcols = _matmul(wmat.transpose(-1, -2), rows).reshape(n, od, groups * span, length)
        gx = col2vol(gcols, x._shape[2:], kernel, stride, padding, dilation, out_size)
    if want[1]:
        if cols is None:
            cols = vol2col(x, kernel, stride, padding, dilation, out_size)
        per = _matmul(rows, cols.view(n, od, groups, span, length).transpose(-1, -2))
        gw = per.sum((0, 1)).reshape(weight._shape)
    if want[2]:
        gb = g.sum((0, 2, 3, 4))
    return gx, gw, gb


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-d transposed convolution ("deconvolution") over (N, C_in, D, H, W) or 4-d."""
    _check_conv("conv_transpose3d", input, weight, bias, groups, 3, True)
    stride, padding = _tuple(stride, 3, "stride"), _tuple(padding, 3, "padding")
    output_padding = _tuple(output_padding, 3, "output_padding")
    dilation = _tuple(dilation, 3, "dilation")
    _check_params(stride, padding, dilation)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        names = ("depth", "height", "width")
        parts = [f"output_padding_{nm}: {v}" for nm, v in zip(names, output_padding)]
        parts += [f"stride_{nm}: {v}" for nm, v in zip(names, stride)]
        parts += [f"dilation_{nm}: {v}" for nm, v in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    x = input if input.dim() == 5 else input.unsqueeze(0)
    out = _transposed3d(x, weight, bias, stride, padding, output_padding, dilation, groups)
    return out if input.dim() == 5 else out.squeeze(0)


def _transposed3d(x: Tensor, weight: Tensor, bias, stride, padding, output_padding, dilation,
                  groups: int) -> Tensor:
    """col2vol of W^T @ x; records ConvolutionBackward0."""
    n, c = x._shape[:2]
    kernel = weight._shape[2:]
    oc = weight._shape[1] * groups
    size = tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1 for s, st, p, d, k, op in zip(
        x._shape[2:], stride, padding, dilation, kernel, output_padding))
    if min(size) < 1:
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, x._shape[2:]))}"
                           f"). Calculated output size per channel: "
                           f"({' x '.join(map(str, size))}). Output size is too small")
    geometry = (kernel, stride, padding, dilation, groups, size)
    with no_grad():
        cols = _transposed_cols(x, weight, geometry)
        out = col2vol(cols, size, kernel, stride, padding, dilation, x._shape[2:])
        if bias is not None:
            out.add_(bias.view(1, oc, 1, 1, 1))
    if needs_grad(x, weight, bias):
        want = (x._requires_grad, weight._requires_grad,
                bias is not None and bias._requires_grad)

        def rule(g):
            if not is_grad_enabled():
                return _transposed3d_grads(want, geometry, g, x, weight)
            return backward_with_graph(
                "ConvolutionBackwardBackward0", (g, x, weight),
                lambda: _transposed3d_grads(want, geometry, g, x, weight),
                lambda g_, x_, w_: _transposed3d_grads(want, geometry, g_, x_, w_))
        record("ConvolutionBackward0", out, (x, weight, bias), rule, saved=(x, weight))
    return out


def _depth_rows(x: Tensor, groups: int) -> Tensor:
    """(N, C, D, H, W) -> (N, D, groups, C/groups, H*W): the GEMM operand of a transposed
    convolution, one block per input depth (the layout vol2col's columns have)."""
    n, c, d = x._shape[:3]
    return x.reshape(n, c, d, -1).transpose(1, 2).reshape(n, d, groups, c // groups, -1)


def _transposed_cols(x: Tensor, weight: Tensor, geometry: tuple) -> Tensor:
    kernel, groups = geometry[0], geometry[4]
    n, c, d, h, w = x._shape
    kg = weight._shape[1] * kernel[0] * kernel[1] * kernel[2]
    wmat = weight.reshape(groups, c // groups, kg)
    cols = _matmul(wmat.transpose(-1, -2), _depth_rows(x, groups))  # (N, D, g, kg, H*W)
    return cols.reshape(n, d, groups * kg, h * w)


def _transposed3d_grads(want: tuple, geometry: tuple, g: Tensor, x: Tensor, weight: Tensor):
    """(grad input, grad weight, grad bias) of a transposed 3-d convolution (differentiable)."""
    kernel, stride, padding, dilation, groups, _ = geometry
    n, c, d, h, w = x._shape
    kg = weight._shape[1] * kernel[0] * kernel[1] * kernel[2]
    gcols = vol2col(g, kernel, stride, padding, dilation, x._shape[2:])  # (N, D, oc*K, L)
    gcols = gcols.view(n, d, groups, kg, gcols._shape[-1])
    gx = gw = gb = None
    if want[0]:
        wmat = weight.reshape(groups, c // groups, kg)
        rows = _matmul(wmat, gcols)  # (N, D, g, C/g, H*W)
        gx = rows.reshape(n, d, c, h * w).transpose(1, 2).contiguous().view(x._shape)
    if want[1]:
        per = _matmul(_depth_rows(x, groups), gcols.transpose(-1, -2))
        gw = per.sum((0, 1)).reshape(weight._shape)
    if want[2]:
        gb = g.sum((0, 2, 3, 4))
    return gx, gw, gb


# -- pooling --------------------------------------------------------------------------------
def _triple(value, name: str, op: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return (int(value[0]),) * 3
        if len(value) != 3:
            raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of "
                               "three ints")
        return tuple(int(v) for v in value)
    return (int(value),) * 3


def _pooled_size(size: int, k: int, pad: int, stride: int, dilation: int, ceil: bool) -> int:
    """PyTorch's pooling_output_shape."""
    numer = size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil else 0)
    out = numer // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1  # the last window must start inside the input or the left padding
    return out


def _check_pool_input(input: Tensor) -> None:
    """The kernels pool every leading (N, C) or (C) plane alike: no batch dim is added."""
    if input.dim() not in (4, 5) or (input.dim() == 4 and input.numel() == 0) or \
            any(s == 0 for s in input._shape[1:]):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")


def _window(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool, op: str):
    """(12-number geometry, (od, oh, ow)) of a 3-d pooling, with PyTorch's checks."""
    k = _triple(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _triple(stride, "stride", op)
    p, d = _triple(padding, "padding", op), _triple(dilation, "dilation", op)
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} "
                           f"kH: {k[1]} kW: {k[2]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} "
                           f"dilationH: {d[1]} dilationW: {d[2]}")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    sizes = x._shape[-3:]
    out = tuple(_pooled_size(*args, ceil_mode) for args in zip(sizes, k, p, s, d))
    if min(out) < 1:
        given = "x".join(str(v) for v in x._shape[-4:])
        calc = "x".join(str(v) for v in (x._shape[-4],) + out)
        raise RuntimeError(f"Given input size: ({given}). Calculated output size: ({calc}). "
                           "Output size is too small")
    return k + s + p + d, out


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """(values, flat D*H*W indices of the maxima) of a 3-d max pooling."""
    _check_pool_input(input)
    geometry, out = _window(input, kernel_size, stride, padding, dilation, ceil_mode,
                            "max_pool3d")
    values, saved = pool3d("max", False, input, geometry, out, "MaxPool3DWithIndicesBackward0")
    return values, pool3d_indices(saved, input._shape, out)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W); return_indices gives the flat
    D*H*W position of each maximum, as PyTorch."""
    if return_indices:
        return max_pool3d_with_indices(input, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    _check_pool_input(input)
    geometry, out = _window(input, kernel_size, stride, padding, dilation, ceil_mode,
                            "max_pool3d")
    return pool3d("max", False, input, geometry, out, "MaxPool3DWithIndicesBackward0")[0]


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """3-d average pooling over (N, C, D, H, W) or (C, D, H, W)."""
    _check_pool_input(input)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geometry, out = _window(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d")
    if not input.dtype.is_floating_point:
        return _integer_avg_pool3d(input, geometry, out, count_include_pad, divisor_override)
    return pool3d("avg", False, input, geometry, out, "AvgPool3DBackward0", count_include_pad,
                  int(divisor_override or 0))[0]


def _integer_avg_pool3d(x: Tensor, geometry: tuple, out: tuple, count_include_pad: bool,
                        divisor_override) -> Tensor:
    """PyTorch's integer average: the window's sum divided once, truncating. The separable
    passes would truncate twice, so they only sum here (an override of 1) and the division
    by each window's size follows."""
    total = pool3d("avg", False, x, geometry, out, "AvgPool3DBackward0", True, 1)[0]
    if divisor_override:
        return total.div(int(divisor_override), rounding_mode="trunc")
    sizes = x._shape[-3:]
    counts = np.ones((1,) * 3, np.int64)
    for axis in range(3):
        k, s, p = geometry[axis], geometry[3 + axis], geometry[6 + axis]
        start = np.arange(out[axis]) * s - p
        end = np.minimum(start + k, sizes[axis] + p)
        if not count_include_pad:
            end, start = np.minimum(end, sizes[axis]), np.maximum(start, 0)
        shape = [1, 1, 1]
        shape[axis] = out[axis]
        counts = counts * (end - start).reshape(shape)
    return total.div(tensor(counts, dtype=x.dtype, device=x.device), rounding_mode="trunc")


def _adaptive_size(input: Tensor, output_size, op: str) -> tuple:
    """The output (od, oh, ow), with PyTorch's checks."""
    if input.dim() not in (4, 5):
        raise RuntimeError(f"{op}(): Expected 4D or 5D tensor, but got {list(input._shape)}")
    for d in range(1, input.dim()):
        if input._shape[d] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input._shape)} with "
                               f"dimension {d} being empty")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for "
                                  f"'{scalar_name(input.dtype)}'")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 3:
            raise RuntimeError(f"{op}(): internal error: output_size.size() must be 3")
        sizes = tuple(input._shape[-3 + i] if v is None else int(v)
                      for i, v in enumerate(output_size))
    else:
        sizes = (int(output_size),) * 3
    if any(v < 0 for v in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: "
                           f"{list(input._shape[:-3]) + list(sizes)}")
    return sizes


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """3-d adaptive average pooling to output_size (int or triple; None keeps a size)."""
    sizes = _adaptive_size(input, output_size, "adaptive_avg_pool3d")
    if sizes == (1, 1, 1):
        return input.mean((-1, -2, -3), keepdim=True)  # PyTorch takes the mean here too
    return pool3d("avg", True, input, None, sizes, "AdaptiveAvgPool3DBackward0")[0]


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """3-d adaptive max pooling to output_size; return_indices gives the flat D*H*W position
    of each maximum, as PyTorch."""
    sizes = _adaptive_size(input, output_size, "adaptive_max_pool3d")
    values, saved = pool3d("max", True, input, None, sizes, "AdaptiveMaxPool3DBackward0")
    return (values, pool3d_indices(saved, input._shape, sizes)) if return_indices else values
