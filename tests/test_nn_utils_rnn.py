"""nn.utils.rnn: padding, packing, PackedSequence through RNN/LSTM/GRU."""
import numpy as np
import pytest

import clgrad
from helpers import to_numpy

rnn_utils = clgrad.nn.utils.rnn


def test_pad_sequence(device):
    seqs = [clgrad.ones(2, 3, device=device), clgrad.ones(4, 3, device=device) * 2,
            clgrad.ones(1, 3, device=device) * 3]
    out = rnn_utils.pad_sequence(seqs)
    assert tuple(out.shape) == (4, 3, 3)
    bf = rnn_utils.pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    assert tuple(bf.shape) == (3, 4, 3)
    np.testing.assert_array_equal(to_numpy(bf)[0, :, 0], [1, 1, -1, -1])
    left = rnn_utils.pad_sequence(seqs, batch_first=True, padding_side="left")
    np.testing.assert_array_equal(to_numpy(left)[2, :, 0], [0, 0, 0, 3])
    with pytest.raises(ValueError, match="Expected padding_side to be one of left or right"):
        rnn_utils.pad_sequence(seqs, padding_side="up")


def test_pack_roundtrip(device):
    x = clgrad.arange(24, dtype=clgrad.float32, device=device).reshape(4, 3, 2)
    packed = rnn_utils.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 3, 2, 1]
    assert packed.sorted_indices.tolist() == [1, 2, 0]
    assert packed.unsorted_indices.tolist() == [2, 0, 1]
    assert packed.batch_sizes.device.type == "cpu"
    padded, lengths = rnn_utils.pad_packed_sequence(packed, total_length=5)
    assert lengths.tolist() == [2, 4, 3] and lengths.dtype == clgrad.int64
    want = to_numpy(x).copy()
    want[2:, 0] = 0
    want[3:, 2] = 0
    np.testing.assert_array_equal(to_numpy(padded)[:4], want)
    np.testing.assert_array_equal(to_numpy(padded)[4], 0)
    seqs = rnn_utils.unpack_sequence(rnn_utils.pack_sequence(
        [x[:2, 0], x[:4, 1], x[:3, 2]], enforce_sorted=False))
    assert [tuple(s.shape) for s in seqs] == [(2, 2), (4, 2), (3, 2)]


def test_pack_errors():
    x = clgrad.zeros(3, 2, 1)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        rnn_utils.pack_padded_sequence(x, [3, 0])
    packed = rnn_utils.pack_padded_sequence(x, [3, 2])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        rnn_utils.pad_packed_sequence(packed, total_length=2)


def test_pack_gradient_flows():
    x = clgrad.randn(3, 2, 2, dtype=clgrad.float64, requires_grad=True)
    assert clgrad.autograd.gradcheck(
        lambda t: rnn_utils.pack_padded_sequence(t, [3, 2]).data, (x,))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_packed_rnn_equals_per_sequence_runs(device, name):
    clgrad.manual_seed(0)
    model = getattr(clgrad.nn, name)(2, 3, num_layers=2, bidirectional=True, device=device)
    lengths = [2, 4, 3]
    x = clgrad.randn(4, 3, 2, device=device)
    out, state = model(rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False))
    assert isinstance(out, rnn_utils.PackedSequence)
    padded, _ = rnn_utils.pad_packed_sequence(out)
    h = state[0] if name == "LSTM" else state
    for b, n in enumerate(lengths):
        alone, alone_state = model(x[:n, b:b + 1])
        np.testing.assert_allclose(to_numpy(padded)[:n, b], to_numpy(alone)[:, 0], rtol=1e-5,
                                   atol=1e-5)
        ah = alone_state[0] if name == "LSTM" else alone_state
        np.testing.assert_allclose(to_numpy(h)[:, b], to_numpy(ah)[:, 0], rtol=1e-5, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_packed_rnn_matches_torch(device, name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    cm = getattr(clgrad.nn, name)(3, 4, num_layers=2, bidirectional=True, batch_first=True,
                                  device=device)
    cm.load_state_dict({k: clgrad.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 5, 3)).astype(np.float32)
    lengths = [3, 5, 2, 4]
    tx = torch.tensor(x, requires_grad=True)
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    h0 = np.random.default_rng(1).standard_normal((4, 4, 4)).astype(np.float32)
    th0 = torch.tensor(h0)
    ch0 = clgrad.tensor(h0, device=device)
    if name == "LSTM":
        th0, ch0 = (th0, th0 * 0.5), (ch0, ch0 * 0.5)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first=True,
                                                 enforce_sorted=False)
    cp = rnn_utils.pack_padded_sequence(cx, lengths, batch_first=True, enforce_sorted=False)
    to, ts = tm(tp, th0)
    co, cs = cm(cp, ch0)
    assert co.batch_sizes.tolist() == to.batch_sizes.tolist()
    np.testing.assert_allclose(to_numpy(co.data), to.data.detach().numpy(), rtol=1e-5, atol=1e-5)
    th = ts[1] if name == "LSTM" else ts
    chh = cs[1] if name == "LSTM" else cs
    np.testing.assert_allclose(to_numpy(chh), th.detach().numpy(), rtol=1e-5, atol=1e-5)
    tpad, tl = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first=True)
    cpad, cl = rnn_utils.pad_packed_sequence(co, batch_first=True)
    assert cl.tolist() == tl.tolist()
    ((tpad ** 2).sum() + th.sum()).backward()
    ((cpad ** 2).sum() + chh.sum()).backward()
    np.testing.assert_allclose(to_numpy(cx.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    seqs = [torch.randn(n, 2) for n in (3, 1, 2)]
    ref = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=7.0,
                                          padding_side="left")
    got = rnn_utils.pad_sequence([clgrad.tensor(s.numpy(), device=device) for s in seqs],
                                 batch_first=True, padding_value=7.0, padding_side="left")
    np.testing.assert_array_equal(to_numpy(got), ref.numpy())
