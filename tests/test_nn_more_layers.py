"""The torch.nn layers added for issue 9: values and gradients against PyTorch (when it is
installed) and against numpy, reprs, errors, and the behaviour of the random layers."""
import re
import warnings

import numpy as np
import pytest

import clgrad
import clgrad.nn as nn
import clgrad.nn.functional as F
from helpers import skip_without_fp64, to_numpy

RNG = np.random.default_rng(9)
X = RNG.standard_normal((4, 5))
Y = np.array([0, 3, 1, 4])
W = RNG.random(5)
LABELS = np.array([[3, 0, -1, 1, 2], [1, 1, -1, 0, 0], [-1, 2, 3, 0, 0], [0, 1, 2, 3, 4]])
BITS = (RNG.random((4, 5)) > 0.5).astype(np.float64)
A, P, N = RNG.standard_normal((3, 4, 5))
V = RNG.standard_normal((2, 6, 3, 4))
VPOS = np.abs(V) + 0.1
V3 = np.abs(RNG.standard_normal((2, 3, 4, 4, 4))) + 0.1


def _cosine_distance(f):
    return lambda u, v: 1 - f.cosine_similarity(u, v)


# name -> (fn(functional, *tensors), arrays); only the first array requires grad
CASES = {
    "multi_margin": (lambda f, x, y: f.multi_margin_loss(x, y), (X, Y)),
    "multi_margin_p2_weight_none": (lambda f, x, y, w: f.multi_margin_loss(
        x, y, p=2, margin=0.5, weight=w, reduction="none"), (X, Y, W)),
    "multi_margin_unbatched": (lambda f, x, y: f.multi_margin_loss(x, y, reduction="sum"),
                               (X[0], Y[0])),
    "multilabel_margin_none": (lambda f, x, t: f.multilabel_margin_loss(
        x, t, reduction="none"), (X, LABELS)),
    "multilabel_margin_unbatched": (lambda f, x, t: f.multilabel_margin_loss(x, t),
                                    (X[0], LABELS[0])),
    "multilabel_soft_margin": (lambda f, x, t, w: f.multilabel_soft_margin_loss(
        x, t, weight=w), (X, BITS, W)),
    "triplet_distance_swap": (lambda f, a, p, n: f.triplet_margin_with_distance_loss(
        a, p, n, swap=True), (A, P, N)),
    "triplet_distance_cosine": (lambda f, a, p, n: f.triplet_margin_with_distance_loss(
        a, p, n, distance_function=_cosine_distance(f), margin=0.3, reduction="none"),
        (A, P, N)),
    "rms_norm_weight": (lambda f, x, w: f.rms_norm(x, (5,), w), (X, W)),
    "rms_norm_2d_eps": (lambda f, x: f.rms_norm(x, (4, 5), eps=1e-3), (X,)),
    "local_response_norm": (lambda f, v: f.local_response_norm(v, 3), (V,)),
    "local_response_norm_3d_even": (lambda f, v: f.local_response_norm(
        v, 4, alpha=0.1, beta=0.5, k=2.0), (V[0],)),
    "lp_pool1d": (lambda f, v: f.lp_pool1d(v, 2, 2), (VPOS[0],)),
    "lp_pool2d": (lambda f, v: f.lp_pool2d(v, 2, 2), (VPOS,)),
    "lp_pool2d_stride_ceil": (lambda f, v: f.lp_pool2d(v, 3, (2, 1), stride=1,
                                                       ceil_mode=True), (VPOS,)),
    "lp_pool3d": (lambda f, v: f.lp_pool3d(v, 2, 2), (V3,)),
    "channel_shuffle": (lambda f, v: f.channel_shuffle(v, 3), (V,)),
    "rrelu_eval": (lambda f, v: f.rrelu(v, 0.1, 0.3), (V,)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_matches_torch(name, device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    fn, arrays = CASES[name]
    ts = [torch.tensor(a, requires_grad=i == 0) for i, a in enumerate(arrays)]
    cs = [clgrad.tensor(a, device=device, requires_grad=i == 0) for i, a in enumerate(arrays)]
    ty, y = fn(torch.nn.functional, *ts), fn(F, *cs)
    assert y.shape == ty.shape
    np.testing.assert_allclose(to_numpy(y), ty.detach().numpy(), rtol=1e-7, atol=1e-9)
    g = RNG.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    y.backward(clgrad.tensor(g, device=device))
    np.testing.assert_allclose(to_numpy(cs[0].grad), ts[0].grad.numpy(), rtol=1e-7,
                               atol=1e-9)


def test_multi_margin_against_numpy(device):
    x = clgrad.tensor(X.astype(np.float32), device=device)
    got = to_numpy(F.multi_margin_loss(x, clgrad.tensor(Y, device=device), reduction="none"))
    want = [sum(max(0.0, 1 - X[i, Y[i]] + X[i, j]) for j in range(5) if j != Y[i]) / 5
            for i in range(4)]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_multilabel_margin_against_numpy(device):
    x = clgrad.tensor(X.astype(np.float32), device=device)
    got = to_numpy(F.multilabel_margin_loss(x, clgrad.tensor(LABELS, device=device),
                                            reduction="none"))
    want = []
    for row, t in zip(X, LABELS):
        listed = list(t[:list(t).index(-1)] if -1 in t else t)
        others = [k for k in range(5) if k not in listed]
        want.append(sum(max(0.0, 1 - row[j] + row[k]) for j in listed for k in others) / 5)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_rms_norm_and_lrn_against_numpy(device):
    x = clgrad.tensor(V.astype(np.float32), device=device)
    got = to_numpy(F.rms_norm(x, (3, 4)))
    eps = np.finfo(np.float32).eps
    want = V / np.sqrt((V ** 2).mean((2, 3), keepdims=True) + eps)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    got = to_numpy(F.local_response_norm(x, 2, alpha=0.5, beta=0.75, k=1.0))
    sq = np.pad(V ** 2, ((0, 0), (1, 0), (0, 0), (0, 0)))
    want = V / (1 + 0.5 * (sq[:, :-1] + sq[:, 1:]) / 2) ** 0.75
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_lp_pool_and_channel_shuffle_against_numpy(device):
    x = clgrad.tensor(VPOS.astype(np.float32), device=device)
    got = to_numpy(F.lp_pool2d(x, 2, 2))
    # (oh, kh, ow, kw) blocks of the rows the 2x2 windows cover
    want = np.sqrt((VPOS[:, :, :2] ** 2).reshape(2, 6, 1, 2, 2, 2).sum((3, 5)))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    got = to_numpy(F.channel_shuffle(x, 2))
    np.testing.assert_array_equal(got, VPOS.astype(np.float32)[:, [0, 3, 1, 4, 2, 5]])


def test_modules_match_functional(device):
    x = clgrad.tensor(V.astype(np.float32), device=device)
    pairs = [(nn.LocalResponseNorm(3), F.local_response_norm(x, 3)),
             (nn.ChannelShuffle(2), F.channel_shuffle(x, 2)),
             (nn.Softmax2d(), F.softmax(x, 1)),
             (nn.LPPool2d(2, 2), F.lp_pool2d(x.abs(), 2.0, 2)),
             (nn.RMSNorm((3, 4), device=device), F.rms_norm(x, (3, 4)))]
    for module, want in pairs:
        arg = x.abs() if isinstance(module, nn.LPPool2d) else x
        np.testing.assert_allclose(to_numpy(module(arg)), to_numpy(want), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(nn.Softmax2d()(x[0])), to_numpy(F.softmax(x[0], 0)),
                               rtol=1e-6)


def test_losses_modules_match_functional(device):
    x = clgrad.tensor(X, device=device)
    y = clgrad.tensor(Y, device=device)
    w = clgrad.tensor(W, device=device)
    got = nn.MultiMarginLoss(p=2, margin=0.5, weight=w, reduction="sum")(x, y)
    assert got.item() == pytest.approx(F.multi_margin_loss(x, y, 2, 0.5, w,
                                                           reduction="sum").item())
    t = clgrad.tensor(LABELS, device=device)
    assert nn.MultiLabelMarginLoss()(x, t).item() == \
        pytest.approx(F.multilabel_margin_loss(x, t).item())
    b = clgrad.tensor(BITS, device=device)
    assert nn.MultiLabelSoftMarginLoss(weight=w)(x, b).item() == \
        pytest.approx(F.multilabel_soft_margin_loss(x, b, w).item())
    a, p, n = (clgrad.tensor(v, device=device) for v in (A, P, N))
    loss = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1.0),
                                            swap=True)
    want = F.triplet_margin_loss(a, p, n, p=1.0, swap=True)
    assert loss(a, p, n).item() == pytest.approx(want.item())
    logp = F.log_softmax(clgrad.tensor(V, device=device), 1)
    target = clgrad.tensor(RNG.integers(0, 6, (2, 3, 4)), device=device)
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        old = nn.NLLLoss2d()
    assert old(logp, target).item() == pytest.approx(nn.NLLLoss()(logp, target).item())


REPRS = [
    (lambda: nn.RMSNorm(4), "RMSNorm((4,), eps=None, elementwise_affine=True)"),
    (lambda: nn.RMSNorm((3, 4), eps=1e-3, elementwise_affine=False),
     "RMSNorm((3, 4), eps=0.001, elementwise_affine=False)"),
    (lambda: nn.LocalResponseNorm(3), "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)"),
    (lambda: nn.LPPool2d(2, (2, 3)),
     "LPPool2d(norm_type=2, kernel_size=(2, 3), stride=None, ceil_mode=False)"),
    (lambda: nn.LPPool3d(2, 2, 1),
     "LPPool3d(norm_type=2, kernel_size=2, stride=1, ceil_mode=False)"),
    (lambda: nn.Dropout3d(0.2), "Dropout3d(p=0.2, inplace=False)"),
    (lambda: nn.FeatureAlphaDropout(), "FeatureAlphaDropout(p=0.5, inplace=False)"),
    (lambda: nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
    (lambda: nn.RReLU(0.1, 0.3, True), "RReLU(lower=0.1, upper=0.3, inplace=True)"),
    (lambda: nn.Softmax2d(), "Softmax2d()"),
    (lambda: nn.ChannelShuffle(2), "ChannelShuffle(groups=2)"),
    (lambda: nn.SyncBatchNorm(4), "SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, "
                                  "bias=True, track_running_stats=True)"),
    (lambda: nn.MultiMarginLoss(), "MultiMarginLoss()"),
    (lambda: nn.TripletMarginWithDistanceLoss(),
     "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"),
]


@pytest.mark.parametrize("make,text", REPRS, ids=[r[1].split("(")[0] + str(i)
                                                  for i, r in enumerate(REPRS)])
def test_reprs(make, text):
    assert repr(make()) == text


ERRORS = [
    (lambda: F.multi_margin_loss(clgrad.zeros(2, 3), clgrad.tensor([0, 1]), p=3),
     ValueError, "only p == 1 and p == 2 supported"),
    (lambda: F.multi_margin_loss(clgrad.zeros(2, 3, 4), clgrad.tensor([0, 1])), RuntimeError,
     "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [2, 3, 4]"),
    (lambda: F.multilabel_margin_loss(clgrad.zeros(2, 3), clgrad.tensor([0, 1])),
     RuntimeError, "inconsistent target size: [2] for input of size: [2, 3]"),
    (lambda: F.triplet_margin_with_distance_loss(clgrad.zeros(2), clgrad.zeros(2),
                                                 clgrad.zeros(2), margin=0),
     ValueError, "margin must be greater than 0, got 0"),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=-1), ValueError,
     "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got -1 instead"),
    (lambda: F.rms_norm(clgrad.zeros(2, 3), (4,)), RuntimeError,
     "Given normalized_shape=[4], expected input with shape [*4], but got input of size[2, 3]"),
    (lambda: F.local_response_norm(clgrad.zeros(2, 3), 2), ValueError,
     "Expected 3D or higher dimensionality input (got 2 dimensions)"),
    (lambda: F.channel_shuffle(clgrad.zeros(2, 5, 3), 2), RuntimeError,
     "Number of channels must be divisible by groups. Got 5 channels and 2 groups."),
    (lambda: F.channel_shuffle(clgrad.zeros(2, 4, 3), 0), RuntimeError,
     "Number of groups to divide channels in must be positive. Value of groups:0"),
    (lambda: F.channel_shuffle(clgrad.zeros(2, 4), 2), RuntimeError,
     "channel_shuffle expects input with > 2 dims, but got input with sizes [2, 4]"),
    (lambda: nn.Softmax2d()(clgrad.zeros(2, 3)), ValueError,
     "Softmax2d: expected input to be 3D or 4D, got 2D instead"),
    (lambda: nn.SyncBatchNorm(3)(clgrad.zeros(3)), ValueError,
     "expected at least 2D input (got 1D input)"),
    (lambda: F.dropout3d(clgrad.zeros(2, 3), 1.5), ValueError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
]


@pytest.mark.parametrize("call,exc,message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def test_error_messages_are_torchs():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    calls = [lambda: tf.multi_margin_loss(torch.zeros(2, 3, 4), torch.tensor([0, 1])),
             lambda: tf.multilabel_margin_loss(torch.zeros(2, 3), torch.tensor([0, 1])),
             lambda: tf.rms_norm(torch.zeros(2, 3), (4,)),
             lambda: tf.channel_shuffle(torch.zeros(2, 4), 2)]
    for call, (_, exc, message) in zip(calls, [ERRORS[1], ERRORS[2], ERRORS[5], ERRORS[9]]):
        with pytest.raises(exc, match=re.escape(message)):
            call()


def test_gumbel_softmax(device):
    clgrad.manual_seed(0)
    logits = clgrad.tensor(X.astype(np.float32), device=device, requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(to_numpy(soft.sum(-1)), np.ones(4), rtol=1e-5)
    hard = F.gumbel_softmax(logits, hard=True, dim=0)
    values = to_numpy(hard)
    np.testing.assert_array_equal(np.sort(values, 0)[:-1], 0)
    np.testing.assert_allclose(values.sum(0), np.ones(5), rtol=1e-6)
    # straight-through: backward is the soft sample's, which sums to zero along dim
    (hard * clgrad.tensor(W.astype(np.float32), device=device)).sum().backward()
    np.testing.assert_allclose(to_numpy(logits.grad).sum(0), np.zeros(5), atol=1e-5)
    assert np.abs(to_numpy(logits.grad)).sum() > 0


def test_gumbel_noise_is_gumbel():
    clgrad.manual_seed(1)
    logits = clgrad.zeros(20000, 2)
    first = to_numpy(F.gumbel_softmax(logits, hard=True))[:, 0]
    assert abs(first.mean() - 0.5) < 0.02  # equal logits: each class half the time


def test_rrelu_training_and_eval(device):
    clgrad.manual_seed(2)
    x = clgrad.tensor(V.astype(np.float32), device=device, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    ratio = to_numpy(y) / V.astype(np.float32)
    np.testing.assert_allclose(ratio[V > 0], 1.0, rtol=1e-6)
    neg = ratio[V < 0]
    assert neg.min() >= 0.1 - 1e-6 and neg.max() <= 0.3 + 1e-6 and neg.std() > 0.01
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), ratio, rtol=1e-5)
    module = nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(to_numpy(module(x)), np.where(V > 0, V, 0.2 * V), rtol=1e-5)


def test_dropout3d_zeroes_whole_channels(device):
    clgrad.manual_seed(3)
    x = clgrad.ones(4, 8, 2, 3, 2, device=device)
    y = to_numpy(nn.Dropout3d(0.5)(x)).reshape(4, 8, -1)
    per_channel = y[..., 0]
    np.testing.assert_array_equal(y, np.repeat(per_channel[..., None], 12, -1))
    assert set(np.unique(per_channel)) <= {0.0, 2.0} and 0 < per_channel.mean() < 2
    unbatched = to_numpy(F.dropout3d(x[0], 0.5)).reshape(8, -1)
    np.testing.assert_array_equal(unbatched, np.repeat(unbatched[:, :1], 12, -1))
    assert nn.Dropout3d().eval()(x) is x


def test_feature_alpha_dropout(device):
    clgrad.manual_seed(4)
    x = clgrad.tensor(RNG.standard_normal((16, 6, 5)).astype(np.float32), device=device)
    p = 0.4
    y = to_numpy(nn.FeatureAlphaDropout(p)(x))
    alpha = -1.7580993408473766
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    kept = a * to_numpy(x) - a * alpha * p
    dropped = np.full_like(y, alpha * a - a * alpha * p)
    is_kept = np.isclose(y, kept, rtol=1e-5, atol=1e-6).all(-1)
    is_dropped = np.isclose(y, dropped, rtol=1e-5, atol=1e-6).all(-1)
    assert (is_kept | is_dropped).all() and is_kept.any() and is_dropped.any()
    assert nn.FeatureAlphaDropout(p).eval()(x) is x


def test_sync_batch_norm_is_batch_norm(device):
    x = clgrad.tensor(RNG.standard_normal((4, 3, 2, 2, 2)).astype(np.float32), device=device)
    sync = nn.SyncBatchNorm(3, device=device)
    plain = nn.BatchNorm3d(3, device=device)
    np.testing.assert_allclose(to_numpy(sync(x)), to_numpy(plain(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(sync.running_var), to_numpy(plain.running_var),
                               rtol=1e-6)
    assert sync(x[:, :, 0, 0, 0]).shape == (4, 3)  # any rank from 2 up


def test_convert_sync_batchnorm_shares_tensors():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, momentum=0.3),
                          nn.Sequential(nn.BatchNorm2d(3, affine=False)))
    model.eval()
    old = model[1]
    new = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert new is model and isinstance(model[1], nn.SyncBatchNorm)
    assert isinstance(model[2][0], nn.SyncBatchNorm) and model[2][0].weight is None
    assert model[1].weight is old.weight and model[1].running_mean is old.running_mean
    assert model[1].momentum == 0.3 and not model[1].training
    assert isinstance(nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(2)),
                      nn.SyncBatchNorm)


