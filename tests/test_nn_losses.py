"""Losses: values, gradients and node names against PyTorch, core ones against numpy."""
import numpy as np
import pytest

import clgrad
import clgrad.nn as nn
import clgrad.nn.functional as F
from helpers import grad_fn_name

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 5))
P = RNG.random((4, 5))
PROBS = P / P.sum(1, keepdims=True)
T = np.array([0, 3, 1, 4])
T_IGN = np.array([0, -100, 1, 4])
W = RNG.random(5)


def _t(lib, v, device=None):
    if lib.__name__ == "torch":
        return lib.tensor(v)
    return clgrad.tensor(v, device=device)


# name -> fn(lib, functional, x, device)
CASES = {
    "mse": lambda L, f, x, d: f.mse_loss(x, _t(L, P, d)),
    "mse_sum": lambda L, f, x, d: f.mse_loss(x, _t(L, P, d), reduction="sum"),
    "mse_none": lambda L, f, x, d: f.mse_loss(x, _t(L, P, d), reduction="none"),
    "l1": lambda L, f, x, d: f.l1_loss(x, _t(L, P, d)),
    "smooth_l1": lambda L, f, x, d: f.smooth_l1_loss(x, _t(L, P, d), beta=0.5),
    "huber": lambda L, f, x, d: f.huber_loss(x, _t(L, P, d), delta=0.5, reduction="sum"),
    "ce": lambda L, f, x, d: f.cross_entropy(x, _t(L, T, d)),
    "ce_none": lambda L, f, x, d: f.cross_entropy(x, _t(L, T, d), reduction="none"),
    "ce_weight_ignore_sum": lambda L, f, x, d: f.cross_entropy(
        x, _t(L, T_IGN, d), weight=_t(L, W, d), reduction="sum"),
    "ce_weight_ignore_mean": lambda L, f, x, d: f.cross_entropy(
        x, _t(L, T_IGN, d), weight=_t(L, W, d)),
    "ce_smoothing": lambda L, f, x, d: f.cross_entropy(x, _t(L, T_IGN, d),
                                                       label_smoothing=0.2),
    "ce_smoothing_weight": lambda L, f, x, d: f.cross_entropy(
        x, _t(L, T_IGN, d), weight=_t(L, W, d), label_smoothing=0.2),
    "ce_probs": lambda L, f, x, d: f.cross_entropy(x, _t(L, PROBS, d), reduction="sum"),
    "ce_probs_smoothing": lambda L, f, x, d: f.cross_entropy(
        x, _t(L, PROBS, d), label_smoothing=0.1, reduction="none"),
    "nll": lambda L, f, x, d: f.nll_loss(x, _t(L, T, d)),
    "nll_none": lambda L, f, x, d: f.nll_loss(x, _t(L, T_IGN, d), weight=_t(L, W, d),
                                              reduction="none"),
    "bce": lambda L, f, x, d: f.binary_cross_entropy(x.sigmoid(), _t(L, P, d)),
    "bce_weight": lambda L, f, x, d: f.binary_cross_entropy(
        x.sigmoid(), _t(L, P, d), weight=_t(L, W, d), reduction="sum"),
    "bce_logits": lambda L, f, x, d: f.binary_cross_entropy_with_logits(x, _t(L, P, d)),
    "bce_logits_pos_weight": lambda L, f, x, d: f.binary_cross_entropy_with_logits(
        x, _t(L, P, d), pos_weight=_t(L, W, d), reduction="none"),
    "kl_batchmean": lambda L, f, x, d: f.kl_div(f.log_softmax(x, 1), _t(L, PROBS, d),
                                                reduction="batchmean"),
    "cosine_embedding": lambda L, f, x, d: f.cosine_embedding_loss(
        x, _t(L, P, d), _t(L, np.array([1, -1, 1, -1]), d), margin=0.1),
    "margin_ranking": lambda L, f, x, d: f.margin_ranking_loss(
        x.select(1, 0), _t(L, P[:, 0], d), _t(L, np.array([1.0, -1, 1, -1]), d)),
    "triplet": lambda L, f, x, d: f.triplet_margin_loss(x, _t(L, P, d), _t(L, PROBS, d)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_matches_torch(name, device):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    fn = CASES[name]
    x = clgrad.tensor(X, device=device, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    y, ty = fn(clgrad, F, x, device), fn(torch, tf, tx, None)
    gy = RNG.standard_normal(tuple(ty.shape))
    y.backward(clgrad.tensor(gy, device=device))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().cpu().numpy(), ty.detach().numpy(), atol=1e-9)
    np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.numpy(), atol=1e-9)
    if name != "ce_probs":  # a scalar division is DivBackward1 in torch (op table naming)
        assert grad_fn_name(y) == grad_fn_name(ty)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 2, 2), (2, 3, 2, 1, 2)])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_k_dim(shape, reduction, device):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    t = RNG.integers(0, shape[1], (shape[0],) + shape[2:])
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    y = F.cross_entropy(cx, clgrad.tensor(t, device=device), reduction=reduction)
    ty = torch.nn.functional.cross_entropy(tx, torch.tensor(t), reduction=reduction)
    assert y.shape == ty.shape
    (y * clgrad.tensor(np.arange(y.numel()).reshape(y.shape) + 1.0, device=device)).sum() \
        .backward()
    (ty * (torch.arange(ty.numel()).reshape(ty.shape) + 1.0)).sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), ty.detach().numpy(), atol=1e-9)
    np.testing.assert_allclose(cx.grad.cpu().numpy(), tx.grad.numpy(), atol=1e-9)


