"""Convolutions as im2col + GEMM: conv1d, conv2d, conv_transpose1d/2d, unfold and fold.

The forward pass gathers sliding windows with ops.fused.im2col and multiplies by the weight
with the batched GEMM (clgrad.matmul); the backward pass is the transposed GEMMs and col2im,
a deterministic gather. Gradient rules are written with differentiable ops (matmul,
im2col/col2im); under create_graph they are recorded as ConvolutionBackwardBackward0, as in
PyTorch, so double backward works.
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.graph import needs_grad, record
from ...ops.fused import backward_with_graph, col2im, conv_out_size, im2col

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


# -- argument handling ---------------------------------------------------------------------
def _tuple(value, n: int, name: str, op_dims: int | None = None) -> tuple:
    if isinstance(value, (list, tuple)):
        value = tuple(int(v) for v in value)
        if len(value) == 1 and n > 1:
            return value * n
        if len(value) != n:
            dims = op_dims if op_dims is not None else n
            raise RuntimeError(f"expected {name} to be a single integer value or a list of "
                               f"{dims} values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return value
    return (int(value),) * n


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    from ...ops.linalg import matmul
    return matmul(a, b)


def _type_name(t: Tensor) -> str:
    return t.type().replace("clgrad.cl.", "clgrad.")


def _check_same_type(input: Tensor, weight: Tensor) -> None:
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"Input type ({_type_name(input)}) and weight type "
                           f"({_type_name(weight)}) should be the same or input should be a "
                           "MKLDNN tensor and weight is a dense tensor")
    if input.device != weight.device:
        raise RuntimeError(f"Input type ({_type_name(input)}) and weight type "
                           f"({_type_name(weight)}) should be the same (devices {input.device} "
                           f"and {weight.device})")


# -- unfold / fold (differentiable, 4-d) ----------------------------------------------------
def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L) (im2col)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                           f"{input.dim()}D)")
    k, d = _tuple(kernel_size, 2, "kernel_size"), _tuple(dilation, 2, "dilation")
    p, s = _tuple(padding, 2, "padding"), _tuple(stride, 2, "stride")
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    oh = conv_out_size(x._shape[2], k[0], s[0], p[0], d[0])
    ow = conv_out_size(x._shape[3], k[1], s[1], p[1], d[1])
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input with spatial size ({x._shape[2]}, {x._shape[3]}), "
                           f"kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
                           f"padding=({p[0]}, {p[1]}), calculated shape of the array of sliding"
                           f" blocks as ({oh}, {ow}), but its components must be at least one.")
    out = im2col(x, k, s, p, d)
    return out if batched else out.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding local blocks into a tensor: (N, C*kh*kw, L) -> (N, C, H, W) (col2im)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                           f"supported (got {input.dim()}D)")
    size = _tuple(output_size, 2, "output_size")
    k, d = _tuple(kernel_size, 2, "kernel_size"), _tuple(dilation, 2, "dilation")
    p, s = _tuple(padding, 2, "padding"), _tuple(stride, 2, "stride")
    batched = input.dim() == 3
    cols = input if batched else input.unsqueeze(0)
    ck, L = cols._shape[1], cols._shape[2]
    if ck % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension {1 if batched else 0} to be "
                           f"divisible by the product of kernel_size, but got input.size("
                           f"{1 if batched else 0})={ck} and kernel_size=({k[0]}, {k[1]}).")
    oh = conv_out_size(size[0], k[0], s[0], p[0], d[0])
    ow = conv_out_size(size[1], k[1], s[1], p[1], d[1])
    if oh * ow != L:
        dim = 2 if batched else 1
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, "
                           f"{k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
                           f"stride=({s[0]}, {s[1]}), expected size of input's dimension {dim} "
                           f"to match the calculated number of sliding blocks {oh} * {ow} = "
                           f"{oh * ow}, but got input.size({dim})={L}.")
    out = col2im(cols, size, k, s, p, d)
    return out if batched else out.squeeze(0)


# -- convolution ----------------------------------------------------------------------------
def _check_conv(op: str, input: Tensor, weight: Tensor, bias, groups: int, dims: int,
                transposed: bool) -> None:
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(input._shape)}")
    if weight.dim() != dims + 2:
        raise RuntimeError("weight should have at least three dimensions" if weight.dim() < 3
                           else f"Expected {dims + 2}-dimensional weight for {dims + 2}-"
                           f"dimensional input {list(input._shape)}, but got {weight.dim()}-"
                           f"dimensional weight of size {list(weight._shape)} instead")
    _check_same_type(input, weight)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    shape = input._shape if input.dim() == dims + 2 else (1,) + input._shape
    shown = list(shape) if input.dim() == dims + 2 else list(input._shape)
    channels = shape[1]
    if transposed:
        if channels != weight._shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {list(weight._shape)}, "
                               f"expected input{shown} to have {weight._shape[0]} channels, "
                               f"but got {channels} channels instead")
        out_channels = weight._shape[1] * groups
    else:
        if weight._shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                               f"{groups} at dimension 0, but got weight of size "
                               f"{list(weight._shape)} instead")
        if channels != weight._shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {list(weight._shape)}, "
                               f"expected input{shown} to have {weight._shape[1] * groups} "
                               f"channels, but got {channels} channels instead")
        out_channels = weight._shape[0]
    if bias is not None and (bias.dim() != 1 or bias._shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {list(weight._shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size "
                           f"{list(bias._shape)} instead")


def _check_params(stride, padding, dilation) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")


def _same_padding(weight: Tensor, dims: int, stride: tuple, dilation: tuple):
    """Symmetric padding and the extra right-side padding of padding='same'."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    sym, extra = [], []
    for i in range(dims):
        total = dilation[i] * (weight._shape[2 + i] - 1)
        sym.append(total // 2)
        extra.append(total - 2 * (total // 2))
    return tuple(sym), tuple(extra)


def _conv_nd(op: str, dims: int, input, weight, bias, stride, padding, dilation, groups):
    _check_conv(op, input, weight, bias, groups, dims, False)
    stride = _tuple(stride, dims, "stride")
    dilation = _tuple(dilation, dims, "dilation")
    extra = None
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * dims
        elif padding == "same":
            padding, extra = _same_padding(weight, dims, stride, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    padding = _tuple(padding, dims, "padding")
    _check_params(stride, padding, dilation)
    if input.dim() == dims + 1:
        return _conv_nd(op, dims, input.unsqueeze(0), weight, bias, stride, padding, dilation,
                        groups).squeeze(0)
    if extra is not None and any(extra):
        from ._sampling import pad
        widths = []
        for e in reversed(extra):
            widths += [0, e]
        input = pad(input, widths)
    if dims == 1:
        return _convolution(input, weight, bias, (1,) + stride, (0,) + padding,
                            (1,) + dilation, groups, 1)
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2)


def _conv_geometry(x_shape: tuple, w_shape: tuple, stride, padding, dilation):
    h, w = x_shape[2:]
    kh, kw = w_shape[2:]
    oh = conv_out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_out_size(w, kw, stride[1], padding[1], dilation[1])
    return kh, kw, oh, ow


# The columns of one panel of samples stay under this size; a larger batch runs panel by
# panel, and its backward computes each panel's columns again instead of keeping them.
PANEL_BYTES = 32 << 20


def _panels(n: int, bytes_per_sample: int) -> list:
    """(start, stop) sample ranges whose columns fit PANEL_BYTES (at least one sample)."""
    step = max(1, min(n, PANEL_BYTES // max(bytes_per_sample, 1)))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def _convolution(input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups: int,
                 dims: int) -> Tensor:
    """Batched convolution on (N, C, [H,] W); records ConvolutionBackward0.

    Per panel of samples: the columns in (C*kh*kw, samples, oh*ow) layout, one GEMM of the
    weight over all of them, and one copy of its (OC, samples, oh*ow) product into the NCHW
    output that adds the bias on the way (the copy is needed anyway, so the bias is free).
    """
    x = input if dims == 2 else input.unsqueeze(2)
    w4 = weight if dims == 2 else weight.unsqueeze(2)
    n, c, h, w = x._shape
    oc = w4._shape[0]
    kh, kw, oh, ow = _conv_geometry(x._shape, w4._shape, stride, padding, dilation)
    if oh < 1 or ow < 1:
        ph, pw = h + 2 * padding[0], w + 2 * padding[1]
        ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
        if dims == 1:
            raise RuntimeError(f"Calculated padded input size per channel: ({pw}). Kernel size:"
                               f" ({ekw}). Kernel size can't be greater than actual input size")
        raise RuntimeError(f"Calculated padded input size per channel: ({ph} x {pw}). Kernel "
                           f"size: ({ekh} x {ekw}). Kernel size can't be greater than actual "
                           "input size")
    kg = c // groups * kh * kw
    geometry = (stride, padding, dilation, groups, dims)
    panels = _panels(n, c * kh * kw * oh * ow * x.dtype.itemsize)
    saved_cols = None
    with no_grad():
        wmat = w4.reshape(groups, oc // groups, kg)
        out = Tensor._empty((n, oc, oh, ow), x.dtype, x.device)
        for start, stop in panels:
            cols = _conv_cols(x[start:stop], (kh, kw), stride, padding, dilation)
            product = _matmul(wmat, cols.view(groups, kg, -1))
            _to_samples_first(product, (oc, stop - start, oh, ow), bias, out[start:stop])
        if len(panels) == 1:
            saved_cols = cols
    if dims == 1:
        out = out.view(n, oc, ow)
    if needs_grad(input, weight, bias):
        want = (input._requires_grad, weight._requires_grad,
                bias is not None and bias._requires_grad)

        def rule(g):
            if not is_grad_enabled():
                return _conv_grads(want, geometry, g, input, weight, saved_cols)
            # create_graph: the same gradients, recorded as PyTorch's double-backward node
            return backward_with_graph(
                "ConvolutionBackwardBackward0", (g, input, weight),
                lambda: _conv_grads(want, geometry, g, input, weight, saved_cols),
                lambda g_, x_, w_: _conv_grads(want, geometry, g_, x_, w_, None))
        record("ConvolutionBackward0", out, (input, weight, bias), rule, saved=(input, weight))
    return out


def _to_samples_first(product: Tensor, shape: tuple, bias, out: Tensor) -> None:
    """out (N, OC, oh, ow) = product (groups, OC/groups, N * oh*ow) seen as `shape`
    (OC, N, oh, ow), plus bias per channel: one pointwise kernel."""
    channels_first = product.view(shape).permute(1, 0, 2, 3)
    if bias is None:
        out.copy_(channels_first)
    else:
        from ...ops.pointwise import add
        add(channels_first, bias.view(1, -1, 1, 1), out=out)


def _conv_grads(want: tuple, geometry: tuple, g: Tensor, input: Tensor, weight: Tensor, cols):
    """(grad input, grad weight, grad bias) of a convolution, with differentiable ops.

    cols: the forward's columns ((C*kh*kw, N, L) layout) when it had one panel, or None to
    compute them again from input (under create_graph they must carry the input's history).
    The batch runs in the forward's panels, except under create_graph (one panel, so the
    gradients stay a plain graph of differentiable ops).
    """
    stride, padding, dilation, groups, dims = geometry
    x = input if dims == 2 else input.unsqueeze(2)
    w4 = weight if dims == 2 else weight.unsqueeze(2)
    n, c, h, w = x._shape
    oc = w4._shape[0]
    kh, kw, oh, ow = _conv_geometry(x._shape, w4._shape, stride, padding, dilation)
    kg = c // groups * kh * kw
    g4 = g.reshape(n, oc, oh, ow)
    panels = [(0, n)] if cols is not None or is_grad_enabled() else \
        _panels(n, c * kh * kw * oh * ow * x.dtype.itemsize)
    wm = w4.reshape(groups, oc // groups, kg)
    gx_parts, gw = [], None
    for start, stop in panels:
        # the output gradient channels first, (groups, OC/groups, samples * L): one copy
        gp = g4[start:stop].transpose(0, 1).reshape(groups, oc // groups, -1)
        if want[0]:
            gcols = _matmul(wm.transpose(-1, -2), gp)  # (groups, kg, samples * L)
            gcols = gcols.view(c * kh * kw, stop - start, oh * ow).transpose(0, 1)
            gx_parts.append(col2im(gcols, (h, w), (kh, kw), stride, padding, dilation))
        if want[1]:
            panel_cols = cols if cols is not None else _conv_cols(
                x[start:stop], (kh, kw), stride, padding, dilation)
            part = _matmul(gp, panel_cols.view(groups, kg, -1).transpose(-1, -2))
            gw = part if gw is None else gw + part
    gx = gb = None
    if want[0]:
        from ...ops.join import cat
        gx = (gx_parts[0] if len(gx_parts) == 1 else cat(gx_parts)).reshape(input._shape)
    if want[1]:
        gw = gw.reshape(weight._shape)
    if want[2]:
        gb = g.sum((0, 2, 3) if dims == 2 else (0, 2))
    return gx, gw, gb


def _conv_cols(x: Tensor, kernel: tuple, stride, padding, dilation) -> Tensor:
    """The columns of x in (C*kh*kw, N, oh*ow) layout; for 1x1 kernels with unit stride and
    no padding, x itself with its first two dims swapped (one copy, no gather)."""
    n, c, h, w = x._shape
    if kernel == (1, 1) and stride == (1, 1) and padding == (0, 0):
        return x.transpose(0, 1).contiguous().view(c, n, h * w)
    return im2col(x, kernel, stride, padding, dilation, rows_first=True).transpose(0, 1)


def conv1d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-d convolution over (N, C, L) or (C, L)."""
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-d convolution over (N, C, H, W) or (C, H, W)."""
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


# -- transposed convolution -----------------------------------------------------------------
def _conv_transpose_nd(op: str, dims: int, input, weight, bias, stride, padding,
                       output_padding, groups, dilation):
    _check_conv(op, input, weight, bias, groups, dims, True)
    stride = _tuple(stride, dims, "stride")
    padding = _tuple(padding, dims, "padding")
    output_padding = _tuple(output_padding, dims, "output_padding")
    dilation = _tuple(dilation, dims, "dilation")
    _check_params(stride, padding, dilation)
    if any(op_ >= max(s, d) for op_, s, d in zip(output_padding, stride, dilation)):
        names = ("height", "width") if dims == 2 else ("width",)
        parts = [f"output_padding_{nm}: {v}" for nm, v in zip(names, output_padding)]
        parts += [f"stride_{nm}: {v}" for nm, v in zip(names, stride)]
        parts += [f"dilation_{nm}: {v}" for nm, v in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    if input.dim() == dims + 1:
        return _conv_transpose_nd(op, dims, input.unsqueeze(0), weight, bias, stride, padding,
                                  output_padding, groups, dilation).squeeze(0)
    if dims == 1:
        return _transposed(input, weight, bias, (1,) + stride, (0,) + padding,
                           (0,) + output_padding, (1,) + dilation, groups, 1)
    return _transposed(input, weight, bias, stride, padding, output_padding, dilation, groups, 2)


def _transposed(input: Tensor, weight: Tensor, bias, stride, padding, output_padding, dilation,
                groups: int, dims: int) -> Tensor:
    """Transposed convolution: col2im of W^T @ x; records ConvolutionBackward0."""
    x = input if dims == 2 else input.unsqueeze(2)
    w4 = weight if dims == 2 else weight.unsqueeze(2)
    n, c, h, w = x._shape
    cg, kh, kw = w4._shape[1:]
    oc = cg * groups
    oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    ow = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input size per channel: ({h} x {w}). Calculated output size "
                           f"per channel: ({oh} x {ow}). Output size is too small")
    kg = cg * kh * kw
    geometry = ((kh, kw), stride, padding, dilation)
    with no_grad():
        wmat = w4.reshape(groups, c // groups, kg)
        cols = _matmul(wmat.transpose(-1, -2), x.reshape(n, groups, c // groups, h * w))
        out = col2im(cols.reshape(n, oc * kh * kw, h * w), (oh, ow), *geometry, (h, w))
        if bias is not None:
            out = out + bias.view(1, oc, 1, 1)
    if dims == 1:
        out = out.view(n, oc, ow)
    if needs_grad(input, weight, bias):
        want = (input._requires_grad, weight._requires_grad,
                bias is not None and bias._requires_grad)
        shapes = (x._shape, w4._shape, groups, dims, geometry)

        def rule(g):
            if not is_grad_enabled():
                return _transposed_grads(want, shapes, g, input, weight)
            # create_graph: the same gradients, recorded as PyTorch's double-backward node
            return backward_with_graph(
                "ConvolutionBackwardBackward0", (g, input, weight),
                lambda: _transposed_grads(want, shapes, g, input, weight),
                lambda g_, x_, w_: _transposed_grads(want, shapes, g_, x_, w_))
        record("ConvolutionBackward0", out, (input, weight, bias), rule, saved=(input, weight))
    return out


def _transposed_grads(want: tuple, shapes: tuple, g: Tensor, input: Tensor, weight: Tensor):
    """(grad input, grad weight, grad bias) of a transposed convolution (differentiable)."""
    (n, c, h, w), (_, cg, kh, kw), groups, dims, geometry = shapes
    kg = cg * kh * kw
    g4 = g if dims == 2 else g.unsqueeze(2)
    gcols = im2col(g4, *geometry, (h, w)).reshape(n, groups, kg, h * w)
    gx = gw = gb = None
    if want[0]:
        w4 = weight if dims == 2 else weight.unsqueeze(2)
        wm = w4.reshape(groups, c // groups, kg)
        gx = _matmul(wm, gcols).reshape(input._shape)
    if want[1]:
        x = input if dims == 2 else input.unsqueeze(2)
        xm = x.reshape(n, groups, c // groups, h * w)
        gw = _matmul(xm, gcols.transpose(-1, -2)).sum(0).reshape(weight._shape)
    if want[2]:
        gb = g.sum((0, 2, 3) if dims == 2 else (0, 2))
    return gx, gw, gb


def conv_transpose1d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-d transposed convolution ("deconvolution") over (N, C, L) or (C, L)."""
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-d transposed convolution ("deconvolution") over (N, C, H, W) or (C, H, W)."""
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)
