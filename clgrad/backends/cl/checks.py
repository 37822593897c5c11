"""The device-side error word: values only the device sees (an index, a target class, an
integer divisor, a probability) are checked by the kernel that reads them, and the host
raises PyTorch's error at its next synchronisation (CUDA's device-side assert, naming the op).

Each device queue has one word, int[4] = {code, launch id, value low, value high}. A checking
kernel declares signature.error_word() last and calls clgrad_report (common.cl.mako), which
keeps the first error only (atomic_cmpxchg on the code). The launch that passes a Check takes
an id and remembers (id -> check) in a small ring, so the message can name the op.

The word is read where the host waits anyway: DeviceRuntime.read enqueues a non-blocking read
of the word before its blocking data read (the queue is in order, so both are done when the
data read returns), and synchronize reads it after finish(). Only after a checking launch
("armed"): other reads pay one attribute test. CLGRAD_LAUNCH_BLOCKING=1 waits and checks after
every launch, so the traceback points at the op.
"""
from __future__ import annotations

import numpy as np

# Condition codes a kernel reports; the Check of its launch maps each to PyTorch's error.
TARGET = 1        # a class index outside [0, C) (nll_loss, cross_entropy)
ZERO_DIVISOR = 2  # integer division or remainder by zero
INDEX = 3         # an index outside its dim (gather, scatter, embedding, index_select, ...)
PROBABILITY = 4   # a probability that is negative, infinite or NaN (multinomial)
PROB_SUM = 5      # a row of probabilities that sums to zero (multinomial)
PROB_FEW = 6      # fewer positive categories than samples without replacement
DOMAIN = 7        # a value outside the op's domain (binary_cross_entropy, bernoulli)

_RING = 256  # launches remembered; an older one's error is still raised, without its op name

# What an error means when its launch has dropped out of the ring.
_GENERIC = {
    TARGET: (IndexError, "Target {value} is out of bounds."),
    ZERO_DIVISOR: (RuntimeError, "ZeroDivisionError"),
    INDEX: (IndexError, "index {value} is out of bounds"),
    PROBABILITY: (RuntimeError, "probability tensor contains either `inf`, `nan` or element < 0"),
    PROB_SUM: (RuntimeError, "invalid multinomial distribution (sum of probabilities <= 0)"),
    PROB_FEW: (RuntimeError, "invalid multinomial distribution (with replacement=False, not "
                             "enough non-negative category to sample)"),
    DOMAIN: (RuntimeError, "a value is outside the op's domain"),
}


class Check:
    """What a checking launch's errors mean: the op's name and, per condition code, PyTorch's
    exception type and message (`{value}` stands for the value the kernel reported)."""

    __slots__ = ("op", "conditions")

    def __init__(self, op: str, conditions: dict):
        self.op = op
        self.conditions = conditions

    def error(self, code: int, value: int) -> Exception:
        exc_type, message = self.conditions.get(code) or _GENERIC.get(  # high bits: an operand
            code & 0xFF, (RuntimeError, "device-side check failed (code {code})"))
        return exc_type(message.format(value=value, code=code))


class ErrorWord:
    """One queue's error word, the ring of checking launches, and the host copy it is read
    into."""

    def __init__(self, context):
        import pyopencl as cl
        self._cl = cl
        self.host = np.zeros(4, np.int32)
        self._zero = np.zeros(4, np.int32)  # kept alive: the clearing write is non-blocking
        self.buffer = cl.Buffer(context, cl.mem_flags.READ_WRITE | cl.mem_flags.COPY_HOST_PTR,
                                hostbuf=self._zero)
        self.ring = [None] * _RING
        self.next_id = 1
        self.armed = False  # a checking launch was enqueued since the last read of the word

    def record(self, check: Check) -> int:
        """A fresh launch id for `check` (remembered in the ring)."""
        launch_id = self.next_id
        self.next_id = launch_id + 1 if launch_id < 2 ** 31 - 1 else 1
        self.ring[launch_id % _RING] = (launch_id, check)
        self.armed = True
        return launch_id

    def enqueue_read(self, queue) -> None:
        """Read the word into self.host once the commands before it are done (no wait)."""
        self._cl.enqueue_copy(queue, self.host, self.buffer, is_blocking=False)

    def raise_pending(self, queue) -> None:
        """Raise the error self.host holds (read by a completed command), clearing the word;
        disarm when there is none."""
        code = int(self.host[0])
        self.armed = False
        if not code:
            return
        launch_id = int(self.host[1])
        value = (int(self.host[3]) << 32) | (int(self.host[2]) & 0xFFFFFFFF)
        self.host[:] = 0
        self._cl.enqueue_copy(queue, self.buffer, self._zero, is_blocking=False)
        entry = self.ring[launch_id % _RING]
        if entry is not None and entry[0] == launch_id:
            check = entry[1]
            exc = check.error(code, value)
            exc.add_note(f"clgrad: a device-side check of {check.op} (cl launch {launch_id}) "
                         "failed; it is raised at the next synchronisation. Set "
                         "CLGRAD_LAUNCH_BLOCKING=1 to raise at the op itself.")
        else:
            exc = Check("an earlier op", {}).error(code, value)
            exc.add_note(f"clgrad: a device-side check of cl launch {launch_id} failed (the op "
                         "is no longer recorded). Set CLGRAD_LAUNCH_BLOCKING=1 to raise at the "
                         "op itself.")
        raise exc

    def check(self, queue) -> None:
        """Wait for the queue and raise its pending error, if any."""
        self._cl.enqueue_copy(queue, self.host, self.buffer, is_blocking=True)
        self.raise_pending(queue)
