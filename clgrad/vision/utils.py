"""make_grid and save_image (torchvision.utils)."""
from __future__ import annotations

import math
import os
import struct
import zlib
from typing import BinaryIO, List, Optional, Tuple, Union

import numpy as np

from .._tensor import Tensor
from ..ops import creation

__all__ = ["make_grid", "save_image", "write_png"]


def _host(t: Tensor) -> np.ndarray:
    t = t.detach()
    return (t if t.device.type == "cpu" else t.cpu()).numpy()


def make_grid(tensor: Union[Tensor, List[Tensor]], nrow: int = 8, padding: int = 2,
              normalize: bool = False, value_range: Optional[Tuple[float, float]] = None,
              scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """Tile a (B, C, H, W) tensor (or a list of (C, H, W) tensors) into one (3 or C, H', W')
    image with `nrow` images per row, `padding` pixels of `pad_value` between them; with
    `normalize`, shift each image (`scale_each`) or the batch into [0, 1] using `value_range`
    or the min and max."""
    if isinstance(tensor, (list, tuple)):
        if not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
        device = tensor[0].device
        arr = np.stack([_host(t) for t in tensor], axis=0)
    elif isinstance(tensor, Tensor):
        device = tensor.device
        arr = _host(tensor)
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate((arr, arr, arr), 0)
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate((arr, arr, arr), 1)
    if normalize is True:
        arr = arr.copy()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")

        def norm_range(t: np.ndarray) -> None:
            low, high = value_range if value_range is not None else (float(t.min()),
                                                                     float(t.max()))
            np.clip(t, low, high, out=t)
            t -= low
            t /= max(high - low, 1e-5)
        if scale_each is True:
            for t in arr:
                norm_range(t)
        else:
            norm_range(arr)

    def back(a: np.ndarray) -> Tensor:
        a = np.ascontiguousarray(a)
        return creation.from_numpy(a) if device.type == "cpu" else \
            creation.tensor(a, device=device)
    if arr.shape[0] == 1:
        return back(arr[0])
    nmaps = arr.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(arr.shape[2] + padding), int(arr.shape[3] + padding)
    grid = np.full((arr.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=arr.dtype)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid[:, y * height + padding:(y + 1) * height,
                 x * width + padding:(x + 1) * width] = arr[k]
            k += 1
    return back(grid)


def write_png(fp: Union[str, os.PathLike, BinaryIO], image: np.ndarray) -> None:
    """Write a uint8 HxW, HxWx3 or HxWx4 array as a PNG (zlib only, no Pillow)."""
    if image.ndim == 2:
        image = image[:, :, None]
    h, w, c = image.shape
    color_type = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + np.ascontiguousarray(image[y]).tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    if hasattr(fp, "write"):
        fp.write(png)
    else:
        with open(fp, "wb") as f:
            f.write(png)


def save_image(tensor: Union[Tensor, List[Tensor]], fp: Union[str, os.PathLike, BinaryIO],
               format: Optional[str] = None, **kwargs) -> None:
    """Save a tensor (or a batch, tiled with `make_grid` and its keyword arguments) as an
    image file: values in [0, 1] map to 0..255. Pillow writes any format it knows; without
    Pillow, PNG is written directly."""
    grid = make_grid(tensor, **kwargs)
    arr = _host(grid).astype(np.float64)
    ndarr = np.clip(arr * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if ndarr.shape[2] == 1:
        ndarr = ndarr[:, :, 0]
    try:
        from PIL import Image
    except ImportError:
        fmt = (format or os.path.splitext(os.fspath(fp))[1].lstrip(".") if not
               hasattr(fp, "write") else format or "png")
        if fmt.lower() != "png":
            raise ValueError(f"save_image: writing {fmt!r} needs Pillow (pip install pillow); "
                             "without it only PNG is supported") from None
        write_png(fp, np.ascontiguousarray(ndarr))
        return
    Image.fromarray(np.ascontiguousarray(ndarr)).save(fp, format=format)
