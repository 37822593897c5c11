"""clgrad.vision.transforms against hand-computed expectations, on numpy arrays, tensors and
(when Pillow is installed) PIL images."""
import numpy as np
import pytest

import clgrad
from clgrad.vision import transforms as T
from clgrad.vision.transforms import functional as F
from clgrad.vision.utils import make_grid, save_image, write_png
from clgrad.vision.datasets.utils import have_pil

needs_pil = pytest.mark.skipif(not have_pil(), reason="Pillow is not installed")


def hwc(h=4, w=5, c=3):
    return (np.arange(h * w * c, dtype=np.uint8) * 3).reshape(h, w, c)


def test_to_tensor_array_and_pil():
    a = hwc()
    t = T.ToTensor()(a)
    assert t.shape == (3, 4, 5) and t.dtype == clgrad.float32
    np.testing.assert_allclose(t.numpy(), a.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.ToTensor()(a[:, :, 0]).shape == (1, 4, 5)
    f = T.ToTensor()(a.astype(np.float64))
    assert f.dtype == clgrad.float64 and f[0, 0, 1].item() == 9.0  # not scaled


@needs_pil
def test_pil_conversions():
    from PIL import Image
    a = hwc()
    img = Image.fromarray(a)
    np.testing.assert_array_equal(T.ToTensor()(img).numpy(), T.ToTensor()(a).numpy())
    p = T.PILToTensor()(img)
    assert p.dtype == clgrad.uint8 and p.shape == (3, 4, 5)
    np.testing.assert_array_equal(p.numpy(), a.transpose(2, 0, 1))
    back = T.ToPILImage()(T.ToTensor()(a))
    assert back.mode == "RGB" and back.size == (5, 4)


def test_convert_image_dtype():
    u8 = clgrad.tensor([[[0, 128, 255]]], dtype=clgrad.uint8)
    f = T.ConvertImageDtype(clgrad.float32)(u8)
    np.testing.assert_allclose(f.numpy(), [[[0, 128 / 255, 1]]], rtol=1e-6)
    back = F.convert_image_dtype(f, clgrad.uint8)
    # torchvision: x * (255 + 1 - 1e-3), truncated: 128/255 * 255.999 = 128.5 -> 128
    assert back.tolist() == [[[0, 128, 255]]]
    assert F.convert_image_dtype(clgrad.tensor([[[0.5]]]), clgrad.uint8).item() == 127
    assert F.convert_image_dtype(u8, clgrad.int16).tolist() == [[[0, 128 * 128, 255 * 128]]]
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(f, clgrad.int64)


def test_normalize(device):
    t = clgrad.ones(2, 2, 2, device=device)
    out = T.Normalize((0.5, 1.0), (0.5, 2.0))(t)
    assert out.device == clgrad.device(device)
    np.testing.assert_allclose(out.cpu().numpy()[:, 0, 0], [1.0, 0.0])
    assert t.cpu().numpy().max() == 1.0  # not in place by default
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize((0,), (1,))(clgrad.ones(1, 2, 2, dtype=clgrad.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize((0,), (0,))(clgrad.ones(1, 2, 2))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size"):
        T.Normalize((0,), (1,))(clgrad.ones(2, 2))


def test_flips_all_kinds():
    a = hwc()
    np.testing.assert_array_equal(F.hflip(a), a[:, ::-1])
    np.testing.assert_array_equal(F.vflip(a), a[::-1])
    t = clgrad.from_numpy(a.transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(F.hflip(t).numpy(), a.transpose(2, 0, 1)[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(a), a[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=0.0)(a), a)


def test_crops_and_pad():
    a = hwc(6, 6, 1)[:, :, 0]
    np.testing.assert_array_equal(F.crop(a, 1, 2, 3, 2), a[1:4, 2:4])
    np.testing.assert_array_equal(T.CenterCrop(2)(a), a[2:4, 2:4])
    np.testing.assert_array_equal(T.CenterCrop((3, 2))(a), a[2:5, 2:4])  # round(1.5) = 2
    big = T.CenterCrop(8)(a)
    assert big.shape == (8, 8) and big[0].sum() == 0
    np.testing.assert_array_equal(big[1:7, 1:7], a)
    p = T.Pad((1, 2))(a)
    assert p.shape == (10, 8) and p[2, 1] == a[0, 0] and p[0].sum() == 0
    p = T.Pad([1, 0, 0, 0], padding_mode="edge")(a)
    np.testing.assert_array_equal(p[:, 0], a[:, 0])
    r = F.pad(np.array([[1, 2, 3]]), [2, 0, 0, 0], padding_mode="reflect")
    assert r.tolist() == [[3, 2, 1, 2, 3]]
    s = F.pad(np.array([[1, 2, 3]]), [2, 0, 0, 0], padding_mode="symmetric")
    assert s.tolist() == [[2, 1, 1, 2, 3]]
    c = F.pad(hwc(1, 1, 3), 1, fill=(7, 8, 9))
    assert c[0, 0].tolist() == [7, 8, 9] and c[1, 1].tolist() == hwc(1, 1, 3)[0, 0].tolist()


def test_random_crop_padding_and_generator():
    a = hwc(6, 6, 3)
    clgrad.manual_seed(0)
    first = T.RandomCrop(4)(a)
    clgrad.manual_seed(0)
    np.testing.assert_array_equal(T.RandomCrop(4)(a), first)
    found = any(np.array_equal(first, a[i:i + 4, j:j + 4]) for i in range(3) for j in range(3))
    assert found
    out = T.RandomCrop(8, padding=1)(a)
    assert out.shape == (8, 8, 3)
    np.testing.assert_array_equal(out[1:7, 1:7], a)
    assert T.RandomCrop((8, 7), pad_if_needed=True)(a).shape == (8, 7, 3)
    with pytest.raises(ValueError, match=r"Required crop size \(8, 8\) is larger than input "
                                         r"image size \(6, 6\)"):
        T.RandomCrop(8)(a)


def test_resize_hand_computed():
    a = np.array([[0.0, 1.0]], dtype=np.float32)  # 1x2 image, one channel
    up = F.resize(a, [1, 4])
    # Output centres at input coords -0.25, 0.25, 0.75, 1.25 (clamped): 0, .25, .75, 1.
    np.testing.assert_allclose(up[0], [0.0, 0.25, 0.75, 1.0])
    down = F.resize(np.array([[0.0, 1.0, 2.0, 3.0]], np.float32), [1, 2])
    # Antialias: a triangle of half-width 2 centred at 1.0, cut at the edge:
    # weights .75, .75, .25 on 0, 1, 2 -> (0 + .75 + .5) / 1.75.
    np.testing.assert_allclose(down[0], [1.25 / 1.75, 4.0 / 1.75], rtol=1e-6)
    nearest = F.resize(np.array([[0, 10, 20, 30]], np.uint8), [1, 2],
                       interpolation=T.InterpolationMode.NEAREST)
    assert nearest.tolist() == [[0, 20]]
    r = T.Resize(3)(hwc(4, 8, 3))
    assert r.shape == (3, 6, 3) and r.dtype == np.uint8
    t = T.Resize((2, 2))(clgrad.ones(3, 5, 5))
    assert t.shape == (3, 2, 2) and np.allclose(t.numpy(), 1.0)
    assert T.Resize(4, max_size=6)(hwc(4, 8, 1)).shape == (3, 6, 1)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_resize_matches_torch_antialias(mode):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((2, 9, 11)).astype(np.float32)
    for size in ([4, 5], [13, 17], [9, 4]):
        ours = F.resize(clgrad.from_numpy(x), size, interpolation=mode).numpy()
        theirs = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=size,
                                                 mode=mode, antialias=True)[0].numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


@needs_pil
def test_pil_geometry():
    from PIL import Image
    img = Image.fromarray(hwc(4, 8, 3))
    assert T.Resize(2)(img).size == (4, 2)
    assert T.CenterCrop(2)(img).size == (2, 2)
    flipped = np.asarray(T.RandomHorizontalFlip(1.0)(img))
    np.testing.assert_array_equal(flipped, hwc(4, 8, 3)[:, ::-1])
    assert T.Grayscale()(img).mode == "L"
    assert T.RandomRotation((90, 90), expand=True)(img).size == (4, 8)


def test_rotate_hand_computed():
    a = np.arange(9, dtype=np.uint8).reshape(3, 3)
    np.testing.assert_array_equal(F.rotate(a, 90), np.rot90(a))  # counter-clockwise
    np.testing.assert_array_equal(F.rotate(a, -90), np.rot90(a, -1))
    b = np.arange(8, dtype=np.float32).reshape(2, 4)
    e = F.rotate(b, 90, expand=True)
    np.testing.assert_array_equal(e, np.rot90(b))
    # torchvision's output size rule: ceil/floor of the rotated half-extents, so an odd side
    # grows by one (3 wide -> 4 high).
    assert F.rotate(np.zeros((2, 3)), 90, expand=True).shape == (4, 2)
    t = clgrad.from_numpy(a[None].copy())
    np.testing.assert_array_equal(T.RandomRotation((180, 180))(t).numpy()[0], a[::-1, ::-1])
    filled = F.rotate(np.ones((4, 4), np.float32), 45, fill=[0.0])
    assert filled[0, 0] == 0.0 and filled[2, 2] == 1.0


def test_resized_crop_shape_and_repeat():
    a = hwc(10, 12, 3)
    clgrad.manual_seed(4)
    x = T.RandomResizedCrop(5)(a)
    clgrad.manual_seed(4)
    assert x.shape == (5, 5, 3) and np.array_equal(x, T.RandomResizedCrop(5)(a))
    i, j, h, w = T.RandomResizedCrop.get_params(a, (1.0, 1.0), (1.0, 1.0))
    # sqrt(120) rounds to 11 > 10 on every try: the central fallback crop at ratio 1.
    assert (i, j, h, w) == (0, 1, 10, 10)


def test_grayscale_and_color():
    a = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]]], np.uint8)
    g = F.rgb_to_grayscale(a)
    # 0.2989*255 = 76.2, 0.587*255 = 149.7, 0.114*255 = 29.07; 0.2989*10+.587*20+.114*30=18.15
    assert g.shape == (1, 4, 1) and g[..., 0].tolist() == [[76, 149, 29, 18]]
    assert T.Grayscale(3)(a).shape == (1, 4, 3)
    assert F.adjust_brightness(a, 2.0)[0, 3].tolist() == [20, 40, 60]
    assert F.adjust_brightness(a, 0.0).max() == 0
    c = F.adjust_contrast(np.array([[[0.2, 0.2, 0.2], [0.6, 0.6, 0.6]]], np.float32), 0.5)
    np.testing.assert_allclose(c[0, :, 0], [0.3, 0.5], atol=1e-3)
    s = F.adjust_saturation(a, 0.0)
    assert s[0, 3].tolist() == [18, 18, 18]
    h = F.adjust_hue(np.array([[[1.0, 0.0, 0.0]]], np.float32), 1 / 3)  # red -> green
    np.testing.assert_allclose(h[0, 0], [0.0, 1.0, 0.0], atol=1e-5)
    assert np.abs(F.adjust_hue(a, 0.0).astype(int) - a).max() <= 1
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non"):
        T.ColorJitter(brightness=-1)
    jitter = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    assert jitter.brightness == [0.6, 1.4] and jitter.hue == [-0.1, 0.1]
    clgrad.manual_seed(2)
    j1 = jitter(hwc())
    clgrad.manual_seed(2)
    np.testing.assert_array_equal(j1, jitter(hwc()))
    t = jitter(clgrad.rand(3, 4, 4))
    assert t.shape == (3, 4, 4) and 0.0 <= t.min().item() and t.max().item() <= 1.0