def test_with_indices_aliases(device):
    x = clgrad.tensor(V.astype(np.float32), device=device)
    out, idx = F.adaptive_max_pool2d_with_indices(x, 2)
    want, want_idx = F.adaptive_max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(want))
    np.testing.assert_array_equal(to_numpy(idx), to_numpy(want_idx))
    assert len(F.adaptive_max_pool1d_with_indices(x[0], 2)) == 2
    assert len(F.adaptive_max_pool3d_with_indices(x, 1)) == 2


def test_every_listed_name_exists():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ["RMSNorm", "MultiMarginLoss", "MultiLabelMarginLoss",
                     "MultiLabelSoftMarginLoss", "TripletMarginWithDistanceLoss",
                     "LocalResponseNorm", "LPPool1d", "LPPool2d", "LPPool3d", "Dropout3d",
                     "FeatureAlphaDropout", "RReLU", "Softmax2d", "ChannelShuffle",
                     "SyncBatchNorm", "NLLLoss2d"]:
            assert issubclass(getattr(nn, name), nn.Module)
    for name in ["rms_norm", "gumbel_softmax", "multi_margin_loss", "multilabel_margin_loss",
                 "multilabel_soft_margin_loss", "triplet_margin_with_distance_loss",
                 "local_response_norm", "lp_pool1d", "lp_pool2d", "lp_pool3d", "dropout3d",
                 "feature_alpha_dropout", "rrelu", "rrelu_", "channel_shuffle"]:
        assert callable(getattr(F, name))


