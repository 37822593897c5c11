"""nn.functional extras, softmax numerics, double backward, nn.init and nn.utils."""
import math

import numpy as np
import pytest

import clgrad
import clgrad.nn as nn
import clgrad.nn.functional as F
from clgrad.autograd import gradcheck, gradgradcheck
from helpers import skip_without_fp64

RNG = np.random.default_rng(2)


def _x(device, *shape, grad=True):
    return clgrad.tensor(RNG.standard_normal(shape), device=device, requires_grad=grad)


def test_softmax_numpy_reference_and_stability(device):
    a = np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]], dtype=np.float32)
    x = clgrad.tensor(a, device=device)
    ref = np.exp(a - a.max(1, keepdims=True))
    ref /= ref.sum(1, keepdims=True)
    np.testing.assert_allclose(F.softmax(x, 1).cpu().numpy(), ref, rtol=1e-5)
    np.testing.assert_allclose(F.log_softmax(x, 1).cpu().numpy(), np.log(ref), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(F.softmax(x, 0).cpu().numpy().sum(0), np.ones(3), rtol=1e-6)
    strided = clgrad.tensor(a, device=device).t()
    np.testing.assert_allclose(F.softmax(strided, 0).cpu().numpy(), ref.T, rtol=1e-5)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.softmax(clgrad.tensor([1, 2], device=device), 0)
    assert F.softmax(clgrad.tensor([1, 2], device=device), 0, dtype=clgrad.float32).dtype is \
        clgrad.float32


@pytest.mark.parametrize("fn", [
    lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, 0), F.gelu, F.silu, F.mish,
    F.elu, F.softplus, F.logsigmoid, lambda x: F.gelu(x, approximate="tanh"),
    lambda x, t: F.mse_loss(x, t), lambda x, t: F.smooth_l1_loss(x, t, beta=0.5),
    lambda x, t: F.huber_loss(x, t, delta=0.3),
    lambda x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid()),
    lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()),
])
def test_gradcheck_and_double_backward(fn, device):
    skip_without_fp64(device)
    x = _x(device, 3, 4)
    if fn.__name__ == "<lambda>" and fn.__code__.co_argcount == 2:
        target = _x(device, 3, 4, grad=False)
        fn = (lambda f: lambda v: f(v, target))(fn)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_cross_entropy_gradcheck(device):
    skip_without_fp64(device)
    x = _x(device, 4, 3)
    t = clgrad.tensor([0, 2, 1, -100], device=device)
    w = clgrad.tensor([0.2, 1.0, 3.0], dtype=clgrad.float64, device=device)
    assert gradcheck(lambda v: F.cross_entropy(v, t, weight=w), (x,))
    assert gradcheck(lambda v: F.nll_loss(v, t, reduction="none"), (x,))


def test_inplace_activations(device):
    x = _x(device, 5, grad=False)
    ref = np.maximum(x.cpu().numpy(), 0)
    out = F.relu(x, inplace=True)
    assert out is x
    np.testing.assert_allclose(x.cpu().numpy(), ref)
    leaf = _x(device, 3)
    y = leaf * 1
    F.relu_(y)
    assert type(y.grad_fn).__name__ == "ReluBackward0"
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu_(leaf)
    ints = clgrad.tensor([-2, 3], device=device)
    assert F.relu(ints).tolist() == [0, 3] and F.relu(ints).dtype is clgrad.int64


def test_misc_functions_match_torch(device):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    a, b = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    ca, cb = clgrad.tensor(a, device=device), clgrad.tensor(b, device=device)
    ta, tb = torch.tensor(a), torch.tensor(b)
    for cf, tfn in [(F.normalize(ca), tf.normalize(ta)),
                    (F.normalize(ca, p=1, dim=0), tf.normalize(ta, p=1, dim=0)),
                    (F.cosine_similarity(ca, cb), tf.cosine_similarity(ta, tb)),
                    (F.pairwise_distance(ca, cb), tf.pairwise_distance(ta, tb)),
                    (F.pairwise_distance(ca, cb, p=1, keepdim=True),
                     tf.pairwise_distance(ta, tb, p=1, keepdim=True))]:
        np.testing.assert_allclose(cf.cpu().numpy(), tfn.numpy(), rtol=1e-6, atol=1e-9)
    idx = clgrad.tensor([0, 2, 1], device=device)
    assert F.one_hot(idx).tolist() == tf.one_hot(torch.tensor([0, 2, 1])).tolist()
    assert F.one_hot(idx, 4).shape == (3, 4)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(idx, 2)
    q, k, v = (RNG.standard_normal((2, 3, 4)) for _ in range(3))
    mask = np.array([[True, False, True], [True, True, False], [False, True, True]])
    for kw, tkw in [({}, {}), ({"is_causal": True}, {"is_causal": True}),
                    ({"attn_mask": clgrad.tensor(mask, device=device)},
                     {"attn_mask": torch.tensor(mask)})]:
        cy = F.scaled_dot_product_attention(*(clgrad.tensor(t, device=device) for t in (q, k, v)),
                                            **kw)
        ty = tf.scaled_dot_product_attention(*(torch.tensor(t) for t in (q, k, v)), **tkw)
        np.testing.assert_allclose(cy.cpu().numpy(), ty.numpy(), rtol=1e-6, atol=1e-9)
    w = RNG.standard_normal((3, 5))
    np.testing.assert_allclose(
        F.linear(ca, clgrad.tensor(w, device=device)).cpu().numpy(),
        tf.linear(ta, torch.tensor(w)).numpy(), rtol=1e-6)
    emb = F.embedding(clgrad.tensor([[1, 0]], device=device), ca)
    assert emb.shape == (1, 2, 5)
    np.testing.assert_allclose(emb.cpu().numpy()[0], a[[1, 0]])


