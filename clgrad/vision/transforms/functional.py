"""Functional transforms on PIL images, numpy HWC arrays and (..., C, H, W) tensors.

Geometric and colour operations run on a host numpy (..., C, H, W) view of the image and
return the input's kind: a PIL image, a numpy array of the same layout and dtype, or a tensor
on the input's device. Cheap tensor operations (flips, crops, normalize, dtype conversion)
use clgrad ops and stay on the tensor's device. PIL images are resized, rotated and converted
to grey with Pillow itself, as torchvision does.
"""
from __future__ import annotations

import math
import numbers
from enum import Enum
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor
from ...ops import creation
from ...utils.data.collate import host_tensor

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
           "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
           "resize", "pad", "crop", "center_crop", "resized_crop", "hflip", "vflip", "rotate",
           "rgb_to_grayscale", "adjust_brightness", "adjust_contrast", "adjust_saturation",
           "adjust_hue", "erase", "gaussian_blur"]


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _is_pil(img) -> bool:
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(img, Image.Image)


def _check_kind(img) -> None:
    if not (isinstance(img, (Tensor, np.ndarray)) or _is_pil(img)):
        raise TypeError(f"img should be PIL Image, numpy array or Tensor. Got {type(img)}")


def _to_chw(img):
    """(host array shaped (..., C, H, W), function putting a result back in img's kind)."""
    _check_kind(img)
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"Tensor is not a torch image: expected at least 2 dimensions, "
                            f"got {img.ndim}")
        host = img.detach()
        host = (host if host.device.type == "cpu" else host.cpu()).numpy()
        squeeze = host.ndim == 2
        if squeeze:
            host = host[None]
        device = img.device

        def back(a):
            a = np.ascontiguousarray(a[0] if squeeze and a.shape[0] == 1 else a)
            if device.type == "cpu":
                return creation.from_numpy(a)
            return creation.tensor(a, device=device)
        return host, back
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img[None], lambda a: np.ascontiguousarray(a[0] if a.shape[0] == 1
                                                             else a.transpose(1, 2, 0))
        if img.ndim != 3:
            raise ValueError(f"pic should be 2 or 3 dimensional. Got {img.ndim} dimensions.")
        return img.transpose(2, 0, 1), lambda a: np.ascontiguousarray(a.transpose(1, 2, 0))
    from PIL import Image
    mode = img.mode
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[None]
    else:
        arr = arr.transpose(2, 0, 1)

    def back_pil(a):
        a = np.ascontiguousarray(a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0))
        out = Image.fromarray(a)
        return out if out.mode == mode else out.convert(mode)
    return arr, back_pil


def get_dimensions(img) -> List[int]:
    """[channels, height, width] of an image."""
    _check_kind(img)
    if isinstance(img, Tensor):
        shape = list(img.shape)
        c = 1 if img.ndim == 2 else shape[-3]
        return [c, shape[-2], shape[-1]]
    if isinstance(img, np.ndarray):
        return [1 if img.ndim == 2 else img.shape[2], img.shape[0], img.shape[1]]
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img) -> List[int]:
    """[width, height] of an image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


def _max_value(dtype) -> float:
    if isinstance(dtype, np.dtype) or isinstance(dtype, type):
        dtype = np.dtype(dtype)
        if dtype == np.bool_:
            return 1
        return np.iinfo(dtype).max if dtype.kind in "ui" else 1.0
    if dtype is dt.bool:
        return 1
    return dt.iinfo(dtype).max if not dtype.is_floating_point else 1.0


# --- conversion --------------------------------------------------------------------------

def to_tensor(pic) -> Tensor:
    """PIL image or HxWxC array -> CxHxW tensor; uint8 data is scaled to float [0, 1]."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if arr.dtype == np.uint8:
            return host_tensor(np.divide(arr, np.float32(255), dtype=np.float32))
        return host_tensor(arr)
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    eight_bit = pic.mode in ("L", "RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV", "LA")
    arr = np.array(pic, dtype=np.uint8 if eight_bit else None)
    if pic.mode == "1":
        arr = 255 * arr.astype(np.uint8)
    return to_tensor(arr)


