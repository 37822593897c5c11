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

# The active captures, innermost last; each has random_taken(gen, seed, start, blocks) and
# host_step(run, optimizer) (see backends/cl/capture.py:Capture).
ACTIVE: list = []


def random_taken(generator, seed: int, start: int, blocks: int) -> None:
    """A generator handed out counter blocks [start, start + blocks) under `seed`."""
    for capture in ACTIVE:
        capture.random_taken(generator, seed, start, blocks)


def host_step(run, optimizer):
    """Run (or record, for the innermost capture) an optimizer step: `run()` does it."""
    if not ACTIVE:
        return run()
    return ACTIVE[-1].host_step(run, optimizer)
