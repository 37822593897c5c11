"""clgrad.amp: autocast's op lists and GradScaler's scale sequence, against torch where it is
installed (its CPU autocast; its CUDA lists are the ones cl follows)."""
import numpy as np
import pytest

import clgrad

F = clgrad.nn.functional
LOW = {"cpu": clgrad.bfloat16, "cl": clgrad.float16}


def _device_type(device):
    return clgrad.device(device).type


def test_autocast_casts_by_op_list(device):
    kind = _device_type(device)
    low = LOW[kind]
    model = clgrad.nn.Linear(4, 3).to(device)
    x = clgrad.randn(2, 4, device=device)
    target = clgrad.tensor([0, 2], device=device)
    assert not clgrad.is_autocast_enabled(kind)
    with clgrad.autocast(kind):
        assert clgrad.is_autocast_enabled(kind)
        assert clgrad.get_autocast_dtype(kind) is low
        y = model(x)
        assert y.dtype is low
        assert (x @ x.t()).dtype is low and clgrad.mm(x, x.t()).dtype is low
        assert F.cross_entropy(y, target).dtype is clgrad.float32      # fp32 list
        assert clgrad.cat([y, x[:, :3]]).dtype is clgrad.float32        # promote list
        assert (y + y).dtype is low                                      # not listed: as is
        ints = clgrad.arange(4, device=device).reshape(2, 2)
        assert (ints @ ints).dtype is clgrad.int64                       # only floats cast
    assert not clgrad.is_autocast_enabled(kind)
    loss = F.cross_entropy(y, target)
    loss.backward()
    assert model.weight.grad.dtype is clgrad.float32  # gradients reach the float32 weights
    assert y.grad_fn.name() == "AddmmBackward0"


def test_autocast_other_device_type_and_disabled_regions(device):
    kind = _device_type(device)
    other = "cl" if kind == "cpu" else "cpu"
    x = clgrad.randn(3, 3, device=device)
    with clgrad.autocast(other):
        assert (x @ x).dtype is clgrad.float32  # a region for another device type
    with clgrad.autocast(kind):
        with clgrad.autocast(kind, enabled=False):
            assert (x @ x).dtype is clgrad.float32
        assert (x @ x).dtype is LOW[kind]

    @clgrad.autocast(kind)
    def product(a):
        return a @ a
    assert product(x).dtype is LOW[kind]
    with pytest.raises(RuntimeError, match="unsupported autocast device_type"):
        clgrad.autocast("tpu")
    with pytest.warns(UserWarning, match="target dtype is not supported"):
        with clgrad.autocast(kind, dtype=clgrad.float64):
            assert (x @ x).dtype is clgrad.float32


def test_autocast_values_equal_computing_in_the_low_dtype(device):
    kind = _device_type(device)
    low = LOW[kind]
    rng = np.random.default_rng(0)
    a = clgrad.tensor(rng.standard_normal((8, 5)), dtype=clgrad.float32, device=device)
    b = clgrad.tensor(rng.standard_normal((5, 6)), dtype=clgrad.float32, device=device)
    with clgrad.autocast(kind):
        got = a @ b
    want = a.to(low) @ b.to(low)
    assert clgrad.equal(got, want)


@pytest.mark.parity
def test_cpu_autocast_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    with torch.autocast("cpu"):
        want = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w))
    with clgrad.autocast("cpu"):
        got = F.linear(clgrad.tensor(x), clgrad.tensor(w))
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.float().numpy(), want.float().numpy(), rtol=1e-2, atol=1e-2)


def _scaler_run(lib, device, grads):
    scaler = lib.amp.GradScaler(device, init_scale=8.0, growth_interval=2)
    p = lib.nn.Parameter(lib.zeros(2))
    opt = lib.optim.SGD([p], lr=0.1)
    scales, params = [], []
    for g in grads:
        opt.zero_grad()
        scaler.scale((p * lib.tensor(g)).sum()).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        params.append(p.detach().numpy().tolist())
    return scales, params, scaler.state_dict()


INF_GRADS = [[1.0, 2.0], [float("inf"), 1.0], [1.0, 1.0], [0.5, 0.5], [float("nan"), 0.0],
             [1.0, 0.0]]


def test_grad_scaler_skips_inf_steps_and_adjusts_the_scale():
    scales, params, state = _scaler_run(clgrad, "cpu", INF_GRADS)
    assert scales == [8.0, 4.0, 4.0, 8.0, 4.0, 4.0]
    assert params[1] == params[0]  # the inf step was skipped
    np.testing.assert_allclose(params[0], [-0.1, -0.2], rtol=1e-6)
    assert state == {"scale": 4.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                     "growth_interval": 2, "_growth_tracker": 1}


@pytest.mark.parity
def test_grad_scaler_matches_torch():
    torch = pytest.importorskip("torch")
    ours = _scaler_run(clgrad, "cpu", INF_GRADS)
    theirs = _scaler_run(torch, "cpu", INF_GRADS)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    assert ours[2] == theirs[2]


def test_grad_scaler_on_the_device_and_its_errors(device):
    scaler = clgrad.amp.GradScaler(_device_type(device))
    p = clgrad.nn.Parameter(clgrad.ones(3, device=device))
    opt = clgrad.optim.SGD([p], lr=1.0)
    scaler.scale(p.sum()).backward()
    assert p.grad.tolist() == [65536.0] * 3
    scaler.unscale_(opt)
    assert p.grad.tolist() == [1.0] * 3
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    assert p.tolist() == [0.0] * 3
    fresh = clgrad.amp.GradScaler(enabled=False)
    assert fresh.scale(p) is p and fresh.get_scale() == 1.0 and fresh.state_dict() == {}
    loaded = clgrad.amp.GradScaler()
    loaded.load_state_dict(scaler.state_dict())
    assert loaded.state_dict() == scaler.state_dict()


def test_deprecated_cl_amp_forms_warn_and_work(cl_device):
    x = clgrad.randn(2, 2, device=cl_device)
    with pytest.warns(FutureWarning, match="torch.amp.autocast"):
        region = clgrad.cl.amp.autocast()
    with region:
        assert (x @ x).dtype is clgrad.float16
    with pytest.warns(FutureWarning, match="torch.amp.GradScaler"):
        assert clgrad.cuda.amp.GradScaler().get_scale() == 65536.0