def pil_to_tensor(pic) -> Tensor:
    """PIL image -> CxHxW tensor of its own dtype (no scaling)."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    return creation.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic, mode: Optional[str] = None):
    """CxHxW tensor or HxWxC array -> PIL image (floats are scaled by 255)."""
    from PIL import Image
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic.detach().cpu().numpy()
        arr = arr[None] if arr.ndim == 2 else arr
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.dtype.kind == "f" and mode != "F":
        arr = (arr * 255).astype(np.uint8)
    arr = np.ascontiguousarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
    img = Image.fromarray(arr)
    return img if mode is None or img.mode == mode else img.convert(mode)


def convert_image_dtype(image: Tensor, dtype=dt.float32) -> Tensor:
    """Convert a tensor image to `dtype`, rescaling values (ints span [0, max], floats
    [0, 1])."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype is dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype is dt.float32 and dtype in (dt.int32, dt.int64)) or \
                (image.dtype is dt.float64 and dtype is dt.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        eps = 1e-3
        max_val = float(_max_value(dtype))
        return image.mul(max_val + 1.0 - eps).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        from ...ops.pointwise import div
        return div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Tensor:
    """(tensor - mean) / std per channel of a float (..., C, H, W) tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    mean_t = creation.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std_t = creation.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if bool((std_t == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         "to division by zero.")
    if mean_t.ndim == 1:
        mean_t = mean_t.view(-1, 1, 1)
    if std_t.ndim == 1:
        std_t = std_t.view(-1, 1, 1)
    return tensor.sub_(mean_t).div_(std_t)


# --- geometry ----------------------------------------------------------------------------

def _interp(mode) -> InterpolationMode:
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, int):  # PIL's constants
        return {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                3: InterpolationMode.BICUBIC}[mode]
    return InterpolationMode(mode)


def _compute_resized_output_size(image_size: Tuple[int, int], size,
                                 max_size: Optional[int] = None) -> List[int]:
    h, w = image_size
    if isinstance(size, int) or len(size) == 1:
        requested_new_short = size if isinstance(size, int) else size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1 "
                         "in torchscript mode.")
    return [size[0], size[1]]


def _bicubic(x: np.ndarray) -> np.ndarray:
    a = -0.5
    x = np.abs(x)
    return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def _resample_weights(in_size: int, out_size: int, mode: InterpolationMode,
                      antialias: bool) -> np.ndarray:
    """(out_size, in_size) weights of PIL's separable resampling (torchvision's antialiased
    interpolation); without antialias the kernel keeps its width when downscaling."""
    scale = in_size / out_size
    if mode is InterpolationMode.BICUBIC:
        kernel, support = _bicubic, 2.0
    else:
        kernel, support = (lambda x: np.maximum(0.0, 1.0 - np.abs(x))), 1.0
    invscale = 1.0 / scale if (antialias and scale > 1.0) else 1.0
    support = support / invscale
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = (i + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size)
        j = np.arange(xmin, xmax)
        w = kernel((j - center + 0.5) * invscale)
        total = w.sum()
        weights[i, xmin:xmax] = w / total if total != 0 else w
    return weights


def _nearest_index(in_size: int, out_size: int, exact: bool) -> np.ndarray:
    scale = in_size / out_size
    offset = 0.5 if exact else 0.0
    return np.minimum(np.floor((np.arange(out_size) + offset) * scale).astype(np.int64),
                      in_size - 1)


def _cast_like(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.round(result), info.min, info.max).astype(dtype)
    return result.astype(dtype)


def _resize_chw(arr: np.ndarray, size: List[int], mode: InterpolationMode,
                antialias: bool) -> np.ndarray:
    h, w = arr.shape[-2:]
    oh, ow = size
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        exact = mode is InterpolationMode.NEAREST_EXACT
        rows, cols = _nearest_index(h, oh, exact), _nearest_index(w, ow, exact)
        return arr[..., rows[:, None], cols[None, :]]
    wh = _resample_weights(h, oh, mode, antialias)
    ww = _resample_weights(w, ow, mode, antialias)
    out = np.einsum("ih,...hw,jw->...ij", wh, arr.astype(np.float64), ww)
    return _cast_like(out, arr.dtype)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size: Optional[int] = None,
           antialias: Optional[bool] = True):
    """Resize to `size` ((h, w), or the smaller edge's length keeping the aspect ratio)."""
    mode = _interp(interpolation)
    if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
        raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                         f"{len(size)} element tuple/list")
    _, h, w = get_dimensions(img)
    out_size = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == out_size:
        return img
    if _is_pil(img):
        from PIL import Image
        filters = {InterpolationMode.NEAREST: Image.NEAREST,
                   InterpolationMode.NEAREST_EXACT: Image.NEAREST,
                   InterpolationMode.BILINEAR: Image.BILINEAR,
                   InterpolationMode.BICUBIC: Image.BICUBIC}
        return img.resize((out_size[1], out_size[0]), filters[mode])
    arr, back = _to_chw(img)
    return back(_resize_chw(arr, out_size, mode, bool(antialias)))


