"""vmap: the function runs once on BatchedTensors (batching rules, one op per op on the
physical tensors), falling back to a per-sample loop.

Batched mode: each mapped input becomes a BatchedTensor (clgrad/func/_batched.py) of this vmap's
level; while the outermost batched vmap runs, clgrad.* and clgrad.nn.functional.* are swapped
for batch-aware forms (clgrad/func/_rules.py) and restored on exit, so eager code outside vmap
pays nothing. Ops without a rule run once per sample and are stacked (the per-op fallback).
Where the function cannot run on BatchedTensors at all (op code reaching into a tensor's
storage, a host read that differs between samples, in-place writes of batched values into an
unbatched tensor, nested random draws), any exception in the batched run makes vmap rerun the
function as the per-sample loop: each sample runs func alone, the results are stacked, and
errors are raised from there (so the messages are those of the unbatched ops). The rerun repeats
the function's Python side effects; a batched run that wrote into its inputs in place before
failing raises instead of rerunning (the loop would write twice).

randomness='same' replays the generator state for every sample (batched: a draw without
batched inputs is made once and broadcasts); 'different' draws fresh numbers per sample
(batched: rand/randn/dropout/... draw the whole batch at once); 'error' raises at the first
random draw, as PyTorch does (the generator reports each draw to clgrad/_capture.py, where vmap
listens)."""
import clgrad
from clgrad import _capture

from . import _batched
from ._batched import LEVELS, SANCTIONED, Level, Unbatchable, wrap
from ._tree import flatten

# How calls went: "batched" runs, "loop" reruns as a per-sample loop, per-op "op_fallback"s.
STATS = {"batched": 0, "loop": 0, "op_fallback": 0}
# Tests set this to see the exception that sends a batched run to the loop.
STRICT = [False]
_ERROR_MESSAGE = ("vmap: called random operation while in randomness error mode. Please either "
                  "use the 'same' or 'different' randomness flags on vmap or perform the "
                  "randomness operation out of vmap")


def _output_error(message: str) -> ValueError:
    """An error in what the function returned (a ValueError, as PyTorch's): raised as it is,
    not rerun as the loop."""
    e = ValueError(message)
    e._vmap_output = True
    return e


def _spec(tree, indent: int = 0) -> str:
    """A pytree's structure as torch.utils._pytree.TreeSpec prints it."""
    if isinstance(tree, (tuple, list, dict)):
        kind = ("namedtuple" if hasattr(tree, "_fields") else type(tree).__name__)
        context = (repr(list(tree)) if isinstance(tree, dict)
                   else repr(type(tree)) if hasattr(tree, "_fields") else "None")
        children = list(tree.values()) if isinstance(tree, dict) else list(tree)
        text = ""
        if children:
            indent += 2
            text = _spec(children[0], indent) + ("," if len(children) > 1 else "")
            text += ",".join("\n" + " " * indent + _spec(c, indent) for c in children[1:])
        return "TreeSpec(%s, %s, [%s])" % (kind, context, text)
    return "*"


