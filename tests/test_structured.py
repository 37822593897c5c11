"""Grids, index sets, structured matrices, distances, sorted search and the top-level settings
(clgrad/ops/structured.py, clgrad/_settings.py), against numpy always and torch when installed."""
import warnings

import numpy as np
import pytest

import clgrad
from clgrad.autograd import gradcheck


def _np(t):
    return t.detach().cpu().numpy()


def test_meshgrid_both_indexings(device):
    a, b = clgrad.arange(2, device=device), clgrad.arange(3, device=device)
    for indexing in ("ij", "xy"):
        got = clgrad.meshgrid(a, b, indexing=indexing)
        want = np.meshgrid(np.arange(2), np.arange(3), indexing=indexing)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(_np(g), w)
    with pytest.warns(UserWarning, match="indexing argument"):
        assert clgrad.meshgrid([a, b])[0].shape == (2, 3)
    with pytest.raises(ValueError, match="indexing must be one of"):
        clgrad.meshgrid(a, b, indexing="yx")
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
        clgrad.meshgrid(clgrad.ones(2, 2, device=device), indexing="ij")


def test_cartesian_prod_combinations_and_triangles(device):
    a = clgrad.tensor([1, 2, 3], device=device)
    b = clgrad.tensor([4, 5], device=device)
    assert clgrad.cartesian_prod(a, b).tolist() == [[1, 4], [1, 5], [2, 4], [2, 5], [3, 4],
                                                    [3, 5]]
    assert clgrad.combinations(a).tolist() == [[1, 2], [1, 3], [2, 3]]
    assert clgrad.combinations(a, 2, with_replacement=True).shape == (6, 2)
    assert clgrad.combinations(a, 4).shape == (0, 4)
    for offset in (-1, 0, 2):
        lower = clgrad.tril_indices(3, 4, offset, device=device)
        upper = clgrad.triu_indices(3, 4, offset, device=device)
        np.testing.assert_array_equal(_np(lower), np.stack(np.tril_indices(3, offset, 4)))
        np.testing.assert_array_equal(_np(upper), np.stack(np.triu_indices(3, offset, 4)))
        assert lower.dtype is clgrad.int64 and lower.device == clgrad.device(device)
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        clgrad.tril_indices(3, 3, dtype=clgrad.float32)


def test_block_diag_and_vander(device):
    got = clgrad.block_diag(clgrad.ones(2, 2, device=device),
                            clgrad.tensor([5, 6], device=device),
                            clgrad.tensor(7.0, device=device))
    want = np.array([[1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 5, 6, 0], [0, 0, 0, 0, 7]])
    np.testing.assert_array_equal(_np(got), want)
    assert got.dtype is clgrad.float32
    x = clgrad.tensor([1, 2, 3], device=device)
    np.testing.assert_array_equal(_np(clgrad.vander(x)), np.vander([1, 2, 3]))
    np.testing.assert_array_equal(_np(clgrad.vander(x, 4, increasing=True)),
                                  np.vander([1, 2, 3], 4, increasing=True))
    assert clgrad.vander(x).dtype is clgrad.int64


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.0, float("inf")])
def test_cdist_against_numpy(device, p):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3))
    got = clgrad.cdist(clgrad.tensor(a, dtype=clgrad.float32, device=device),
                       clgrad.tensor(b, dtype=clgrad.float32, device=device), p=p)
    diff = np.abs(a[:, :, None] - b[:, None])
    want = {0.0: (diff != 0).sum(-1), float("inf"): diff.max(-1)}.get(
        p, (diff ** p).sum(-1) ** (1 / p) if p else None)
    np.testing.assert_allclose(_np(got), want, rtol=1e-5, atol=1e-5)


def test_gradients_of_cdist_block_diag_and_vander(device):
    if device != "cpu" and not clgrad.cl.get_device_properties(
            clgrad.device(device).index).fp64:
        pytest.skip("float64 needed for gradcheck")
    rng = np.random.default_rng(1)
    a = clgrad.tensor(rng.standard_normal((3, 2)), device=device, requires_grad=True)
    b = clgrad.tensor(rng.standard_normal((4, 2)), device=device, requires_grad=True)
    assert gradcheck(lambda x, y: clgrad.cdist(x, y), (a, b))
    assert gradcheck(lambda x, y: clgrad.cdist(x, y, p=1.5), (a, b))
    assert gradcheck(lambda x, y: clgrad.block_diag(x, y), (a, b))
    v = clgrad.tensor([0.5, 1.5, -2.0], dtype=clgrad.float64, device=device, requires_grad=True)
    assert gradcheck(lambda x: clgrad.vander(x), (v,))