def _parse_padding(padding) -> Tuple[int, int, int, int]:
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    if not isinstance(padding, (list, tuple)):
        raise TypeError("Got inappropriate padding arg")
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    if len(padding) == 4:
        return tuple(int(p) for p in padding)
    raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def _pad_chw(arr: np.ndarray, padding, fill=0, padding_mode: str = "constant"):
    left, top, right, bottom = _parse_padding(padding)
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        if isinstance(fill, (list, tuple)):
            out = np.stack([np.pad(arr[..., c, :, :], widths[-2:] if arr.ndim == 3 else
                                   widths[:-3] + widths[-2:], constant_values=fill[c])
                            for c in range(arr.shape[-3])], axis=-3)
            return out.astype(arr.dtype)
        return np.pad(arr, widths, mode="constant", constant_values=fill)
    return np.pad(arr, widths, mode=padding_mode)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the sides of an image: ``padding`` is an int, (lr, tb) or (l, t, r, b)."""
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if isinstance(fill, (list, tuple)) and len(fill) == 1:
        fill = fill[0]
    arr, back = _to_chw(img)
    if any(p < 0 for p in _parse_padding(padding)):
        left, top, right, bottom = _parse_padding(padding)
        h, w = arr.shape[-2:]
        arr = arr[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
        padding = [max(left, 0), max(top, 0), max(right, 0), max(bottom, 0)]
    return back(_pad_chw(arr, padding, fill, padding_mode))


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` region at (top, left); zero padding where it leaves the image."""
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        arr, back = _to_chw(img)
        padding = [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)]
        arr = arr[..., max(top, 0):bottom, max(left, 0):right]
        return back(_pad_chw(arr, padding))
    if isinstance(img, Tensor):
        return img[..., top:bottom, left:right]
    arr, back = _to_chw(img)
    return back(arr[..., top:bottom, left:right])


def _setup_size(size, error_msg: str) -> Tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size[0], size[1]