def _broadcast(dims, tree):
    """dims (a prefix of tree's structure) given for each leaf of tree, or None where they do
    not match (torch's _broadcast_to_and_flatten)."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(flatten(tree)[0])
    if isinstance(tree, dict):
        if not isinstance(dims, dict) or list(dims) != list(tree):
            return None
        pairs = [(dims[k], tree[k]) for k in tree]
    elif isinstance(tree, (tuple, list)):
        if type(dims) is not type(tree) or len(dims) != len(tree):
            return None
        pairs = list(zip(dims, tree))
    else:
        return None
    out = []
    for d, t in pairs:
        sub = _broadcast(d, t)
        if sub is None:
            return None
        out += sub
    return out


class _Listener:
    """Hears the generators during vmap (captures hear them the same way). randomness='error':
    any draw raises. Batched mode also counts draws (the per-op fallback replays the generator
    for 'same') and stops the batched run where a draw cannot be batched ('different' outside
    a rule that draws per sample, or vmaps nested in batched mode). Optimizer steps and host
    checks go on to a capture below it, if one is active."""

    def __init__(self, randomness, info=None):
        self.randomness = randomness
        self.info = info

    def random_taken(self, generator, seed, start, blocks):
        if self.randomness == "error":
            raise RuntimeError(_ERROR_MESSAGE)
        info = self.info
        if info is None:
            return
        info.draws += 1
        if len(LEVELS) > 1:
            raise Unbatchable("vmap: random draws under nested batched vmaps")
        if self.randomness == "different" and not SANCTIONED[0]:
            raise Unbatchable("vmap: a random draw the batching rules did not make")

    def _below(self):
        below = _capture.ACTIVE[:_capture.ACTIVE.index(self)]
        return below[-1] if below else None

    def host_step(self, run, optimizer):
        below = self._below()
        return run() if below is None else below.host_step(run, optimizer)

    def host_check(self, check, args):
        below = self._below()
        return check(*args) if below is None else below.host_check(check, args)


def _validate(name, in_dims, args):
    """(per argument: (leaves, rebuild, per-leaf dims), batch size), PyTorch's checks."""
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError("vmap(%s, in_dims=%s, ...)(<inputs>): expected `in_dims` to be int or "
                         "a (potentially nested) tuple matching the structure of inputs, got: "
                         "%s." % (name, in_dims, type(in_dims)))
    if not args:
        raise ValueError("vmap(%s)(<inputs>): got no inputs. Maybe you forgot to add inputs, or "
                         "you are trying to vmap over a function with no inputs. The latter is "
                         "unsupported." % name)
    flat = _broadcast(in_dims, tuple(args))
    if flat is None:
        raise ValueError("vmap(%s, in_dims=%s, ...)(<inputs>): in_dims is not compatible with "
                         "the structure of `inputs`. in_dims has structure %s but inputs has "
                         "structure %s." % (name, in_dims, _spec(in_dims), _spec(tuple(args))))
    mapped = []
    sizes = []
    i = 0
    for a in args:
        leaves, rb = flatten(a)
        ds = flat[i:i + len(leaves)]
        i += len(leaves)
        for k, (leaf, dd) in enumerate(zip(leaves, ds)):
            if leaf is None:
                ds[k] = None  # None is an empty pytree in PyTorch: nothing to map
                continue
            if dd is None:
                continue
            if not isinstance(dd, int):
                raise ValueError("vmap(%s, in_dims=%s, ...)(<inputs>): Got in_dim=%s for an "
                                 "input but in_dim must be either an integer dimension or "
                                 "None." % (name, in_dims, dd))
            if not isinstance(leaf, clgrad.Tensor):
                raise ValueError("vmap(%s, in_dims=%s, ...)(<inputs>): Got in_dim=%s for an "
                                 "input but the input is of type %s. We cannot vmap over "
                                 "non-Tensor arguments, please use None as the respective "
                                 "in_dim" % (name, in_dims, dd, type(leaf)))
            if not -leaf.dim() <= dd < leaf.dim():
                raise ValueError("vmap(%s, in_dims=%s, ...)(<inputs>): Got in_dim=%d for "
                                 "some input, but that input is a Tensor of "
                                 "dimensionality %d so expected in_dim to satisfy "
                                 "-%d <= in_dim < %d." % (name, in_dims, dd, leaf.dim(),
                                                          leaf.dim(), leaf.dim()))
            sizes.append(leaf.shape[dd])
        mapped.append((leaves, rb, ds))
    if not sizes:
        raise ValueError("vmap(%s, in_dims=%s, ...)(<inputs>): vmap must have at least one "
                         "non-None value in in_dims" % (name, in_dims))
    if any(n != sizes[0] for n in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         "dimension, got sizes %s for the mapped dimension" % sizes)
    return mapped, sizes[0]


def _check_out_dims(name, out_dims):
    for od in flatten(out_dims)[0] if isinstance(out_dims, (tuple, list, dict)) else [out_dims]:
        if od is not None and not isinstance(od, int):
            raise _output_error("vmap(%s, ..., out_dims=%s): `out_dims` must be an int, None "
                                "or a python collection of ints representing where in the "
                                "outputs the vmapped dimension should appear."
                                % (name, out_dims))


