"""torch.utils._pytree's core, which model wrappers import (``tree_flatten``,
``tree_unflatten``, ``tree_map``): nested lists, tuples, namedtuples, dicts (insertion order),
OrderedDicts and defaultdicts are nodes; everything else (None included) is a leaf."""
from __future__ import annotations

import collections
from typing import Any, Callable, List, Tuple

__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_leaves",
           "tree_structure", "tree_map", "tree_map_", "tree_all", "tree_any"]


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _children(x):
    """(node type, context, children) for a node, None for a leaf."""
    if isinstance(x, collections.defaultdict):
        return collections.defaultdict, (x.default_factory, list(x)), list(x.values())
    if isinstance(x, collections.OrderedDict):
        return collections.OrderedDict, list(x), list(x.values())
    if type(x) is dict:
        return dict, list(x), list(x.values())
    if _is_namedtuple(x):
        return type(x), type(x), list(x)
    if type(x) in (list, tuple):
        return type(x), None, list(x)
    return None


class TreeSpec:
    """The shape of a pytree: its node type, context (keys) and the specs of its children."""

    def __init__(self, type, context, children_specs):  # noqa: A002
        self.type = type
        self.context = context
        self.children_specs = list(children_specs)
        self.num_leaves = sum(c.num_leaves for c in self.children_specs)
        self.num_children = len(self.children_specs)

    def is_leaf(self) -> bool:
        return False

    def _build(self, it):
        values = [c._build(it) for c in self.children_specs]
        if self.type is collections.defaultdict:
            factory, keys = self.context
            return collections.defaultdict(factory, zip(keys, values))
        if self.type in (dict, collections.OrderedDict):
            return self.type(zip(self.context, values))
        if self.type not in (list, tuple):  # a namedtuple
            return self.type(*values)
        return self.type(values)

    def unflatten(self, leaves):
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} "
                             f"but the spec refers to a pytree that holds {self.num_leaves} "
                             f"items ({self}).")
        return self._build(iter(leaves))

    def __eq__(self, other) -> bool:
        return (isinstance(other, TreeSpec) and not other.is_leaf()
                and (self.type, self.context, self.children_specs)
                == (other.type, other.context, other.children_specs))

    def __repr__(self) -> str:
        name = self.type.__name__
        ctx = None if self.type in (list, tuple) else self.context
        if isinstance(ctx, type):
            ctx = ctx.__name__
        return f"TreeSpec({name}, {ctx}, [{', '.join(map(repr, self.children_specs))}])"


class LeafSpec(TreeSpec):
    def __init__(self):
        super().__init__(None, None, [])
        self.num_leaves = 1

    def is_leaf(self) -> bool:
        return True

    def _build(self, it):
        return next(it)

    def __eq__(self, other) -> bool:
        return isinstance(other, LeafSpec)

    def __repr__(self) -> str:
        return "*"


def tree_flatten(tree, is_leaf: Callable[[Any], bool] = None) -> Tuple[List[Any], TreeSpec]:
    """(leaves in order, spec): tree_unflatten(leaves, spec) rebuilds tree."""
    leaves: List[Any] = []

    def walk(x):
        node = None if (is_leaf is not None and is_leaf(x)) else _children(x)
        if node is None:
            leaves.append(x)
            return LeafSpec()
        kind, context, children = node
        return TreeSpec(kind, context, [walk(c) for c in children])
    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, treespec: TreeSpec):
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be "
                        f"instance of TreeSpec but got item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_leaves(tree, is_leaf=None) -> List[Any]:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None) -> TreeSpec:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """The tree with func applied to each leaf (and the matching leaves of rests)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [tree_leaves(r, is_leaf) for r in rests]
    return spec.unflatten(func(*xs) for xs in zip(leaves, *others))


def tree_map_(func, tree, *rests, is_leaf=None):
    """Apply func to each leaf for its side effects; returns tree."""
    leaves = tree_leaves(tree, is_leaf)
    others = [tree_leaves(r, is_leaf) for r in rests]
    for xs in zip(leaves, *others):
        func(*xs)
    return tree


def tree_all(pred, tree, is_leaf=None) -> bool:
    return all(map(pred, tree_leaves(tree, is_leaf)))


def tree_any(pred, tree, is_leaf=None) -> bool:
    return any(map(pred, tree_leaves(tree, is_leaf)))
