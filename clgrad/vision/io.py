"""clgrad.vision.io: torchvision.io's image reading and writing, decoded by Pillow.

Images come back as uint8 tensors of shape (C, H, W) on cpu, as torchvision returns them.
Pillow is imported on first use, so ``import clgrad.vision`` works without it.
"""
from __future__ import annotations

import enum
import io as _pyio
import os
from typing import Union

import numpy as np

import clgrad

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png",
           "decode_jpeg", "read_image", "encode_png", "write_png", "encode_jpeg",
           "write_jpeg"]


class ImageReadMode(enum.Enum):
    """Channel layout to decode into; UNCHANGED keeps the file's own."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


# The Pillow mode each ImageReadMode converts to (UNCHANGED is handled separately).
_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
             ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("clgrad.vision.io needs Pillow to decode and encode images "
                          "(pip install pillow)") from None
    return Image


def _mode(mode) -> ImageReadMode:
    if isinstance(mode, ImageReadMode):
        return mode
    if isinstance(mode, str):
        try:
            return ImageReadMode[mode.upper()]
        except KeyError:
            pass
    raise ValueError(f"Unknown image read mode {mode!r}; expected one of "
                     f"{[m.name for m in ImageReadMode]}")


def read_file(path: Union[str, os.PathLike]) -> clgrad.Tensor:
    """The bytes of a file as a 1-D uint8 tensor."""
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    return clgrad.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def write_file(filename: Union[str, os.PathLike], data: clgrad.Tensor) -> None:
    """Write a 1-D uint8 tensor's bytes to filename."""
    _check_bytes_tensor(data, "write_file")
    with open(os.fspath(filename), "wb") as f:
        f.write(data.cpu().numpy().tobytes())


def _check_bytes_tensor(data, op: str) -> None:
    if not isinstance(data, clgrad.Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(data).__name__}")
    if data.dtype != clgrad.uint8:
        raise RuntimeError(f"{op}: Expected a torch.uint8 tensor, got {data.dtype}")
    if data.dim() != 1 or data.numel() == 0:
        raise RuntimeError(f"{op}: Expected a non empty 1-dimensional tensor, got shape "
                           f"{tuple(data.shape)}")


def _unchanged(img):
    """Pillow image in the channel layout torchvision's decoders give for the file."""
    if img.mode in ("L", "LA", "RGB", "RGBA"):
        return img
    if img.mode == "1":
        return img.convert("L")
    if img.mode == "P":  # palettes expand to their colours, with alpha where one is given
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode == "PA":
        return img.convert("RGBA")
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        raise RuntimeError(f"decode_image: {img.mode} images (more than 8 bits per channel) "
                           f"are not supported; clgrad.vision.io decodes to uint8 only")
    return img.convert("RGB")  # CMYK, YCbCr, LAB, HSV: torchvision gives RGB


def _to_tensor(img, mode: ImageReadMode) -> clgrad.Tensor:
    if mode is ImageReadMode.UNCHANGED:
        img = _unchanged(img)
    elif img.mode != _PIL_MODE[mode]:
        if img.mode.startswith("I;16") or img.mode in ("I", "F"):
            img = _unchanged(img)  # raises the clear error above
        img = img.convert(_PIL_MODE[mode])
    arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return clgrad.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def decode_image(input, mode=ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> clgrad.Tensor:
    """Decode a PNG/JPEG/GIF/BMP/WEBP (1-D uint8 tensor of the file's bytes, or a path) to a
    uint8 (C, H, W) tensor; ``mode`` chooses the channels (ImageReadMode or its name)."""
    mode = _mode(mode)
    if isinstance(input, (str, os.PathLike)):
        input = read_file(input)
    _check_bytes_tensor(input, "decode_image")
    image = _pil()
    try:
        img = image.open(_pyio.BytesIO(input.cpu().numpy().tobytes()))
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise RuntimeError(f"decode_image: unsupported or corrupt image data ({exc})") from None
    if apply_exif_orientation:
        from PIL import ImageOps
        img = ImageOps.exif_transpose(img)
    return _to_tensor(img, mode)


def read_image(path: Union[str, os.PathLike], mode=ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> clgrad.Tensor:
    """Read an image file into a uint8 (C, H, W) tensor."""
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)


def decode_png(input: clgrad.Tensor, mode=ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> clgrad.Tensor:
    """decode_image for PNG data."""
    return decode_image(input, mode, apply_exif_orientation)


def decode_jpeg(input: clgrad.Tensor, mode=ImageReadMode.UNCHANGED, device="cpu",
                apply_exif_orientation: bool = False) -> clgrad.Tensor:
    """decode_image for JPEG data; the result goes to ``device``."""
    return decode_image(input, mode, apply_exif_orientation).to(device)


def _to_pil(input: clgrad.Tensor, op: str):
    if not isinstance(input, clgrad.Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    if input.dtype != clgrad.uint8:
        raise RuntimeError(f"{op}: Input tensor dtype should be uint8, got {input.dtype}")
    if input.dim() != 3 or input.shape[0] not in (1, 2, 3, 4):
        raise RuntimeError(f"{op}: Input tensor should be a (C, H, W) image with 1 to 4 "
                           f"channels, got shape {tuple(input.shape)}")
    arr = np.ascontiguousarray(input.cpu().numpy().transpose(1, 2, 0))
    modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
    channels = arr.shape[2]
    return _pil().fromarray(arr[:, :, 0] if channels == 1 else arr, modes[channels])


def _encoded(img, fmt: str, **options) -> clgrad.Tensor:
    buf = _pyio.BytesIO()
    img.save(buf, format=fmt, **options)
    return clgrad.from_numpy(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def encode_png(input: clgrad.Tensor, compression_level: int = 6) -> clgrad.Tensor:
    """A uint8 (C, H, W) image as the bytes of a PNG file (1-D uint8 tensor)."""
    if not 0 <= compression_level <= 9:
        raise ValueError("Compression level should be between 0 and 9")
    return _encoded(_to_pil(input, "encode_png"), "PNG", compress_level=compression_level)


def write_png(input: clgrad.Tensor, filename: Union[str, os.PathLike],
              compression_level: int = 6) -> None:
    """Write a uint8 (C, H, W) image to a PNG file."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input: clgrad.Tensor, quality: int = 75) -> clgrad.Tensor:
    """A uint8 (C, H, W) image (1 or 3 channels) as the bytes of a JPEG file."""
    if not 1 <= quality <= 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, clgrad.Tensor) and input.dim() == 3 and input.shape[0] not in (1, 3):
        raise RuntimeError(f"encode_jpeg: The number of channels should be 1 or 3, "
                           f"got: {input.shape[0]}")
    return _encoded(_to_pil(input, "encode_jpeg"), "JPEG", quality=quality)


def write_jpeg(input: clgrad.Tensor, filename: Union[str, os.PathLike],
               quality: int = 75) -> None:
    """Write a uint8 (C, H, W) image to a JPEG file."""
    write_file(filename, encode_jpeg(input, quality))
