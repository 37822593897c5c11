"""`python -m clgrad warmup` and clgrad.cl.warmup: build kernels ahead of their first use.

Without `ops`, the kernels a typical training step needs (convolution, linear, activation,
pooling and loss layers forward and backward, Adam and SGD, the common pointwise ops and
reductions) are found and built in few programs: each op runs once with get_kernel collecting
(programs.collecting) instead of building, so it stops at its first missing kernel; what all
the ops lack is built as one program (programs.build_many), and the ops run again until none
lacks anything. Every program costs the driver a fixed price (PoCL: about 0.25 s), so a
handful of programs replaces one per kernel. Built kernels fill the driver's disk cache
(PoCL, NVIDIA) too, so later processes start fast.

First launches: PoCL's CPU driver generates a kernel's launch code (its work-group function,
0.05-1 s) at its first launch. With generic work-group functions (clgrad's PoCL default,
POCL_WORK_GROUP_SPECIALIZATION=0; see backends/cl/runtime.py) one serves every launch of the
kernel, and build_many has PoCL generate those of all the kernels it builds right after the
build (programs._pregenerate), so the warm-up, and with async_ its thread, pays the first
launches too, launching nothing: for the kernels of `ops`, and for the default ops unless
async_ (the default ops' ~95 kernels then cost more background CPU than the first launches of
a step's ~25 they would save). Where the user turned specialisation back on, each work-group
size still costs a code generation at its first launch, which only the real run of `ops`
(not async_) pays ahead.

`async_=True` does it in a daemon thread started at the caller's first device use, while the
script loads its data and builds its model; get_kernel is thread-safe, and a kernel the main
thread asks for while the warm-up builds it is waited for, never built twice. The warm-up's
ops draw random numbers from their own Generator, so the main thread's random stream is the
same with or without it; they never read device values (a read would raise, in the warm-up
thread, a device-side error that belongs to the main thread).

It runs Tensor ops, so it lives above the op layer, not in the cl backend (whose build
counter and cache it uses).
"""
from __future__ import annotations

import atexit
import sys
import threading
import time

import clgrad
from .backends import is_accelerator
from .backends.cl.programs import (BuildStats, build_many, collecting, dry_run_ahead,
                                   dry_run_cancelled, owns_dry_run_ahead)

_ERRORS = (AttributeError, NotImplementedError, TypeError, ValueError, RuntimeError,
           LookupError)


