"""clgrad.vision.models against torchvision's layout, written out here from its source.

torchvision is not installed, so each architecture's expected state_dict (keys in order and
shapes) is spelled out below from the layer tables of torchvision's model files, and the
parameter counts are torchvision's published ones. A state_dict in that layout, saved by
torch.save (when torch is installed) and by clgrad.save, must load with strict=True.
"""
import math
import os
import re
import warnings

import numpy as np
import pytest

import clgrad
import clgrad.vision

models = clgrad.vision.models

# torchvision's documented num_params of the ImageNet weights.
PARAMS = {"resnet18": 11689512, "resnet34": 21797672, "resnet50": 25557032,
          "vgg11": 132863336, "vgg11_bn": 132868840, "vgg16": 138357544,
          "vgg16_bn": 138365992, "alexnet": 61100840, "mobilenet_v2": 3504872,
          "squeezenet1_1": 1235496, "resnet101": 44549160, "resnet152": 60192808,
          "resnext50_32x4d": 25028904, "wide_resnet50_2": 68883240, "vgg13": 133047848,
          "vgg13_bn": 133053736, "vgg19": 143667240, "vgg19_bn": 143678248,
          "squeezenet1_0": 1248424}


# -- expected layouts ------------------------------------------------------------------------

class Layout:
    """Ordered (key, shape) entries; conv/bn/linear helpers add what each module registers."""

    def __init__(self):
        self.entries = []

    def conv(self, name, cout, cin, k, bias=False):
        self.entries.append((f"{name}.weight", (cout, cin, k, k)))
        if bias:
            self.entries.append((f"{name}.bias", (cout,)))

    def bn(self, name, c):
        for p in ("weight", "bias", "running_mean", "running_var"):
            self.entries.append((f"{name}.{p}", (c,)))
        self.entries.append((f"{name}.num_batches_tracked", ()))

    def linear(self, name, cout, cin):
        self.entries += [(f"{name}.weight", (cout, cin)), (f"{name}.bias", (cout,))]


