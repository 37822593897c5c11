"""bfloat16 as a storage dtype: conversion (round to nearest even), promotion, finfo, printing,
and ops computed in float32 with one rounding per result, on every device."""
import clgrad
import numpy as np
import pytest


def _bits(values):
    """float32 values -> uint16 bf16 bits, rounding to nearest even (written for the test)."""
    values = np.asarray(values, np.float32)
    out = []
    for v in values.reshape(-1):
        u = int(np.array(v).view(np.uint32))
        if (u & 0x7FFFFFFF) > 0x7F800000:
            out.append(0x7FC0)
            continue
        low, high = u & 0xFFFF, u >> 16
        if low > 0x8000 or (low == 0x8000 and high & 1):
            high += 1
        out.append(high & 0xFFFF)
    return np.array(out, np.uint16).reshape(values.shape)


def _widen(bits):
    return (np.asarray(bits, np.uint32) << 16).view(np.float32)


def _interesting_floats():
    rng = np.random.default_rng(0)
    u = rng.integers(0, 2 ** 32, 3000, dtype=np.uint64).astype(np.uint32)
    specials = [0x3F808000, 0x3F818000, 0x3F808001, 0x7F7FFFFF, 0x7F7F8000, 0x00008000,
                0x00018000, 0x00000001, 0x807FFFFF, 0x7F800000, 0xFF800000, 0x80000000, 0,
                0x7FC00001, 0xFFC00000, 0x7F800001]
    return np.concatenate([np.array(specials, np.uint32), u]).view(np.float32)


def test_dtype_attributes_and_finfo():
    b = clgrad.bfloat16
    assert repr(b) == "clgrad.bfloat16"
    assert b.is_floating_point and b.is_signed and b.itemsize == 2
    fi = clgrad.finfo(b)
    assert (fi.bits, fi.eps, fi.tiny, fi.resolution) == (16, 2.0 ** -7, 2.0 ** -126, 0.01)
    assert fi.max == 3.3895313892515355e+38 and fi.min == -fi.max
    assert "dtype=bfloat16" in repr(fi)


def test_promotion():
    b, h, f = clgrad.bfloat16, clgrad.float16, clgrad.float32
    assert clgrad.promote_types(b, h) is f
    assert clgrad.promote_types(h, b) is f
    assert clgrad.promote_types(b, f) is f
    assert clgrad.promote_types(b, clgrad.float64) is clgrad.float64
    assert clgrad.promote_types(b, clgrad.int64) is b
    assert clgrad.promote_types(clgrad.bool, b) is b
    x = clgrad.ones(2, dtype=b)
    assert (x + 1.5).dtype is b
    assert (x + clgrad.ones(2, dtype=h)).dtype is f
    assert (x + clgrad.tensor(2.0)).dtype is b  # 0-dim float32 does not promote


@pytest.mark.parity
def test_promotion_matches_torch():
    torch = pytest.importorskip("torch")
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
             "float32", "float64"]
    for a in names:
        ours = clgrad.promote_types(getattr(clgrad, a), clgrad.bfloat16).name
        assert ours == str(torch.promote_types(getattr(torch, a), torch.bfloat16))[6:], a


def test_conversion_rounds_to_nearest_even(device):
    f = _interesting_floats()
    t = clgrad.tensor(f, device=device).to(clgrad.bfloat16)
    got = np.asarray(t.float().cpu().numpy())
    want = _widen(_bits(f))
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert np.array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))


def test_creation_and_host_reads(device):
    t = clgrad.tensor([1.1, -2.0, 1e-40, float("inf")], dtype=clgrad.bfloat16, device=device)
    assert t.dtype is clgrad.bfloat16 and t.element_size() == 2
    assert t.tolist() == [1.1015625, -2.0, float(_widen(_bits([1e-40]))[0]), float("inf")]
    assert clgrad.tensor(1.1, dtype=clgrad.bfloat16).item() == 1.1015625
    assert clgrad.zeros(3, dtype=clgrad.bfloat16, device=device).tolist() == [0.0] * 3
    assert clgrad.full((2,), 3.3, dtype=clgrad.bfloat16, device=device).tolist() == [3.296875] * 2
    assert clgrad.arange(4, dtype=clgrad.bfloat16, device=device).tolist() == [0, 1, 2, 3]
    assert clgrad.ones(2, device=device).bfloat16().dtype is clgrad.bfloat16


def test_numpy_refuses_bfloat16():
    with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
        clgrad.ones(2, dtype=clgrad.bfloat16).numpy()


def test_transfer_between_devices(cl_device):
    values = [0.1, -3.5, 65504.0, float("nan")]
    a = clgrad.tensor(values, dtype=clgrad.bfloat16)
    b = a.to(cl_device)
    assert b.dtype is clgrad.bfloat16
    back = b.cpu().float().numpy()
    assert np.array_equal(back, a.float().numpy(), equal_nan=True)
    # a strided destination on the device
    c = clgrad.zeros(4, 2, dtype=clgrad.bfloat16, device=cl_device)
    c[:, 1] = clgrad.tensor(values, dtype=clgrad.bfloat16)
    assert np.array_equal(c[:, 1].float().cpu().numpy(), back, equal_nan=True)