def center_crop(img, output_size):
    """The central ``output_size`` region (padded with zeros where the image is smaller)."""
    crop_height, crop_width = _setup_size(output_size, "Please provide only two dimensions "
                                                       "(h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height) // 2 if crop_height > image_height else 0,
                        (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height + 1) // 2
                        if crop_height > image_height else 0]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: Optional[bool] = True):
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Flip left-right."""
    if isinstance(img, Tensor):
        return img.flip(-1)
    arr, back = _to_chw(img)
    return back(arr[..., ::-1])


def vflip(img):
    """Flip top-bottom."""
    if isinstance(img, Tensor):
        return img.flip(-2)
    arr, back = _to_chw(img)
    return back(arr[..., ::-1, :])


def _rotation_matrix(angle: float) -> List[float]:
    """torchvision's inverse affine matrix of a rotation by `angle` degrees about the centre:
    output pixel offsets -> input pixel offsets."""
    rot = math.radians(-angle)
    return [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]


def _affine_output_size(matrix: List[float], w: int, h: int) -> Tuple[int, int]:
    # float32, as torchvision computes it, so that the tolerance trick rounds alike.
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.array(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(new_pts.max(axis=0) / tol) * tol)
    cmin = np.floor(np.trunc(new_pts.min(axis=0) / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def _grid_sample(arr: np.ndarray, xs: np.ndarray, ys: np.ndarray, mode: InterpolationMode,
                 fill) -> np.ndarray:
    """Sample (..., C, H, W) at pixel coordinates (xs, ys) of the output grid; `fill` where
    the sample falls outside the image."""
    h, w = arr.shape[-2:]
    c = arr.shape[-3]
    fill_arr = np.broadcast_to(np.asarray(0 if fill is None else fill, dtype=np.float64),
                               (c,)).reshape(c, 1, 1)
    src = arr.astype(np.float64)
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        xi, yi = np.rint(xs).astype(np.int64), np.rint(ys).astype(np.int64)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        out = src[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        out = np.where(inside, out, fill_arr)
        return _cast_like(out, arr.dtype)
    x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    fx, fy = xs - x0, ys - y0
    out = np.zeros(arr.shape[:-2] + xs.shape)
    mask = np.zeros(xs.shape)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            xx, yy = x0 + dx, y0 + dy
            valid = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
            weight = wx * wy * valid
            out += src[..., np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)] * weight
            mask += weight
    out = out * mask + (1.0 - mask) * fill_arr
    return _cast_like(out, arr.dtype)


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center: Optional[List[int]] = None, fill: Optional[List[float]] = None):
    """Rotate counter-clockwise by `angle` degrees about `center` (default the image centre);
    `expand` grows the output to hold the whole rotated image."""
    mode = _interp(interpolation)
    if isinstance(fill, (int, float)):
        fill = [float(fill)]
    if _is_pil(img):
        from PIL import Image
        resample = {InterpolationMode.NEAREST: Image.NEAREST,
                    InterpolationMode.BILINEAR: Image.BILINEAR,
                    InterpolationMode.BICUBIC: Image.BICUBIC}[mode]
        fillcolor = None
        if fill is not None:
            bands = len(img.getbands())
            fillcolor = tuple(int(f) for f in (fill * bands if len(fill) == 1 else fill))
            fillcolor = fillcolor[0] if bands == 1 else fillcolor
        return img.rotate(angle, resample=resample, expand=expand, center=center,
                          fillcolor=fillcolor)
    arr, back = _to_chw(img)
    h, w = arr.shape[-2:]
    cx, cy = (0.0, 0.0) if center is None else (center[0] - w * 0.5, center[1] - h * 0.5)
    m = _rotation_matrix(angle)
    # Move the rotation centre (torchvision's _get_inverse_affine_matrix).
    m[2] += m[0] * -cx + m[1] * -cy + cx
    m[5] += m[3] * -cx + m[4] * -cy + cy
    ow, oh = _affine_output_size(m, w, h) if expand else (w, h)
    xo = np.arange(ow) - ow * 0.5 + 0.5
    yo = np.arange(oh) - oh * 0.5 + 0.5
    gx, gy = np.meshgrid(xo, yo)
    xs = m[0] * gx + m[1] * gy + m[2] + (w - 1) * 0.5
    ys = m[3] * gx + m[4] * gy + m[5] + (h - 1) * 0.5
    return back(_grid_sample(arr, xs, ys, mode, fill))


# --- colour ------------------------------------------------------------------------------

def _gray_chw(arr: np.ndarray) -> np.ndarray:
    """torchvision's luma (0.2989 R + 0.587 G + 0.114 B), cast back to the input dtype."""
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    gray = (0.2989 * r.astype(np.float32) + 0.587 * g.astype(np.float32)
            + 0.114 * b.astype(np.float32))
    return gray.astype(arr.dtype)[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Grey version of an RGB image, with 1 or 3 (equal) channels."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _is_pil(img):
        out = img.convert("L")
        return out.convert("RGB") if num_output_channels == 3 else out
    arr, back = _to_chw(img)
    c = arr.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    gray = _gray_chw(arr) if c == 3 else arr
    if num_output_channels == 3:
        gray = np.repeat(gray, 3, axis=-3)
    return back(gray)


def _bound(dtype: np.dtype) -> float:
    return float(np.iinfo(dtype).max) if dtype.kind in "ui" else 1.0


def _blend(img1: np.ndarray, img2, ratio: float) -> np.ndarray:
    bound = _bound(img1.dtype)
    out = np.clip(ratio * img1.astype(np.float32) + (1.0 - ratio) * np.asarray(img2, np.float32),
                  0, bound)
    return out.astype(img1.dtype)


def _colour(img, fn: Callable[[np.ndarray], np.ndarray]):
    arr, back = _to_chw(img)
    if arr.shape[-3] not in (1, 3):
        raise TypeError("Input image tensor permitted channel values are [1, 3], but found "
                        f"{arr.shape[-3]}")
    return back(fn(arr))


def adjust_brightness(img, brightness_factor: float):
    """Multiply by `brightness_factor` (0 gives black), clamped."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    return _colour(img, lambda a: _blend(a, 0.0, brightness_factor))


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level (0 gives a solid grey image)."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")

    def fn(a):
        gray = _gray_chw(a) if a.shape[-3] == 3 else a
        mean = gray.astype(np.float32).mean(axis=(-3, -2, -1), keepdims=True)
        return _blend(a, mean, contrast_factor)
    return _colour(img, fn)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grey image (0 gives grey, 2 doubles the saturation)."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    return _colour(img, lambda a: a if a.shape[-3] == 1
                   else _blend(a, _gray_chw(a), saturation_factor))


def _rgb2hsv(img: np.ndarray) -> np.ndarray:
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    s = cr / np.where(eqc, 1.0, maxc)
    cr_divisor = np.where(eqc, 1.0, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(img: np.ndarray) -> np.ndarray:
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [np.select([i == k for k in range(6)], [c[ch] for c in choices]) for ch in range(3)]
    return np.stack(out, axis=-3)


def adjust_hue(img, hue_factor: float):
    """Shift the hue by `hue_factor` (in [-0.5, 0.5], a fraction of the colour circle)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")

    def fn(a):
        if a.shape[-3] == 1:
            return a
        x = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
        hsv = _rgb2hsv(x)
        hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + hue_factor, 1.0)
        rgb = _hsv2rgb(hsv)
        if a.dtype == np.uint8:
            return (rgb * (255 + 1.0 - 1e-3)).astype(np.uint8)
        return rgb.astype(a.dtype)
    return _colour(img, fn)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    """Set the region ``[..., i:i+h, j:j+w]`` of a tensor image to `v`."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if not inplace:
        img = img.clone()
    if not isinstance(v, Tensor):
        v = creation.as_tensor(v, dtype=img.dtype, device=img.device)
    img[..., i:i + h, j:j + w] = v.to(img.dtype).to(img.device)
    return img


InterpolationModeLike = Union[InterpolationMode, str, int]


def _gaussian_kernel1d(size: int, sigma: float) -> np.ndarray:
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size, dtype=np.float32)
    pdf = np.exp(-0.5 * (x / np.float32(sigma)) ** 2)
    return (pdf / pdf.sum()).astype(np.float32)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a separable Gaussian kernel (odd ``kernel_size``, reflect padding), as
    torchvision: sigma defaults to 0.3 * ((k - 1) * 0.5 - 1) + 0.8; integer images are
    rounded back to their dtype."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    arr, back = _to_chw(img)
    kx, ky = (_gaussian_kernel1d(k, s) for k, s in zip(kernel_size, sigma))
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    work = arr.astype(np.float32)
    widths = [(0, 0)] * (arr.ndim - 2) + [(py, py), (px, px)]
    work = np.pad(work, widths, mode="reflect")
    h, w = arr.shape[-2:]
    rows = sum(ky[i] * work[..., i:i + h, :] for i in range(len(ky)))
    out = sum(kx[j] * rows[..., :, j:j + w] for j in range(len(kx)))
    if np.issubdtype(arr.dtype, np.integer):
        out = np.round(out)
    return back(out.astype(arr.dtype))