def resnet_layout(bottleneck, blocks, num_classes=1000, width=1, groups=1):
    lay = Layout()
    lay.conv("conv1", 64, 3, 7)
    lay.bn("bn1", 64)
    expansion = 4 if bottleneck else 1
    inplanes = 64
    for stage, (planes, n) in enumerate(zip((64, 128, 256, 512), blocks), start=1):
        for b in range(n):
            pre = f"layer{stage}.{b}"
            out = planes * expansion
            if bottleneck:  # inner width: planes * width (ResNeXt, Wide ResNet: 2)
                inner = planes * width
                lay.conv(f"{pre}.conv1", inner, inplanes, 1)
                lay.bn(f"{pre}.bn1", inner)
                lay.conv(f"{pre}.conv2", inner, inner // groups, 3)
                lay.bn(f"{pre}.bn2", inner)
                lay.conv(f"{pre}.conv3", out, inner, 1)
                lay.bn(f"{pre}.bn3", out)
            else:
                lay.conv(f"{pre}.conv1", planes, inplanes, 3)
                lay.bn(f"{pre}.bn1", planes)
                lay.conv(f"{pre}.conv2", planes, planes, 3)
                lay.bn(f"{pre}.bn2", planes)
            # The first block of a stage projects when the stride or the width changes.
            if b == 0 and (stage > 1 or inplanes != out):
                lay.conv(f"{pre}.downsample.0", out, inplanes, 1)
                lay.bn(f"{pre}.downsample.1", out)
            inplanes = out
    lay.linear("fc", num_classes, 512 * expansion)
    return lay.entries


def vgg_layout(cfg, batch_norm, num_classes=1000):
    lay = Layout()
    index, cin = 0, 3
    for v in cfg:
        if v == "M":
            index += 1
            continue
        lay.conv(f"features.{index}", v, cin, 3, bias=True)
        if batch_norm:
            lay.bn(f"features.{index + 1}", v)
        index += 3 if batch_norm else 2
        cin = v
    lay.linear("classifier.0", 4096, 512 * 7 * 7)
    lay.linear("classifier.3", 4096, 4096)
    lay.linear("classifier.6", num_classes, 4096)
    return lay.entries


VGG_A = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
VGG_B = [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
VGG_D = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG_E = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"]


def alexnet_layout(num_classes=1000):
    lay = Layout()
    for index, cout, cin, k in ((0, 64, 3, 11), (3, 192, 64, 5), (6, 384, 192, 3),
                                (8, 256, 384, 3), (10, 256, 256, 3)):
        lay.conv(f"features.{index}", cout, cin, k, bias=True)
    lay.linear("classifier.1", 4096, 256 * 6 * 6)
    lay.linear("classifier.4", 4096, 4096)
    lay.linear("classifier.6", num_classes, 4096)
    return lay.entries


def mobilenet_v2_layout(num_classes=1000):
    lay = Layout()
    lay.conv("features.0.0", 32, 3, 3)
    lay.bn("features.0.1", 32)
    index, cin = 1, 32
    for t, c, n, _ in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for _ in range(n):
            pre, hidden, sub = f"features.{index}.conv", cin * t, 0
            if t != 1:
                lay.conv(f"{pre}.0.0", hidden, cin, 1)
                lay.bn(f"{pre}.0.1", hidden)
                sub = 1
            lay.conv(f"{pre}.{sub}.0", hidden, 1, 3)  # depthwise: one input channel per group
            lay.bn(f"{pre}.{sub}.1", hidden)
            lay.conv(f"{pre}.{sub + 1}", c, hidden, 1)
            lay.bn(f"{pre}.{sub + 2}", c)
            index, cin = index + 1, c
    lay.conv("features.18.0", 1280, 320, 1)
    lay.bn("features.18.1", 1280)
    lay.linear("classifier.1", num_classes, 1280)
    return lay.entries


FIRE_1_1 = ((3, 64, 16, 64), (4, 128, 16, 64), (6, 128, 32, 128), (7, 256, 32, 128),
            (9, 256, 48, 192), (10, 384, 48, 192), (11, 384, 64, 256), (12, 512, 64, 256))
FIRE_1_0 = ((3, 96, 16, 64), (4, 128, 16, 64), (5, 128, 32, 128), (7, 256, 32, 128),
            (8, 256, 48, 192), (9, 384, 48, 192), (10, 384, 64, 256), (12, 512, 64, 256))


def squeezenet_layout(num_classes=1000, version="1_1"):
    lay = Layout()
    if version == "1_1":
        lay.conv("features.0", 64, 3, 3, bias=True)
    else:
        lay.conv("features.0", 96, 3, 7, bias=True)
    for index, cin, s, e in (FIRE_1_1 if version == "1_1" else FIRE_1_0):
        lay.conv(f"features.{index}.squeeze", s, cin, 1, bias=True)
        lay.conv(f"features.{index}.expand1x1", e, s, 1, bias=True)
        lay.conv(f"features.{index}.expand3x3", e, s, 3, bias=True)
    lay.conv("classifier.1", num_classes, 512, 1, bias=True)
    return lay.entries


LAYOUTS = {
    "resnet18": lambda nc=1000: resnet_layout(False, (2, 2, 2, 2), nc),
    "resnet34": lambda nc=1000: resnet_layout(False, (3, 4, 6, 3), nc),
    "resnet50": lambda nc=1000: resnet_layout(True, (3, 4, 6, 3), nc),
    "vgg11": lambda nc=1000: vgg_layout(VGG_A, False, nc),
    "vgg11_bn": lambda nc=1000: vgg_layout(VGG_A, True, nc),
    "vgg16": lambda nc=1000: vgg_layout(VGG_D, False, nc),
    "vgg16_bn": lambda nc=1000: vgg_layout(VGG_D, True, nc),
    "alexnet": alexnet_layout,
    "mobilenet_v2": mobilenet_v2_layout,
    "squeezenet1_1": squeezenet_layout,
    "resnet101": lambda nc=1000: resnet_layout(True, (3, 4, 23, 3), nc),
    "resnet152": lambda nc=1000: resnet_layout(True, (3, 8, 36, 3), nc),
    "resnext50_32x4d": lambda nc=1000: resnet_layout(True, (3, 4, 6, 3), nc, 2, 32),
    "wide_resnet50_2": lambda nc=1000: resnet_layout(True, (3, 4, 6, 3), nc, 2),
    "vgg13": lambda nc=1000: vgg_layout(VGG_B, False, nc),
    "vgg13_bn": lambda nc=1000: vgg_layout(VGG_B, True, nc),
    "vgg19": lambda nc=1000: vgg_layout(VGG_E, False, nc),
    "vgg19_bn": lambda nc=1000: vgg_layout(VGG_E, True, nc),
    "squeezenet1_0": lambda nc=1000: squeezenet_layout(nc, "1_0"),
}
SMALL = ["resnet18", "resnet34", "resnet50", "alexnet", "mobilenet_v2", "squeezenet1_1"]


def layout_of(model):
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def test_reference_layouts_agree_with_published_counts():
    # The hand-written layouts are themselves checked: their parameters (everything except
    # the BatchNorm buffers) add up to torchvision's published counts.
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    for name, layout in LAYOUTS.items():
        total = sum(math.prod(s) for k, s in layout() if not k.endswith(buffers))
        assert total == PARAMS[name], name


def test_known_torchvision_keys():
    # Spot facts from torchvision's checkpoints.
    assert len(LAYOUTS["resnet18"]()) == 122 and len(LAYOUTS["resnet50"]()) == 320
    assert dict(LAYOUTS["resnext50_32x4d"]())["layer1.0.conv2.weight"] == (128, 4, 3, 3)
    assert dict(LAYOUTS["wide_resnet50_2"]())["layer4.2.conv2.weight"] == (1024, 1024, 3, 3)
    assert dict(LAYOUTS["vgg16"]())["features.28.weight"] == (512, 512, 3, 3)
    assert dict(LAYOUTS["vgg16_bn"]())["features.41.running_var"] == (512,)
    assert dict(LAYOUTS["mobilenet_v2"]())["features.1.conv.1.weight"] == (16, 32, 1, 1)
    assert "layer1.0.downsample.0.weight" in dict(LAYOUTS["resnet50"]())
    assert "layer1.0.downsample.0.weight" not in dict(LAYOUTS["resnet18"]())


@pytest.fixture
def skip_init(monkeypatch):
    """Parameters left uninitialised: VGG draws 133M+ random numbers twice (Linear's default
    init, then VGG's own) in about 30 s here. Keys, shapes and counts do not depend on the
    values (and loaded weights replace them); the *_initialisation tests check real init."""
    def keep(tensor, *args, **kwargs):
        return tensor
    for fn in ("kaiming_normal_", "kaiming_uniform_", "normal_", "constant_"):
        monkeypatch.setattr(clgrad.nn.init, fn, keep)
    for cls in (clgrad.nn.Linear, clgrad.nn.Conv2d):
        monkeypatch.setattr(cls, "reset_parameters", lambda self: None)


# vgg16_bn is built once, with its real initialisation, further down.
@pytest.mark.parametrize("name", [n for n in LAYOUTS if n != "vgg16_bn"])
def test_state_dict_layout_and_parameter_count(name, request):
    if name not in SMALL or name == "alexnet":  # the big ones; init is checked below
        request.getfixturevalue("skip_init")
    model = models.get_model(name)
    assert layout_of(model) == LAYOUTS[name]()
    assert sum(p.numel() for p in model.parameters()) == PARAMS[name]
    bn = [v for k, v in model.state_dict().items() if k.endswith("num_batches_tracked")]
    assert all(t.dtype == clgrad.int64 for t in bn)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2", "squeezenet1_1",
                                  "squeezenet1_0", "resnext50_32x4d"])
