"""clgrad.func.vmap with batching rules, against torch.func.vmap, on every device.

Most cases run with vmap's STRICT flag set: an exception in the batched run is raised instead of
rerunning the function as a per-sample loop, so each case proves that its ops really batch."""
import numpy as np
import pytest

import clgrad
from clgrad.func import _vmap
from helpers import to_numpy

torch = pytest.importorskip("torch")
F = clgrad.nn.functional
TF = torch.nn.functional


@pytest.fixture
def strict():
    _vmap.STRICT[0] = True
    loops = _vmap.STATS["loop"]
    yield
    if _vmap.STRICT[0]:  # (a test that turns it off checks the loop on purpose)
        assert _vmap.STATS["loop"] == loops
    _vmap.STRICT[0] = False


def _data(*shape, seed=0):
    return np.random.default_rng(seed + len(shape)).standard_normal(shape)


def _pair(a, device, dtype=None):
    c = clgrad.tensor(a, device=device)
    t = torch.tensor(a)
    if dtype is not None:
        c, t = c.to(getattr(clgrad, dtype)), t.to(getattr(torch, dtype))
    return c, t


def _same(c, t, rtol=1e-6, atol=1e-9):
    if t is None:
        assert c is None
        return
    if isinstance(t, (tuple, list)):
        assert len(c) == len(t)
        for a, b in zip(c, t):
            _same(a, b, rtol, atol)
        return
    if isinstance(t, dict):
        for k in t:
            _same(c[k], t[k], rtol, atol)
        return
    assert tuple(c.shape) == tuple(t.shape)
    assert str(c.dtype) == str(t.dtype).replace("torch", "clgrad")
    np.testing.assert_allclose(to_numpy(c), t.detach().numpy(), rtol=rtol, atol=atol)


def _check(fn, arrays, device, in_dims=0, out_dims=0, rtol=1e-6, **kw):
    """vmap(fn) over clgrad and torch tensors of `arrays`; fn(m, f, *args) gets the module
    (clgrad or torch) and its nn.functional."""
    cs, ts = zip(*[_pair(a, device) if isinstance(a, np.ndarray) else (a, a) for a in arrays])
    c = clgrad.func.vmap(lambda *a: fn(clgrad, F, *a), in_dims=in_dims, out_dims=out_dims,
                         **kw)(*cs)
    t = torch.func.vmap(lambda *a: fn(torch, TF, *a), in_dims=in_dims, out_dims=out_dims,
                        **kw)(*ts)
    _same(c, t, rtol=rtol)


# -- pointwise ----------------------------------------------------------------------------------
POINTWISE = [
    lambda m, f, x, y: x.exp() * 2 + y,
    lambda m, f, x, y: m.sin(x) - m.cos(y) / 3,
    lambda m, f, x, y: (x.abs() + 1).log() ** y.tanh(),
    lambda m, f, x, y: m.where(x > y, x, y * 0.5),
    lambda m, f, x, y: m.addcmul(x, y, x, value=0.5),
    lambda m, f, x, y: m.lerp(x, y, 0.25) + m.maximum(x, y) - m.atan2(x, y),
    lambda m, f, x, y: x.clamp(min=-0.5, max=0.5) + x.clamp(y * 0 - 1.0, y.abs()),
    lambda m, f, x, y: (x < y, x == y, x >= 0, ~(x > 0), (x > 0) & (y > 0), m.isfinite(x)),
    lambda m, f, x, y: (x.sigmoid(), x.sign(), x.square(), -x, 1 - x, 2 / (x.abs() + 1), x // 1,
                        x % 0.5, 3 ** x.tanh(), x.floor(), x.round(), m.hypot(x, y)),
    lambda m, f, x, y: x.to(m.int64) * 3 + y.to(m.int32),
    lambda m, f, x, y: x.clone().add_(y).mul_(2).clamp_(-1, 1),
    lambda m, f, x, y: _iadd(x.clone(), y),
]


def _iadd(x, y):
    x += y
    x *= 3
    return x


