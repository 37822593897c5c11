"""clgrad.utils.data in the main process: datasets, samplers, collate, loader options."""
import collections
import math

import numpy as np
import pytest

import clgrad
from clgrad.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                               DistributedSampler, IterableDataset, RandomSampler,
                               SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                               WeightedRandomSampler, default_collate, default_convert,
                               get_worker_info, random_split)


class Squares(Dataset):
    def __init__(self, n=10):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_tensor_dataset_and_subset():
    x = clgrad.arange(12).view(6, 2)
    y = clgrad.arange(6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    a, b = ds[2]
    assert a.tolist() == [4, 5] and b.item() == 2
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, clgrad.arange(5))
    sub = Subset(ds, [5, 0])
    assert len(sub) == 2 and sub[0][1].item() == 5


def test_concat_dataset():
    ds = ConcatDataset([Squares(3), Squares(4)])
    assert len(ds) == 7
    assert [ds[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    assert ds[-1] == 9 and ds.cumulative_sizes == [3, 7]
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-8]
    assert len(Squares(2) + Squares(3)) == 5
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Stream(2)])
    assert list(ChainDataset([Stream(2), Stream(3)])) == [0, 1, 0, 1, 2]


def test_random_split_lengths_and_fractions():
    g = clgrad.Generator().manual_seed(0)
    a, b = random_split(range(10), [3, 7], generator=g)
    assert len(a) == 3 and len(b) == 7
    assert sorted(list(a) + list(b)) == list(range(10))
    a2, b2 = random_split(range(10), [3, 7], generator=clgrad.Generator().manual_seed(0))
    assert list(a) == list(a2)
    parts = random_split(range(11), [0.5, 0.3, 0.2], generator=g)
    assert [len(p) for p in parts] == [6, 3, 2]  # floor 5,3,2 then one round-robin extra
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = clgrad.Generator().manual_seed(3)
    perm = list(RandomSampler(range(10), generator=g))
    assert sorted(perm) == list(range(10))
    again = list(RandomSampler(range(10), generator=clgrad.Generator().manual_seed(3)))
    assert perm == again
    s = RandomSampler(range(5), replacement=True, num_samples=40, generator=g)
    draws = list(s)
    assert len(s) == 40 and len(draws) == 40 and all(0 <= d < 5 for d in draws)
    assert len(list(RandomSampler(range(4), num_samples=10))) == 10
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but "
                                         "got num_samples=0"):
        RandomSampler(range(4), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(4), replacement=1)
    assert sorted(SubsetRandomSampler([7, 8, 9], generator=g)) == [7, 8, 9]
    w = list(WeightedRandomSampler([0, 0, 1, 0], 6, generator=g))
    assert w == [2] * 6
    w = list(WeightedRandomSampler([1, 1, 1], 3, replacement=False, generator=g))
    assert sorted(w) == [0, 1, 2]
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0]], 1)
    assert list(BatchSampler(range(5), 2, False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, False)) == 3
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but "
                                         "got batch_size=0"):
        BatchSampler(range(5), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(5), 2, 0)


def test_distributed_sampler():
    parts = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False))
             for r in range(3)]
    assert parts == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    dropped = [list(DistributedSampler(range(10), 3, r, shuffle=False, drop_last=True))
               for r in range(3)]
    assert dropped == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    s = DistributedSampler(range(10), 2, 0, seed=1)
    e0 = list(s)
    s.set_epoch(1)
    assert list(s) != e0 and sorted(e0 + list(DistributedSampler(range(10), 2, 1, seed=1))) \
        == list(range(10))
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval "
                                         r"\[0, 2\]"):
        DistributedSampler(range(10), 3, 3)