def test_num_classes(name):
    model = getattr(models, name)(num_classes=10)
    assert layout_of(model) == LAYOUTS[name](10)


# -- loading state_dicts in torchvision's layout --------------------------------------------

def random_state(layout, seed=0):
    """Numpy arrays in the layout, scaled so that deep nets keep activations of order one."""
    rng = np.random.default_rng(seed)
    state = {}
    for key, shape in layout:
        if key.endswith("num_batches_tracked"):
            state[key] = np.array(7, dtype=np.int64)
        elif key.endswith("running_var"):
            state[key] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        elif key.endswith("weight") and len(shape) > 1:
            fan_in = math.prod(shape[1:])
            state[key] = (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(
                np.float32)
        elif key.endswith("weight"):  # BatchNorm scale
            state[key] = (1 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        else:
            state[key] = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    return state


def as_clgrad(state):
    return {k: clgrad.from_numpy(v.copy()) for k, v in state.items()}


def check_loaded(model, state):
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key], err_msg=key)


INPUT = {"alexnet": 64, "squeezenet1_1": 64, "squeezenet1_0": 64}


@pytest.mark.parametrize("name", SMALL + ["squeezenet1_0", "resnext50_32x4d"])
def test_clgrad_saved_file_loads_strict_and_runs(name, tmp_path, skip_init):
    state = random_state(LAYOUTS[name](10))
    path = tmp_path / f"{name}.pth"
    clgrad.save(as_clgrad(state), str(path))
    model = getattr(models, name)(weights=str(path), num_classes=10)
    check_loaded(model, state)
    model.eval()
    size = INPUT.get(name, 32)
    with clgrad.no_grad():
        out = model(clgrad.randn(2, 3, size, size))
    assert out.shape == (2, 10)
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parity
@pytest.mark.parametrize("name", SMALL)
def test_torch_saved_file_loads_strict(name, tmp_path, skip_init):
    torch = pytest.importorskip("torch")
    state = random_state(LAYOUTS[name]())
    path = tmp_path / f"{name}.pth"
    torch.save({k: torch.from_numpy(v) for k, v in state.items()}, path)
    model = getattr(models, name)(weights=path)  # a PathLike works as a str does
    check_loaded(model, state)