@pytest.mark.parametrize("k", range(len(POINTWISE)))
def test_pointwise(device, strict, k):
    x, y = _data(4, 3, 5), _data(4, 3, 5, seed=1)
    _check(POINTWISE[k], [x, y], device)
    # a batched operand of lower logical rank, and unbatched operands
    _check(POINTWISE[k], [x, y[:, 0]], device)
    _check(POINTWISE[k], [x, y[0, 0]], device, in_dims=(0, None))
    if k < 10:  # (in-place into the unbatched x is an error in PyTorch)
        _check(POINTWISE[k], [x[0], y.transpose(1, 0, 2)], device, in_dims=(None, 1))


def test_pointwise_logical_scalars_and_promotion(device, strict):
    a = _data(5)
    _check(lambda m, f, x, y: x * y, [a, np.arange(15.0).reshape(5, 3)], device)
    _check(lambda m, f, x, y: x + y, [a, np.arange(3)], device, in_dims=(0, None))
    # a logical 0-dim float64 tensor does not promote a float32 one
    cx = clgrad.tensor(a, device=device)
    cy = clgrad.ones(5, 3, dtype=clgrad.float32, device=device)
    out = clgrad.func.vmap(lambda x, y: x * y)(cx, cy)
    tout = torch.func.vmap(lambda x, y: x * y)(torch.tensor(a), torch.ones(5, 3))
    _same(out, tout)


# -- reductions --------------------------------------------------------------------------------
REDUCTIONS = [
    lambda m, f, x: (x.sum(), x.sum(1), x.sum((0, 1)), x.sum(-1, keepdim=True), m.sum(x, 0)),
    lambda m, f, x: (x.mean(), x.mean(0), x.mean((0, 1), keepdim=True)),
    lambda m, f, x: (x.amax(1), x.amin((0, 1)), x.amax(-1, keepdim=True)),
    lambda m, f, x: (x.max(), x.min(), x.max(1), x.min(0, keepdim=True), m.max(x, 1).indices),
    lambda m, f, x: (x.prod(1), x.prod(), x.var(0), x.std(1, keepdim=True), x.var(),
                     x.var(1, correction=0), x.std()),
    lambda m, f, x: (x.logsumexp(-1), x.logsumexp((0, 1)), x.norm(), x.norm(dim=1),
                     x.norm(1, dim=(0, 1)), x.norm(keepdim=True)),
    lambda m, f, x: (x.argmax(), x.argmin(1), x.argmin(0, True)),
    lambda m, f, x: ((x > 0).all(), (x > 0).any(1), (x > 0).all((0, 1)), m.any(x > 1, 0)),
]


@pytest.mark.parametrize("k", range(len(REDUCTIONS)))
def test_reductions(device, strict, k):
    _check(REDUCTIONS[k], [_data(4, 3, 5)], device, rtol=1e-5)
    _check(REDUCTIONS[k], [_data(3, 5, 4)], device, in_dims=2, rtol=1e-5)


def test_argmax_keepdim_without_dim_is_per_sample(device, strict):
    # torch.func.vmap gives (4, 1) here, unlike its per-sample answer; clgrad keeps the latter
    c, t = _pair(_data(4, 3, 5), device)
    _same(clgrad.func.vmap(lambda r: r.argmax(keepdim=True))(c),
          torch.stack([r.argmax(keepdim=True) for r in t]))


def test_reductions_of_logical_scalars(device, strict):
    _check(lambda m, f, x: (x.sum(), x.mean(0), x.amax(), x.max(), x.argmax(), x.prod(),
                            x.sum(-1, keepdim=True), x.softmax(0), x.logsumexp(0)),
           [_data(6)], device)