LAZY_CONVS = [("LazyConv1d", "Conv1d", (2, 3, 7)), ("LazyConv2d", "Conv2d", (2, 3, 6, 5)),
              ("LazyConv3d", "Conv3d", (1, 3, 4, 5, 4)),
              ("LazyConvTranspose1d", "ConvTranspose1d", (2, 3, 7)),
              ("LazyConvTranspose2d", "ConvTranspose2d", (3, 6, 5)),
              ("LazyConvTranspose3d", "ConvTranspose3d", (1, 3, 4, 5, 4))]


@pytest.mark.parametrize("lazy,plain,shape", LAZY_CONVS, ids=[c[0] for c in LAZY_CONVS])
def test_lazy_conv_becomes_plain_conv(lazy, plain, shape, device):
    clgrad.manual_seed(5)
    module = getattr(nn, lazy)(4, 3, padding=1, bias=True, device=device)
    assert repr(module).startswith(f"{lazy}(0, 4, kernel_size=")
    assert isinstance(module.weight, nn.UninitializedParameter)
    assert repr(module.weight) == "<UninitializedParameter>"
    x = clgrad.tensor(RNG.standard_normal(shape).astype(np.float32), device=device)
    y = module(x)
    assert type(module) is getattr(nn, plain) and module.in_channels == 3
    assert not isinstance(module.weight, nn.UninitializedParameter)
    assert module.weight.device == x.device
    # initialised as the plain layer initialises: same seed, same weights
    clgrad.manual_seed(5)
    twin = getattr(nn, plain)(3, 4, 3, padding=1, device=device)
    np.testing.assert_array_equal(to_numpy(module.weight), to_numpy(twin.weight))
    np.testing.assert_allclose(to_numpy(y), to_numpy(twin(x)), rtol=1e-6)
    y.sum().backward()
    assert module.weight.grad.shape == module.weight.shape