def test_vgg_saved_file_loads_and_runs(tmp_path, skip_init):
    # One VGG (the BatchNorm variant, which has buffers too): 133M parameters, so only once.
    # Saved by torch.save where torch is installed, by clgrad.save otherwise.
    layout = LAYOUTS["vgg11_bn"]()
    state = random_state(layout)
    path = tmp_path / "vgg11_bn.pth"
    try:
        import torch
        torch.save({k: torch.from_numpy(v) for k, v in state.items()}, path)
    except ImportError:
        clgrad.save(as_clgrad(state), str(path))
    del state
    model = models.vgg11_bn(weights=str(path))
    assert layout_of(model) == layout
    assert sum(p.numel() for p in model.parameters()) == PARAMS["vgg11_bn"]
    check_loaded(model, random_state(layout))
    model.eval()
    with clgrad.no_grad():
        out = model(clgrad.randn(1, 3, 32, 32))  # 1x1 features, pooled up to 7x7
    assert out.shape == (1, 1000)


def test_state_dict_mapping_and_strict_mismatch():
    state = random_state(LAYOUTS["squeezenet1_1"](10))
    model = models.squeezenet1_1(weights=as_clgrad(state), num_classes=10)
    check_loaded(model, state)
    del state["classifier.1.bias"]
    with pytest.raises(RuntimeError, match=re.escape("classifier.1.bias")):
        models.squeezenet1_1(weights=as_clgrad(state), num_classes=10)


# -- forward values ----------------------------------------------------------------------------

def torch_resnet18_forward(torch, sd, x):
    """torchvision's BasicBlock ResNet forward (eval mode), written with torch.nn.functional."""
    F = torch.nn.functional

    def bn(h, p):
        return F.batch_norm(h, sd[p + ".running_mean"], sd[p + ".running_var"],
                            sd[p + ".weight"], sd[p + ".bias"], False, 0.1, 1e-5)

    h = F.relu(bn(F.conv2d(x, sd["conv1.weight"], stride=2, padding=3), "bn1"))
    h = F.max_pool2d(h, 3, 2, 1)
    for stage in range(1, 5):
        for b in range(2):
            pre = f"layer{stage}.{b}"
            stride = 2 if stage > 1 and b == 0 else 1
            out = F.relu(bn(F.conv2d(h, sd[pre + ".conv1.weight"], stride=stride, padding=1),
                            pre + ".bn1"))
            out = bn(F.conv2d(out, sd[pre + ".conv2.weight"], padding=1), pre + ".bn2")
            if pre + ".downsample.0.weight" in sd:
                h = bn(F.conv2d(h, sd[pre + ".downsample.0.weight"], stride=stride),
                       pre + ".downsample.1")
            h = F.relu(out + h)
    h = F.adaptive_avg_pool2d(h, 1).flatten(1)
    return F.linear(h, sd["fc.weight"], sd["fc.bias"])