# -- softmax and activations -----------------------------------------------------------------
def test_softmax_and_activations(device, strict):
    x = _data(4, 3, 5)
    _check(lambda m, f, a: (a.softmax(-1), a.log_softmax(0), f.softmax(a, 1), f.log_softmax(a, -1),
                            f.softmin(a, 0), m.softmax(a, 1), m.log_softmax(a, dim=0)), [x], device,
           rtol=1e-5)
    names = ["relu", "relu6", "elu", "selu", "celu", "leaky_relu", "gelu", "silu", "mish",
             "sigmoid", "tanh", "hardsigmoid", "hardswish", "softplus", "logsigmoid",
             "hardshrink", "softshrink", "softsign", "tanhshrink", "hardtanh"]
    _check(lambda m, f, a: tuple(getattr(f, n)(a) for n in names), [x], device, rtol=1e-5)
    _check(lambda m, f, a: (f.gelu(a, approximate="tanh"), f.leaky_relu(a, 0.2),
                            f.threshold(a, 0.1, -2.0), f.relu(a.clone(), inplace=True),
                            f.elu(a, alpha=0.5)), [x], device, rtol=1e-5)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        _check(lambda m, f, a: f.softmax(a), [x], device)


def test_layer_norm_embedding_normalize_losses(device, strict):
    x, w, b, t = _data(4, 3, 5), _data(5), _data(5, seed=3), _data(4, 3, 5, seed=4)
    _check(lambda m, f, a, ww, bb: (f.layer_norm(a, (5,), ww, bb), f.layer_norm(a, (3, 5)),
                                    f.normalize(a), f.normalize(a, p=1.0, dim=-1)),
           [x, w, b], device, in_dims=(0, None, None), rtol=1e-5)
    _check(lambda m, f, a, tt: (f.mse_loss(a, tt), f.l1_loss(a, tt, reduction="sum"),
                                f.mse_loss(a, tt, reduction="none")), [x, t], device)
    _check(lambda m, f, a, tt: f.mse_loss(a, tt), [x, t[0]], device, in_dims=(0, None))
    table = _data(10, 4)
    idx = np.array([[1, 2, 9], [0, 0, 3], [5, 6, 7], [8, 8, 8]])
    ct, tt = _pair(table, device)
    got = clgrad.func.vmap(lambda i: F.embedding(i, ct))(clgrad.tensor(idx, device=device))
    want = torch.func.vmap(lambda i: TF.embedding(i, tt))(torch.tensor(idx))
    _same(got, want)


# -- matmul family -------------------------------------------------------------------------------
def test_matmul_family(device, strict):
    x, y, w, v = _data(4, 3, 5), _data(4, 5), _data(5, 2), _data(4, 5, 3)
    both = lambda m, f, a, b: (a @ b, m.matmul(b, a.transpose(0, 1)), b @ b, a.matmul(b),  # noqa
                               m.dot(b, b), m.mv(a, b), m.mm(a, a.t()), a[0] @ a.t())
    _check(both, [x, y], device)
    _check(lambda m, f, a, b: (a @ b, m.bmm(a.unsqueeze(0), b.unsqueeze(0)), m.mm(a, b)),
           [x, v], device)
    _check(lambda m, f, a, b: (a @ b, a[0] @ b, m.mm(a, b)), [x, w], device,
           in_dims=(0, None))
    _check(lambda m, f, b, a: (b.t() @ a[0], m.mm(b.t(), a.transpose(0, 1)), a[0] @ b,
                               m.mv(b.t(), a[0]), m.dot(a[0], a[1]), b[:, 0] @ a.t(),
                               b[:, 0] @ b), [w, x], device, in_dims=(None, 0))
    # F.linear: batched input (one launch) and per-sample weights (model ensembles)
    _check(lambda m, f, a, b: f.linear(a, b.t(), b[0]), [x, w], device, in_dims=(0, None))
    _check(lambda m, f, b, a: (f.linear(a, b, b[:, 0]), f.linear(a[0], b)),
           [_data(4, 3, 5), x[0]], device, in_dims=(0, None))