def test_lambda_apply_compose_erasing():
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    double = T.Lambda(lambda x: x * 2)
    assert T.Compose([double, double])(1) == 4
    assert T.RandomApply([double], p=1.0)(3) == 6
    assert T.RandomApply([double], p=0.0)(3) == 3
    img = clgrad.ones(3, 10, 10)
    out = T.RandomErasing(p=1.0, value=0)(img)
    zeros = (out == 0).sum().item()
    assert 0 < zeros < 300 and zeros % 3 == 0 and img.min().item() == 1.0
    rnd = T.RandomErasing(p=1.0, value="random")(img)
    assert (rnd != 1).sum().item() > 0
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="x")
    assert "Compose(" in repr(T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))


def test_make_grid_and_save_image(tmp_path):
    batch = clgrad.ones(5, 1, 2, 3)
    grid = make_grid(batch, nrow=3, padding=1, pad_value=0.5)
    # 3 columns of width 3+1, 2 rows of height 2+1, plus the outer padding; grey -> 3 channels
    assert grid.shape == (3, 2 * 3 + 1, 3 * 4 + 1)
    g = grid.numpy()
    assert g[0, 0, 0] == 0.5 and g[0, 1, 1] == 1.0 and g[0, 4, 9] == 0.5  # missing 6th image
    norm = make_grid(clgrad.tensor([[[[0.0, 2.0]]], [[[4.0, 6.0]]]]), normalize=True,
                     padding=0)
    np.testing.assert_allclose(norm.numpy()[0], [[0.0, 1 / 3, 2 / 3, 1.0]])
    each = make_grid(clgrad.tensor([[[[0.0, 2.0]]], [[[4.0, 6.0]]]]), normalize=True,
                     scale_each=True, padding=0)
    np.testing.assert_allclose(each.numpy()[0], [[0.0, 1.0, 0.0, 1.0]])
    rng = make_grid(clgrad.tensor([[[[-1.0, 1.0]]]]), normalize=True, value_range=(-1, 1))
    np.testing.assert_allclose(rng.numpy()[0], [[0.0, 1.0]])
    path = tmp_path / "grid.png"
    save_image(batch, str(path), nrow=3)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if have_pil():
        from PIL import Image
        assert Image.open(path).size == (3 * 5 + 2, 2 * 4 + 2)


