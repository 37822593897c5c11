"""clgrad.vision.io: reading, decoding and encoding images as torchvision.io does (Pillow)."""
import numpy as np
import pytest

import clgrad
import clgrad.vision

vio = clgrad.vision.io
Image = pytest.importorskip("PIL.Image")
Mode = vio.ImageReadMode


def rgb(h=5, w=7):
    return ((np.arange(h * w * 3) * 37) % 256).astype(np.uint8).reshape(h, w, 3)


def save(tmp_path, array, name, fmt=None, **options):
    path = tmp_path / name
    img = array if isinstance(array, Image.Image) else Image.fromarray(array)
    img.save(path, format=fmt, **options)
    return path


def test_mode_enum_values():
    assert [m.value for m in (Mode.UNCHANGED, Mode.GRAY, Mode.GRAY_ALPHA, Mode.RGB,
                              Mode.RGB_ALPHA)] == [0, 1, 2, 3, 4]
    assert Mode.RGBA is Mode.RGB_ALPHA


def test_read_image_png_unchanged_is_uint8_chw(tmp_path):
    a = rgb()
    out = vio.read_image(str(save(tmp_path, a, "a.png")))
    assert out.dtype == clgrad.uint8 and out.shape == (3, 5, 7) and out.device.type == "cpu"
    np.testing.assert_array_equal(out.numpy(), a.transpose(2, 0, 1))


def test_read_image_modes(tmp_path):
    a = rgb()
    path = save(tmp_path, a, "a.png")
    gray = vio.read_image(path, Mode.GRAY)
    want = np.asarray(Image.fromarray(a).convert("L"))
    assert gray.shape == (1, 5, 7)
    np.testing.assert_array_equal(gray.numpy()[0], want)
    rgba = vio.read_image(path, Mode.RGB_ALPHA)
    assert rgba.shape == (4, 5, 7) and (rgba.numpy()[3] == 255).all()
    assert vio.read_image(path, Mode.GRAY_ALPHA).shape == (2, 5, 7)
    assert vio.read_image(path, "RGB").shape == (3, 5, 7)  # names are accepted too
    with pytest.raises(ValueError, match="Unknown image read mode"):
        vio.read_image(path, "CMYK")


def test_unchanged_keeps_gray_and_alpha_and_expands_palettes(tmp_path):
    g = rgb()[:, :, 0]
    assert vio.read_image(save(tmp_path, g, "g.png")).shape == (1, 5, 7)
    la = np.stack([g, 255 - g], axis=2)
    out = vio.read_image(save(tmp_path, Image.fromarray(la, "LA"), "la.png"))
    np.testing.assert_array_equal(out.numpy(), la.transpose(2, 0, 1))
    pal = Image.fromarray(rgb()).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    out = vio.read_image(save(tmp_path, pal, "p.png"))
    np.testing.assert_array_equal(out.numpy(),
                                  np.asarray(pal.convert("RGB")).transpose(2, 0, 1))


def test_jpeg_decodes_close_to_source(tmp_path):
    a = np.full((16, 16, 3), (200, 40, 90), dtype=np.uint8)
    out = vio.read_image(save(tmp_path, a, "a.jpg", quality=95))
    assert out.shape == (3, 16, 16) and out.dtype == clgrad.uint8
    assert np.abs(out.numpy().astype(int) - a.transpose(2, 0, 1)).max() <= 4


def test_read_file_and_decode_image(tmp_path):
    a = rgb()
    path = save(tmp_path, a, "a.png")
    data = vio.read_file(str(path))
    assert data.dtype == clgrad.uint8 and data.dim() == 1
    assert bytes(data.numpy()) == path.read_bytes()
    np.testing.assert_array_equal(vio.decode_image(data).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(vio.decode_png(data, Mode.GRAY).numpy(),
                                  vio.read_image(path, Mode.GRAY).numpy())
    assert vio.decode_image(str(path)).shape == (3, 5, 7)  # a path, as newer torchvision


def test_decode_image_rejects_bad_input():
    with pytest.raises(RuntimeError, match="uint8"):
        vio.decode_image(clgrad.zeros(10))
    with pytest.raises(RuntimeError, match="1-dimensional"):
        vio.decode_image(clgrad.zeros(2, 5, dtype=clgrad.uint8))
    with pytest.raises(RuntimeError, match="corrupt"):
        vio.decode_image(clgrad.tensor([1, 2, 3, 4], dtype=clgrad.uint8))


def test_encode_and_write_png_round_trip(tmp_path, device):
    a = clgrad.from_numpy(np.ascontiguousarray(rgb().transpose(2, 0, 1))).to(device)
    data = vio.encode_png(a)
    assert data.dtype == clgrad.uint8 and bytes(data[:8].numpy()) == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(vio.decode_image(data).numpy(), a.cpu().numpy())
    path = tmp_path / "w.png"
    vio.write_png(a[:1], str(path), compression_level=9)
    decoded = np.asarray(Image.open(path))
    np.testing.assert_array_equal(decoded, a[0].cpu().numpy())
    with pytest.raises(ValueError, match="Compression level"):
        vio.encode_png(a, compression_level=10)
    with pytest.raises(RuntimeError, match="uint8"):
        vio.encode_png(a.float())


def test_encode_jpeg_and_write_file(tmp_path):
    a = clgrad.full((3, 8, 8), 120, dtype=clgrad.uint8)
    data = vio.encode_jpeg(a, quality=90)
    assert bytes(data[:2].numpy()) == b"\xff\xd8"
    assert np.abs(vio.decode_jpeg(data).numpy().astype(int) - 120).max() <= 3
    path = tmp_path / "raw.bin"
    vio.write_file(str(path), data)
    assert path.read_bytes() == bytes(data.numpy())
    with pytest.raises(RuntimeError, match="number of channels"):
        vio.encode_jpeg(clgrad.zeros(4, 8, 8, dtype=clgrad.uint8))