# -- shape ops -----------------------------------------------------------------------------------
SHAPE = [
    lambda m, f, x, y: (x.view(15), x.view(-1, 3), x.reshape(5, 3), m.reshape(x, (15,)),
                        x.view_as(x.reshape(15)), x.reshape_as(x.t())),
    lambda m, f, x, y: (x.permute(1, 0), x.transpose(0, 1), x.t(), x.T, x.mT, m.t(x),
                        m.transpose(x, -1, -2), x.swapaxes(0, 1), x.movedim(0, 1)),
    lambda m, f, x, y: (x.unsqueeze(1), x.unsqueeze(-1).squeeze(), x[:, :1].squeeze(1),
                        m.unsqueeze(x, 0).squeeze(0), x.flatten(), m.flatten(x, 0, 1),
                        x.unflatten(1, (5, 1))),
    lambda m, f, x, y: (x.expand(2, 3, 5), x[:, :1].expand(3, 4), x.expand_as(x),
                        y.expand(3, 5), x.repeat(2, 1), x.flip(0), x.flip((0, 1))),
    lambda m, f, x, y: (x[1], x[:, 2:], x[None, ..., 1], x[-1, ::2], x[..., None], x[0, 0],
                        x.narrow(1, 1, 2), x.select(1, 0), m.select(x, 0, -1)),
    lambda m, f, x, y: (m.cat([x, x], 1), m.cat([x, y[None]], 0), m.stack([x, x], -1),
                        m.stack([y, y]), m.concat([x, x]), m.stack([x, x], 1)),
    lambda m, f, x, y: (x.contiguous(), x.clone(), x.to(m.float32), x.float(), x.long(),
                        x.type_as(y.to(m.float32)), x.unbind(1), x.chunk(2, 1), x.split(2, 1)),
]


@pytest.mark.parametrize("k", range(len(SHAPE)))
def test_shape_ops(device, strict, k):
    _check(SHAPE[k], [_data(4, 3, 5), _data(4, 5)], device)
    if k:  # (a view of the non-contiguous samples is an error, as in PyTorch)
        _check(SHAPE[k], [_data(3, 4, 5), _data(5, 4)], device, in_dims=(1, -1))


def test_cat_stack_with_unbatched_and_setitem(device, strict):
    _check(lambda m, f, x, y: (m.cat([x, y[None]], 0), m.stack([y, x[0]], 1)),
           [_data(4, 3, 5), _data(5)], device, in_dims=(0, None))

    def put(m, f, x, y):
        x = x.clone()
        x[0] = y
        x[1, 2:] = 3.0
        x[2, :2] = y[:2]
        return x
    _check(put, [_data(4, 3, 5), _data(4, 5)], device)
    _check(put, [_data(4, 3, 5), _data(5)], device, in_dims=(0, None))


# -- nesting, dims, chunks -------------------------------------------------------------------------
def test_nested_and_dims(device, strict):
    x, y = _data(4, 3, 5), _data(4, 5)
    for m, f in ((clgrad, F), (torch, TF)):
        pass
    cases = [
        (lambda V: V(V(lambda r: (r * 2).sum())), [x], {}),
        (lambda V: V(lambda a: V(lambda b: a * b)(a)), [y], {}),
        (lambda V: V(lambda a, b: V(lambda c: (a * c).sum() + b)(a), in_dims=(0, None)),
         [y, np.array(2.0)], {}),
        (lambda V: V(V(lambda a, b: a @ b, in_dims=(0, None)), in_dims=(None, 0)),
         [x[0], y], {}),
        (lambda V: V(lambda a: V(lambda b: b.softmax(0) + a.sum(), in_dims=1)(a)), [x], {}),
        (lambda V: V(lambda a, b: (a.sum(), a * b), in_dims=(1, 0), out_dims=(0, 1)),
         [x.transpose(1, 0, 2), y], {}),
        (lambda V: V(lambda a: a.t(), in_dims=-1, out_dims=-1), [x], {}),
        (lambda V: V(lambda d: {"s": d["a"] + d["b"][0], "p": d["a"] * 2},
                     in_dims=({"a": 0, "b": None},)), [{"a": y, "b": x}], {}),
        (lambda V: V(lambda a, t: (a * t[0] + t[1]), in_dims=(0, (0, None))),
         [y, (y, x[0, 0])], {}),
        (lambda V: V(lambda a: a.sum(0), chunk_size=3), [x], {}),
        (lambda V: V(lambda a: (a * 2, a.sum()), out_dims=(1, None), chunk_size=2),
         [y[:, :1].repeat(1, 1)], {}),
    ]
    for make, arrays, _ in cases:
        cs = [_tree(a, lambda v: clgrad.tensor(v, device=device)) for a in arrays]
        ts = [_tree(a, torch.tensor) for a in arrays]
        if make is cases[-1][0]:
            continue  # out_dims=None of a batched output: an error, below
        _same(make(clgrad.func.vmap)(*cs), make(torch.func.vmap)(*ts))
    c = clgrad.tensor(y, device=device)
    with pytest.raises(ValueError, match="can not return a BatchedTensor"):
        _vmap.STRICT[0] = False
        clgrad.func.vmap(lambda a: a * 2, out_dims=None)(c)
    _vmap.STRICT[0] = True
    with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
        clgrad.func.vmap(lambda a: a, chunk_size=0)(c)
    # an unbatched output is expanded over the batch
    out = clgrad.func.vmap(lambda a: clgrad.ones(2, device=device))(c)
    assert tuple(out.shape) == (4, 2) and out.tolist() == [[1.0, 1.0]] * 4


