"""Capture and replay on the cpu device: the backend's numpy calls, recorded with their tensors
bound, run again in order (clgrad.compile on cpu).

While a CpuCapture is active, each contract method of the cpu backend instance is replaced by
a recorder (instance attributes, so the class and other devices are untouched) that runs the
call and, at the outermost level, keeps (method, args). A replay calls them again: the same
numpy work on the same arrays, without the op layer's Python in between. A host read at the
outermost level (to_host, view, flat from the op layer) marks the recording unusable, as on cl.
Random calls get their seed/ctr arguments from the generator again at each replay.
"""
from __future__ import annotations

import inspect

from ... import _capture
from ..._capture import caller
from ..base import Backend

# Memory bookkeeping: nothing a replay must repeat (the tensors a region made stay with it).
_NOT_RECORDED = frozenset({"check_dtype", "empty", "release", "from_host", "synchronize",
                           "scratch"})
# Reads that give the op layer a value; the region's Python may depend on it.
_HOST_READS = frozenset({"to_host", "view", "flat"})


def _contract_methods() -> list:
    return [name for name, value in vars(Backend).items()
            if callable(value) and not name.startswith("_") and name not in _NOT_RECORDED]


class CpuCapture(_capture.Recorder):
    """Records the cpu backend's calls between begin() and end(); replay() runs them again."""

    def __init__(self, backend, execute: bool = True):
        super().__init__(execute)
        self.backend = backend
        self._depth = 0
        self._random_params: dict = {}

    def begin(self) -> "CpuCapture":
        backend = self.backend
        for name in _contract_methods() + list(_HOST_READS - set(_contract_methods())):
            method = getattr(backend, name)
            setattr(backend, name, self._recorder(name, method))
        _capture.ACTIVE.append(self)
        return self

    def end(self) -> None:
        for name in _contract_methods() + list(_HOST_READS):
            self.backend.__dict__.pop(name, None)
        if self in _capture.ACTIVE:
            _capture.ACTIVE.remove(self)

    def _recorder(self, name: str, method):
        is_read = name in _HOST_READS

        def record(*args, **kwargs):
            if self._depth or self._in_host_step:
                return method(*args, **kwargs)
            if is_read:
                if self.broken is None:
                    self.broken = (f"a host read of a tensor's value ({name}) at {caller()}; "
                                   "a replay could not repeat what follows it")
                return method(*args, **kwargs)
            random = self._random_binding(name, method, args, kwargs)
            self.commands.append(("call", method, args, kwargs, random))
            self._depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                self._depth -= 1
        return record

    def _random_binding(self, name: str, method, args: tuple, kwargs: dict):
        """For a call with seed and ctr parameters: (their positions, the generator)."""
        params = self._random_params.get(name)
        if params is None:
            names = list(inspect.signature(method).parameters)
            params = self._random_params[name] = (
                (names.index("seed"), names.index("ctr")) if "seed" in names and "ctr" in names
                else ())
        if not params or kwargs:
            if params and self.broken is None:
                self.broken = f"a random call ({name}) with keyword arguments"
            return None
        seed, ctr = args[params[0]], args[params[1]]
        generator = self.generator_of(seed, ctr)
        if generator is None:
            if self.broken is None:
                self.broken = f"a random call ({name}) whose seed is not a clgrad.Generator's"
            return None
        return params, generator, ctr

    def replay(self) -> None:
        shifts = self.advance_generators()
        for command in self.commands:
            if command[0] == "call":
                _, method, args, kwargs, random = command
                if random is not None:
                    (seed_at, ctr_at), generator, ctr = random
                    args = list(args)
                    args[seed_at] = generator._seed
                    args[ctr_at] = (ctr + shifts[generator]) % 2 ** 64
                method(*args, **kwargs)
            else:
                self.run_host_step(command)

    @property
    def launch_count(self) -> int:
        return sum(1 for c in self.commands if c[0] == "call")