def _ref(fn, *arrays):
    """fn in float32 on float32 values, rounded once to bfloat16 (as float32)."""
    with np.errstate(all="ignore"):
        return _widen(_bits(fn(*arrays)))


@pytest.mark.parametrize("name,fn", [
    ("add", lambda a, b: a + b), ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b),
    ("sub", lambda a, b: a - b), ("maximum", np.maximum)])
def test_binary_ops_round_once(device, name, fn):
    rng = np.random.default_rng(1)
    a = _widen(_bits(rng.standard_normal(64).astype(np.float32) * 10))
    b = _widen(_bits(rng.standard_normal(64).astype(np.float32)))
    x = clgrad.tensor(a, device=device).bfloat16()
    y = clgrad.tensor(b, device=device).bfloat16()
    out = getattr(clgrad, name)(x, y)
    assert out.dtype is clgrad.bfloat16
    assert np.array_equal(out.float().cpu().numpy(), _ref(fn, a, b))


@pytest.mark.parametrize("name,fn", [("exp", np.exp), ("sqrt", np.sqrt), ("neg", np.negative),
                                     ("abs", np.abs), ("tanh", np.tanh)])
def test_unary_ops(device, name, fn):
    a = _widen(_bits(np.linspace(0.1, 4, 37, dtype=np.float32)))
    out = getattr(clgrad, name)(clgrad.tensor(a, device=device).bfloat16())
    assert out.dtype is clgrad.bfloat16
    np.testing.assert_allclose(out.float().cpu().numpy(), _ref(fn, a), rtol=2 ** -7)


def test_in_place_and_strided(device):
    a = clgrad.arange(12.0, device=device).reshape(3, 4).bfloat16()
    view = a[:, 1::2]
    view.mul_(1.1)
    want = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    want[:, 1::2] = _ref(lambda v: v * np.float32(1.1), want[:, 1::2]).reshape(3, 2)
    assert np.array_equal(a.float().cpu().numpy(), want)
    t = a.t()
    assert np.array_equal((t + 0).float().cpu().numpy(), want.T)


def test_reductions_and_matmul(device):
    rng = np.random.default_rng(2)
    a = _widen(_bits(rng.standard_normal((5, 6)).astype(np.float32)))
    x = clgrad.tensor(a, device=device).bfloat16()
    s = x.sum(dim=1)
    assert s.dtype is clgrad.bfloat16
    np.testing.assert_allclose(s.float().cpu().numpy(), _ref(lambda v: v.sum(1), a),
                               rtol=2 ** -7, atol=1e-6)
    assert x.max().item() == a.max() and x.argmin().item() == a.argmin()
    m = x @ x.t()
    assert m.dtype is clgrad.bfloat16
    np.testing.assert_allclose(m.float().cpu().numpy(), a @ a.T, rtol=2 ** -6, atol=2e-2)
    assert x.mean().dtype is clgrad.bfloat16


def test_indexing_and_copies(device):
    x = clgrad.arange(10.0, device=device).bfloat16()
    assert x[clgrad.tensor([1, 3, 3], device=device)].tolist() == [1, 3, 3]
    assert x[x > 6].tolist() == [7, 8, 9]
    x[clgrad.tensor([0, 2], device=device)] = 5.5
    assert x[:3].tolist() == [5.5, 1, 5.5]
    y = x.clone()
    y.index_put_((clgrad.tensor([1, 1], device=device),),
                 clgrad.tensor([0.5, 0.25], device=device).bfloat16(), accumulate=True)
    assert y[1].item() == 1.75 and x[1].item() == 1.0
    assert clgrad.cat([x[:2], x[:1]]).tolist() == [5.5, 1, 5.5]