def _tree(a, fn):
    if isinstance(a, dict):
        return {k: _tree(v, fn) for k, v in a.items()}
    if isinstance(a, tuple):
        return tuple(_tree(v, fn) for v in a)
    return fn(a)


# -- fallbacks -----------------------------------------------------------------------------------
def test_per_op_fallback(device, strict):
    before = _vmap.STATS["op_fallback"]
    x = _data(4, 3, 5)
    _check(lambda m, f, a: (a.sort(-1).values, m.cumsum(a, 1), a.sort(0).indices,
                            m.triu(a), a.kthvalue(2, 1).values), [x], device)
    _check(lambda m, f, a, w: f.conv1d(a.unsqueeze(0), w), [x, _data(2, 3, 2)], device,
           in_dims=(0, None), rtol=1e-5)
    assert _vmap.STATS["op_fallback"] > before


def test_whole_function_loop(device):
    """What cannot run on batched tensors still gives the per-sample answer."""
    x = _data(4, 3)
    c, t = _pair(x, device)
    loops = _vmap.STATS["loop"]
    out = clgrad.func.vmap(lambda r: r * float(r.sum()))(c)  # a host read per sample
    _same(out, torch.stack([r * float(r.sum()) for r in t]))
    ok = clgrad.func.vmap(lambda r: r * (2 if bool(r.sum() > -100) else 3))(c)
    _same(ok, t * 2)  # the same Python value in every sample: stays batched
    acc = clgrad.zeros(3, dtype=clgrad.float64, device=device)

    def into_unbatched(r):
        acc.add_(r)  # in-place into an unbatched tensor: the loop's answer
        return acc.clone()
    _same(clgrad.func.vmap(into_unbatched)(c), torch.cumsum(t, 0))
    assert _vmap.STATS["loop"] == loops + 2
    # written into its input, then unbatchable: a rerun would write twice, so it raises
    before = to_numpy(c).copy()

    def writes_then_reads(r):
        r.mul_(2)
        return r * float(r.sum())
    with pytest.raises(RuntimeError, match="wrote into its inputs"):
        clgrad.func.vmap(writes_then_reads)(c)
    np.testing.assert_allclose(to_numpy(c), before * 2)


