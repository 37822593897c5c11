"""cl graphs (clgrad.cl.CLGraph, clgrad.cl.graph): torch.cuda's CUDA-graph semantics.

Capture records without running; replay equals eager on the values the static tensors hold
at the replay; random draws continue the stream; a host read inside capture raises; the
memory of a dropped graph is released.
"""
from __future__ import annotations

import gc

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F


def _eager_region(x, w, b):
    h = (x @ w + b).relu()
    h = F.softmax(h * 0.5, dim=1)
    return h.sum(1), h.argmax(1), clgrad.where(h > 0.3, h, -h).cumsum(1)


def test_replay_equals_eager_on_new_inputs(cl_device):
    x = clgrad.randn(6, 5, device=cl_device)
    w = clgrad.randn(5, 4, device=cl_device)
    b = clgrad.randn(4, device=cl_device)
    g = clgrad.cl.CLGraph()
    with clgrad.cl.graph(g):
        outs = _eager_region(x, w, b)
    assert g.launch_count() > 0
    for _ in range(3):
        x.copy_(clgrad.randn(6, 5, device=cl_device))
        g.replay()
        for got, want in zip(outs, _eager_region(x, w, b)):
            np.testing.assert_array_equal(got.cpu().numpy(), want.cpu().numpy())


def test_capture_does_not_run(cl_device):
    x = clgrad.zeros(3, device=cl_device)
    g = clgrad.cl.CLGraph()
    with clgrad.cl.graph(g):
        x.add_(1)
    assert x.tolist() == [0.0, 0.0, 0.0]
    g.replay()
    g.replay()
    assert x.tolist() == [2.0, 2.0, 2.0]


def test_random_stream_advances_as_eager(cl_device):
    x = clgrad.ones(1000, device=cl_device)
    clgrad.manual_seed(3)
    eager = [F.dropout(x, 0.5).cpu().numpy() for _ in range(3)]
    clgrad.manual_seed(3)
    g = clgrad.cl.CLGraph()
    with clgrad.cl.graph(g):
        y = F.dropout(x, 0.5)
    replayed = []
    for _ in range(3):
        g.replay()
        replayed.append(y.cpu().numpy())
    # The capture took the first draw's counters; the replays draw the next ones.
    for got, want in zip(replayed, eager[1:] + [None]):
        if want is not None:
            np.testing.assert_array_equal(got, want)
    assert not np.array_equal(replayed[0], replayed[1])


@pytest.mark.parametrize("read", ["item", "tolist", "cpu", "print", "synchronize"])
def test_host_read_inside_capture_raises(cl_device, read, capsys):
    x = clgrad.randn(4, device=cl_device)
    actions = {"item": lambda y: y.sum().item(), "tolist": lambda y: y.tolist(),
               "cpu": lambda y: y.cpu(), "print": lambda y: print(y),
               "synchronize": lambda y: clgrad.cl.synchronize()}
    g = clgrad.cl.CLGraph()
    with pytest.raises(RuntimeError, match="captured") as info:
        with clgrad.cl.graph(g):
            actions[read](x * 2)
    assert "test_cl_graphs.py" in str(info.value)  # names the user's line
    # The failed capture left the device as it was.
    assert (x * 2).tolist() == pytest.approx([v * 2 for v in x.tolist()])
    with pytest.raises(RuntimeError, match="not been captured"):
        g.replay()