@pytest.mark.parity
def test_resnet18_forward_matches_torch_functional():
    torch = pytest.importorskip("torch")
    state = random_state(LAYOUTS["resnet18"](10), seed=3)
    model = models.resnet18(weights=as_clgrad(state), num_classes=10).eval()
    x = np.random.default_rng(4).standard_normal((2, 3, 40, 40)).astype(np.float32)
    with clgrad.no_grad():
        got = model(clgrad.from_numpy(x)).numpy()
    sd = {k: torch.from_numpy(v) for k, v in state.items()}
    want = torch_resnet18_forward(torch, sd, torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_forward_on_cl_matches_cpu(name, cl_device):
    state = random_state(LAYOUTS[name](10), seed=5)
    model = getattr(models, name)(weights=as_clgrad(state), num_classes=10).eval()
    x = clgrad.from_numpy(np.random.default_rng(6).standard_normal((2, 3, 32, 32)).astype(
        np.float32))
    with clgrad.no_grad():
        want = model(x).numpy()
        model.to(cl_device)
        got = model(x.to(cl_device))
    assert got.device == clgrad.device(cl_device)
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-3, atol=1e-3)


def test_training_step_reaches_every_parameter(device):
    model = models.squeezenet1_1(num_classes=4).to(device)
    out = model(clgrad.randn(2, 3, 48, 48, device=device))
    clgrad.nn.functional.cross_entropy(out, clgrad.tensor([0, 3], device=device)).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


def test_resnet_training_updates_batchnorm_stats():
    model = models.resnet18(num_classes=3)
    model(clgrad.randn(2, 3, 32, 32)).sum().backward()
    assert model.bn1.num_batches_tracked.item() == 1
    assert model.layer4[1].conv2.weight.grad is not None


# -- default initialisation ---------------------------------------------------------------------

def arr(t):
    return t.detach().numpy()


def std(t):
    return float(t.detach().numpy().std())


def test_resnet_initialisation():
    model = models.resnet18()
    w = model.layer4[0].conv2.weight  # kaiming_normal_, fan_out, relu
    assert std(w) == pytest.approx(math.sqrt(2.0 / (512 * 9)), rel=0.05)
    assert std(model.conv1.weight) == pytest.approx(math.sqrt(2.0 / (64 * 49)), rel=0.05)
    assert (arr(model.bn1.weight) == 1).all() and (arr(model.bn1.bias) == 0).all()
    assert (arr(model.layer1[0].bn2.weight) == 1).all()
    bound = 1 / math.sqrt(512)  # fc keeps Linear's default init
    assert np.abs(model.fc.weight.detach().numpy()).max() <= bound


def test_zero_init_residual():
    basic = models.resnet18(zero_init_residual=True)
    for layer in (basic.layer1, basic.layer4):
        for block in layer:
            assert (arr(block.bn2.weight) == 0).all()
            assert (arr(block.bn1.weight) == 1).all()
    bottleneck = models.resnet50(zero_init_residual=True)
    assert (arr(bottleneck.layer2[3].bn3.weight) == 0).all()
    assert (arr(bottleneck.layer2[3].bn2.weight) == 1).all()


def test_mobilenet_squeezenet_alexnet_initialisation():
    mob = models.mobilenet_v2()
    assert std(mob.classifier[1].weight) == pytest.approx(0.01, rel=0.05)
    assert (arr(mob.classifier[1].bias) == 0).all()
    w = mob.features[18][0].weight  # kaiming_normal_ fan_out: 1280 outputs, 1x1 kernel
    assert std(w) == pytest.approx(math.sqrt(2.0 / 1280), rel=0.05)
    assert mob.features[3].conv[1][0].groups == 144  # depthwise over 24 * 6 channels
    sq = models.squeezenet1_1()
    assert std(sq.classifier[1].weight) == pytest.approx(0.01, rel=0.05)
    w = sq.features[12].expand3x3.weight  # kaiming_uniform_: bound sqrt(6 / fan_in)
    bound = math.sqrt(6.0 / (64 * 9))
    assert np.abs(w.detach().numpy()).max() <= bound
    assert std(w) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert (arr(sq.features[3].squeeze.bias) == 0).all()
    alex = models.alexnet()  # no custom init: Linear/Conv2d defaults
    assert np.abs(alex.classifier[1].weight.detach().numpy()).max() <= 1 / math.sqrt(9216)
    assert np.abs(alex.classifier[1].bias.detach().numpy()).max() > 0