def test_core_losses_against_numpy(device):
    x = clgrad.tensor(X.astype(np.float32), device=device, requires_grad=True)
    mse = F.mse_loss(x, clgrad.tensor(P.astype(np.float32), device=device), reduction="sum")
    np.testing.assert_allclose(mse.item(), ((X - P) ** 2).sum(), rtol=1e-5)
    mse.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * (X - P), rtol=1e-5, atol=1e-6)
    assert type(mse.grad_fn).__name__ == "MseLossBackward0"
    x.grad = None
    ce = F.cross_entropy(x, clgrad.tensor(T, device=device))
    logp = X - np.log(np.exp(X).sum(1, keepdims=True))
    np.testing.assert_allclose(ce.item(), -logp[np.arange(4), T].mean(), rtol=1e-5)
    ce.backward()
    soft = np.exp(logp)
    soft[np.arange(4), T] -= 1
    np.testing.assert_allclose(x.grad.cpu().numpy(), soft / 4, rtol=1e-4, atol=1e-6)
    assert type(ce.grad_fn).__name__ == "NllLossBackward0"
    assert type(ce.grad_fn.next_functions[0][0]).__name__ == "LogSoftmaxBackward0"


def test_all_ignored_mean_is_nan(device):
    x = clgrad.tensor(X, device=device)
    y = F.cross_entropy(x, clgrad.tensor([-100] * 4, device=device))
    assert np.isnan(y.item())


def test_loss_argument_errors():
    x = clgrad.tensor(X)
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.cross_entropy(x, clgrad.tensor([0, 1, 2, 5]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target "
                                         r"batch_size \(2\)."):
        F.nll_loss(x, clgrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got "
                                           "Float"):
        F.nll_loss(x, clgrad.tensor([0.0, 1, 1, 1]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 "
                                           "classes or no classes"):
        F.nll_loss(x, clgrad.tensor(T), weight=clgrad.ones(3))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(x, x, reduction="foo")
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(x, clgrad.tensor(P))
    with pytest.raises(ValueError, match="Target size"):
        F.binary_cross_entropy_with_logits(x, clgrad.ones(3))
    with pytest.raises(RuntimeError, match="Expected target size \\[4, 2\\], got \\[4\\]"):
        F.nll_loss(clgrad.zeros(4, 5, 2), clgrad.tensor(T))


def test_out_of_range_target_on_cl_raises_at_the_read(cl_device):
    x = clgrad.tensor(X, device=cl_device)
    with pytest.raises(IndexError, match="Target 9 is out of bounds."):
        F.cross_entropy(x, clgrad.tensor([0, 1, 2, 9], device=cl_device)).item()


def test_loss_modules(device):
    x = clgrad.tensor(X, device=device)
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss()"
    crit = nn.CrossEntropyLoss(weight=clgrad.tensor(W, device=device), ignore_index=3)
    assert "weight" in dict(crit.named_buffers())
    direct = F.cross_entropy(x, clgrad.tensor(T, device=device),
                             weight=clgrad.tensor(W, device=device), ignore_index=3)
    assert crit(x, clgrad.tensor(T, device=device)).item() == pytest.approx(direct.item())
    assert nn.MSELoss(reduction="sum")(x, x).item() == 0
    assert nn.BCEWithLogitsLoss(pos_weight=clgrad.ones(5, dtype=clgrad.float64,
                                                       device=device))(
        x, clgrad.tensor(P, device=device)).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, clgrad.tensor(P, device=device)).item())
    with pytest.warns(UserWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"


def test_half_cross_entropy(cl_device):
    x = clgrad.tensor(X.astype(np.float16), device=cl_device, requires_grad=True)
    y = F.cross_entropy(x, clgrad.tensor(T, device=cl_device))
    assert y.dtype is clgrad.float16
    ref = -(X - np.log(np.exp(X).sum(1, keepdims=True)))[np.arange(4), T].mean()
    assert y.item() == pytest.approx(ref, rel=2e-3)
    y.backward()
    assert x.grad.dtype is clgrad.float16


def test_nll_and_cross_entropy_refuse_tensors_on_two_devices(cl_device):
    logits = clgrad.randn(4, 3)
    target = clgrad.tensor([0, 1, 2, 0], device=cl_device)
    for loss in (clgrad.nn.functional.nll_loss, clgrad.nn.functional.cross_entropy):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            loss(logits, target)
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            loss(logits.to(cl_device), target.cpu(), weight=clgrad.ones(3))
