"""Randomness: Philox4x32-10 known answers, one stream on every device, distributions,
generator state, and PyTorch's argument rules."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from clgrad.backends import backend_for
from clgrad.backends.cpu.random import philox4x32_10
from helpers import device_supports_fp64

# Random123's published known-answer vectors (kat_vectors, philox4x32 with 10 rounds).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def kat_arrays():
    return tuple(np.array([row[i] for row in KAT], np.uint32) for i in range(3))


def test_philox_known_answers_numpy():
    counters, keys, expected = kat_arrays()
    np.testing.assert_array_equal(philox4x32_10(counters, keys), expected)


def test_philox_known_answers_on_device(device):
    counters, keys, expected = kat_arrays()
    got = backend_for(clgrad.device(device)).philox_raw(counters, keys)
    np.testing.assert_array_equal(got, expected)


def test_philox_many_counters_match_numpy(device):
    rng = np.random.default_rng(1)
    counters = rng.integers(0, 2 ** 32, (300, 4), dtype=np.uint32)
    keys = rng.integers(0, 2 ** 32, (300, 2), dtype=np.uint32)
    got = backend_for(clgrad.device(device)).philox_raw(counters, keys)
    np.testing.assert_array_equal(got, philox4x32_10(counters, keys))


# -- one stream on every device -------------------------------------------------------------
def _draws(device: str, fp64: bool) -> dict:
    """A fixed sequence of random calls from seed 1234, as host arrays."""
    clgrad.manual_seed(1234)
    out = {
        "rand": clgrad.rand(37, device=device),
        "rand_half": clgrad.rand(2, 9, dtype=clgrad.float16, device=device),
        "randn": clgrad.randn(41, device=device),
        "uniform_": clgrad.empty(3, 5, device=device).uniform_(-2, 3),
        "randint": clgrad.randint(-5, 17, (33,), device=device),
        "randint_wide": clgrad.randint(-2 ** 40, 2 ** 41, (9,), device=device),
        "random_int64": clgrad.empty(7, dtype=clgrad.int64, device=device).random_(),
        "random_int8": clgrad.empty(7, dtype=clgrad.int8, device=device).random_(),
        "random_bool": clgrad.empty(7, dtype=clgrad.bool, device=device).random_(),
        "randperm": clgrad.randperm(50, device=device),
        "randperm_float": clgrad.randperm(17, dtype=clgrad.float32, device=device),
        "bernoulli_p": clgrad.empty(23, dtype=clgrad.uint8, device=device).bernoulli_(0.3),
        "bernoulli_t": clgrad.bernoulli(
            clgrad.tensor(np.linspace(0, 1, 19, dtype=np.float32), device=device)),
        "multinomial": clgrad.multinomial(
            clgrad.tensor([[1.0, 2.0, 0.0, 4.0], [0.5, 0.0, 0.0, 0.25]], device=device), 11,
            True),
        "multinomial_norep": clgrad.multinomial(
            clgrad.tensor([[1.0, 2.0, 0.0, 4.0, 1.0], [0.5, 0.1, 3.0, 0.25, 0.0]],
                          device=device), 4),
        "exponential": clgrad.empty(10, device=device).exponential_(2.0),
        "geometric": clgrad.empty(10, device=device).geometric_(0.3),
        "cauchy": clgrad.empty(10, device=device).cauchy_(),
        "log_normal": clgrad.empty(10, device=device).log_normal_(0, 0.5),
    }
    if fp64:
        out["rand64"] = clgrad.rand(13, dtype=clgrad.float64, device=device)
        out["randn64"] = clgrad.randn(15, dtype=clgrad.float64, device=device)
        out["bernoulli64"] = clgrad.bernoulli(clgrad.full((9,), 0.5, dtype=clgrad.float64,
                                                          device=device))
        out["multinomial64"] = clgrad.multinomial(
            clgrad.tensor([0.2, 0.3, 0.5], dtype=clgrad.float64, device=device), 6, True)
    return {k: v.cpu().numpy() for k, v in out.items()}


EXACT = ("rand", "rand_half", "uniform_", "randint", "randint_wide", "random_int64",
         "random_int8", "random_bool", "randperm", "randperm_float", "bernoulli_p",
         "bernoulli_t", "multinomial", "multinomial_norep", "rand64", "bernoulli64",
         "multinomial64")


def test_same_seed_same_values_on_every_device(device):
    if device == "cpu":
        pytest.skip("compares a cl device with cpu")
    fp64 = device_supports_fp64(device)
    ref, got = _draws("cpu", fp64), _draws(device, fp64)
    assert ref.keys() == got.keys()
    for name in ref:
        assert got[name].dtype == ref[name].dtype, name
        if name in EXACT:
            np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
        else:
            # Transcendental transforms (log, cos, sin, tan, exp) agree to a few ulp.
            scale = np.maximum(np.abs(ref[name]), 1)
            eps = np.finfo(ref[name].dtype).eps
            assert np.all(np.abs(got[name] - ref[name]) <= 4 * eps * scale), name


def test_bits_identical_across_devices(device):
    clgrad.manual_seed(99)
    a = clgrad.empty(1000, dtype=clgrad.int64, device=device).random_(0, 2 ** 32)
    clgrad.manual_seed(99)
    b = clgrad.empty(1000, dtype=clgrad.int64).random_(0, 2 ** 32)
    np.testing.assert_array_equal(a.cpu().numpy(), b.numpy())
    # random_(0, 2^32) is the raw stream: word j of block j // 4.
    from clgrad.backends.cpu.random import philox_blocks
    np.testing.assert_array_equal(b.numpy(), philox_blocks(99, 0, 250).reshape(-1))


def test_uniform_bits_are_exact():
    clgrad.manual_seed(5)
    x = clgrad.rand(4000).numpy()
    # 24 random bits: every float32 sample is a multiple of 2^-24 in [0, 1).
    assert np.all(x * 2.0 ** 24 == np.floor(x * 2.0 ** 24))
    assert x.min() >= 0 and x.max() < 1
    clgrad.manual_seed(5)
    d = clgrad.rand(4000, dtype=clgrad.float64).numpy()
    assert np.all(d * 2.0 ** 53 == np.floor(d * 2.0 ** 53))
    assert len(np.unique(d)) == 4000


# -- distributions --------------------------------------------------------------------------
N = 100_000


def test_rand_and_uniform_moments(device):
    clgrad.manual_seed(0)
    x = clgrad.rand(N, device=device).cpu().numpy()
    assert x.dtype == np.float32 and x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.005 and abs(x.var() - 1 / 12) < 0.002
    y = clgrad.empty(N, device=device).uniform_(-3, 5).cpu().numpy()
    assert y.min() >= -3 and y.max() < 5
    assert abs(y.mean() - 1) < 0.04 and abs(y.var() - 64 / 12) < 0.1
    h = clgrad.rand(N // 10, dtype=clgrad.float16, device=device).cpu().numpy()
    assert h.dtype == np.float16 and h.min() >= 0 and h.max() < 1


def test_randn_and_normal_moments(device):
    clgrad.manual_seed(1)
    x = clgrad.randn(N, device=device).cpu().numpy()
    assert abs(x.mean()) < 0.015 and abs(x.var() - 1) < 0.02
    assert abs(((x - x.mean()) ** 3).mean()) < 0.05  # symmetric
    y = clgrad.normal(2.0, 3.0, (N,), device=device).cpu().numpy()
    assert abs(y.mean() - 2) < 0.05 and abs(y.std() - 3) < 0.05
    h = clgrad.randn(N // 10, dtype=clgrad.float16, device=device).cpu().numpy()
    assert h.dtype == np.float16 and abs(h.astype(np.float64).mean()) < 0.04


def test_normal_tensor_overloads(device):
    clgrad.manual_seed(2)
    mean = clgrad.tensor([[-10.0], [0.0], [10.0]], device=device)
    std = clgrad.tensor([0.1, 1.0, 0.0, 2.0], device=device)
    out = clgrad.normal(mean, std)
    assert out.shape == (3, 4) and out.dtype == clgrad.float32
    host = out.cpu().numpy()
    np.testing.assert_array_equal(host[:, 2], [-10, 0, 10])  # std 0 gives the mean
    assert np.all(np.abs(host[:, 0] - [-10, 0, 10]) < 1)
    big = clgrad.normal(clgrad.full((N,), 5.0, device=device), 2.0).cpu().numpy()
    assert abs(big.mean() - 5) < 0.04 and abs(big.std() - 2) < 0.04
    s = clgrad.normal(1.0, clgrad.ones(5, dtype=clgrad.float16, device=device))
    assert s.dtype == clgrad.float16 and s.shape == (5,)
    # mean + std * z with the same z as randn from the same state.
    clgrad.manual_seed(3)
    z = clgrad.randn(6, device=device).cpu().numpy()
    clgrad.manual_seed(3)
    got = clgrad.normal(clgrad.full((6,), 1.0, device=device),
                        clgrad.full((6,), 2.0, device=device)).cpu().numpy()
    np.testing.assert_array_equal(got, z * np.float32(2) + np.float32(1))


def test_randint_range_and_coverage(device):
    clgrad.manual_seed(4)
    x = clgrad.randint(-3, 7, (N,), device=device)
    assert x.dtype == clgrad.int64
    host = x.cpu().numpy()
    assert host.min() == -3 and host.max() == 6
    counts = np.bincount(host + 3, minlength=10)
    assert np.all(np.abs(counts / N - 0.1) < 0.006)
    w = clgrad.randint(2 ** 40, (N // 10,), device=device).cpu().numpy()
    assert w.min() >= 0 and w.max() < 2 ** 40 and w.max() > 2 ** 39
    f = clgrad.randint(5, (20,), dtype=clgrad.float32, device=device)
    assert f.dtype == clgrad.float32 and set(f.cpu().numpy()) <= {0, 1, 2, 3, 4}
    u8 = clgrad.empty(1000, dtype=clgrad.uint8, device=device).random_().cpu().numpy()
    assert u8.max() > 200 and len(np.unique(u8)) > 200
    like = clgrad.randint_like(clgrad.zeros(3, 4, device=device), 2, 5)
    assert like.dtype == clgrad.float32 and like.shape == (3, 4)
    assert set(like.cpu().numpy().ravel()) <= {2, 3, 4}


def test_randperm_is_permutation(device):
    clgrad.manual_seed(6)
    for n in (0, 1, 2, 5, 64, 1000):
        p = clgrad.randperm(n, device=device)
        assert p.dtype == clgrad.int64 and p.shape == (n,)
        np.testing.assert_array_equal(np.sort(p.cpu().numpy()), np.arange(n))
    firsts = [clgrad.randperm(4, device=device).cpu().numpy()[0] for _ in range(200)]
    assert np.all(np.bincount(firsts, minlength=4) > 25)


def test_bernoulli_and_exponential_moments(device):
    clgrad.manual_seed(7)
    b = clgrad.empty(N, device=device).bernoulli_(0.3).cpu().numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.006
    p = clgrad.tensor(np.array([0.0, 1.0, 0.25], np.float32), device=device)
    t = clgrad.bernoulli(p.expand(N // 10, 3).contiguous()).cpu().numpy()
    assert np.all(t[:, 0] == 0) and np.all(t[:, 1] == 1) and abs(t[:, 2].mean() - 0.25) < 0.02
    m = clgrad.zeros(2, 3, dtype=clgrad.int32, device=device).bernoulli_(
        clgrad.tensor([0.0, 1.0, 1.0], device=device))
    np.testing.assert_array_equal(m.cpu().numpy(), [[0, 1, 1], [0, 1, 1]])
    e = clgrad.empty(N, device=device).exponential_(4.0).cpu().numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.005
    g = clgrad.empty(N // 10, dtype=clgrad.int32, device=device).geometric_(0.5).cpu().numpy()
    assert g.min() >= 1 and abs(g.mean() - 2) < 0.06


def test_multinomial_frequencies(device):
    clgrad.manual_seed(8)
    w = clgrad.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 5.0]], device=device)
    draws = clgrad.multinomial(w, 20000, replacement=True)
    assert draws.dtype == clgrad.int64 and draws.shape == (2, 20000)
    host = draws.cpu().numpy()
    np.testing.assert_allclose(np.bincount(host[0], minlength=4) / 20000,
                               [0.125, 0, 0.375, 0.5], atol=0.015)
    np.testing.assert_allclose(np.bincount(host[1], minlength=4) / 20000, [0, 0.5, 0, 0.5],
                               atol=0.015)
    rows = clgrad.multinomial(clgrad.ones(300, 6, device=device), 6).cpu().numpy()
    assert all(sorted(r) == list(range(6)) for r in rows)  # without replacement: distinct
    firsts = clgrad.multinomial(clgrad.tensor([[8.0, 1.0, 1.0]] * 2000, device=device),
                                2).cpu().numpy()
    assert abs((firsts[:, 0] == 0).mean() - 0.8) < 0.03
    one = clgrad.multinomial(clgrad.tensor([0.0, 0.0, 2.0], device=device), 1)
    assert one.shape == (1,) and one.item() == 2


def test_noncontiguous_inplace_fills_in_logical_order(device):
    clgrad.manual_seed(9)
    ref = clgrad.rand(6, 4, device=device).cpu().numpy()
    clgrad.manual_seed(9)
    t = clgrad.zeros(4, 6, device=device).t()
    t.uniform_()
    np.testing.assert_array_equal(t.cpu().numpy(), ref)
    base = clgrad.zeros(4, 6, device=device)
    base.t().normal_()
    assert np.all(base.cpu().numpy() != 0)


# -- generator state ------------------------------------------------------------------------
def test_state_save_restore_replays(device):
    clgrad.manual_seed(10)
    state = clgrad.get_rng_state()
    assert state.dtype == clgrad.uint8 and state.device == clgrad.device("cpu")
    a = clgrad.rand(5, device=device).cpu().numpy()
    b = clgrad.randn(7, device=device).cpu().numpy()
    c = clgrad.rand(5, device=device).cpu().numpy()
    assert not np.array_equal(a, c)  # consecutive calls take fresh counters
    clgrad.set_rng_state(state)
    np.testing.assert_array_equal(clgrad.rand(5, device=device).cpu().numpy(), a)
    np.testing.assert_array_equal(clgrad.randn(7, device=device).cpu().numpy(), b)
    np.testing.assert_array_equal(clgrad.rand(5, device=device).cpu().numpy(), c)
    assert clgrad.initial_seed() == 10


def test_manual_seed_aliases_and_default_seed():
    import clgrad.random as crandom
    assert crandom.DEFAULT_SEED == 67280421310721
    assert clgrad.Generator().initial_seed() == 67280421310721
    g = clgrad.manual_seed(3)
    assert g is clgrad.default_generator and clgrad.initial_seed() == 3
    x = clgrad.rand(4).numpy()
    clgrad.cl.manual_seed(3)
    np.testing.assert_array_equal(clgrad.rand(4).numpy(), x)
    clgrad.cl.manual_seed_all(3)
    np.testing.assert_array_equal(clgrad.rand(4).numpy(), x)
    assert clgrad.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    s = clgrad.seed()
    assert clgrad.initial_seed() == s and 0 <= s < 2 ** 64


def test_generator_objects_are_independent(device):
    clgrad.manual_seed(11)
    default_first = clgrad.rand(4, device=device).cpu().numpy()
    g = clgrad.Generator().manual_seed(11)
    clgrad.manual_seed(11)
    from_g = clgrad.rand(4, generator=g, device=device).cpu().numpy()
    np.testing.assert_array_equal(from_g, default_first)
    # the default stream did not move while g was used
    np.testing.assert_array_equal(clgrad.rand(4, device=device).cpu().numpy(), default_first)
    saved = g.get_state()
    x = clgrad.randn(3, generator=g, device=device).cpu().numpy()
    g.set_state(saved)
    np.testing.assert_array_equal(clgrad.randn(3, generator=g, device=device).cpu().numpy(), x)
    h = clgrad.Generator().manual_seed(12)
    assert not np.array_equal(clgrad.rand(4, generator=h, device=device).cpu().numpy(),
                              default_first)
    p = clgrad.randperm(10, generator=g, device=device)
    assert sorted(p.tolist()) == list(range(10))


# -- dtype, shape and error rules -----------------------------------------------------------
def test_dtypes_and_shapes():
    assert clgrad.rand(2, 3).shape == (2, 3) and clgrad.rand(2, 3).dtype == clgrad.float32
    assert clgrad.randn((4,), dtype=clgrad.float64).dtype == clgrad.float64
    assert clgrad.rand([]).shape == ()
    assert clgrad.randint(3, 10, (2, 2)).dtype == clgrad.int64
    assert clgrad.randperm(3, dtype=clgrad.int32).dtype == clgrad.int32
    assert clgrad.rand_like(clgrad.zeros(2, dtype=clgrad.float64)).dtype == clgrad.float64
    assert clgrad.randn_like(clgrad.zeros(2, 5)).shape == (2, 5)
    r = clgrad.rand(3, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    assert clgrad.multinomial(clgrad.ones(4), 2).shape == (2,)
    assert clgrad.normal(clgrad.zeros(2, dtype=clgrad.float64), clgrad.ones(2)).dtype \
        == clgrad.float64
    t = clgrad.zeros(3)
    v = t._version_count
    assert t.uniform_() is t and t._version_count > v
    out = clgrad.empty(4)
    assert clgrad.rand(4, out=out) is out


@pytest.mark.parametrize("call, exc, match", [
    (lambda: clgrad.randint(5, 5, (3,)), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=5"),
    (lambda: clgrad.randint(300, (3,), dtype=clgrad.uint8), RuntimeError,
     "to - 1 is out of bounds for unsigned char"),
    (lambda: clgrad.randint(-1, 3, (3,), dtype=clgrad.uint8), RuntimeError,
     "from is out of bounds for unsigned char"),
    (lambda: clgrad.rand(2, dtype=clgrad.int64), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    (lambda: clgrad.randn(2, dtype=clgrad.int32), NotImplementedError, "normal_kernel_cpu"),
    (lambda: clgrad.zeros(3).uniform_(2, 1), RuntimeError,
     r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"),
    (lambda: clgrad.zeros(3).normal_(0, -1), RuntimeError,
     "normal expects std >= 0.0, but found std -1"),
    (lambda: clgrad.zeros(3).bernoulli_(1.5), RuntimeError,
     r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"),
    (lambda: clgrad.bernoulli(clgrad.tensor([1.5])), RuntimeError, "p_in >= 0"),
    (lambda: clgrad.zeros(3).exponential_(-1), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=-1"),
    (lambda: clgrad.zeros(3, dtype=clgrad.int64).exponential_(), RuntimeError,
     "dtype must be a floating point but you specified Long"),
    (lambda: clgrad.zeros(3).geometric_(0), RuntimeError, r"geometric_ expects p to be in"),
    (lambda: clgrad.zeros(3).log_normal_(0, 0), RuntimeError, "log_normal_ expects std > 0.0"),
    (lambda: clgrad.zeros(3).cauchy_(0, -1), RuntimeError, "cauchy_ expects sigma > 0.0"),
    (lambda: clgrad.randperm(-1), RuntimeError, "negative dimension -1"),
    (lambda: clgrad.randperm(3, dtype=clgrad.bool), NotImplementedError, "randperm"),
    (lambda: clgrad.randperm(300, dtype=clgrad.int8), RuntimeError, "without overflow"),
    (lambda: clgrad.multinomial(clgrad.tensor([0.5, -1.0]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda: clgrad.multinomial(clgrad.tensor([0.0, 0.0]), 1), RuntimeError,
     r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    (lambda: clgrad.multinomial(clgrad.tensor([1.0, 0.0]), 3), RuntimeError,
     "cannot sample n_sample > prob_dist.size"),
    (lambda: clgrad.multinomial(clgrad.tensor([1, 0]), 1), RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
    (lambda: clgrad.multinomial(clgrad.ones(2, 2, 2), 1), RuntimeError,
     "prob_dist must be 1 or 2 dim"),
    (lambda: clgrad.multinomial(clgrad.ones(2), 0), RuntimeError,
     "cannot sample n_sample <= 0 samples"),
    (lambda: clgrad.normal(clgrad.zeros(2), -clgrad.ones(2)), RuntimeError,
     "normal expects all elements of std >= 0.0"),
    (lambda: clgrad.multinomial(clgrad.ones(2, 0), 1, True), RuntimeError, "no categories"),
    (lambda: clgrad.normal(0, 1), TypeError, "normal"),
    (lambda: clgrad.manual_seed(2 ** 64), ValueError, "Overflow"),
    (lambda: clgrad.set_rng_state(clgrad.zeros(16)), TypeError, "ByteTensor"),
    (lambda: clgrad.set_rng_state([1]), TypeError, "ByteTensor"),
    (lambda: clgrad.set_rng_state(clgrad.zeros(3, dtype=clgrad.uint8)), RuntimeError,
     "size to be 3"),
    (lambda: clgrad.rand(2, generator=5), TypeError, "generator"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_error_types_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        ("randint", (5, 5, (3,)), {}),
        ("randint", (300, (3,)), {"dtype": "uint8"}),
        ("rand", (2,), {"dtype": "int64"}),
        ("randperm", (-1,), {}),
        ("randperm", (3,), {"dtype": "bool"}),
        ("multinomial", ("ones", 0), {}),
        ("manual_seed", (2 ** 64,), {}),
    ]
    for name, args, kwargs in cases:
        raised = []
        for lib in (torch, clgrad):
            a = tuple(lib.ones(2) if x == "ones" else x for x in args)
            kw = {k: getattr(lib, v) for k, v in kwargs.items()}
            with pytest.raises(Exception) as info:
                getattr(lib, name)(*a, **kw)
            raised.append(info.type)
        assert raised[0] is raised[1], name


def test_float_random_warns_beyond_mantissa():
    with pytest.warns(UserWarning, match="out of bounds"):
        clgrad.zeros(3).random_(0, 2 ** 25)


def test_inplace_on_leaf_requiring_grad():
    w = clgrad.zeros(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.uniform_()
    with clgrad.no_grad():
        w.normal_()
    assert w.requires_grad and np.all(w.detach().numpy() != 0)