def _common_ops(generator=None):
    """(label, callable(x, y, i)) pairs: x, y float tensors of shape (4, 4), i int64."""
    ops = [
        ("copy", lambda x, y, i: x.clone()),
        ("fill", lambda x, y, i: x.new_zeros(4)),
        ("cast", lambda x, y, i: i.float()),
        ("strided copy", lambda x, y, i: x.t().contiguous()),
    ]
    for name in ("add", "sub", "mul", "div", "maximum", "minimum", "pow", "eq", "lt", "gt"):
        ops.append((name, lambda x, y, i, n=name: getattr(x, n)(y)))
        ops.append((f"{name} scalar", lambda x, y, i, n=name: getattr(x, n)(2.0)))
    for name in ("neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "sin", "cos"):
        ops.append((name, lambda x, y, i, n=name: getattr(x, n)()))
    ops.append(("add strided", lambda x, y, i: x.t() + y))
    for name in ("sum", "mean", "amax", "argmax", "var"):
        ops.append((name, lambda x, y, i, n=name: getattr(x, n)()))
        ops.append((f"{name} dim", lambda x, y, i, n=name: getattr(x, n)(1)))
    ops.append(("int add", lambda x, y, i: i + i))
    ops.append(("matmul", lambda x, y, i: x @ y))
    ops.append(("rand", lambda x, y, i: clgrad.rand(4, device=x.device, generator=generator)))
    ops.append(("randn", lambda x, y, i: clgrad.randn(4, device=x.device, generator=generator)))
    return ops


def _training_ops(device, dtype, generator):
    """(label, callable()) pairs: the layers of a small CNN/MLP training step, forward and
    backward, each on its own tensors (so that one op's missing kernel stops only itself)."""
    import clgrad.nn.functional as F
    import clgrad.optim as optim

    def t(*shape, value=0.5, grad=False):
        return clgrad.full(shape, value, dtype=dtype, device=device, requires_grad=grad)

    def target(n, classes=10):
        return clgrad.arange(n, device=device) % classes

    def backward(out):
        out.sum().backward()

    def conv(grad_input):
        x = t(2, 4, 8, 8, grad=grad_input)
        w, b = t(8, 4, 3, 3, grad=True), t(8, grad=True)
        backward(F.conv2d(x, w, b, padding=1))

    def dropout():
        x = t(4, 16, grad=True)
        keep = clgrad.empty(4, 16, dtype=dtype, device=device).bernoulli_(0.5,
                                                                          generator=generator)
        backward(x * keep.mul_(2.0))

    def adam():
        params = [t(8, grad=True), t(8, 4, grad=True)]
        for p in params:
            p.grad = t(*p.shape, value=0.1)
        opt = optim.Adam(params, lr=1e-3)
        opt.step()
        opt.zero_grad()

    def sgd():
        params = [t(8, grad=True)]
        params[0].grad = t(8, value=0.1)
        opt = optim.SGD(params, lr=0.1, momentum=0.9)
        opt.step()
        opt.step()

    def lenet():
        x = t(4, 1, 12, 12)
        w1, b1 = t(4, 1, 3, 3, grad=True), t(4, grad=True)
        w2, b2 = t(10, 4 * 5 * 5, value=0.01, grad=True), t(10, grad=True)
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2).flatten(1)
        loss = F.cross_entropy(F.linear(F.relu(h), w2, b2), target(4))
        loss.backward()
        (F.linear(h, w2, b2).argmax(1) == target(4)).sum()

    return [
        ("conv2d", lambda: F.conv2d(t(2, 1, 8, 8), t(4, 1, 3, 3), t(4))),
        ("conv2d padded", lambda: F.conv2d(t(2, 4, 8, 8), t(8, 4, 3, 3), t(8), padding=1)),
        ("conv2d backward", lambda: conv(False)),
        ("conv2d input grad", lambda: conv(True)),
        ("linear", lambda: F.linear(t(4, 16), t(8, 16), t(8))),
        ("linear backward", lambda: backward(F.linear(t(4, 16, grad=True), t(8, 16, grad=True),
                                                      t(8, grad=True)))),
        ("linear no bias backward", lambda: backward(F.linear(t(4, 16, grad=True),
                                                              t(8, 16, grad=True)))),
        ("relu backward", lambda: backward(F.relu(t(4, 8, grad=True)))),
        ("max_pool2d", lambda: F.max_pool2d(t(2, 4, 8, 8), 2)),
        ("max_pool2d backward", lambda: backward(F.max_pool2d(t(2, 4, 8, 8, grad=True), 2))),
        ("avg_pool2d backward", lambda: backward(F.avg_pool2d(t(2, 4, 8, 8, grad=True), 2))),
        ("cross_entropy", lambda: F.cross_entropy(t(4, 10), target(4))),
        ("cross_entropy backward",
         lambda: F.cross_entropy(t(4, 10, grad=True), target(4)).backward()),
        ("mse_loss backward", lambda: F.mse_loss(t(4, 10, grad=True), t(4, 10)).backward()),
        ("log_softmax backward", lambda: backward(F.log_softmax(t(4, 10, grad=True), 1))),
        ("softmax", lambda: F.softmax(t(4, 10), 1)),
        ("tanh backward", lambda: backward(t(4, 8, grad=True).tanh())),
        ("sigmoid backward", lambda: backward(t(4, 8, grad=True).sigmoid())),
        ("dropout", dropout),
        ("batch_norm backward", lambda: backward(F.batch_norm(
            t(4, 8, 3, 3, grad=True), t(8, value=0.0), t(8, value=1.0), t(8, grad=True),
            t(8, grad=True), training=True))),
        ("accuracy", lambda: (t(4, 10).argmax(1) == target(4)).sum()),
        ("adam", adam),
        ("sgd", sgd),
        ("small cnn step", lenet),
    ]