def test_default_collate_types():
    b = default_collate([(np.ones((2, 2), np.float32), 1, 0.5, "a", True),
                         (np.zeros((2, 2), np.float32), 2, 1.5, "b", False)])
    arr, ints, floats, strs, bools = b
    assert isinstance(b, list)
    assert arr.shape == (2, 2, 2) and arr.dtype == clgrad.float32
    assert ints.dtype == clgrad.int64 and ints.tolist() == [1, 2]
    assert floats.dtype == clgrad.float64
    assert strs == ("a", "b")  # the transposed batch, as PyTorch returns it
    assert bools.dtype == clgrad.bool
    d = default_collate([{"x": clgrad.tensor([1.0]), "y": np.int32(3)},
                         {"x": clgrad.tensor([2.0]), "y": np.int32(4)}])
    assert d["x"].tolist() == [[1.0], [2.0]] and d["y"].dtype == clgrad.int32
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]
    lists = default_collate([[1, 2], [3, 4]])
    assert [t.tolist() for t in lists] == [[1, 3], [2, 4]]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_collate_matches_torch():
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as tcollate
    cases = [[1, 2], [1.0, 2.0], [True, False], [1, 2.5], [np.float32(1), np.float32(2)],
             [np.int16(1), np.int16(2)], [np.zeros((2, 3), np.uint8)] * 2]
    for batch in cases:
        ours, theirs = default_collate(batch), tcollate(batch)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], batch
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": 5, "c": (np.float32(2.0), "s")})
    assert isinstance(out["a"], clgrad.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert out["b"] == 5
    assert isinstance(out["c"], list) and out["c"][0].dtype == clgrad.float32
    assert out["c"][1] == "s"


def test_dataloader_batches_and_len():
    ds = TensorDataset(clgrad.arange(10).float(), clgrad.arange(10))
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert batches[2][1].tolist() == [8, 9]
    assert batches[0][0].device.type == "cpu"
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=4, drop_last=True)] == \
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    unbatched = list(DataLoader(Squares(3), batch_size=None))
    assert unbatched == [0, 1, 4]


def test_dataloader_shuffle_generator_repeats():
    ds = Squares(20)
    a = [b.tolist() for b in DataLoader(ds, batch_size=5, shuffle=True,
                                        generator=clgrad.Generator().manual_seed(7))]
    b = [b.tolist() for b in DataLoader(ds, batch_size=5, shuffle=True,
                                        generator=clgrad.Generator().manual_seed(7))]
    assert a == b
    assert sorted(sum(a, [])) == [i * i for i in range(20)]
    assert sum(a, []) != [i * i for i in range(20)]
    clgrad.manual_seed(1)
    c = [b.tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]
    clgrad.manual_seed(1)
    assert c == [b.tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]


def test_dataloader_sampler_batch_sampler_collate():
    ds = Squares(6)
    assert [b.tolist() for b in DataLoader(ds, batch_size=2, sampler=[5, 4, 3])] == \
        [[25, 16], [9]]
    bs = [[0, 5], [1]]
    assert [b.tolist() for b in DataLoader(ds, batch_sampler=bs)] == [[0, 25], [1]]
    assert len(DataLoader(ds, batch_sampler=bs)) == 2
    assert list(DataLoader(ds, batch_size=4, collate_fn=sum)) == [14, 41]


def test_dataloader_option_errors():
    ds = Squares(4)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive with "
                                         "batch_size, shuffle, sampler, and drop_last"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], drop_last=True)
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching and "
                                         "is mutually exclusive with drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(ds, timeout=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in "
                                         "multiprocessing"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected "
                                         "unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])
    loader = DataLoader(ds, pin_memory=True)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        loader.batch_size = 3
    loader.num_workers = 0  # allowed, as in PyTorch


def test_dataloader_option_errors_match_torch():
    pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TLoader
    cases = [dict(sampler=[0], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_size=None, drop_last=True), dict(num_workers=-1), dict(timeout=-1),
             dict(prefetch_factor=2), dict(persistent_workers=True)]
    for kw in cases:
        with pytest.raises(ValueError) as theirs:
            TLoader(list(range(4)), **kw)
        with pytest.raises(ValueError) as ours:
            DataLoader(list(range(4)), **kw)
        assert str(ours.value) == str(theirs.value), kw


def test_iterable_dataset_loader():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]
    assert get_worker_info() is None


def test_getitems_is_used():
    class Batched(Squares):
        calls = []

        def __getitems__(self, idx):
            self.calls.append(list(idx))
            return [self[i] for i in idx]

    ds = Batched(5)
    assert [b.tolist() for b in DataLoader(ds, batch_size=3)] == [[0, 1, 4], [9, 16]]
    assert ds.calls == [[0, 1, 2], [3, 4]]
    assert math.isclose(len(DataLoader(ds, batch_size=3)), 2)
