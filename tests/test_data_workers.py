"""DataLoader worker processes: ordering, seeding, errors, timeouts, clean shutdown."""
import multiprocessing
import os
import random
import time

import numpy as np
import pytest

import clgrad
from clgrad.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info


def _no_children(deadline=5.0):
    end = time.monotonic() + deadline
    while multiprocessing.active_children() and time.monotonic() < end:
        time.sleep(0.05)
    return multiprocessing.active_children() == []


class Arrays(Dataset):
    def __len__(self):
        return 20

    def __getitem__(self, i):
        return np.full((2, 2), i, np.float32), i


class RandomDraws(Dataset):
    """Each sample reports numpy's, Python's and clgrad's next random numbers."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return (info.id, np.random.randint(0, 2 ** 31), random.random(),
                float(clgrad.rand(1).item()))


class Failing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError("bad sample 5")
        return i


class Dying(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 3:
            os._exit(1)
        return i


class Sleepy(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            time.sleep(30)
        return i


class Sharded(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        return iter(range(info.id, self.n, info.num_workers))


def test_workers_keep_order_and_return_cpu_tensors():
    loader = DataLoader(Arrays(), batch_size=3, num_workers=2)
    batches = list(loader)
    want = [list(range(i, min(i + 3, 20))) for i in range(0, 20, 3)]
    assert [b[1].tolist() for b in batches] == want
    assert isinstance(batches[0][0], clgrad.Tensor) and batches[0][0].shape == (3, 2, 2)
    assert batches[0][0].device.type == "cpu" and batches[0][0].dtype == clgrad.float32
    assert _no_children()


def test_worker_seeding_differs_and_repeats():
    def run(seed):
        loader = DataLoader(RandomDraws(), batch_size=None, num_workers=2,
                            generator=clgrad.Generator().manual_seed(seed))
        return [tuple(float(x) for x in s) for s in loader]
    a, b, c = run(5), run(5), run(6)
    assert a == b
    assert a != c
    by_worker = {w: [s[1:] for s in a if s[0] == w] for w in (0, 1)}
    assert by_worker[0][0] != by_worker[1][0]  # numpy, random and clgrad streams differ


def test_worker_info_and_init_fn():
    seen = multiprocessing.get_context("fork").Queue() if "fork" in \
        multiprocessing.get_all_start_methods() else None
    if seen is None:
        pytest.skip("needs fork")

    def init(worker_id):
        info = get_worker_info()
        seen.put((worker_id, info.id, info.num_workers, info.seed))
    list(DataLoader(Arrays(), batch_size=5, num_workers=2, worker_init_fn=init,
                    generator=clgrad.Generator().manual_seed(0)))
    got = sorted(seen.get(timeout=5) for _ in range(2))
    assert [g[:3] for g in got] == [(0, 0, 2), (1, 1, 2)]
    assert got[1][3] == got[0][3] + 1  # base seed + worker id
    assert _no_children()


def test_worker_exception_reraised_with_traceback():
    loader = DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process" in msg
    assert "Original Traceback (most recent call last):" in msg and "bad sample 5" in msg
    assert _no_children()


def test_dead_worker_raises():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly"):
        list(DataLoader(Dying(), batch_size=1, num_workers=2))
    assert _no_children()


def test_timeout_raises_instead_of_hanging():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 1 seconds"):
        list(DataLoader(Sleepy(), batch_size=1, num_workers=1, timeout=1))
    assert time.monotonic() - start < 15
    assert _no_children()


def test_early_break_shuts_down():
    it = iter(DataLoader(Arrays(), batch_size=2, num_workers=2))
    next(it)
    it._shutdown_workers()
    del it
    assert _no_children()


def test_iterable_dataset_workers():
    loader = DataLoader(Sharded(11), batch_size=2, num_workers=2)
    got = sorted(sum((b.tolist() for b in loader), []))
    assert got == list(range(11))
    assert _no_children()


def test_persistent_workers_reused_across_epochs():
    loader = DataLoader(Arrays(), batch_size=4, num_workers=2, persistent_workers=True)
    first = [b[1].tolist() for b in loader]
    pids = [w.pid for w in loader._iterator._workers]
    second = [b[1].tolist() for b in loader]
    assert first == second and len(first) == 5
    assert [w.pid for w in loader._iterator._workers] == pids
    loader._iterator._shutdown_workers()
    assert _no_children()


def test_spawn_context():
    # A spawned worker re-imports the dataset's class: a plain list needs no test module
    # (which is not importable by name under --import-mode=importlib).
    dataset = [(float(i), i) for i in range(20)]
    loader = DataLoader(dataset, batch_size=10, num_workers=1,
                        multiprocessing_context="spawn")
    assert [b[1].tolist() for b in loader] == [list(range(10)), list(range(10, 20))]
    assert _no_children()