def default_ops(device="cl", dtype=None, generator=None):
    """The (label, callable()) pairs warmup() runs without `ops`: the training-step layers
    and the common ops, at `dtype` (the default dtype if None)."""
    device = clgrad.device(device)
    dtype = dtype or clgrad.get_default_dtype()
    if generator is None:
        generator = clgrad.Generator(device=device)
    state = {}

    def tensors():
        if not state:
            state.update(x=clgrad.ones(4, 4, dtype=dtype, device=device),
                         y=clgrad.ones(4, 4, dtype=dtype, device=device),
                         i=clgrad.ones(4, 4, dtype=clgrad.int64, device=device))
        return state["x"], state["y"], state["i"]
    common = [(label, lambda fn=fn: fn(*tensors())) for label, fn in _common_ops(generator)]
    return _training_ops(device, dtype, generator) + common


def _runtime(device):
    from .backends import backend_for
    return backend_for(clgrad.empty(1, device=device).device).rt


class _Ahead:
    """A dry run announced by the caller's thread (programs.dry_run_ahead) before the
    warm-up thread starts it: taken over once by its collecting(), else cancelled."""

    def __init__(self):
        self.taken = False
        dry_run_ahead()

    def take(self) -> bool:
        taken, self.taken = self.taken, True
        return not taken

    def cancel_unless_taken(self) -> None:
        if self.take():
            dry_run_cancelled()


def _dry_run_and_build(device, ops, show, stop, pregenerate=True, ahead=None) -> list:
    """Run `ops` dry (collecting(dry=True): kernels not built yet launch a stand-in doing
    nothing), then build every kernel they asked for, a few programs in all; returns the
    labels of ops that failed (an op this version lacks; in a dry run, garbage values may
    also stop an op early, which only costs its later kernels)."""
    rt = _runtime(device)
    failed = []
    total = len(ops)
    with collecting(dry=True, ahead=ahead is not None and ahead.take()) as found:
        try:
            for n, (label, fn) in enumerate(ops):
                if stop.is_set():
                    break
                show(n, total, label)
                try:
                    fn()
                except _ERRORS:
                    failed.append(label)
        finally:
            found_list = found
    show(total, total, f"building {len(found_list)} kernels")
    build_many(rt, found_list, stop=stop, pregenerate=pregenerate)
    return failed


class Warmup:
    """A warm-up running in a daemon thread (warmup(async_=True)): done(), wait(), result."""

    def __init__(self, target, ahead=None):
        self.result = None
        self.error = None
        self._stop = threading.Event()
        self._ahead = ahead
        self.thread = threading.Thread(target=self._run, args=(target,),
                                       name="clgrad-warmup", daemon=True)
        atexit.register(self._at_exit)
        self.thread.start()

    def _run(self, target):
        try:
            if self._ahead is not None:
                owns_dry_run_ahead()
            self.result = target(self._stop)
        except BaseException as exc:  # kept for wait(); a warm-up never kills the script
            self.error = exc
        finally:
            if self._ahead is not None:  # its dry run never started: other threads go on
                self._ahead.cancel_unless_taken()

    def done(self) -> bool:
        return not self.thread.is_alive()

    def wait(self, timeout=None) -> dict | None:
        """Wait for the warm-up (at most `timeout` seconds); its result, None if still going.
        Raises the exception that stopped it, if one did."""
        self.thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.result

    def stop(self) -> None:
        """Ask the warm-up to stop after the program it is building."""
        self._stop.set()

    def _at_exit(self):
        # A build cut off by the interpreter's exit could leave the driver half torn down.
        self._stop.set()
        self.thread.join(30)


