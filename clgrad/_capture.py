"""The captures in progress, as the layers below the capture code see them.

Capture itself lives above (backends/cl/capture.py records a device's launches; cl_graphs.py
and compiler.py drive it). Two things far below it must tell a capture what they do, without
importing it: the random generator, whose draws a replay must advance as eager execution would
(each replay continues the stream instead of repeating the captured numbers), and the
optimizer, whose step() is re-run on the host at each replay so that learning rates set by a
scheduler and step counts keep working. They call the functions here, which cost one list test
when nothing is captured.
"""
from __future__ import annotations

import inspect
import os

_PACKAGE = os.path.dirname(os.path.abspath(__file__))

# The active captures, innermost last: Recorders, and vmap's randomness listener; each has
# random_taken(gen, seed, start, blocks), host_step(run, optimizer), host_check(check, args).
ACTIVE: list = []


def outside_frames() -> int:
    """How many frames up the first frame outside clgrad is (a warning's stacklevel)."""
    for level, frame in enumerate(inspect.stack()[1:], start=1):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            return level
    return 1


def caller() -> str:
    """The first frame outside clgrad: what a capture error names as the offending code."""
    for frame in inspect.stack()[2:]:
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            code = frame.code_context[0].strip() if frame.code_context else frame.function
            return f"{frame.filename}:{frame.lineno}: {code}"
    return "clgrad"


class CaptureError(RuntimeError):
    """A region that cannot be captured (raised in record-only mode, or by fullgraph)."""


def random_taken(generator, seed: int, start: int, blocks: int) -> None:
    """A generator handed out counter blocks [start, start + blocks) under `seed`."""
    for capture in ACTIVE:
        capture.random_taken(generator, seed, start, blocks)


def host_check(check, *args) -> None:
    """Run a check of host values (the cpu device's domain checks): a capture records it to
    run again at each replay, and the values it reads are no host read to the capture."""
    if not ACTIVE:
        return check(*args)
    return ACTIVE[-1].host_check(check, args)


def host_step(run, optimizer):
    """Run (or record, for the innermost capture) an optimizer step: `run()` does it."""
    if not ACTIVE:
        return run()
    return ACTIVE[-1].host_step(run, optimizer)


class Recorder:
    """What every device's capture shares: the random draws a replay must continue, the
    optimizer steps it must re-run, and why a recording cannot be replayed (`broken`)."""

    def __init__(self, execute: bool):
        self.execute = execute
        # Device commands, ("host", run, grads) optimizer steps, ("check", fn, args) checks.
        self.commands: list = []
        self.broken: str | None = None
        self.cpu_compute = False  # a cl region computed on the cpu device (compile's guard)
        self._in_host_step = 0
        self._takes: dict = {}  # (seed, start) -> (generator, blocks)
        self._drawn: dict = {}  # generator -> [first start, blocks drawn]

    def random_taken(self, generator, seed: int, start: int, blocks: int) -> None:
        if self._in_host_step:
            return
        self._takes[(seed, start)] = (generator, blocks)
        drawn = self._drawn.get(generator)
        if drawn is None:
            self._drawn[generator] = [start, blocks]
        else:
            drawn[1] += blocks

    def generator_of(self, seed: int, ctr: int):
        """The generator whose draw during the capture handed out counter `ctr`, or None."""
        found = self._takes.get((seed, ctr))
        if found is None:  # a counter inside a draw
            for (s, start), (gen, blocks) in self._takes.items():
                if s == seed and start <= ctr < start + max(blocks, 1):
                    found = (gen, blocks)
                    break
        return None if found is None else found[0]

    def advance_generators(self) -> dict:
        """At a replay: move each generator past what the capture drew, and return for each
        how far this replay's counters lie from the captured ones."""
        shifts = {}
        for generator, (first, blocks) in self._drawn.items():
            shifts[generator] = generator._offset - first
            generator._offset = (generator._offset + blocks) % 2 ** 64
        return shifts

    def host_step(self, run, optimizer):
        """An optimizer step inside the region: recorded to run again at each replay, with
        the gradients the region left in `.grad` (a replay does not re-run zero_grad)."""
        if self._in_host_step:
            return run()
        grads = [(p, p.grad) for group in optimizer.param_groups for p in group["params"]]
        self.commands.append(("host", run, grads))
        if not self.execute:
            return None
        self._in_host_step += 1
        try:
            return run()
        finally:
            self._in_host_step -= 1

    def host_check(self, check, args: tuple) -> None:
        if not self._in_host_step:
            self.commands.append(("check", check, args))
        self._in_host_step += 1
        try:
            check(*args)
        finally:
            self._in_host_step -= 1

    @staticmethod
    def run_host_step(command) -> None:
        """Replay a ("host", run, grads) optimizer step or a ("check", check, args)."""
        if command[0] == "check":
            command[1](*command[2])
            return
        for param, grad in command[2]:
            if grad is not None:
                param.grad = grad
        command[1]()
