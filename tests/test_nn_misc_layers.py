"""EmbeddingBag, CosineSimilarity, PairwiseDistance, Fold/Unfold, 3-d and circular pads."""
import numpy as np
import pytest

import clgrad
from helpers import to_numpy

nn = clgrad.nn


def test_embedding_bag_by_hand(device):
    bag = nn.EmbeddingBag(5, 2, mode="sum", device=device)
    w = to_numpy(bag.weight)
    idx = clgrad.tensor([0, 1, 2, 4, 4], device=device)
    off = clgrad.tensor([0, 2, 2], device=device)  # bags: [0,1], [], [2,4,4]
    out = bag(idx, off)
    np.testing.assert_allclose(to_numpy(out), [w[0] + w[1], [0, 0], w[2] + 2 * w[4]], rtol=1e-6)
    psw = clgrad.tensor([1.0, 2.0, 0.5, 1.0, -1.0], device=device, requires_grad=True)
    out = bag(idx, off, per_sample_weights=psw)
    np.testing.assert_allclose(to_numpy(out)[0], w[0] + 2 * w[1], rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(to_numpy(psw.grad), w[[0, 1, 2, 4, 4]].sum(1), rtol=1e-5)
    mean = nn.EmbeddingBag(5, 2, padding_idx=4, device=device)
    w = to_numpy(mean.weight)
    np.testing.assert_array_equal(w[4], 0)
    got = mean(clgrad.tensor([[0, 4, 2], [4, 4, 4]], device=device))
    np.testing.assert_allclose(to_numpy(got), [(w[0] + w[2]) / 2, [0, 0]], rtol=1e-6)


def test_embedding_bag_gradcheck():
    w = clgrad.randn(4, 3, dtype=clgrad.float64, requires_grad=True)
    idx = clgrad.tensor([0, 3, 3, 1, 2])
    off = clgrad.tensor([0, 3])
    for mode in ("sum", "mean", "max"):
        assert clgrad.autograd.gradcheck(
            lambda t: nn.functional.embedding_bag(idx, t, off, mode=mode), (w,))


def test_embedding_bag_errors():
    bag = nn.EmbeddingBag(5, 2)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        bag(clgrad.tensor([[1, 2]]), clgrad.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        bag(clgrad.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        bag(clgrad.tensor([1, 2]), clgrad.tensor([1]))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        bag(clgrad.tensor([1, 2]), clgrad.tensor([0]), per_sample_weights=clgrad.ones(2))


@pytest.mark.parity
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("last", [False, True])
def test_embedding_bag_matches_torch(device, mode, last):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tb = torch.nn.EmbeddingBag(6, 3, mode=mode, include_last_offset=last, padding_idx=5)
    cb = nn.EmbeddingBag(6, 3, mode=mode, include_last_offset=last, padding_idx=5,
                         device=device)
    cb.load_state_dict({"weight": clgrad.tensor(tb.weight.detach().numpy())})
    idx = [1, 5, 2, 0, 0, 3, 4, 5]
    off = [0, 3, 3, 6] + ([8] if last else [])
    to = tb(torch.tensor(idx), torch.tensor(off))
    co = cb(clgrad.tensor(idx, device=device), clgrad.tensor(off, device=device))
    np.testing.assert_allclose(to_numpy(co), to.detach().numpy(), rtol=1e-6, atol=1e-6)
    (to * torch.arange(to.numel()).reshape(to.shape)).sum().backward()
    (co * clgrad.arange(co.numel(), device=device).reshape(co.shape)).sum().backward()
    np.testing.assert_allclose(to_numpy(cb.weight.grad), tb.weight.grad.numpy(), rtol=1e-6,
                               atol=1e-6)
    assert repr(cb) == repr(tb)


@pytest.mark.parity
def test_layers_match_torch(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    b = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    ca, cb = clgrad.tensor(a, device=device), clgrad.tensor(b, device=device)
    ta, tb = torch.tensor(a), torch.tensor(b)
    pairs = [
        (nn.CosineSimilarity(dim=2), torch.nn.CosineSimilarity(dim=2), True),
        (nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(1.0, keepdim=True),
         True),
        (nn.Unfold(2, padding=1, stride=2), torch.nn.Unfold(2, padding=1, stride=2), False),
        (nn.ZeroPad3d((1, 0, 2, 1, 0, 1)), torch.nn.ZeroPad3d((1, 0, 2, 1, 0, 1)), False),
        (nn.ConstantPad3d(1, 3.5), torch.nn.ConstantPad3d(1, 3.5), False),
        (nn.ReflectionPad3d((1, 2, 1, 0, 2, 1)), torch.nn.ReflectionPad3d((1, 2, 1, 0, 2, 1)),
         False),
        (nn.ReplicationPad3d(2), torch.nn.ReplicationPad3d(2), False),
        (nn.CircularPad1d((1, 2)), torch.nn.CircularPad1d((1, 2)), False),
        (nn.CircularPad2d(1), torch.nn.CircularPad2d(1), False),
        (nn.CircularPad3d((1, 0, 1, 2, 0, 1)), torch.nn.CircularPad3d((1, 0, 1, 2, 0, 1)),
         False),
    ]
    for cm, tm, two in pairs:
        x = ca if not isinstance(tm, torch.nn.CircularPad1d) else ca[0]
        t = ta if not isinstance(tm, torch.nn.CircularPad1d) else ta[0]
        got = cm(x, cb) if two else cm(x)
        want = tm(t, tb) if two else tm(t)
        np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=1e-5, atol=1e-6)
        assert repr(cm) == repr(tm)
    cols = torch.nn.Unfold(2)(ta)
    fold_t = torch.nn.Fold((5, 6), 2)
    fold_c = nn.Fold((5, 6), 2)
    np.testing.assert_allclose(to_numpy(fold_c(clgrad.tensor(cols.numpy(), device=device))),
                               fold_t(cols).numpy(), rtol=1e-5, atol=1e-6)
    assert repr(fold_c) == repr(fold_t)
