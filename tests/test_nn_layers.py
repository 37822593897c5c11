"""Layers against PyTorch (weights copied across), on every device."""
import numpy as np
import pytest

import clgrad
import clgrad.nn as nn
from helpers import grad_fn_name

RNG = np.random.default_rng(1)


def _copy_weights(cmod, tmod, device):
    state = {k: clgrad.tensor(v.detach().numpy(), device=device)
             for k, v in tmod.state_dict().items()}
    cmod.load_state_dict(state)
    return cmod.to(device)


def _compare(cmod, tmod, inputs, device, atol=1e-5, output=lambda y: y):
    torch = pytest.importorskip("torch")
    cx = [clgrad.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in inputs]
    tx = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    cy, ty = output(cmod(*cx)), output(tmod(*tx))
    np.testing.assert_allclose(cy.detach().cpu().numpy(), ty.detach().numpy(), atol=atol,
                               rtol=1e-4)
    g = RNG.standard_normal(tuple(ty.shape)).astype(np.float32)
    cy.backward(clgrad.tensor(g, device=device))
    ty.backward(torch.tensor(g))
    for c, t in zip(cx, tx):
        if t.grad is not None:
            np.testing.assert_allclose(c.grad.cpu().numpy(), t.grad.numpy(), atol=atol,
                                       rtol=1e-4)
    tparams = dict(tmod.named_parameters())
    for name, p in cmod.named_parameters():
        np.testing.assert_allclose(p.grad.cpu().numpy(), tparams[name].grad.numpy(),
                                   atol=atol, rtol=1e-4, err_msg=name)
    return cy, ty


def _f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def test_linear(device):
    torch = pytest.importorskip("torch")
    for bias in (True, False):
        t = torch.nn.Linear(5, 3, bias=bias)
        c = _copy_weights(nn.Linear(5, 3, bias=bias), t, device)
        cy, ty = _compare(c, t, [_f32(4, 5)], device)
        assert grad_fn_name(cy) == grad_fn_name(ty)
        _compare(c, t, [_f32(2, 3, 5)], device)
        _compare(c, t, [_f32(5)], device)


def test_bilinear(device):
    torch = pytest.importorskip("torch")
    t = torch.nn.Bilinear(3, 4, 2)
    c = _copy_weights(nn.Bilinear(3, 4, 2), t, device)
    _compare(c, t, [_f32(5, 3), _f32(5, 4)], device)
    assert repr(c) == repr(t)


def test_embedding(device):
    torch = pytest.importorskip("torch")
    t = torch.nn.Embedding(6, 3, padding_idx=1)
    c = _copy_weights(nn.Embedding(6, 3, padding_idx=1), t, device)
    idx = np.array([[0, 1, 5], [1, 1, 2]])
    cy, ty = _compare(c, t, [idx], device)
    assert type(cy.grad_fn).__name__ == "EmbeddingBackward0"
    assert repr(c) == repr(t)
    assert np.all(nn.Embedding(4, 2, padding_idx=0).weight.detach().numpy()[0] == 0)
    pre = nn.Embedding.from_pretrained(clgrad.ones(3, 2, device=device))
    assert not pre.weight.requires_grad and pre(clgrad.tensor([2], device=device)).shape == (1, 2)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent(cls, device):
    torch = pytest.importorskip("torch")
    kw = dict(num_layers=2, bidirectional=True, batch_first=True)
    t = getattr(torch.nn, cls)(3, 4, **kw)
    c = _copy_weights(getattr(nn, cls)(3, 4, **kw), t, device)
    assert repr(c) == repr(t)
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in t.named_parameters()]
    _compare(c, t, [_f32(2, 5, 3)], device, atol=1e-4, output=lambda r: r[0])
    h = t(torch.tensor(_f32(5, 3)))[1]
    ch = c(clgrad.tensor(_f32(5, 3), device=device))[1]
    assert (ch[0].shape if cls == "LSTM" else ch.shape) == \
        (h[0].shape if cls == "LSTM" else h.shape)


