"""RNNCell, LSTMCell, GRUCell: parameters, values, gradients and errors."""
import numpy as np
import pytest

import clgrad
from helpers import to_numpy


def _copy_from_torch(cm, tm):
    cm.load_state_dict({k: clgrad.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})


@pytest.mark.parametrize("name,chunks", [("RNNCell", 1), ("LSTMCell", 4), ("GRUCell", 3)])
def test_cell_parameters_and_init(device, name, chunks):
    cell = getattr(clgrad.nn, name)(3, 5, device=device)
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih",
                                                       "bias_hh"]
    assert tuple(cell.weight_ih.shape) == (chunks * 5, 3)
    assert tuple(cell.weight_hh.shape) == (chunks * 5, 5)
    bound = 1 / np.sqrt(5)
    assert all(np.abs(to_numpy(p)).max() <= bound for p in cell.parameters())
    no_bias = getattr(clgrad.nn, name)(3, 5, bias=False)
    assert no_bias.bias_ih is None and len(list(no_bias.parameters())) == 2


def test_cell_repr():
    assert repr(clgrad.nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == \
        "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(clgrad.nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"
    assert repr(clgrad.nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


def _numpy_step(name, x, h, c, w_ih, w_hh, b_ih, b_hh):
    def sig(v):
        return 1 / (1 + np.exp(-v))
    xw, hw = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if name == "RNNCell":
        return np.tanh(xw + hw), None
    if name == "LSTMCell":
        i, f, g, o = np.split(xw + hw, 4, 1)
        c2 = sig(f) * c + sig(i) * np.tanh(g)
        return sig(o) * np.tanh(c2), c2
    xr, xz, xn = np.split(xw, 3, 1)
    hr, hz, hn = np.split(hw, 3, 1)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h, None


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_matches_numpy(device, name):
    clgrad.manual_seed(0)
    cell = getattr(clgrad.nn, name)(3, 4, device=device)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    h = rng.standard_normal((2, 4)).astype(np.float32)
    c = rng.standard_normal((2, 4)).astype(np.float32)
    hx = (clgrad.tensor(h, device=device), clgrad.tensor(c, device=device)) \
        if name == "LSTMCell" else clgrad.tensor(h, device=device)
    out = cell(clgrad.tensor(x, device=device), hx)
    want_h, want_c = _numpy_step(name, x, h, c, *[to_numpy(p) for p in cell.parameters()])
    got_h = out[0] if name == "LSTMCell" else out
    np.testing.assert_allclose(to_numpy(got_h), want_h, rtol=1e-5, atol=1e-5)
    if name == "LSTMCell":
        np.testing.assert_allclose(to_numpy(out[1]), want_c, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_unbatched_and_default_state(device, name):
    cell = getattr(clgrad.nn, name)(3, 4, device=device)
    x = clgrad.randn(3, device=device)
    out = cell(x)
    h = out[0] if name == "LSTMCell" else out
    assert tuple(h.shape) == (4,)
    batched = cell(x.unsqueeze(0))
    hb = batched[0] if name == "LSTMCell" else batched
    np.testing.assert_allclose(to_numpy(h), to_numpy(hb[0]), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_gradcheck(name):
    clgrad.manual_seed(1)
    cell = getattr(clgrad.nn, name)(2, 3, dtype=clgrad.float64)
    x = clgrad.randn(2, 2, dtype=clgrad.float64, requires_grad=True)
    h = clgrad.randn(2, 3, dtype=clgrad.float64, requires_grad=True)
    if name == "LSTMCell":
        c = clgrad.randn(2, 3, dtype=clgrad.float64, requires_grad=True)
        assert clgrad.autograd.gradcheck(lambda a, b, d: cell(a, (b, d)), (x, h, c))
    else:
        assert clgrad.autograd.gradcheck(lambda a, b: cell(a, b), (x, h))


def test_cell_errors():
    gru = clgrad.nn.GRUCell(4, 3)
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D"):
        gru(clgrad.randn(2, 2, 4))
    with pytest.raises(ValueError, match="GRUCell: Expected hidden to be 1D or 2D, got 3D"):
        gru(clgrad.randn(2, 4), clgrad.randn(1, 2, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 "
                                           "expected 4"):
        gru(clgrad.randn(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch "
                                           "size 3"):
        gru(clgrad.randn(2, 4), clgrad.randn(3, 3))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 5, "
                                           "expected 3"):
        clgrad.nn.LSTMCell(4, 3)(clgrad.randn(2, 4), (clgrad.randn(2, 5), clgrad.randn(2, 5)))
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: x"):
        clgrad.nn.RNNCell(3, 4, nonlinearity="x")(clgrad.randn(2, 3))


@pytest.mark.parity
@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_matches_torch(device, name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(3, 4)
    cm = getattr(clgrad.nn, name)(3, 4).to(device)
    _copy_from_torch(cm, tm)
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    to, co = tm(tx), cm(cx)
    if name == "LSTMCell":
        to, co = to[0] * 2 + to[1], co[0] * 2 + co[1]
    np.testing.assert_allclose(to_numpy(co), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    (to ** 2).sum().backward()
    (co ** 2).sum().backward()
    np.testing.assert_allclose(to_numpy(cx.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(to_numpy(cm.weight_hh.grad), tm.weight_hh.grad.numpy(), rtol=1e-4,
                               atol=1e-6)
    assert repr(cm) == repr(tm)