def warmup(device: str = "cl", out=sys.stderr, ops=None, progress=None, async_=False,
           dtype=None, dry_run=None):
    """Build kernels for `device` ahead of their first use; returns counts (or, with async_,
    a Warmup running in a daemon thread, whose wait() returns them).

    ops: (label, callable()) pairs to run instead of the default training-step and common
    ops (a program's own first step, say), one after the other, so that exactly the kernels
    it needs are built; their errors are not swallowed. dry_run (the default without ops):
    run the ops dry first (kernels not built yet do nothing, results are garbage) to learn
    every kernel they need, build those in a few programs, then (given ops) run them for
    real; a dry run calls each op once more, so ops must not mind being run twice.
    progress: called as progress(done, total, label) (label None at the end), in place of the
    bar drawn on `out` (None: no bar; the default with async_). dtype: the floating dtype of
    the default ops (the default dtype if None).
    """
    device = clgrad.device(device)
    dry_run = ops is None if dry_run is None else dry_run
    if async_:
        if out is sys.stderr and progress is None:
            out = None
        # The dry run is announced now, before the thread starts: from here the caller's
        # own kernel requests wait for its claims (see programs._wait_for_dry_runs), so the
        # warm-up's programs are the same from run to run and hit the driver's disk cache.
        ahead = _Ahead() if dry_run and is_accelerator(device.type) else None
        return Warmup(lambda stop: _warmup(device, out, ops, progress, dtype, dry_run, stop,
                                           background=True, ahead=ahead), ahead)
    return _warmup(device, out, ops, progress, dtype, dry_run, threading.Event())


def _warmup(device, out, ops, progress, dtype, dry_run, stop, background=False,
            ahead=None) -> dict:
    if not is_accelerator(device.type):  # the cpu builds nothing
        return {"programs": 0, "seconds": 0.0, "skipped": []}
    custom = ops is not None
    before = BuildStats.programs
    start = time.perf_counter()
    skipped = []

    def show(done, total, label):
        if progress is not None:
            progress(done, total, label)
        elif out is not None:
            bar = int(30 * done / max(total, 1))
            out.write(f"\rcompiling kernels for {device}: [{'#' * bar}{'.' * (30 - bar)}] "
                      f"{done}/{total} {label or '':<22}")
            out.flush()

    ops = list(ops) if custom else default_ops(device, dtype)
    if dry_run:
        quiet = custom and not background  # the real run below shows the progress
        # Launch code for the kernels of the caller's ops, or of all the default ones when
        # the caller waits (`python -m clgrad warmup`: later processes find it in the disk
        # cache), not in the background: ~95 default kernels cost ~20 s CPU there, which made
        # a LeNet script's first step slower on 2 cores (17.0 -> 25.1 s), not faster.
        skipped = _dry_run_and_build(device, ops, (lambda *a: None) if quiet else show, stop,
                                     pregenerate=custom or not background, ahead=ahead)
        if not background:
            try:  # a dry run's garbage may have tripped a device-side check: not the caller's
                clgrad.cl.synchronize(device)
            except Exception:  # noqa: BLE001
                pass
    if custom and not background:
        skipped = []
        for n, (label, fn) in enumerate(ops, 1):  # for real: kernels left, first launches
            show(n - 1, len(ops), label)
            fn()
    elif not dry_run:
        for n, (label, fn) in enumerate(ops, 1):
            show(n - 1, len(ops), label)
            try:
                fn()
            except _ERRORS:
                if custom:
                    raise
                skipped.append(label)
    show(len(ops), len(ops), None)
    if not background:
        clgrad.cl.synchronize(device)
    built = BuildStats.programs - before
    seconds = time.perf_counter() - start
    if progress is None and out is not None:
        out.write(f"\rwarmup {device}: {built} programs built in {seconds:.1f} s{' ' * 40}\n")
        if skipped:
            out.write(f"not available: {', '.join(skipped)}\n")
    return {"programs": built, "seconds": seconds, "skipped": skipped}