def test_searchsorted_and_bucketize(device):
    seq = clgrad.tensor([1, 3, 5, 7, 9], device=device)
    values = clgrad.tensor([[3, 6, 9], [0, 10, 5]], device=device)
    np_seq, np_values = np.array([1, 3, 5, 7, 9]), np.array([[3, 6, 9], [0, 10, 5]])
    for side in ("left", "right"):
        np.testing.assert_array_equal(_np(clgrad.searchsorted(seq, values, side=side)),
                                      np.searchsorted(np_seq, np_values, side=side))
    assert clgrad.searchsorted(seq, values, out_int32=True).dtype is clgrad.int32
    rows = clgrad.tensor([[1, 3, 5], [2, 4, 6]], device=device)
    assert clgrad.searchsorted(rows, clgrad.tensor([[3], [3]], device=device),
                               right=True).tolist() == [[2], [1]]
    np.testing.assert_array_equal(_np(clgrad.bucketize(values, seq, right=True)),
                                  np.digitize(np_values, np_seq, right=False))
    unsorted = clgrad.tensor([9, 1, 5], device=device)
    sorter = clgrad.tensor([1, 2, 0], device=device)
    assert clgrad.searchsorted(unsorted, clgrad.tensor([4], device=device),
                               sorter=sorter).tolist() == [1]
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        clgrad.searchsorted(seq, values, right=True, side="left")
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        clgrad.bucketize(values, rows)


def test_isin_and_unravel_index(device):
    x = clgrad.tensor([[1, 2], [3, 4]], device=device)
    np.testing.assert_array_equal(_np(clgrad.isin(x, clgrad.tensor([2, 4], device=device))),
                                  [[False, True], [False, True]])
    assert clgrad.isin(x, 3, invert=True).tolist() == [[True, True], [False, True]]
    rows, cols = clgrad.unravel_index(clgrad.tensor([7, -1, 4], device=device), (2, 3))
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 2, 1]
    with pytest.raises(TypeError, match="integer dtype"):
        clgrad.unravel_index(clgrad.tensor([1.0]), (2, 3))


@pytest.mark.parity
def test_parity_with_torch(device):
    torch = pytest.importorskip("torch")
    tx = torch.tensor([[1., 2.], [3., 5.]])
    cx = clgrad.tensor(tx.numpy(), device=device)
    np.testing.assert_allclose(_np(clgrad.cdist(cx, cx + 1)), torch.cdist(tx, tx + 1).numpy(),
                               rtol=1e-6)
    assert clgrad.cdist(cx.requires_grad_(), cx).grad_fn is not None
    t = torch.tensor([1, 3, 5])
    assert (clgrad.searchsorted(clgrad.tensor([1, 3, 5], device=device),
                                clgrad.tensor([0, 3, 6], device=device)).tolist()
            == torch.searchsorted(t, torch.tensor([0, 3, 6])).tolist())
    assert clgrad.triu_indices(4, 3, -1).tolist() == torch.triu_indices(4, 3, -1).tolist()
    assert (clgrad.unravel_index(clgrad.tensor([7, -7]), (2, 3))[1].tolist()
            == torch.unravel_index(torch.tensor([7, -7]), (2, 3))[1].tolist())


def test_settings_and_predicates():
    assert clgrad.is_tensor(clgrad.ones(1)) and not clgrad.is_tensor(np.ones(1))
    assert clgrad.is_storage(clgrad.ones(1).untyped_storage())
    assert not clgrad.is_storage(clgrad.ones(1))
    assert clgrad.typename(clgrad.ones(1)) == "clgrad.FloatTensor"
    assert clgrad.typename(1) == "int"
    assert clgrad.typename(clgrad.nn.Linear) == "clgrad.nn.modules.linear.Linear"
    clgrad.use_deterministic_algorithms(True)
    assert clgrad.are_deterministic_algorithms_enabled()
    clgrad.use_deterministic_algorithms(False)
    assert not clgrad.are_deterministic_algorithms_enabled()
    assert clgrad.get_num_threads() >= 1
    assert clgrad.get_float32_matmul_precision() == "highest"
    clgrad.set_float32_matmul_precision("high")
    assert clgrad.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="is not one of"):
        clgrad.set_float32_matmul_precision("fastest")
    clgrad.set_float32_matmul_precision("highest")
    with pytest.raises(AssertionError, match="boom"):
        clgrad._assert(False, "boom")
    assert clgrad.version.cuda is None and clgrad.version.__version__ == clgrad.__version__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FutureWarning, match="nn.init.constant_"):
            clgrad.nn.init.constant(clgrad.empty(2), 1.0)


def test_version_cl_and_nn_data_parallel_names():
    assert clgrad.version.cl is None or isinstance(clgrad.version.cl, str)
    assert clgrad.nn.DataParallel is clgrad.nn.parallel.DataParallel