def test_multihead_attention(device):
    torch = pytest.importorskip("torch")
    t = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    c = _copy_weights(nn.MultiheadAttention(8, 2, batch_first=True), t, device)
    q = _f32(2, 3, 8)
    cq = clgrad.tensor(q, device=device, requires_grad=True)
    tq = torch.tensor(q, requires_grad=True)
    cout, cw = c(cq, cq, cq)
    tout, tw = t(tq, tq, tq)
    np.testing.assert_allclose(cout.detach().cpu().numpy(), tout.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(cw.detach().cpu().numpy(), tw.detach().numpy(), atol=1e-5)
    cout.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(cq.grad.cpu().numpy(), tq.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(c.in_proj_weight.grad.cpu().numpy(),
                               t.in_proj_weight.grad.numpy(), atol=1e-4)


def test_transformer_encoder(device):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    t = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    c = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2)
    c = _copy_weights(c, t, device)
    _compare(c, t, [_f32(4, 2, 8)], device, atol=1e-4)


def test_prelu_flatten_unflatten_identity(device):
    torch = pytest.importorskip("torch")
    t = torch.nn.PReLU(3)
    c = _copy_weights(nn.PReLU(3), t, device)
    cy, ty = _compare(c, t, [_f32(2, 3, 4)], device)
    assert type(cy.grad_fn).__name__ == "PreluKernelBackward0"
    x = clgrad.tensor(_f32(2, 3, 4), device=device)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(2, (2, 2))(x).shape == (2, 3, 2, 2)
    assert nn.Identity(5, k=1)(x) is x
    assert repr(nn.Unflatten(1, (3, 1))) == repr(torch.nn.Unflatten(1, (3, 1)))


def test_dropout(device):
    clgrad.manual_seed(0)
    x = clgrad.ones(2000, device=device, requires_grad=True)
    d = nn.Dropout(0.3)
    y = d(x)
    values = y.detach().cpu().numpy()
    assert np.all(np.isclose(values, 0) | np.isclose(values, 1 / 0.7))
    assert abs((values == 0).mean() - 0.3) < 0.05
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), values)
    d.eval()
    assert d(x) is x
    z = nn.Dropout2d(0.5)(clgrad.ones(4, 6, 3, 3, device=device)).cpu().numpy()
    per_channel = z.reshape(4, 6, 9)
    assert np.all((per_channel == 0).all(2) | (per_channel == 2).all(2))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(1.5)
    clgrad.manual_seed(3)
    a = nn.Dropout(0.5)(clgrad.ones(64, device=device)).cpu().numpy()
    clgrad.manual_seed(3)
    b = nn.Dropout(0.5)(clgrad.ones(64)).numpy()
    assert np.array_equal(a, b)  # one Philox stream on every device


@pytest.mark.parametrize("name", ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU",
                                  "SiLU", "Mish", "Sigmoid", "Tanh", "Hardtanh", "Hardsigmoid",
                                  "Hardswish", "Softplus", "Softsign", "Threshold", "Softmax",
                                  "LogSoftmax", "Softmin", "LogSigmoid"])
def test_activation_modules(name, device):
    torch = pytest.importorskip("torch")
    args = {"Threshold": (0.1, 2.0), "Softmax": (1,), "LogSoftmax": (1,),
            "Softmin": (1,)}.get(name, ())
    c, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(c) == repr(t)
    cy, ty = _compare(c, t, [_f32(3, 5) * 3], device)
    assert grad_fn_name(cy) == grad_fn_name(ty)


def test_two_layer_net_trains(device):
    clgrad.manual_seed(0)
    x = clgrad.randn(64, 20, device=device)
    y = clgrad.randn(64, 3, device=device)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    loss_fn = nn.MSELoss(reduction="sum")
    first = None
    for _ in range(60):
        loss = loss_fn(model(x), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with clgrad.no_grad():
            for p in model.parameters():
                p -= 1e-3 * p.grad
    assert loss.item() < 0.5 * first