def test_init_functions(device):
    clgrad.manual_seed(0)
    w = clgrad.empty(200, 100, device=device)
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(100)
    values = w.cpu().numpy()
    assert values.max() <= bound and values.min() >= -bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.01 * bound * 10
    nn.init.xavier_normal_(w)
    assert abs(w.cpu().numpy().std() - math.sqrt(2 / 300)) < 0.01
    nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert np.abs(w.cpu().numpy()).max() <= 0.5
    nn.init.constant_(w, 0.3)
    assert np.all(w.cpu().numpy() == np.float32(0.3))
    nn.init.zeros_(w)
    nn.init.ones_(w)
    assert w.cpu().numpy().min() == 1
    e = clgrad.empty(3, 4, device=device)
    nn.init.eye_(e)
    assert np.array_equal(e.cpu().numpy(), np.eye(3, 4))
    o = clgrad.empty(4, 6, device=device)
    nn.init.orthogonal_(o)
    np.testing.assert_allclose(o.cpu().numpy() @ o.cpu().numpy().T, np.eye(4), atol=1e-5)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert nn.init.calculate_gain("tanh") == 5 / 3
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        nn.init.xavier_uniform_(clgrad.empty(3))
    p = nn.Parameter(clgrad.empty(2, 2, device=device))
    nn.init.normal_(p)  # under no_grad: a leaf requiring grad may be initialised
    assert p.requires_grad and p.is_leaf


def test_clip_grad_and_vectors(device):
    torch = pytest.importorskip("torch")
    grads = [RNG.standard_normal((3, 2)), RNG.standard_normal(4)]
    cps = [clgrad.zeros(g.shape, dtype=clgrad.float64, device=device, requires_grad=True)
           for g in grads]
    tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for cp, tp, g in zip(cps, tps, grads):
        cp.grad = clgrad.tensor(g, device=device)
        tp.grad = torch.tensor(g)
    cn = nn.utils.clip_grad_norm_(cps, 1.0)
    tn = torch.nn.utils.clip_grad_norm_(tps, 1.0)
    assert cn.item() == pytest.approx(tn.item())
    for cp, tp in zip(cps, tps):
        np.testing.assert_allclose(cp.grad.cpu().numpy(), tp.grad.numpy(), rtol=1e-6)
    nn.utils.clip_grad_norm_(cps, 0.5, norm_type=1.0)
    torch.nn.utils.clip_grad_norm_(tps, 0.5, norm_type=1.0)
    nn.utils.clip_grad_value_(cps, 0.05)
    torch.nn.utils.clip_grad_value_(tps, 0.05)
    for cp, tp in zip(cps, tps):
        np.testing.assert_allclose(cp.grad.cpu().numpy(), tp.grad.numpy(), rtol=1e-6)
    vec = nn.utils.parameters_to_vector(cps)
    assert vec.shape == (10,)
    nn.utils.vector_to_parameters(clgrad.arange(10, dtype=clgrad.float64, device=device), cps)
    assert cps[1].tolist() == [6.0, 7.0, 8.0, 9.0]


def test_sdpa_kernel_accepts_backends_and_runs_the_one_implementation(device):
    from clgrad.nn.attention import SDPBackend, sdpa_kernel
    q = clgrad.randn(1, 2, 4, 8, device=device)
    want = clgrad.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
        got = clgrad.nn.functional.scaled_dot_product_attention(q, q, q)
    assert clgrad.equal(got, want)
    with pytest.raises(AssertionError, match="must be an instance of SDPBackend"):
        with sdpa_kernel("math"):
            pass
