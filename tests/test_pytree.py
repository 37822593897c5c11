"""clgrad.utils._pytree against torch.utils._pytree, with tensors as leaves on each device."""
import collections

import numpy as np
import pytest

import clgrad
from clgrad.utils import _pytree as pt

P = collections.namedtuple("P", "u v")


def _tree(make):
    return {"a": [make(1), (make(2), make(3))], "b": None,
            "c": collections.OrderedDict(z=make(4)), "d": P(make(5), [make(6)])}


def test_round_trip_with_tensors(device):
    tree = _tree(lambda i: clgrad.full((2,), float(i), device=device))
    leaves, spec = pt.tree_flatten(tree)
    assert len(leaves) == spec.num_leaves == 7 and leaves[3] is None
    values = [None if x is None else x.cpu().numpy()[0] for x in leaves]
    assert values == [1, 2, 3, None, 4, 5, 6]
    back = pt.tree_unflatten(leaves, spec)
    assert type(back["d"]) is P and type(back["c"]) is collections.OrderedDict
    assert isinstance(back["a"][1], tuple) and back["a"][0] is leaves[0]
    doubled = pt.tree_map(lambda x: None if x is None else x * 2, tree)
    np.testing.assert_array_equal(doubled["d"].v[0].cpu().numpy(), [12.0, 12.0])
    assert pt.tree_structure(doubled) == spec
    with pytest.raises(ValueError, match="has length 6 but the spec refers to a pytree "
                                         "that holds 7 items"):
        pt.tree_unflatten(leaves[:-1], spec)
    with pytest.raises(TypeError, match="Expected `treespec` to be instance of TreeSpec"):
        pt.tree_unflatten(leaves, [1])


def test_is_leaf_and_map_over_several_trees():
    tree = [[1, 2], [3]]
    assert pt.tree_leaves(tree, is_leaf=lambda x: isinstance(x, list) and len(x) == 1) == [
        1, 2, [3]]
    assert pt.tree_map(lambda a, b: a + b, tree, [[10, 20], [30]]) == [[11, 22], [33]]
    seen = []
    assert pt.tree_map_(seen.append, tree) is tree and seen == [1, 2, 3]
    assert pt.tree_all(lambda x: x > 0, tree) and not pt.tree_any(lambda x: x > 5, tree)


def test_matches_torch():
    torch_pt = pytest.importorskip("torch.utils._pytree")
    tree = _tree(lambda i: i)
    leaves, spec = pt.tree_flatten(tree)
    tleaves, tspec = torch_pt.tree_flatten(tree)
    assert leaves == tleaves and spec.num_leaves == tspec.num_leaves
    assert pt.tree_unflatten(leaves, spec) == torch_pt.tree_unflatten(tleaves, tspec)

    def neg(x):
        return x if x is None else -x
    assert pt.tree_map(neg, tree) == torch_pt.tree_map(neg, tree)
