"""optim.swa_utils: AveragedModel (SWA/EMA), SWALR, update_bn."""
import numpy as np
import pytest

import clgrad

swa_utils = clgrad.optim.swa_utils


def _np(t):
    return t.detach().cpu().numpy()


def test_averaged_model_running_mean(device):
    model = clgrad.nn.Sequential(clgrad.nn.Linear(3, 2), clgrad.nn.BatchNorm1d(2)).to(device)
    swa = swa_utils.AveragedModel(model)
    snapshots = []
    for i in range(3):
        with clgrad.no_grad():
            for p in model.parameters():
                p.add_(float(i + 1))
        snapshots.append([_np(p).copy() for p in model.parameters()])
        swa.update_parameters(model)
    assert int(swa.n_averaged.item()) == 3
    for got, *seen in zip(swa.module.parameters(), *snapshots):
        np.testing.assert_allclose(_np(got), np.mean(seen, 0), rtol=1e-5, atol=1e-6)
    assert list(swa.state_dict())[0] == "n_averaged"
    assert "module.0.weight" in swa.state_dict()


def test_ema_multi_avg_fn(device):
    model = clgrad.nn.Linear(2, 2).to(device)
    ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
    start = _np(model.weight).copy()
    with clgrad.no_grad():
        model.weight.add_(1.0)
    ema.update_parameters(model)  # first call copies
    ema.update_parameters(model)
    np.testing.assert_allclose(_np(ema.module.weight), start + 1, rtol=1e-5)
    with clgrad.no_grad():
        model.weight.add_(1.0)
    ema.update_parameters(model)
    np.testing.assert_allclose(_np(ema.module.weight), start + 1 + 0.1, rtol=1e-5,
                               atol=1e-6)


def test_update_bn_recomputes_running_stats(device):
    model = clgrad.nn.BatchNorm1d(2).to(device)
    data = [clgrad.randn(4, 2, device=device) * 3 + 1 for _ in range(3)]
    swa_utils.update_bn([(x, 0) for x in data], model)
    allx = np.concatenate([_np(x) for x in data])
    np.testing.assert_allclose(_np(model.running_mean), allx.mean(0), rtol=1e-4, atol=1e-5)
    assert model.momentum == 0.1 and model.training


@pytest.mark.parity
@pytest.mark.parametrize("strategy,epochs", [("cos", 3), ("linear", 4), ("cos", 0)])
def test_swalr_matches_torch(strategy, epochs):
    torch = pytest.importorskip("torch")
    tp = [torch.zeros(1, requires_grad=True)]
    cp = [clgrad.zeros(1, requires_grad=True)]
    topt = torch.optim.SGD(tp, lr=1.0)
    copt = clgrad.optim.SGD(cp, lr=1.0)
    ts = torch.optim.swa_utils.SWALR(topt, swa_lr=0.05, anneal_epochs=epochs,
                                     anneal_strategy=strategy)
    cs = swa_utils.SWALR(copt, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
    for _ in range(6):
        np.testing.assert_allclose(cs.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
        topt.step()
        copt.step()
        ts.step()
        cs.step()
    assert sorted(cs.state_dict()) == sorted(ts.state_dict())


def test_swalr_errors():
    opt = clgrad.optim.SGD([clgrad.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        swa_utils.SWALR(opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        swa_utils.SWALR(opt, 0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        swa_utils.SWALR(opt, [0.1, 0.2])


@pytest.mark.parity
def test_averaged_model_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.Linear(3, 2)
    cm = clgrad.nn.Linear(3, 2)
    cm.load_state_dict({k: clgrad.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    ta = torch.optim.swa_utils.AveragedModel(tm, avg_fn=torch.optim.swa_utils.get_ema_avg_fn())
    ca = swa_utils.AveragedModel(cm, avg_fn=swa_utils.get_ema_avg_fn())
    assert list(ca.state_dict()) == list(ta.state_dict())
    for i in range(3):
        with torch.no_grad():
            tm.weight.mul_(1.5)
        with clgrad.no_grad():
            cm.weight.mul_(1.5)
        ta.update_parameters(tm)
        ca.update_parameters(cm)
    np.testing.assert_allclose(_np(ca.module.weight), ta.module.weight.detach().numpy(),
                               rtol=1e-5)
