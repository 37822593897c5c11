"""Transformer, TransformerDecoderLayer, TransformerDecoder against PyTorch and by hand."""
import numpy as np
import pytest

import clgrad
from helpers import to_numpy


def test_square_subsequent_mask(device):
    mask = clgrad.nn.Transformer.generate_square_subsequent_mask(3, device=device)
    want = np.array([[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]], np.float32)
    np.testing.assert_array_equal(to_numpy(mask), want)
    assert mask.dtype == clgrad.float32


def test_decoder_layer_structure():
    layer = clgrad.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    names = [n for n, _ in layer.named_children()]
    assert names == ["self_attn", "multihead_attn", "linear1", "dropout", "linear2", "norm1",
                     "norm2", "norm3", "dropout1", "dropout2", "dropout3"]
    dec = clgrad.nn.TransformerDecoder(layer, 2, norm=clgrad.nn.LayerNorm(8))
    keys = list(dec.state_dict())
    assert keys[0] == "layers.0.self_attn.in_proj_weight" and keys[-1] == "norm.bias"
    assert dec.layers[0] is not layer and dec.num_layers == 2


def test_transformer_errors():
    model = clgrad.nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(clgrad.randn(3, 2, 8), clgrad.randn(3, 4, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal "
                                           "to d_model"):
        model(clgrad.randn(3, 2, 6), clgrad.randn(3, 2, 6))


def test_transformer_init_is_xavier():
    model = clgrad.nn.Transformer(8, 2, 1, 1, 16)
    w = to_numpy(model.encoder.layers[0].linear1.weight)
    assert np.abs(w).max() <= np.sqrt(6 / (8 + 16)) + 1e-6


def test_decoder_layer_gradcheck():
    clgrad.manual_seed(0)
    layer = clgrad.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, dtype=clgrad.float64)
    tgt = clgrad.randn(3, 1, 4, dtype=clgrad.float64, requires_grad=True)
    mem = clgrad.randn(2, 1, 4, dtype=clgrad.float64, requires_grad=True)
    mask = clgrad.nn.Transformer.generate_square_subsequent_mask(3, dtype=clgrad.float64)
    assert clgrad.autograd.gradcheck(lambda t, m: layer(t, m, tgt_mask=mask), (tgt, mem))


def test_causal_mask_hides_the_future(device):
    clgrad.manual_seed(0)
    dec = clgrad.nn.TransformerDecoder(
        clgrad.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, device=device), 2)
    tgt = clgrad.randn(4, 1, 8, device=device)
    mem = clgrad.randn(3, 1, 8, device=device)
    mask = clgrad.nn.Transformer.generate_square_subsequent_mask(4, device=device)
    full = dec(tgt, mem, tgt_mask=mask)
    changed = tgt.clone()
    changed[3] = 5.0
    again = dec(changed, mem, tgt_mask=mask)
    np.testing.assert_allclose(to_numpy(full)[:3], to_numpy(again)[:3], rtol=1e-5, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(device, norm_first, batch_first):
    torch = pytest.importorskip("torch")
    import warnings
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, norm_first=norm_first,
                                  batch_first=batch_first)
    cm = clgrad.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, norm_first=norm_first,
                               batch_first=batch_first, device=device)
    assert list(cm.state_dict()) == list(tm.state_dict())
    cm.load_state_dict({k: clgrad.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    rng = np.random.default_rng(0)
    src = rng.standard_normal((3, 5, 8) if batch_first else (5, 3, 8)).astype(np.float32)
    tgt = rng.standard_normal((3, 4, 8) if batch_first else (4, 3, 8)).astype(np.float32)
    pad = np.zeros((3, 5), bool)
    pad[0, -1] = True
    tpad = np.zeros((3, 4), bool)
    tpad[1, -1] = True
    ts = torch.tensor(src, requires_grad=True)
    cs = clgrad.tensor(src, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to = tm(ts, torch.tensor(tgt), tgt_mask=tm.generate_square_subsequent_mask(4),
                src_key_padding_mask=torch.tensor(pad),
                memory_key_padding_mask=torch.tensor(pad),
                tgt_key_padding_mask=torch.tensor(tpad))
    co = cm(cs, clgrad.tensor(tgt, device=device),
            tgt_mask=cm.generate_square_subsequent_mask(4, device=device),
            src_key_padding_mask=clgrad.tensor(pad, device=device),
            memory_key_padding_mask=clgrad.tensor(pad, device=device),
            tgt_key_padding_mask=clgrad.tensor(tpad, device=device))
    np.testing.assert_allclose(to_numpy(co), to.detach().numpy(), rtol=1e-4, atol=1e-5)
    (to ** 2).sum().backward()
    (co ** 2).sum().backward()
    np.testing.assert_allclose(to_numpy(cs.grad), ts.grad.numpy(), rtol=1e-3, atol=1e-5)
    assert repr(cm.decoder.layers[0]) == repr(tm.decoder.layers[0])
