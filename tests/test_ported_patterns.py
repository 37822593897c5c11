"""Patterns found while porting public PyTorch programs by renaming (issue 9).

Each test is a construct a real program uses that broke here; written from scratch, as users
write it. The in-place residual add after a bias-free convolution is the pre-activation ResNet
block (`out = conv(...); out += shortcut`): it used to drop every gradient before the add.
"""
from __future__ import annotations

import numpy as np
import pytest

import clgrad

from helpers import to_numpy


def _inplace_vs_outplace(device, make_layer, make_input):
    """Gradients of `y = layer(x); y += s` equal those of `layer(x) + s`."""
    clgrad.manual_seed(0)
    layer = make_layer().to(device)
    x = make_input().to(device)
    s = clgrad.randn(layer(x).shape, device=device)
    results = []
    for inplace in (True, False):
        layer.zero_grad()
        y = layer(x)
        if inplace:
            y += s
        else:
            y = y + s
        weight = clgrad.arange(y.numel(), dtype=y.dtype, device=device).reshape(y.shape)
        (y * weight).sum().backward()
        results.append({n: to_numpy(p.grad) for n, p in layer.named_parameters()
                        if p.grad is not None})
    with_inplace, reference = results
    assert set(with_inplace) == set(reference) == {n for n, _ in layer.named_parameters()}
    for name in reference:
        np.testing.assert_allclose(with_inplace[name], reference[name], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("case", ["conv2d_no_bias", "conv1d", "embedding", "conv_transpose"])
def test_inplace_add_on_layer_output_keeps_the_layer_in_the_graph(device, case):
    makers = {
        "conv2d_no_bias": (lambda: clgrad.nn.Conv2d(3, 4, 3, padding=1, bias=False),
                           lambda: clgrad.randn(2, 3, 6, 6)),
        "conv1d": (lambda: clgrad.nn.Conv1d(3, 4, 3, bias=False),
                   lambda: clgrad.randn(2, 3, 7)),
        "embedding": (lambda: clgrad.nn.Embedding(5, 3),
                      lambda: clgrad.tensor([[0, 2, 4], [1, 1, 3]])),
        "conv_transpose": (lambda: clgrad.nn.ConvTranspose2d(3, 2, 2, bias=False),
                           lambda: clgrad.randn(1, 3, 4, 4)),
    }
    _inplace_vs_outplace(device, *makers[case])


def test_preactivation_block_residual_add_reaches_every_parameter(device):
    """bn -> relu -> conv, then `out += shortcut` with the block's input as the shortcut."""
    nn, F = clgrad.nn, clgrad.nn.functional
    clgrad.manual_seed(0)
    bn = nn.BatchNorm2d(3).to(device)
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False).to(device)
    x = clgrad.randn(2, 3, 5, 5, device=device, requires_grad=True)
    out = conv(F.relu(bn(x)))
    out += x
    out.sum().backward()
    for p in (bn.weight, bn.bias, conv.weight, x):
        assert p.grad is not None
    assert float(conv.weight.grad.abs().sum()) > 0


def test_layer_outputs_are_not_views(device):
    """PyTorch's convolution and embedding return fresh tensors (`_base` is None)."""
    nn = clgrad.nn
    x = clgrad.randn(1, 2, 4, 4, device=device)
    assert nn.Conv2d(2, 2, 3, bias=False).to(device)(x)._base is None
    assert nn.Embedding(4, 2).to(device)(clgrad.tensor([1, 3], device=device))._base is None
    # a view of a tensor that requires grad stays a view
    w = clgrad.randn(4, device=device, requires_grad=True)
    assert w.view(2, 2)._base is w


# -- torch.backends.cuda, renamed clgrad.backends.cl (nanoGPT's train.py, sample.py) ----------
def test_matmul_flags_read_back_as_set():
    matmul = clgrad.backends.cl.matmul
    saved = matmul.allow_tf32
    try:
        assert saved is False  # PyTorch's default
        matmul.allow_tf32 = True
        assert matmul.allow_tf32 is True
    finally:
        matmul.allow_tf32 = saved
    assert matmul.allow_fp16_reduced_precision_reduction is True
    assert matmul.allow_bf16_reduced_precision_reduction is True
    with pytest.raises(RuntimeError, match="set_allow_tf32 expects a bool"):
        matmul.allow_tf32 = "yes"
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        matmul.foo = 1
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        matmul.foo


def test_sdp_flags_and_the_deprecated_sdp_kernel_context():
    cl = clgrad.backends.cl
    assert cl.flash_sdp_enabled() and cl.math_sdp_enabled()
    with pytest.warns(FutureWarning, match="sdp_kernel\\(\\)` is deprecated"):
        with cl.sdp_kernel(enable_flash=False):
            assert not cl.flash_sdp_enabled()
            assert cl.mem_efficient_sdp_enabled()
    assert cl.flash_sdp_enabled()
    cl.enable_mem_efficient_sdp(False)
    try:
        assert not cl.mem_efficient_sdp_enabled()
    finally:
        cl.enable_mem_efficient_sdp(True)


def test_is_built_says_whether_opencl_can_be_driven():
    import importlib.util
    assert clgrad.backends.cl.is_built() == (importlib.util.find_spec("pyopencl") is not None)