def test_vgg16_bn_layout_initialisation_and_forward():
    model = models.vgg16_bn(num_classes=5)
    assert layout_of(model) == LAYOUTS["vgg16_bn"](5)
    assert sum(p.numel() for p in model.parameters()) == PARAMS["vgg16_bn"] - 995 * 4097
    assert std(model.classifier[0].weight) == pytest.approx(0.01, rel=0.02)
    assert (arr(model.classifier[6].bias) == 0).all()
    assert (arr(model.features[0].bias) == 0).all()
    assert isinstance(model.avgpool, clgrad.nn.AdaptiveAvgPool2d)
    assert model.avgpool.output_size == (7, 7)
    assert std(model.features[40].weight) == pytest.approx(math.sqrt(2.0 / (512 * 9)),
                                                           rel=0.05)
    model.eval()
    with clgrad.no_grad():
        assert model(clgrad.randn(1, 3, 32, 32)).shape == (1, 5)


def test_module_attributes_match_torchvision():
    model = models.resnet50()
    block = model.layer2[0]
    assert isinstance(block, models.Bottleneck) and block.stride == 2
    assert block.conv2.stride == (2, 2) and block.conv1.stride == (1, 1)  # V1.5 stride
    assert models.Bottleneck.expansion == 4 and models.BasicBlock.expansion == 1
    assert model.maxpool.padding == 1 and model.conv1.padding == (3, 3)
    sq = models.squeezenet1_1()
    assert sq.features[2].ceil_mode is True
    assert models.mobilenet_v2().features[1].use_res_connect is False
    assert models.mobilenet_v2().features[3].use_res_connect is True
    assert models.mobilenet_v2(dropout=0.3).classifier[0].p == 0.3


# -- weights arguments ------------------------------------------------------------------------

@pytest.mark.parametrize("weights", ["DEFAULT", "IMAGENET1K_V1", "ResNet18_Weights.DEFAULT"])
def test_weight_names_refuse_to_download(weights):
    with pytest.raises(RuntimeError, match="never downloads") as info:
        models.resnet18(weights=weights)
    assert "resnet18-f37072fd.pth" in str(info.value)


def test_weight_enums_refuse_to_download():
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    with pytest.raises(RuntimeError, match="pass its local path"):
        models.resnet50(weights=models.ResNet50_Weights.DEFAULT)
    with pytest.raises(RuntimeError, match="never downloads"):
        models.mobilenet_v2(weights=models.MobileNet_V2_Weights.IMAGENET1K_V1)
    assert models.get_model_weights("vgg16") is models.VGG16_Weights
    assert models.get_weight("AlexNet_Weights.IMAGENET1K_V1").meta["num_params"] == 61100840


def test_legacy_pretrained():
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        model = models.squeezenet1_1(pretrained=False)
    assert isinstance(model, models.SqueezeNet)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="never downloads"):
            models.alexnet(pretrained=True)


def test_missing_file_and_bad_types(tmp_path):
    missing = os.path.join(str(tmp_path), "nope.pth")
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        models.resnet18(weights=missing)
    with pytest.raises(TypeError):
        models.resnet18(weights=3)
    with pytest.warns(UserWarning, match="'weights' as positional parameter"):
        assert isinstance(models.resnet18(None), models.ResNet)
    with pytest.warns(UserWarning), pytest.raises(TypeError):
        models.resnet18(True)  # a bool is not a weights argument (torchvision: TypeError)


def test_get_model_and_list_models():
    assert models.list_models() == sorted(PARAMS)
    assert models.list_models(include="vgg*", exclude="*_bn") == ["vgg11", "vgg13", "vgg16",
                                                                  "vgg19"]
    model = models.get_model("mobilenet_v2", num_classes=7)
    assert isinstance(model, models.MobileNetV2) and model.classifier[1].out_features == 7
    with pytest.raises(ValueError, match="Unknown model"):
        models.get_model("resnet1000")


def test_bound_by_import_clgrad_vision():
    assert clgrad.vision.models.resnet18 is models.resnet18
    assert callable(clgrad.vision.io.read_image)