def test_training_step_with_scheduler(cl_device):
    clgrad.manual_seed(0)
    model = clgrad.nn.Sequential(clgrad.nn.Linear(5, 8), clgrad.nn.ReLU(),
                                 clgrad.nn.Linear(8, 2))
    twin = clgrad.nn.Sequential(clgrad.nn.Linear(5, 8), clgrad.nn.ReLU(),
                                clgrad.nn.Linear(8, 2))
    twin.load_state_dict(model.state_dict())
    model.to(cl_device)
    twin.to(cl_device)
    data = [(clgrad.randn(16, 5, device=cl_device), clgrad.randn(16, 2, device=cl_device))
            for _ in range(5)]

    def make(m):
        opt = clgrad.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        return opt, clgrad.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    opt, sched = make(twin)
    for x, y in data:
        opt.zero_grad()
        F.mse_loss(twin(x), y).backward()
        opt.step()
        sched.step()

    opt, sched = make(model)
    static_x, static_y = data[0][0].clone(), data[0][1].clone()
    # Warm up once eagerly (optimizer state exists before capture, as torch asks).
    opt.zero_grad()
    F.mse_loss(model(static_x), static_y).backward()
    opt.step()
    sched.step()
    g = clgrad.cl.CLGraph()
    with clgrad.cl.graph(g):
        opt.zero_grad()
        loss = F.mse_loss(model(static_x), static_y)
        loss.backward()
        opt.step()
    for x, y in data[1:]:
        static_x.copy_(x)
        static_y.copy_(y)
        g.replay()
        sched.step()
        assert np.isfinite(loss.item())
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_dropped_graph_releases_memory(cl_device):
    x = clgrad.randn(256, 256, device=cl_device)
    gc.collect()
    before = clgrad.cl.memory_allocated(cl_device)
    g = clgrad.cl.CLGraph()
    with clgrad.cl.graph(g):
        y = x
        for _ in range(4):
            y = y @ x
    g.replay()
    del y
    g.reset()
    del g
    gc.collect()
    assert clgrad.cl.memory_allocated(cl_device) == before


def test_graph_api_errors(cl_device):
    g = clgrad.cl.CLGraph()
    with pytest.raises(RuntimeError):
        g.capture_end()
    with pytest.raises(RuntimeError):
        g.pool()
    g.capture_begin()
    with pytest.raises(RuntimeError):
        g.capture_begin()
    assert clgrad.cl.is_current_stream_capturing()
    g.capture_end()
    assert not clgrad.cl.is_current_stream_capturing()
    shared = clgrad.cl.CLGraph()
    shared.capture_begin(pool=g.pool())
    shared.capture_end()
    with pytest.raises(TypeError):
        clgrad.cl.CLGraph().capture_begin(pool=3)
    assert "launches" in repr(g)


def test_device_side_check_raises_after_replay(cl_device):
    idx = clgrad.tensor([0, 1], device=cl_device)
    table = clgrad.randn(3, 2, device=cl_device)
    g = clgrad.cl.CLGraph()
    with clgrad.cl.graph(g):
        out = table.index_select(0, idx)
    idx.copy_(clgrad.tensor([0, 7], device=cl_device))
    g.replay()
    with pytest.raises(IndexError, match="index out of range in self") as info:
        out.cpu()
    assert "device-side check of index_map" in "".join(info.value.__notes__)


def test_make_graphed_callables(cl_device):
    clgrad.manual_seed(0)
    module = clgrad.nn.Sequential(clgrad.nn.Linear(4, 6), clgrad.nn.Tanh()).to(cl_device)
    twin = clgrad.nn.Sequential(clgrad.nn.Linear(4, 6), clgrad.nn.Tanh()).to(cl_device)
    twin.load_state_dict(module.state_dict())

    def tail(h):
        return (h * h).sum(1)

    sample = clgrad.randn(3, 4, device=cl_device, requires_grad=True)
    graphed_module, graphed_tail = clgrad.cl.make_graphed_callables(
        (module, tail), ((sample,), (clgrad.randn(3, 6, device=cl_device,
                                                  requires_grad=True),)))
    assert graphed_module is module
    for _ in range(3):
        x = clgrad.randn(3, 4, device=cl_device, requires_grad=True)
        x2 = x.detach().clone().requires_grad_()
        module.zero_grad()
        twin.zero_grad()
        graphed_tail(graphed_module(x)).sum().backward()
        tail(twin(x2)).sum().backward()
        np.testing.assert_allclose(x.grad.cpu().numpy(), x2.grad.cpu().numpy(), rtol=1e-6)
        for p, q in zip(module.parameters(), twin.parameters()):
            np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.cpu().numpy(), rtol=1e-6)