def _out_dims(name, out_dims, out):
    """The out_dim of each leaf of the output `out` (PyTorch's structure rules and errors)."""
    if isinstance(out, clgrad.Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        ods = None
    else:
        ods = _broadcast(out_dims, out)
    if ods is None:
        raise _output_error("vmap(%s, ..., out_dims=%s)(<inputs>): out_dims is not compatible "
                            "with the structure of `outputs`. out_dims has structure %s but "
                            "outputs has structure %s." % (name, out_dims, _spec(out_dims),
                                                           _spec(out)))
    return ods


def _versions(mapped) -> list:
    """The version counters of the input tensors (of their physical tensors under vmap)."""
    out = []
    for leaves, _, _ in mapped:
        for leaf in leaves:
            while type(leaf) is _batched.BatchedTensor:
                leaf = leaf._bvalue
            if isinstance(leaf, clgrad.Tensor):
                out.append(leaf._version_count)
    return out


def _loop(func, name, mapped, size, out_dims, randomness, kwargs):
    """Each sample alone, the results stacked (vmap before batching rules, and its fallback)."""
    state = clgrad.random.get_rng_state() if randomness == "same" else None
    results = []
    listener = _Listener("error") if randomness == "error" else None
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
    ods = _out_dims(name, out_dims, results[0])
    columns = [flatten(r)[0] for r in results]
    stacked = []
    for k, od in enumerate(ods):
        items = [c[k] for c in columns]
        if od is None:
            stacked.append(items[0])
            continue
        if not isinstance(items[0], clgrad.Tensor):
            raise ValueError("vmap(%s, ...): `%s` must only return Tensors, got type %s. "
                             "Did you mean to set out_dims= to None for output?"
                             % (name, name, type(items[0])))
        stacked.append(clgrad.stack(items, dim=od))
    return out_rb(stacked)


def _batched_run(func, name, mapped, size, out_dims, randomness, kwargs):
    from . import _rules
    level = (LEVELS[-1].level if LEVELS else 0) + 1
    info = Level(level, size, randomness)
    outermost = not LEVELS
    if outermost:
        try:
            _rules.install()
        except BaseException:
            _rules.uninstall()
            raise
    LEVELS.append(info)
    listener = _Listener(randomness, info)
    _capture.ACTIVE.append(listener)
    try:
        args = [rb([leaf if dd is None else wrap(leaf.movedim(dd, 0) if dd else leaf, level)
                    for leaf, dd in zip(leaves, ds)]) for leaves, rb, ds in mapped]
        out = func(*args, **kwargs)
        out_leaves, out_rb = flatten(out)
        ods = _out_dims(name, out_dims, out)
        result = []
        for o, od in zip(out_leaves, ods):
            batched = type(o) is _batched.BatchedTensor and o._blevel == level
            if od is None:
                if batched:
                    raise _output_error("vmap(%s, ...): `%s` can not return a BatchedTensor "
                                        "when out_dim is None" % (name, name))
                result.append(o)
                continue
            if not isinstance(o, clgrad.Tensor):
                raise _output_error("vmap(%s, ...): `%s` must only return Tensors, got type "
                                    "%s. Did you mean to set out_dims= to None for output?"
                                    % (name, name, type(o)))
            if batched:
                v = o._bvalue
                result.append(v.movedim(0, od) if od else v)
            else:
                r = o.dim()
                d = od % (r + 1) if -(r + 1) <= od <= r else od
                e = o.unsqueeze(d)
                shape = list(e.shape)
                shape[d] = size
                result.append(e.expand(shape))
        return out_rb(result)
    finally:
        _capture.ACTIVE.remove(listener)
        LEVELS.pop()
        if outermost:
            _rules.uninstall()


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           "'same'. Got %s" % randomness)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("vmap: chunk_size should be None or greater than 0. (got %s)"
                         % chunk_size)
    name = getattr(func, "__name__", repr(func))

    def run(mapped, size, kwargs):
        state = clgrad.random.get_rng_state() if randomness == "same" else None
        versions = _versions(mapped)
        try:
            out = _batched_run(func, name, mapped, size, out_dims, randomness, kwargs)
            STATS["batched"] += 1
            return out
        except Exception as e:
            if STRICT[0] or getattr(e, "_vmap_output", False):
                raise
            if _versions(mapped) != versions:
                # the loop would write into the inputs a second time: say so instead
                raise RuntimeError("vmap(%s): the function wrote into its inputs in place and "
                                   "then met an op that cannot run batched (%s: %s); move the "
                                   "in-place writes after it, or out of vmap"
                                   % (name, type(e).__name__, e)) from e
        STATS["loop"] += 1
        if state is not None:
            clgrad.random.set_rng_state(state)
        return _loop(func, name, mapped, size, out_dims, randomness, kwargs)

    def wrapper(*args, **kwargs):
        _check_out_dims(name, out_dims)
        mapped, size = _validate(name, in_dims, args)
        if chunk_size is None or chunk_size >= size:
            return run(mapped, size, kwargs)
        state = clgrad.random.get_rng_state() if randomness == "same" else None
        parts = []
        for start in range(0, size, chunk_size):
            n = min(chunk_size, size - start)
            if state is not None:
                clgrad.random.set_rng_state(state)
            chunk = [(
                [leaf if dd is None else leaf.narrow(dd, start, n) for leaf, dd in zip(lv, ds)],
                rb, ds) for lv, rb, ds in mapped]
            parts.append(run(chunk, n, kwargs))
        leaves0, out_rb = flatten(parts[0])
        ods = _out_dims(name, out_dims, parts[0])
        columns = [flatten(p)[0] for p in parts]
        joined = [columns[0][k] if od is None else clgrad.cat([c[k] for c in columns], dim=od)
                  for k, od in enumerate(ods)]
        return out_rb(joined)
    return wrapper
