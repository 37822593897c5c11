"""Capture and replay of one OpenCL device's commands: the engine of cl graphs and compile.

While a Capture is active it stands in for the device runtime's command methods (launch,
copy, write, read, synchronize) and its memory pool, as instance attributes: every command
clgrad issues goes through those (runtime.py), so nothing else needs to know. Each launch is
recorded as a new OpenCL kernel object with its arguments set once, so a replay is one
enqueue per launch and nothing is packed again.

Two modes:
- record only (`execute=False`, cl graphs as CUDA graphs): nothing runs at capture; a host read
  or a synchronisation raises, since no result exists yet;
- record while executing (`execute=True`, compile): the region runs as in eager mode and is
  recorded; a host read still succeeds but marks the capture unusable (`broken` says why),
  since what follows may depend on the value read.

What a replay must do differently from the capture:
- random draws continue the generator's stream: each launch's `seed`/`ctr` arguments are set
  again from the generator's state at the replay (see clgrad/_capture.py);
- optimizer steps run again on the host (they read learning rates and step counts there);
- device-side checks re-register their launch ids, so an error still names its op.
"""
from __future__ import annotations

from ... import _capture
from ..._capture import CaptureError, caller
from .runtime import DeviceRuntime, cl

_COMMANDS = ("launch", "copy", "write", "read", "synchronize")


class _Launch:
    __slots__ = ("kernel", "global_size", "local_size", "cl_kernel", "random", "check", "_keep")

    def __init__(self, kernel, global_size, local_size, args, random, check):
        self.kernel = kernel
        self.global_size = global_size
        self.local_size = local_size
        # A kernel object of its own, arguments set once: replay only enqueues it.
        k = cl.Kernel(kernel.cl.program, kernel.cl.function_name)
        dtypes = [t for a in kernel.args for t in a.arg_dtypes()]
        k.set_scalar_arg_dtypes(dtypes)
        k.set_args(*args)
        self.cl_kernel = k
        # [(position, 'seed' | 'ctr', generator, captured counter)] to set at each replay.
        self.random = random
        self.check = check  # (launch id, checks.Check) or None
        self._keep = list(args)  # the buffers stay alive with the recording


