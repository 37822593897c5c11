"""vmap as a per-sample loop: each sample runs func alone, the results are stacked.

Correct for any function (nesting, in_dims None/tuples, out_dims); it does not fuse the batch
into single kernels. randomness='same' replays the generator state for every sample;
'different' draws fresh numbers per sample; 'error' raises at the first random draw, as
PyTorch does (the generator reports each draw to clgrad/_capture.py, where vmap listens)."""
import clgrad
from clgrad import _capture

from ._tree import flatten


def _expand_dims(dims, args, what):
    if isinstance(dims, int) or dims is None:
        return [dims] * len(args)
    if isinstance(dims, (tuple, list)) and len(dims) == len(args):
        return list(dims)
    raise ValueError("vmap(%s, in_dims=%r, ...)(<inputs>): in_dims is not compatible with "
                     "the structure of `inputs`. in_dims has structure %r but inputs has "
                     "%d arguments" % (what, dims, dims, len(args)))


class _RandomnessError:
    """Listens to the generators during vmap(randomness='error'): any draw raises. Optimizer
    steps and host checks go on to a capture below it, if one is active."""

    def random_taken(self, generator, seed, start, blocks):
        raise RuntimeError("vmap: called random operation while in randomness error mode. "
                           "Please either use the 'same' or 'different' randomness flags on "
                           "vmap or perform the randomness operation out of vmap")

    def _below(self):
        below = _capture.ACTIVE[:_capture.ACTIVE.index(self)]
        return below[-1] if below else None

    def host_step(self, run, optimizer):
        below = self._below()
        return run() if below is None else below.host_step(run, optimizer)

    def host_check(self, check, args):
        below = self._below()
        return check(*args) if below is None else below.host_check(check, args)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           "'same'. Got %s" % randomness)
    name = getattr(func, "__name__", repr(func))

    def wrapper(*args, **kwargs):
        dims = _expand_dims(in_dims, args, name)
        mapped = []   # per argument: (leaves, rebuild, per-leaf dim)
        size = None
        for a, d in zip(args, dims):
            leaves, rb = flatten(a)
            ds = flatten(d)[0] if isinstance(d, (tuple, list, dict)) else [d] * len(leaves)
            for leaf, dd in zip(leaves, ds):
                if dd is None:
                    continue
                if not isinstance(leaf, clgrad.Tensor):
                    raise ValueError("vmap(%s, in_dims=%r, ...)(<inputs>): Got in_dim=%r for "
                                     "an input but the input is of type %s. We cannot vmap "
                                     "over non-Tensor arguments" % (name, in_dims, dd,
                                                                    type(leaf)))
                if not -leaf.dim() <= dd < max(leaf.dim(), 1):
                    raise ValueError("vmap(%s, in_dims=%r, ...)(<inputs>): Got in_dim=%d for "
                                     "some input, but that input is a Tensor of "
                                     "dimensionality %d so expected in_dim to satisfy "
                                     "-%d <= in_dim < %d." % (name, in_dims, dd, leaf.dim(),
                                                              leaf.dim(), leaf.dim()))
                n = leaf.shape[dd]
                if size is not None and n != size:
                    raise ValueError("vmap: Expected all tensors to have the same size in the "
                                     "mapped dimension, got sizes %d and %d for the mapped "
                                     "dimension" % (size, n))
                size = n
            mapped.append((leaves, rb, ds))
        if size is None:
            raise ValueError("vmap(%s, in_dims=%r, ...)(<inputs>): vmap must have at least "
                             "one non-None value in in_dims" % (name, in_dims))
        state = clgrad.random.get_rng_state() if randomness == "same" else None
        results = []
        listener = _RandomnessError() if randomness == "error" else None
        if listener is not None:
            _capture.ACTIVE.append(listener)
        try:
            for b in range(size):
                if state is not None:
                    clgrad.random.set_rng_state(state)
                sample = [rb([leaf if dd is None else leaf.select(dd, b)
                              for leaf, dd in zip(leaves, ds)]) for leaves, rb, ds in mapped]
                results.append(func(*sample, **kwargs))
        finally:
            if listener is not None:
                _capture.ACTIVE.remove(listener)
        out_leaves0, out_rb = flatten(results[0])
        ods = (flatten(out_dims)[0] if isinstance(out_dims, (tuple, list))
               else [out_dims] * len(out_leaves0))
        if len(ods) != len(out_leaves0):
            raise ValueError("vmap(%s, ...): out_dims is not compatible with the structure of "
                             "`outputs`" % name)
        columns = [flatten(r)[0] for r in results]
        stacked = []
        for k, od in enumerate(ods):
            items = [c[k] for c in columns]
            if not isinstance(items[0], clgrad.Tensor):
                raise ValueError("vmap(%s, ...): `%s` must only return Tensors, got type %s. "
                                 "Did you mean to set out_dims= to None for output?"
                                 % (name, name, type(items[0])))
            if od is None:
                stacked.append(items[0])
            else:
                stacked.append(clgrad.stack(items, dim=od))
        return out_rb(stacked)
    return wrapper
