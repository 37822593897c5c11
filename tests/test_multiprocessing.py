"""clgrad.multiprocessing: shared cpu tensors, pickling by shared memory, Hogwild, spawn."""
import pickle

import numpy as np
import pytest

import clgrad

mp = clgrad.multiprocessing


def _hogwild_worker(rank, model, x, y, steps):
    opt = clgrad.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()


def _fill(queue, t):
    t.add_(1.0)
    queue.put(t * 2)


def _spawned(rank, t):
    t[rank] = float(rank + 10)


def _fails(rank):
    raise ValueError("boom in the worker")


def test_share_memory_and_pickling():
    t = clgrad.arange(6.0).reshape(2, 3)
    view = t[:, 1]
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared() and view.is_shared()
    from multiprocessing.reduction import ForkingPickler
    other = pickle.loads(ForkingPickler.dumps(view))
    other.add_(10.0)
    np.testing.assert_array_equal(t.numpy(), [[0, 11, 2], [3, 14, 5]])
    model = clgrad.nn.Linear(3, 2).share_memory()
    assert all(p.is_shared() for p in model.parameters())


def test_cl_tensor_error(cl_device):
    with pytest.raises(RuntimeError, match="only cpu tensors can be placed in shared memory"):
        clgrad.ones(2, device=cl_device).share_memory_()


def test_hogwild_two_processes_train_one_model():
    clgrad.manual_seed(0)
    model = clgrad.nn.Linear(4, 1)
    model.share_memory()
    x = clgrad.randn(16, 4)
    y = x @ clgrad.tensor([[1.0], [-2.0], [0.5], [3.0]])
    start = ((model(x) - y) ** 2).mean().item()
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_hogwild_worker, args=(r, model, x, y, 40)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    with clgrad.no_grad():
        end = ((model(x) - y) ** 2).mean().item()
    # The parent never stepped: only the children's updates through shared memory moved it.
    assert end < start * 0.2


def test_queue_carries_shared_tensors():
    ctx = mp.get_context("fork")
    t = clgrad.zeros(3).share_memory_()
    queue = ctx.Queue()
    p = ctx.Process(target=_fill, args=(queue, t))
    p.start()
    got = queue.get(timeout=60)
    p.join(60)
    np.testing.assert_array_equal(t.numpy(), [1, 1, 1])
    np.testing.assert_array_equal(got.numpy(), [2, 2, 2])


def test_spawn_runs_each_rank_and_reports_errors():
    t = clgrad.zeros(2).share_memory_()
    mp.spawn(_spawned, args=(t,), nprocs=2, start_method="fork")
    np.testing.assert_array_equal(t.numpy(), [10, 11])
    with pytest.raises(mp.ProcessRaisedException, match="boom in the worker"):
        mp.spawn(_fails, nprocs=1, start_method="fork")
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    assert mp.Process is not None and callable(mp.set_start_method)


def _receive_and_report(inbox, outbox):
    outbox.put(float(inbox.get(timeout=60).sum()))


def test_a_tensor_not_shared_beforehand_reaches_every_receiver():
    # The Hogwild example passes its dataset, whose tensors were never shared, to each of its
    # processes: every receiver must map the same block (the first one used to unlink it).
    ctx = mp.get_context("fork")
    t = clgrad.arange(4.0)
    inbox, outbox = ctx.Queue(), ctx.Queue()
    workers = [ctx.Process(target=_receive_and_report, args=(inbox, outbox)) for _ in range(2)]
    for w in workers:
        w.start()
    inbox.put(t)
    inbox.put(t)
    sums = [outbox.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(60)
    assert sums == [6.0, 6.0]
    assert all(w.exitcode == 0 for w in workers)