def test_autograd(device):
    x = clgrad.tensor([1.0, 2.0, 3.0], dtype=clgrad.bfloat16, device=device,
                      requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype is clgrad.bfloat16 and x.grad.tolist() == [2, 4, 6]


@pytest.mark.parity
def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for values in ([1 / 3, 2.0], [1 / 3, 100000.0], [1.0, 2.0], [1e-5, 3.0, float("nan")]):
        ours = repr(clgrad.tensor(values, dtype=clgrad.bfloat16))
        theirs = repr(torch.tensor(values, dtype=torch.bfloat16))
        assert ours == theirs.replace("torch.", "clgrad.")


@pytest.mark.parity
def test_values_match_torch(device):
    torch = pytest.importorskip("torch")
    f = _interesting_floats()
    ours = clgrad.tensor(f, device=device).bfloat16().float().cpu().numpy()
    theirs = torch.from_numpy(f.copy()).bfloat16().float().numpy()
    assert np.array_equal(ours, theirs, equal_nan=True)
    rng = np.random.default_rng(3)
    a = rng.standard_normal(50).astype(np.float32)
    b = rng.standard_normal(50).astype(np.float32)
    for op in ("add", "mul", "div", "exp", "sigmoid"):
        args = (a, b) if op in ("add", "mul", "div") else (a,)
        ours = getattr(clgrad, op)(*[clgrad.tensor(v, device=device).bfloat16() for v in args])
        theirs = getattr(torch, op)(*[torch.from_numpy(v).bfloat16() for v in args])
        np.testing.assert_allclose(ours.float().cpu().numpy(), theirs.float().numpy(),
                                   rtol=2 ** -7, atol=0)


def _nn_cases():
    def f(m):
        return m.nn.functional
    w = np.random.default_rng(5).standard_normal((4, 3, 3, 3)).astype(np.float32)
    return {
        "softmax": lambda m, x: f(m).softmax(x, 1),
        "log_softmax": lambda m, x: f(m).log_softmax(x, -1),
        "cross_entropy": lambda m, x: f(m).cross_entropy(
            x.reshape(2, -1)[:, :5], m.tensor([1, 0]).to(x.device)),
        "layer_norm": lambda m, x: f(m).layer_norm(x, (6,)),
        "batch_norm": lambda m, x: f(m).batch_norm(x, None, None, training=True),
        "conv2d": lambda m, x: f(m).conv2d(x, m.tensor(w).to(x.device).to(x.dtype)),
        "max_pool2d": lambda m, x: f(m).max_pool2d(x, 2),
        "avg_pool2d": lambda m, x: f(m).avg_pool2d(x, 2),
        "gelu": lambda m, x: f(m).gelu(x),
        "linear": lambda m, x: f(m).linear(x, m.ones(4, 6, dtype=x.dtype).to(x.device)),
        "sort": lambda m, x: m.sort(x, -1)[0],
        "topk": lambda m, x: m.topk(x, 2)[0],
        "cumsum": lambda m, x: m.cumsum(x, -1),
        "var": lambda m, x: x.var(dim=-1),
        "logsumexp": lambda m, x: m.logsumexp(x, 1),
        "gather": lambda m, x: m.gather(x, 3, m.zeros(2, 3, 6, 2, dtype=m.int64).to(x.device)),
        "where": lambda m, x: m.where(x > 0, x, 0.5),
        "masked_fill": lambda m, x: x.masked_fill(x > 0, 2.0),
        "flip": lambda m, x: x.flip(1),
        "bmm": lambda m, x: m.bmm(x[0], x[1]),
    }


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(_nn_cases()))
def test_more_ops_match_torch(device, name):
    torch = pytest.importorskip("torch")
    fn = _nn_cases()[name]
    a = np.random.default_rng(4).standard_normal((2, 3, 6, 6)).astype(np.float32)
    ours = fn(clgrad, clgrad.tensor(a, device=device).bfloat16())
    theirs = fn(torch, torch.from_numpy(a).bfloat16())
    assert ours.dtype is clgrad.bfloat16 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.float().cpu().numpy(), theirs.float().numpy(),
                               rtol=2 ** -6, atol=2e-2)


def test_random_and_optimizer(device):
    clgrad.manual_seed(0)
    r = clgrad.randn(1000, dtype=clgrad.bfloat16, device=device)
    assert r.dtype is clgrad.bfloat16 and abs(r.float().mean().item()) < 0.15
    u = clgrad.rand(1000, dtype=clgrad.bfloat16, device=device).float()
    assert 0 <= u.min().item() and u.max().item() <= 1
    p = clgrad.nn.Parameter(clgrad.ones(4, dtype=clgrad.bfloat16, device=device))
    opt = clgrad.optim.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    assert p.dtype is clgrad.bfloat16 and p.tolist() == [0.80078125] * 4  # 0.8 rounded


def test_save_load_round_trip(device, tmp_path):
    t = clgrad.tensor([1.5, -2.25, 1 / 3, float("inf")], dtype=clgrad.bfloat16, device=device)
    clgrad.save({"w": t}, tmp_path / "w.pt")
    back = clgrad.load(tmp_path / "w.pt", map_location=device)["w"]
    assert back.dtype is clgrad.bfloat16 and back.device == t.device
    assert back.tolist() == t.tolist()


@pytest.mark.parity
def test_checkpoints_interchange_with_torch(tmp_path):
    torch = pytest.importorskip("torch")
    values = [1.5, -2.25, 1 / 3, 1e-39]
    torch.save(torch.tensor(values, dtype=torch.bfloat16), tmp_path / "t.pt")
    ours = clgrad.load(tmp_path / "t.pt")
    assert ours.dtype is clgrad.bfloat16
    assert ours.tolist() == torch.tensor(values, dtype=torch.bfloat16).tolist()
    clgrad.save(ours, tmp_path / "c.pt")
    theirs = torch.load(tmp_path / "c.pt")
    assert theirs.dtype is torch.bfloat16 and theirs.tolist() == ours.tolist()