def test_lazy_conv_checks_rank_and_groups():
    module = nn.LazyConv2d(4, 3)
    with pytest.raises(RuntimeError, match=re.escape(
            "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input of "
            "size: ")):
        module(clgrad.zeros(3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv1d(4, 1, groups=2)(clgrad.zeros(1, 3, 5))


@pytest.mark.parametrize("lazy,plain,shape", [("LazyBatchNorm1d", "BatchNorm1d", (4, 3)),
                                              ("LazyBatchNorm2d", "BatchNorm2d", (2, 3, 2, 2)),
                                              ("LazyBatchNorm3d", "BatchNorm3d",
                                               (2, 3, 2, 1, 2)),
                                              ("LazyInstanceNorm1d", "InstanceNorm1d",
                                               (2, 3, 5)),
                                              ("LazyInstanceNorm2d", "InstanceNorm2d",
                                               (2, 3, 2, 3)),
                                              ("LazyInstanceNorm3d", "InstanceNorm3d",
                                               (2, 3, 2, 2, 2))])
def test_lazy_norm_becomes_plain_norm(lazy, plain, shape, device):
    module = getattr(nn, lazy)(momentum=0.5, device=device)
    assert repr(module) == (f"{lazy}(0, eps=1e-05, momentum=0.5, affine=True, bias=True, "
                            "track_running_stats=True)")
    assert isinstance(module.running_mean, nn.UninitializedBuffer)
    assert repr(module.running_var) == "<UninitializedBuffer>"
    x = clgrad.tensor(RNG.standard_normal(shape).astype(np.float32), device=device)
    y = module(x)
    assert type(module) is getattr(nn, plain) and module.num_features == 3
    twin = getattr(nn, plain)(3, momentum=0.5, affine=True, track_running_stats=True,
                              device=device)
    np.testing.assert_allclose(to_numpy(y), to_numpy(twin(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(module.running_mean), to_numpy(twin.running_mean),
                               rtol=1e-5, atol=1e-7)
    assert module.num_batches_tracked.item() == 1
    assert set(module.state_dict()) == set(twin.state_dict())


def test_lazy_norm_without_affine_or_stats():
    module = nn.LazyBatchNorm1d(affine=False, track_running_stats=False)
    module(clgrad.randn(4, 2))
    assert type(module) is nn.BatchNorm1d and module.weight is None
    assert module.running_mean is None and module.num_features == 2


FRACTIONAL = [(2, (2, 3, 9, 7), 2, (4, 3)), (2, (3, 8, 8), (3, 2), 5),
              (2, (1, 2, 6, 6), 2, 1), (3, (2, 2, 6, 7, 5), 2, (3, 4, 2))]


@pytest.mark.parametrize("n,shape,kernel,out", FRACTIONAL,
                         ids=[f"{c[0]}d-{len(c[1])}" + str(i) for i, c in enumerate(FRACTIONAL)])
def test_fractional_max_pool_matches_torch(n, shape, kernel, out, device):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape).astype(np.float32)
    batch = 1 if len(shape) == n + 1 else shape[0]
    samples = RNG.random((batch, shape[-n - 1], n)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    name = f"fractional_max_pool{n}d"
    ty, ti = getattr(torch.nn.functional, name)(tx, kernel, output_size=out,
                                                return_indices=True,
                                                _random_samples=torch.tensor(samples))
    cy, ci = getattr(F, name)(cx, kernel, output_size=out, return_indices=True,
                              _random_samples=clgrad.tensor(samples, device=device))
    np.testing.assert_array_equal(to_numpy(cy), ty.detach().numpy())
    np.testing.assert_array_equal(to_numpy(ci), ti.numpy())
    g = RNG.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(g))
    cy.backward(clgrad.tensor(g, device=device))
    np.testing.assert_allclose(to_numpy(cx.grad), tx.grad.numpy(), rtol=1e-6)


def test_fractional_max_pool_windows_against_numpy(device):
    x = RNG.standard_normal((1, 2, 9, 9)).astype(np.float32)
    # samples of 0 space the windows evenly: alpha = (9 - 3) / (4 - 1) = 2, the last at 9 - 3
    zeros = clgrad.zeros(1, 2, 2, device=device)
    values, indices = nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True,
                                             _random_samples=zeros)(
        clgrad.tensor(x, device=device))
    starts = [0, 2, 4, 6]
    want = np.array([[[x[0, p, r:r + 3, c:c + 3].max() for c in starts] for r in starts]
                     for p in range(2)])
    np.testing.assert_array_equal(to_numpy(values)[0], want)
    np.testing.assert_array_equal(to_numpy(values), x.reshape(1, 2, -1)[
        0, np.arange(2)[:, None, None], to_numpy(indices)[0]][None])


def test_fractional_max_pool_errors_and_repr():
    with pytest.raises(ValueError, match="requires specifying either an output size"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
        nn.FractionalMaxPool3d(2, output_size=2, output_ratio=0.5)
    with pytest.raises(ValueError, match=re.escape("output_ratio must be between 0 and 1 "
                                                   "(got 1.5)")):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(RuntimeError, match=re.escape(
            "fractional_max_pool2d(): pool height 3 too large relative to input height 5")):
        F.fractional_max_pool2d(clgrad.zeros(1, 2, 5, 5), 3, output_size=4)
    with pytest.raises(RuntimeError, match="_random_samples.size"):
        F.fractional_max_pool2d(clgrad.zeros(1, 2, 5, 5), 2, output_size=2,
                                _random_samples=clgrad.rand(1, 3, 2))
    assert repr(nn.FractionalMaxPool2d(2, output_size=3)) == "FractionalMaxPool2d()"


def test_adaptive_log_softmax_matches_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    tm = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0,
                                             head_bias=True).double()
    cm = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True,
                                       device=device, dtype=clgrad.float64)
    assert repr(cm) == repr(tm)
    cm.load_state_dict({k: clgrad.tensor(v.detach().numpy(), device=device)
                        for k, v in tm.state_dict().items()})
    x = RNG.standard_normal((7, 8))
    t = np.array([0, 9, 4, 2, 7, 5, 3])
    tx = torch.tensor(x, requires_grad=True)
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    want, got = tm(tx, torch.tensor(t)), cm(cx, clgrad.tensor(t, device=device))
    np.testing.assert_allclose(to_numpy(got.output), want.output.detach().numpy(), rtol=1e-10)
    want.loss.backward()
    got.loss.backward()
    np.testing.assert_allclose(to_numpy(cx.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), (_, q) in zip(tm.named_parameters(), cm.named_parameters()):
        np.testing.assert_allclose(to_numpy(q.grad), p.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    np.testing.assert_allclose(to_numpy(cm.log_prob(cx)), tm.log_prob(tx).detach().numpy(),
                               rtol=1e-10)
    np.testing.assert_array_equal(to_numpy(cm.predict(cx)), tm.predict(tx).numpy())


def test_adaptive_log_softmax_log_prob_is_a_distribution(device):
    with pytest.warns(UserWarning, match="zero-element"):  # 6 // 4**2 = 0 wide, as in torch
        module = nn.AdaptiveLogSoftmaxWithLoss(6, 9, [2, 5], device=device)
    x = clgrad.tensor(RNG.standard_normal((5, 6)).astype(np.float32), device=device)
    logp = module.log_prob(x)
    np.testing.assert_allclose(to_numpy(logp.exp().sum(1)), np.ones(5), rtol=1e-5)
    t = clgrad.tensor([0, 8, 3, 1, 5], device=device)
    out = module(x, t)
    picked = to_numpy(logp)[np.arange(5), [0, 8, 3, 1, 5]]
    np.testing.assert_allclose(to_numpy(out.output), picked, rtol=1e-5, atol=1e-6)
    assert out.loss.item() == pytest.approx(-picked.mean(), rel=1e-5)
    single = module(x[0], t[0])
    assert single.output.shape == ()
    assert single.output.item() == pytest.approx(picked[0], rel=1e-5)
    with pytest.raises(RuntimeError, match=re.escape("Target values should be in [0, 8]")):
        module(x, clgrad.tensor([0, 9, 3, 1, 5], device=device))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(6, 9, [5, 2])


CTC_LOGITS = RNG.standard_normal((12, 4, 5))
CTC_TARGETS = np.array([[1, 2, 2, 3, 4, 1], [3, 3, 1, 4, 2, 2], [1, 1, 1, 1, 1, 1],
                        [4, 1, 3, 2, 2, 4]])  # repeats force the blank between them
CTC_INPUT_LENGTHS = [12, 10, 7, 12]
CTC_TARGET_LENGTHS = [3, 4, 0, 6]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_loss_matches_torch(reduction, layout, device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    if layout == "padded":
        targets = CTC_TARGETS
    else:
        targets = np.concatenate([row[:n] for row, n in zip(CTC_TARGETS, CTC_TARGET_LENGTHS)])
    tx = torch.tensor(CTC_LOGITS, requires_grad=True)
    cx = clgrad.tensor(CTC_LOGITS, device=device, requires_grad=True)
    want = torch.nn.functional.ctc_loss(tx.log_softmax(2), torch.tensor(targets),
                                        CTC_INPUT_LENGTHS, CTC_TARGET_LENGTHS,
                                        reduction=reduction)
    got = nn.CTCLoss(reduction=reduction)(cx.log_softmax(2),
                                          clgrad.tensor(targets, device=device),
                                          CTC_INPUT_LENGTHS, CTC_TARGET_LENGTHS)
    np.testing.assert_allclose(to_numpy(got), want.detach().numpy(), rtol=1e-9)
    g = RNG.standard_normal(tuple(want.shape))
    want.backward(torch.tensor(g))
    got.backward(clgrad.tensor(g, device=device))
    np.testing.assert_allclose(to_numpy(cx.grad), tx.grad.numpy(), rtol=1e-7, atol=1e-10)


def test_ctc_loss_log_probs_grad_and_infinity_like_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    lp = torch.tensor(CTC_LOGITS).log_softmax(2).requires_grad_()
    clp = clgrad.tensor(lp.detach().numpy(), device=device, requires_grad=True)
    want = torch.nn.functional.ctc_loss(lp, torch.tensor(CTC_TARGETS),
                                        torch.tensor(CTC_INPUT_LENGTHS),
                                        torch.tensor(CTC_TARGET_LENGTHS), reduction="sum")
    got = F.ctc_loss(clp, clgrad.tensor(CTC_TARGETS, device=device),
                     clgrad.tensor(CTC_INPUT_LENGTHS), clgrad.tensor(CTC_TARGET_LENGTHS),
                     reduction="sum")
    assert got.grad_fn.next_functions[0][0].name() == "CtcLossBackward0"
    want.backward()
    got.backward()
    # PyTorch's log_probs gradient (the logits' one under log_softmax), which clgrad gives
    np.testing.assert_allclose(to_numpy(clp.grad), lp.grad.numpy(), rtol=1e-7, atol=1e-10)
    short = lp.detach()[:2].requires_grad_()
    cshort = clgrad.tensor(short.detach().numpy(), device=device, requires_grad=True)
    for zero_infinity in (False, True):
        want = torch.nn.functional.ctc_loss(short, torch.tensor(CTC_TARGETS), [2] * 4,
                                            CTC_TARGET_LENGTHS, reduction="none",
                                            zero_infinity=zero_infinity)
        got = F.ctc_loss(cshort, clgrad.tensor(CTC_TARGETS, device=device), [2] * 4,
                         CTC_TARGET_LENGTHS, reduction="none", zero_infinity=zero_infinity)
        np.testing.assert_allclose(to_numpy(got), want.detach().numpy(), rtol=1e-9)
    want.sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(to_numpy(cshort.grad), short.grad.numpy(), rtol=1e-7,
                               atol=1e-10)


def test_ctc_loss_against_enumeration(device):
    # T=3, labels [1]: the alignments are every length-3 path collapsing to "1"
    logits = RNG.standard_normal((3, 1, 3)).astype(np.float32)
    logp = logits - np.log(np.exp(logits).sum(2, keepdims=True))
    paths = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (0, 1, 1), (1, 1, 1)]
    paths = [[0 if s == 0 else 1 for s in p] for p in paths]
    prob = sum(np.exp(sum(logp[t, 0, s] for t, s in enumerate(p))) for p in paths)
    got = F.ctc_loss(clgrad.tensor(logp, device=device), clgrad.tensor([[1]], device=device),
                     [3], [1], reduction="none")
    np.testing.assert_allclose(to_numpy(got), [-np.log(prob)], rtol=1e-5)
    unbatched = F.ctc_loss(clgrad.tensor(logp[:, 0], device=device),
                           clgrad.tensor([1], device=device), [3], [1], reduction="sum")
    assert unbatched.item() == pytest.approx(-np.log(prob), rel=1e-5)