def test_minimal_png_writer(tmp_path):
    a = hwc(3, 4, 3)
    path = tmp_path / "a.png"
    write_png(str(path), a)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if have_pil():
        from PIL import Image
        np.testing.assert_array_equal(np.asarray(Image.open(path)), a)


def _blur_reference(arr, ksize, sigma):
    """A direct 2-D correlation with the outer-product Gaussian, reflect padding."""
    def kernel(k, s):
        x = np.arange(k) - (k - 1) / 2
        g = np.exp(-0.5 * (x / s) ** 2)
        return g / g.sum()
    k2 = np.outer(kernel(ksize[1], sigma[1]), kernel(ksize[0], sigma[0]))
    py, px = ksize[1] // 2, ksize[0] // 2
    padded = np.pad(arr.astype(np.float64), [(0, 0), (py, py), (px, px)], mode="reflect")
    h, w = arr.shape[-2:]
    return sum(k2[i, j] * padded[:, i:i + h, j:j + w]
               for i in range(ksize[1]) for j in range(ksize[0]))


def test_gaussian_blur_against_a_direct_convolution(device):
    rng = np.random.default_rng(0)
    data = rng.random((3, 9, 7)).astype(np.float32)
    img = clgrad.tensor(data, device=device)
    got = clgrad.vision.transforms.functional.gaussian_blur(img, [3, 5], [0.8, 1.7])
    assert got.device == img.device and got.dtype is clgrad.float32
    np.testing.assert_allclose(got.cpu().numpy(), _blur_reference(data, (3, 5), (0.8, 1.7)),
                               rtol=1e-5, atol=1e-6)
    u8 = (data * 255).astype(np.uint8)
    got8 = clgrad.vision.transforms.functional.gaussian_blur(
        clgrad.tensor(u8, device=device), 3, 1.0)
    assert got8.dtype is clgrad.uint8
    np.testing.assert_array_equal(got8.cpu().numpy(),
                                  np.round(_blur_reference(u8, (3, 3), (1.0, 1.0))))
    with pytest.raises(ValueError, match="odd and positive"):
        clgrad.vision.transforms.GaussianBlur(4)
    with pytest.raises(ValueError, match="form \\(min, max\\)"):
        clgrad.vision.transforms.GaussianBlur(3, sigma=(2.0, 1.0))
    blur = clgrad.vision.transforms.GaussianBlur(3, sigma=(0.5, 0.5))
    assert repr(blur) == "GaussianBlur(kernel_size=(3, 3), sigma=(0.5, 0.5))"
    assert blur(img).shape == img.shape


def test_random_grayscale_keeps_the_channel_count(device):
    img = clgrad.rand(3, 4, 4, device=device)
    always = clgrad.vision.transforms.RandomGrayscale(p=1.0)
    grey = always(img)
    assert grey.shape == (3, 4, 4)
    assert clgrad.equal(grey[0], grey[1]) and clgrad.equal(grey[1], grey[2])
    assert clgrad.vision.transforms.RandomGrayscale(p=0.0)(img) is img
    assert repr(clgrad.vision.transforms.RandomGrayscale()) == "RandomGrayscale(p=0.1)"
