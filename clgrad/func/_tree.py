"""Minimal pytrees (tuple, list, dict of tensors or other leaves): flatten and rebuild."""


def flatten(tree):
    """(leaves, rebuild) where rebuild(new_leaves) gives the same structure."""
    if isinstance(tree, (tuple, list)):
        parts = [flatten(t) for t in tree]
        counts = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, i = [], 0
            for (_, rb), n in zip(parts, counts):
                out.append(rb(leaves[i:i + n]))
                i += n
            return type(tree)(out) if not hasattr(tree, "_fields") else type(tree)(*out)
        return [leaf for p in parts for leaf in p[0]], rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        vals, rb = flatten([tree[k] for k in keys])
        return vals, lambda leaves: dict(zip(keys, rb(leaves)))
    return [tree], lambda leaves: leaves[0]


def tree_map(fn, tree):
    leaves, rebuild = flatten(tree)
    return rebuild([fn(x) for x in leaves])