# -- autograd ------------------------------------------------------------------------------------
def test_gradients_through(device, strict):
    x, w0 = _data(4, 3), _data(3, 2)
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    cw = clgrad.tensor(w0, device=device, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    for m, f, a, w in ((clgrad, F, cx, cw), (torch, TF, tx, tw)):
        out = m.func.vmap(lambda r: (f.softmax(r @ w, -1) * r[:2]).sum() + r.exp().mean())(a)
        (out * m.arange(4.0, dtype=out.dtype, device=out.device)).sum().backward()
    _same(cx.grad, tx.grad)
    _same(cw.grad, tw.grad)
    # vmap of grad, grad of vmap, jacrev and hessian of vmapped functions
    f = lambda m: lambda r: (r.sin() * r).sum()  # noqa
    cx, tx = _pair(x, device)
    for make in (lambda m: m.func.vmap(m.func.grad(f(m))),
                 lambda m: m.func.grad(lambda a: m.func.vmap(f(m))(a).sum()),
                 lambda m: m.func.vmap(m.func.jacrev(lambda r: r.exp() * r.sum())),
                 lambda m: m.func.vmap(m.func.hessian(f(m))),
                 lambda m: m.func.jacrev(m.func.vmap(lambda r: r.exp() * r.sum()))):
        _same(make(clgrad)(cx), make(torch)(tx))


def test_gradients_match_finite_differences(device):
    from helpers import skip_without_fp64
    skip_without_fp64(device)
    x = clgrad.tensor(_data(3, 4), device=device, requires_grad=True)
    w = clgrad.tensor(_data(4, 2), device=device)

    def f(a):
        return clgrad.func.vmap(lambda r: F.gelu(r @ w).logsumexp(0) * r.norm())(a).sum()
    f(x).backward()
    xs = to_numpy(x)
    eps = 1e-6
    for i in range(3):
        for j in range(4):
            e = np.zeros_like(xs)
            e[i, j] = eps
            hi = float(f(clgrad.tensor(xs + e, device=device)))
            lo = float(f(clgrad.tensor(xs - e, device=device)))
            np.testing.assert_allclose(to_numpy(x.grad)[i, j], (hi - lo) / (2 * eps), rtol=1e-6)


# -- randomness ------------------------------------------------------------------------------------
def test_randomness_batched(device, strict):
    x = clgrad.ones(6, 50, device=device)
    same = clgrad.func.vmap(lambda r: r + clgrad.rand(50, device=device), randomness="same")(x)
    assert all(same[i].tolist() == same[0].tolist() for i in range(6))
    diff = clgrad.func.vmap(lambda r: r * clgrad.randn(50, device=device) + clgrad.rand_like(r),
                            randomness="different")(x)
    assert len({tuple(r) for r in diff.tolist()}) == 6
    drop = clgrad.func.vmap(lambda r: F.dropout(r, 0.5), randomness="different")(x)
    assert len({tuple(r) for r in drop.tolist()}) == 6
    drop = clgrad.func.vmap(lambda r: F.dropout(r, 0.5), randomness="same")(x)
    assert len({tuple(r) for r in drop.tolist()}) == 1
    for mode, n in (("same", 1), ("different", 6)):
        chunked = clgrad.func.vmap(lambda r: F.dropout(r + clgrad.rand(50, device=device), 0.5),
                                   randomness=mode, chunk_size=4)(x)
        assert len({tuple(r) for r in chunked.tolist()}) == n
    _vmap.STRICT[0] = False
    with pytest.raises(RuntimeError, match="randomness error mode"):
        clgrad.func.vmap(lambda r: F.dropout(r, 0.5))(x)


# -- the batched path batches ------------------------------------------------------------------
class _CpuCalls:
    """Counts the cpu backend's calls (what a kernel launch is on cl)."""

    def __init__(self, device):
        from clgrad.backends import backend_for
        from clgrad.backends.base import Backend
        self.backend = backend_for(clgrad.device(device))
        memory = ("check_dtype", "empty", "release", "from_host", "synchronize", "scratch")
        self.names = [n for n, v in vars(Backend).items()
                      if callable(v) and not n.startswith("_") and n not in memory]
        self.count = 0

    def __enter__(self):
        for n in self.names:
            method = getattr(self.backend, n)

            def counted(*a, _m=method, **k):
                self.count += 1
                return _m(*a, **k)
            setattr(self.backend, n, counted)
        return self

    def __exit__(self, *exc):
        for n in self.names:
            self.backend.__dict__.pop(n, None)


def _launches(device, fn):
    if device == "cpu":
        with _CpuCalls(device) as calls:
            fn()
        return calls.count
    from clgrad.backends.cl import runtime
    clgrad.cl.synchronize()
    before = runtime.launch_count()
    fn()
    return runtime.launch_count() - before


def test_batched_path_launches_o1_kernels(device, strict):
    f = clgrad.func.vmap(lambda r: (r.exp() * 2).sum(1))
    small = clgrad.rand(2, 4, 5, device=device)
    big = clgrad.rand(16, 4, 5, device=device)
    f(small)  # builds the kernels
    n16 = _launches(device, lambda: f(big))
    n2 = _launches(device, lambda: f(small))
    loop = _launches(device, lambda: clgrad.stack([(r.exp() * 2).sum(1) for r in big]))
    assert n16 == n2 <= 4, (n16, n2)
    assert loop >= 16 * 3
    np.testing.assert_allclose(to_numpy(f(big)), (np.exp(to_numpy(big)) * 2).sum(2), rtol=1e-5)
    # a layer's worth of the other families: still a count independent of the batch
    w = clgrad.rand(5, 3, device=device)
    g = clgrad.func.vmap(lambda r: F.softmax(F.relu(r @ w).t().reshape(3, 4), -1)[1:].amax(0))
    g(small)
    n16, n2 = _launches(device, lambda: g(big)), _launches(device, lambda: g(small))
    assert n16 == n2 <= 8, (n16, n2)


def test_entry_points_restored_outside_vmap(device):
    add, relu, grad = clgrad.add, F.relu, clgrad.autograd.grad
    clgrad.func.vmap(lambda r: F.relu(clgrad.add(r, 1)))(clgrad.ones(3, 2, device=device))
    assert clgrad.add is add and F.relu is relu and clgrad.autograd.grad is grad
    with pytest.raises(ZeroDivisionError):
        clgrad.func.vmap(lambda r: 1 / 0)(clgrad.ones(3, 2, device=device))
    assert clgrad.add is add and not _vmap.LEVELS


def test_per_sample_gradients(device, strict):
    """vmap(grad(loss), in_dims=(None, 0, 0)): shared parameters, one gradient per sample,
    batched (the unbatched parameters become expanded batched inputs of grad)."""
    w, xs, ys = _data(3, 2), _data(5, 3), _data(5, 2)

    def loss(m, f):
        return lambda p, x, y: ((f.tanh(x @ p) - y) ** 2).mean()
    c = clgrad.func.vmap(clgrad.func.grad(loss(clgrad, F)), in_dims=(None, 0, 0))(
        *(clgrad.tensor(a, device=device) for a in (w, xs, ys)))
    t = torch.func.vmap(torch.func.grad(loss(torch, TF)), in_dims=(None, 0, 0))(
        *(torch.tensor(a) for a in (w, xs, ys)))
    _same(c, t)
    lin = clgrad.nn.Linear(3, 2).double().to(device)
    tlin = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tlin.weight.copy_(torch.tensor(to_numpy(lin.weight)))
        tlin.bias.copy_(torch.tensor(to_numpy(lin.bias)))
    grads = []
    for m, mod, cast in ((clgrad, lin, lambda a: clgrad.tensor(a, device=device)),
                         (torch, tlin, torch.tensor)):
        params = {k: v.detach() for k, v in mod.named_parameters()}

        def f(p, x, y, m=m, mod=mod):
            return ((m.func.functional_call(mod, p, (x,)) - y) ** 2).sum()
        per_sample = m.func.vmap(m.func.grad(f), in_dims=(None, 0, 0))
        grads.append(per_sample(params, cast(xs), cast(ys)))
    _same(grads[0], grads[1])


ERRORS = [
    lambda V, x: V(lambda a, b: a, in_dims=(0,))(x, x),
    lambda V, x: V(lambda a: a, in_dims=2)(x),
    lambda V, x: V(lambda a, b: a, in_dims=(0, 0))(x, 3),
    lambda V, x: V(lambda a: a, in_dims=None)(x),
    lambda V, x: V(lambda a: a, in_dims=0.5)(x),
    lambda V, x: V(lambda a: a, in_dims=((0,),))(x),
    lambda V, x: V(lambda a, b: a + b)(x, x[:2]),
    lambda V, x: V(lambda a: a)(x[0, 0]),
    lambda V, x: V(lambda: 1)(),
    lambda V, x: V(lambda a: 3)(x),
    lambda V, x: V(lambda a: a * 2, out_dims=None)(x),
    lambda V, x: V(lambda a: (a, a), out_dims=(0, 0, 0))(x),
    lambda V, x: V(lambda a: {"k": a}, out_dims={"j": 0})(x),
    lambda V, x: V(lambda a: a, out_dims="a")(x),
    lambda V, x: V(lambda a: a, chunk_size=0)(x),
    lambda V, x: V(lambda a: a, randomness="x")(x),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(k):
    got = []
    for m in (torch, clgrad):
        with pytest.raises(Exception) as info:
            ERRORS[k](m.func.vmap, m.ones(3, 2))
        text = str(info.value).replace("torch", "M").replace("clgrad", "M")
        got.append((type(info.value), text))
    assert got[0] == got[1]


def _put(m, x, y):
    z = x * 1
    z[0] = y
    return z


GRADS = [
    lambda m, f, x, y: (x.exp() * y + m.where(x > 0, x, y[0]).sin() / (1 + y.abs())).sum(0),
    lambda m, f, x, y: x.var(1) + x.std() + x.norm(dim=0).sum() + x.logsumexp(1).mean(),
    lambda m, f, x, y: x.amax(0) * 2 + x.max(1).values.sum() + x.prod(0) + x.mean((0, 1)),
    lambda m, f, x, y: (x @ y).sum() + (f.softmax(x, 0).t() @ y[:3]).sum() + m.dot(y, y)
    + x.mv(y),
    lambda m, f, x, y: (m.cat([x, y[None]], 0) * m.stack([y, y], 0).repeat(2, 1)[:4]).sum(0),
    lambda m, f, x, y: (x.permute(1, 0).reshape(-1)[2:7] * x.flatten()[::3].mean()).sum()
    + x.unsqueeze(0).expand(2, 3, 5).transpose(0, 2).narrow(0, 1, 2).select(1, 2).sum(),
    lambda m, f, x, y: (_put(m, x, y) ** 2).sum(1) + f.gelu(x).sum() + f.log_softmax(y, 0)[1],
    lambda m, f, x, y: f.linear(x, y[None].expand(2, 5), y[:2]).tanh().sum(0),
    lambda m, f, x, y: f.layer_norm(x, (5,)).exp().sum(0) + f.mse_loss(x[0], y)
    + f.normalize(x, dim=0)[1] + f.l1_loss(x[1], y, reduction="sum"),
]


@pytest.mark.parametrize("k", range(len(GRADS)))
def test_gradients_of_rules_match_torch(device, strict, k):
    from helpers import skip_without_fp64
    skip_without_fp64(device)
    x, y = _data(4, 3, 5), _data(4, 5)
    got = []
    for m, f, cast in ((clgrad, F, lambda a: clgrad.tensor(a, device=device,
                                                           requires_grad=True)),
                       (torch, TF, lambda a: torch.tensor(a, requires_grad=True))):
        a, b = cast(x), cast(y)
        out = m.func.vmap(lambda p, q: GRADS[k](m, f, p, q))(a, b)
        (out * (1 + m.arange(out.numel(), dtype=out.dtype, device=out.device)
                .reshape(out.shape))).sum().backward()
        got.append((out, a.grad, b.grad))
    _same(got[0][0], got[1][0], rtol=1e-9)
    _same(got[0][1], got[1][1], rtol=1e-9)
    _same(got[0][2], got[1][2], rtol=1e-9)