class Capture(_capture.Recorder):
    """Records one device's commands between begin() and end(); replay() issues them again.
    Commands: ("launch", _Launch), ("copy"|"write", ...), ("host", ...) optimizer steps."""

    def __init__(self, rt: DeviceRuntime, pool=None, execute: bool = False):
        super().__init__(execute)
        self.rt = rt
        self.pool = pool
        self._saved: dict = {}
        self._real: dict = {}
        self._random_slots: dict = {}  # kernel -> {"seed": position, "ctr": position}
        self._segments = None  # replay's plan, made at the first replay (see _segment)
        self._special = ((), ())  # (random launches, (launch id, check) pairs), by _segment

    # -- swapping the runtime's commands ------------------------------------------------------
    def begin(self) -> "Capture":
        rt = self.rt
        for name in _COMMANDS + ("pool",):
            self._saved[name] = rt.__dict__.get(name, _MISSING)
            self._real[name] = getattr(rt, name)
        rt.launch = self._launch
        rt.copy = self._copy
        rt.write = self._write
        rt.read = self._read
        rt.synchronize = self._synchronize
        if self.pool is not None:
            rt.pool = self.pool
        _capture.ACTIVE.append(self)
        return self

    def end(self) -> None:
        rt = self.rt
        for name, value in self._saved.items():
            if value is _MISSING:
                rt.__dict__.pop(name, None)
            else:
                setattr(rt, name, value)
        self._saved.clear()
        if self in _capture.ACTIVE:
            _capture.ACTIVE.remove(self)

    def _refuse(self, what: str):
        if not self.execute:
            raise CaptureError(
                f"{what} is not allowed while the cl device's commands are being captured (at "
                f"{caller()}): a captured region runs on the device only, and its values exist "
                "only once it is replayed")
        if self.broken is None:
            self.broken = f"{what} at {caller()}; a replay could not repeat what follows it"

    # -- the recording stand-ins ----------------------------------------------------------------
    def _launch(self, kernel, global_size, local_size, args, check=None) -> None:
        if self._in_host_step:
            return self._real["launch"](kernel, global_size, local_size, args, check)
        # DeviceRuntime.launch's normalisation (inline there, as the eager hot path).
        rt = self.rt
        checked = None
        if check is not None:
            launch_id = rt.errors.record(check)
            checked = (launch_id, check)
            if args.__class__ is dict:
                args = dict(args, err=rt.errors.buffer, err_id=launch_id)
            else:
                args = args + [rt.errors.buffer, launch_id]
        random = None
        if args.__class__ is dict:
            if "seed" in args and "ctr" in args:
                random = self._random_args(kernel, args)
            args = kernel.pack(args)
        if global_size.__class__ is int:
            global_size, local_size = rt.geometry(global_size, local_size)
        self.commands.append(("launch", _Launch(kernel, global_size, local_size, args, random,
                                                checked)))
        if self.execute:
            self._real["launch"](kernel, global_size, local_size, args)

    def _copy(self, dst, src, nbytes: int) -> None:
        if self._in_host_step:
            return self._real["copy"](dst, src, nbytes)
        self.commands.append(("copy", dst, src, nbytes))
        if self.execute:
            self._real["copy"](dst, src, nbytes)

    def _write(self, buf, array, offset: int = 0, blocking: bool = True) -> None:
        # Replayed from the same host array: a constant stays constant, and a view of a
        # host tensor's memory is read again as it is at the replay (as a CUDA graph's copy
        # from host memory does).
        if self._in_host_step:
            return self._real["write"](buf, array, offset, blocking)
        self.commands.append(("write", buf, array, offset))
        if self.execute:
            self._real["write"](buf, array, offset, True)

    def _read(self, array, buf, offset: int = 0) -> None:
        if self._in_host_step:
            return self._real["read"](array, buf, offset)
        self._refuse("Reading a cl tensor's value on the host (.item(), .tolist(), .cpu(), "
                     "printing, a data-dependent shape)")
        self._real["read"](array, buf, offset)

    def _synchronize(self) -> None:
        if self._in_host_step:
            return self._real["synchronize"]()
        self._refuse("Synchronizing the cl device")
        self._real["synchronize"]()

    def _random_args(self, kernel, args: dict) -> list:
        slots = self._random_slots.get(kernel)
        if slots is None:
            slots, position = {}, 0
            for arg in kernel.args:
                dtypes = arg.arg_dtypes()
                if arg.name in ("seed", "ctr"):
                    slots[arg.name] = position
                position += len(dtypes)
            self._random_slots[kernel] = slots
        seed, ctr = int(args["seed"]), int(args["ctr"])
        generator = self.generator_of(seed, ctr)
        if generator is None:
            self._refuse("A random kernel whose seed does not come from a clgrad.Generator")
            return None
        return [(slots["seed"], "seed", generator, 0), (slots["ctr"], "ctr", generator, ctr)]

    # -- replay ----------------------------------------------------------------------------
    def replay(self) -> None:
        """Issue the recorded commands again, in order, without waiting for them."""
        rt = self.rt
        segments = self._segments
        if segments is None:
            segments = self._segments = self._segment()
        random, checked = self._special
        if random:
            shifts = self.advance_generators()  # this replay draws on from where they are now
            for launch in random:
                args = launch._keep
                for position, which, generator, ctr in launch.random:
                    args[position] = generator._seed if which == "seed" else \
                        (ctr + shifts[generator]) % 2 ** 64
                # All at once: the generated set_args costs ~1 us, set_arg of one numpy
                # scalar ~20 us. Kernels read their arguments at the enqueue below.
                launch.cl_kernel.set_args(*args)
        if checked:
            ring = rt.errors.ring
            for launch_id, check in checked:
                ring[launch_id % len(ring)] = (launch_id, check)
            rt.errors.armed = True
        for kind, command in segments:
            if kind == "launches":
                rt.enqueue_preset(command)
            elif kind == "copy":
                rt.copy(command[1], command[2], command[3])
            elif kind == "write":
                rt.write(command[1], command[2], command[3])
            else:  # an optimizer step or a check of host values, run on the host
                self.run_host_step(command)

    def _segment(self) -> list:
        """The commands as runs of preset launches between the other commands; and the
        launches whose arguments a replay sets again (random) or registers (checks)."""
        segments, run, random, checked = [], None, [], []
        for command in self.commands:
            if command[0] == "launch":
                launch = command[1]
                if run is None:
                    run = []
                    segments.append(("launches", run))
                run.append((launch.cl_kernel, launch.global_size, launch.local_size))
                if launch.random is not None:
                    random.append(launch)
                if launch.check is not None:
                    checked.append(launch.check)
            else:
                run = None
                segments.append((command[0], command))
        self._special = (random, checked)
        return segments

    @property
    def launch_count(self) -> int:
        return sum(1 for c in self.commands if c[0] == "launch")


_MISSING = object()
