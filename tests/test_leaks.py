"""No leaks: long training keeps device memory flat, and DataLoader workers leave nothing
behind (processes, shared-memory blocks) once their iterator is dropped (issue 14 item 6)."""
from __future__ import annotations

import gc
import multiprocessing
import os
import time

import pytest

import clgrad
from clgrad import nn, optim
from clgrad.utils.data import DataLoader, TensorDataset

STEPS = 2000
SAMPLES = 10  # memory is read this many times, evenly spread over the steps


def _train(device: str, measure) -> list:
    """STEPS small training steps (forward, loss, backward, Adam, zero_grad, a logged loss
    now and then); `measure()` after every STEPS // SAMPLES steps, once warmed up."""
    clgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(16, 1)).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x = clgrad.randn(32, 8, device=device)
    y = clgrad.randn(32, 1, device=device)
    readings = []
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        if step % 100 == 0:
            loss.item()  # what a training script logs: one host read now and then
        if step % (STEPS // SAMPLES) == 0:
            readings.append(measure())
    return readings


def _live_cpu_storages() -> tuple:
    """(count, bytes) of the cpu storages alive: cpu has no allocator counter, so count the
    storage objects themselves."""
    from clgrad._storage import Storage
    gc.collect()
    live = [o for o in gc.get_objects() if type(o) is Storage and o.device.type == "cpu"]
    return len(live), sum(o.nbytes for o in live)


def test_training_keeps_cl_memory_allocated_flat(cl_device):
    readings = _train(cl_device, lambda: clgrad.cl.memory_allocated(cl_device))
    assert len(set(readings)) == 1, f"memory_allocated() over {STEPS} steps: {readings}"


def test_training_keeps_live_cpu_storages_flat():
    readings = _train("cpu", _live_cpu_storages)
    assert len(set(readings)) == 1, f"(storages, bytes) alive over {STEPS} steps: {readings}"


# -- DataLoader workers ---------------------------------------------------------------------
def _shm_blocks_mapped(pid: int) -> set:
    """The /dev/shm blocks process `pid` has mapped."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8") as f:
            return {line.split("/dev/shm/", 1)[1].split()[0] for line in f if "/dev/shm/" in line}
    except OSError:
        return set()


def _stack_features(batch):
    return clgrad.stack([features for features, _ in batch])


def _dataset():
    features = clgrad.arange(4000, dtype=clgrad.float32).reshape(1000, 4)
    return TensorDataset(features, clgrad.arange(1000))


@pytest.mark.skipif(not os.path.isdir("/proc") or not os.path.isdir("/dev/shm"),
                    reason="needs /proc and /dev/shm to see processes and shared memory")
@pytest.mark.parametrize("loader_kw", [
    dict(batch_size=10),                                 # default collate
    dict(batch_size=None),                               # samples as they are
    dict(batch_size=10, collate_fn=_stack_features),     # collate_fn returning tensors
    dict(batch_size=10, persistent_workers=True),
], ids=["default_collate", "no_batching", "tensor_collate_fn", "persistent_workers"])
@pytest.mark.parametrize("drop", ["mid_epoch", "after_epochs"])
def test_dataloader_workers_and_their_shared_memory_are_gone(loader_kw, drop):
    assert multiprocessing.active_children() == []
    before = set(os.listdir("/dev/shm"))
    loader = DataLoader(_dataset(), num_workers=2, **loader_kw)
    it = iter(loader)
    seen = set()  # blocks any worker or this process mapped while the iterator lived
    epochs = 1 if drop == "mid_epoch" else 2
    for epoch in range(epochs):
        for i, batch in enumerate(it):
            if i % 20 == 0:
                workers = multiprocessing.active_children()
                assert len(workers) == 2
                for pid in [w.pid for w in workers] + [os.getpid()]:
                    seen |= _shm_blocks_mapped(pid)
            if drop == "mid_epoch" and i == 40:
                break
        if epoch + 1 < epochs:
            it = iter(loader)  # a new epoch: new workers, or the persistent ones resumed
    workers = multiprocessing.active_children()
    pids = [w.pid for w in workers]
    del it, batch, loader
    gc.collect()
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []
    assert not [pid for pid in pids if os.path.exists(f"/proc/{pid}")]  # exited and reaped
    left = (seen - before) & set(os.listdir("/dev/shm"))
    assert not left, f"shared-memory blocks left behind by the workers: {sorted(left)}"
    # The queues' semaphores (sem.*) go when their feeder threads end, which close() only
    # asks for (cancel_join_thread: a feeder is never waited on, as in PyTorch): on a loaded
    # machine that can come after the workers have gone (a CI dry run met it once).
    deadline = time.monotonic() + 10
    while _shm_blocks_mapped(os.getpid()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (_shm_blocks_mapped(os.getpid()) - before), "blocks still mapped here"


def _odd_batch(batch):
    """Tensors a collate_fn may return: a transposed view, bfloat16, int64, a leaf that
    requires grad."""
    features = clgrad.stack([f for f, _ in batch])
    return (features.t(), features.to(clgrad.bfloat16), clgrad.stack([i for _, i in batch]),
            features[:, 1].clone().requires_grad_())


def test_tensors_from_workers_arrive_intact():
    loader = DataLoader(_dataset(), batch_size=4, num_workers=2, collate_fn=_odd_batch)
    for i, (t, bf, idx, leaf) in enumerate(loader):
        rows = clgrad.arange(16 * i, 16 * i + 16, dtype=clgrad.float32).reshape(4, 4)
        assert t.tolist() == rows.t().tolist() and t.shape == (4, 4)
        assert bf.dtype is clgrad.bfloat16 and bf.tolist() == rows.to(clgrad.bfloat16).tolist()
        assert idx.dtype is clgrad.int64 and idx.tolist() == list(range(4 * i, 4 * i + 4))
        assert leaf.requires_grad and leaf.is_leaf and leaf.tolist() == rows[:, 1].tolist()
        if i == 5:
            break