# -- U-Net's nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True) -----------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_bilinear_upsampling_positions_in_the_input_precision(device, dtype, align_corners):
    """PyTorch computes source positions in double for float64 input (float otherwise)."""
    torch = pytest.importorskip("torch")
    if dtype == "float64":
        from helpers import skip_without_fp64
        skip_without_fp64(device)
    rs = np.random.RandomState(0)
    x = rs.randn(2, 3, 7, 5).astype(dtype)
    weight = rs.randn(2, 3, 14, 10).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    up = torch.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=align_corners)
    (up(tx) * torch.tensor(weight)).sum().backward()
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    mine = clgrad.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=align_corners)(cx)
    (mine * clgrad.tensor(weight, device=device)).sum().backward()
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(to_numpy(mine.detach()), up(tx).detach().numpy(), atol=tol)
    np.testing.assert_allclose(to_numpy(cx.grad), tx.grad.numpy(), atol=tol)


# -- greedy decoding (seq2seq tutorials): torch.ones(1, 1).type_as(src.data).fill_(word) ---
def test_type_as_takes_the_other_tensors_device_and_dtype(device):
    src = clgrad.tensor([[3, 4]], device=device)
    ys = clgrad.ones(1, 1).type_as(src.data).fill_(7)
    assert ys.device == src.device and ys.dtype == clgrad.int64
    assert ys.type() == src.type()
    back = src.type_as(clgrad.zeros(1))
    assert back.device.type == "cpu" and back.dtype == clgrad.float32
    same = clgrad.zeros(2, device=device)
    assert same.type_as(clgrad.ones(1, device=device)) is same
    w = clgrad.ones(2, device=device, requires_grad=True)
    assert type(w.type_as(clgrad.zeros(1, dtype=clgrad.float16)).grad_fn).__name__ == \
        "ToCopyBackward0"


# -- from the 2026-12 corpus (tools/api_coverage_corpus.txt) ----------------------------------
def test_image_preprocessing_unsqueeze_in_place_then_gradient_to_the_image(device):
    """pytorch-cnn-visualizations: ``im_as_ten.unsqueeze_(0)`` makes a batch of one, then
    ``Variable(im_as_ten, requires_grad=True)`` and a backward to the image."""
    clgrad.manual_seed(0)
    img = clgrad.rand(3, 8, 8, device=device)
    img.unsqueeze_(0)
    image = clgrad.autograd.Variable(img, requires_grad=True)
    conv = clgrad.nn.Conv2d(3, 4, 3).to(device)
    out = conv(image)
    out[0, 1].sum().backward()
    assert image.grad.shape == (1, 3, 8, 8)
    # the gradient of a sum over one output channel: the channel's kernel summed over the
    # positions that reach each pixel; the centre pixels see all 9 positions
    kernel = to_numpy(conv.weight[1])
    np.testing.assert_allclose(to_numpy(image.grad[0, :, 4, 4]), kernel.sum((1, 2)),
                               rtol=1e-5, atol=1e-5)


def test_noise_like_an_input_through_legacy_new(device):
    """SmoothGrad: ``noise = prep_img.data.new(prep_img.size()).normal_(mean, sigma**2)``."""
    clgrad.manual_seed(0)
    prep = clgrad.zeros(1, 3, 64, 64, dtype=clgrad.float32, device=device,
                        requires_grad=True)
    noise = prep.data.new(prep.size()).normal_(0.5, 0.1 ** 2)
    assert noise.shape == prep.shape and noise.device == prep.device
    assert not noise.requires_grad and noise.dtype == clgrad.float32
    values = to_numpy(noise)
    assert abs(values.mean() - 0.5) < 0.002 and abs(values.std() - 0.01) < 0.002


def test_layer_type_checks_by_module_file_path():
    """super_resolution/super_resolve.py lists safe globals by their module-file paths:
    ``torch.nn.modules.conv.Conv2d``, ``torch.nn.modules.pixelshuffle.PixelShuffle``."""
    m = clgrad.nn.Sequential(clgrad.nn.Conv2d(1, 4, 3, padding=1), clgrad.nn.ReLU(),
                             clgrad.nn.PixelShuffle(2))
    kinds = (clgrad.nn.modules.conv.Conv2d, clgrad.nn.modules.activation.ReLU,
             clgrad.nn.modules.pixelshuffle.PixelShuffle)
    assert [isinstance(layer, kind) for layer, kind in zip(m, kinds)] == [True] * 3
    assert m(clgrad.ones(1, 1, 3, 3)).shape == (1, 1, 6, 6)


def test_collate_argument_named_like_the_data_module(device):
    """image_captioning/data_loader.py: ``import torch.utils.data as data`` and a
    ``collate_fn(data)`` that sorts its argument; the loader must pass the list of samples."""
    import clgrad.utils.data as data

    class Captions(data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return clgrad.full((2,), float(i)), list(range(i + 1))

    def collate_fn(data):
        data.sort(key=lambda x: len(x[1]), reverse=True)
        images, captions = zip(*data)
        lengths = [len(c) for c in captions]
        targets = clgrad.zeros(len(captions), max(lengths)).long()
        for i, cap in enumerate(captions):
            targets[i, :lengths[i]] = clgrad.tensor(cap)
        return clgrad.stack(images, 0).to(device), targets.to(device), lengths

    loader = data.DataLoader(Captions(), batch_size=3, shuffle=False, collate_fn=collate_fn)
    images, targets, lengths = next(iter(loader))
    assert lengths == [3, 2, 1] and images.device == clgrad.device(device)
    np.testing.assert_array_equal(to_numpy(targets), [[0, 1, 2], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(to_numpy(images[:, 0]), [2.0, 1.0, 0.0])
