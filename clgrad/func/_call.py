"""functional_call: run a module with some parameters and buffers swapped for given tensors."""


def _owner(module, name):
    *path, leaf = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, leaf


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    if isinstance(parameter_and_buffer_dicts, dict):
        given = dict(parameter_and_buffer_dicts)
    else:
        given = {}
        for d in parameter_and_buffer_dicts:
            dup = set(given) & set(d)
            if dup:
                raise ValueError("%s appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous" % sorted(dup)[0])
            given.update(d)
    current = dict(module.named_parameters(remove_duplicate=False))
    current.update(dict(module.named_buffers(remove_duplicate=False)))
    if tie_weights:
        # A tensor given for one name of a tied weight replaces it under all its names.
        by_id = {}
        for n, t in current.items():
            by_id.setdefault(id(t), []).append(n)
        for n in list(given):
            if n in current:
                for other in by_id[id(current[n])]:
                    given.setdefault(other, given[n])
    if strict:
        missing = sorted(set(current) - set(given))
        unexpected = sorted(set(given) - set(current))
        if missing or unexpected:
            msg = "Error(s) in reparametrizing for %s:" % type(module).__name__
            if unexpected:
                msg += "\n\tUnexpected key(s): %s." % ", ".join(repr(k) for k in unexpected)
            if missing:
                msg += "\n\tMissing key(s): %s." % ", ".join(repr(k) for k in missing)
            raise RuntimeError(msg)
    saved = []
    try:
        for name, value in given.items():
            owner, leaf = _owner(module, name)
            for store in ("_parameters", "_buffers"):
                d = owner.__dict__.get(store, {})
                if leaf in d:
                    saved.append((d, leaf, d[leaf]))
                    d[leaf] = value
                    break
            else:
                saved.append((owner.__dict__, leaf, owner.__dict__.get(leaf, _ABSENT)))
                owner.__dict__[leaf] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for d, leaf, old in reversed(saved):
            if old is _ABSENT:
                del d[leaf]
            else:
                d[leaf] = old


_ABSENT = object()
