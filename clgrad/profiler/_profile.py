"""profile and record_function.

How ops are timed: clgrad has no single dispatch point that every op passes through (pointwise
ops, reductions, matmul and shape ops each launch their own way), so while a profile is
recording, the public functions of the ``clgrad`` namespace, of ``clgrad.nn.functional`` and the
``Tensor`` methods are replaced by timing wrappers, and put back when recording stops. Nothing
is wrapped outside a recording profile: profiling costs nothing when it is off. Nested calls
nest their events, so composite ops show both their total and their self time.

Device time on cl: clgrad's OpenCL queues are created without PROFILING_ENABLE, so OpenCL event
timestamps are not available; with ProfilerActivity.CUDA (or its alias CL) the profiler instead
synchronises every cl queue before and after each op and reports that interval as the op's cl
time. This serialises the device, so totals are those of a synchronous run.
"""
import enum
import functools
import json
import os
import socket
import threading
import time
import types

from ._events import EventList, FunctionEvent, FunctionEventAvg
from ._schedule import ProfilerAction


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5
    CL = 3  # the renamed CUDA: clgrad's OpenCL devices


# Metadata Tensor methods: not ops, and called so often internally that timing them would
# drown the table.
_SKIP = {"size", "dim", "numel", "stride", "is_contiguous", "data_ptr", "element_size",
         "storage_offset", "ndimension", "nelement", "get_device", "is_floating_point",
         "is_complex", "type", "tolist", "numpy", "register_hook", "retain_grad",
         "is_shared", "is_pinned", "untyped_storage", "storage", "dim_order"}
_DUNDERS = {"__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__",
            "__rmul__", "__imul__", "__truediv__", "__rtruediv__", "__itruediv__",
            "__matmul__", "__rmatmul__", "__pow__", "__rpow__", "__neg__", "__getitem__",
            "__setitem__", "__floordiv__", "__mod__", "__and__", "__or__", "__xor__",
            "__invert__", "__lt__", "__le__", "__gt__", "__ge__", "__abs__"}

_state = threading.local()
_lock = threading.Lock()
_active = []          # the recording profiles (usually one)
_patched = []         # (owner, name, original) while recording


def _stack():
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


def _now_us():
    return time.perf_counter_ns() / 1e3


def _sync_cl():
    from clgrad import cl
    try:
        if cl.is_available():
            for i in range(cl.device_count()):
                cl.synchronize(i)
    except RuntimeError:
        pass


def _shapes(args):
    out = []
    for a in args:
        shape = getattr(a, "shape", None)
        out.append(list(shape) if shape is not None and not isinstance(a, type) else [])
    return out


def _op_name(name):
    return "aten::" + name.strip("_")


def _begin(name, args=(), is_user=False):
    if not _active:
        return None
    prof = _active[-1]
    if prof._device:
        _sync_cl()
    ev = FunctionEvent(name, _now_us(), 0.0, _shapes(args) if prof.record_shapes else None,
                       is_user=is_user)
    ev._device = prof._device
    st = _stack()
    if st:
        st[-1].children.append(ev)
    else:
        prof._events.append(ev)
    prof._all.append(ev)
    st.append(ev)
    return ev


def _end(ev):
    if ev is None:
        return
    if ev._device:
        _sync_cl()
    ev.end_us = _now_us()
    if ev._device:
        ev.device_time = ev.end_us - ev.start_us
    st = _stack()
    if st and st[-1] is ev:
        st.pop()


def _wrap(fn, name):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        ev = _begin(name, args)
        try:
            return fn(*args, **kwargs)
        finally:
            _end(ev)
    timed.__clgrad_profiled__ = fn
    return timed


def _targets():
    import clgrad
    import clgrad.nn.functional as F
    for owner, prefix in ((clgrad, "clgrad."), (F, "clgrad.nn")):
        for name, obj in list(vars(owner).items()):
            if (isinstance(obj, types.FunctionType) and not name.startswith("_")
                    and (obj.__module__ or "").startswith(prefix)):
                yield owner, name, obj
    for name, obj in list(vars(clgrad.Tensor).items()):
        if isinstance(obj, types.FunctionType) and name not in _SKIP and (
                not name.startswith("_") or name in _DUNDERS):
            yield clgrad.Tensor, name, obj


def _install():
    for owner, name, fn in _targets():
        _patched.append((owner, name, fn))
        setattr(owner, name, _wrap(fn, _op_name(name)))


def _uninstall():
    while _patched:
        owner, name, fn = _patched.pop()
        setattr(owner, name, fn)


class record_function:
    """Marks a region (context manager or decorator) as one named event of the profile."""

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._ev = None

    def __enter__(self):
        self._ev = _begin(self.name, is_user=True)
        return self

    def __exit__(self, *exc):
        _end(self._ev)
        self._ev = None
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return wrapper


class profile:
    """Records the ops run inside it (see the module docstring for how they are timed).

    profile_memory, with_stack, with_flops and with_modules are accepted for compatibility;
    clgrad records no memory, stacks, flops or module hierarchy."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False, with_modules=False, experimental_config=None,
                 execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None):
        acts = set(activities) if activities else {ProfilerActivity.CPU, ProfilerActivity.CUDA}
        if use_cuda:
            acts.add(ProfilerActivity.CUDA)
        self.activities = acts
        self._device = ProfilerActivity.CUDA in acts
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory, self.with_stack = profile_memory, with_stack
        self.with_flops, self.with_modules = with_flops, with_modules
        self.acc_events = acc_events
        self.step_num = 0
        self._events, self._all = [], []
        self._saved = None
        self._recording = False

    def _action(self):
        return self.schedule(self.step_num) if self.schedule else ProfilerAction.RECORD

    def _start_recording(self):
        if self._recording:
            return
        self._events, self._all = [], []
        with _lock:
            if not _active:
                _install()
            _active.append(self)
        self._recording = True

    def _stop_recording(self):
        if not self._recording:
            return
        with _lock:
            _active.remove(self)
            if not _active:
                _uninstall()
        self._recording = False

    def _save(self):
        self._saved = (self._events, self._all)
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def start(self):
        if self._action() in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._start_recording()

    def stop(self):
        was = self._recording
        self._stop_recording()
        if was and (self.schedule is None
                    or self._action() in (ProfilerAction.RECORD,
                                          ProfilerAction.RECORD_AND_SAVE)):
            self._save()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def step(self):
        """Ends one step of the schedule: starts, stops and hands on recordings as it says."""
        prev = self._action()
        self.step_num += 1
        cur = self._action()
        if prev == ProfilerAction.RECORD_AND_SAVE:
            self._stop_recording()
            self._save()
        if cur in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._start_recording()
        elif cur in (ProfilerAction.NONE, ProfilerAction.WARMUP):
            self._stop_recording()

    def _trace(self):
        if self._saved is not None:
            return self._saved
        return self._events, self._all

    def events(self):
        return EventList(self._trace()[1], with_device=self._device)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        groups = {}
        for ev in self._trace()[1]:
            shapes = str(ev.input_shapes) if group_by_input_shape else None
            key = (ev.name, shapes)
            if key not in groups:
                groups[key] = FunctionEventAvg(ev.name, ev.input_shapes
                                               if group_by_input_shape else None)
            groups[key].add(ev)
        total = sum(e.self_cpu_time_total for e in self._trace()[1])
        return EventList(groups.values(), with_device=self._device, self_total=total)

    def export_chrome_trace(self, path):
        pid = os.getpid()
        trace = []
        for ev in self._trace()[1]:
            trace.append({"ph": "X", "cat": "user_annotation" if ev.is_user_annotation
                          else "cpu_op", "name": ev.name, "pid": pid, "tid": 0,
                          "ts": ev.start_us, "dur": ev.cpu_time_total,
                          "args": {"Input Dims": ev.input_shapes} if ev.input_shapes else {}})
        with open(path, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)
        return path


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """on_trace_ready handler writing each trace as <worker>.<time>.pt.trace.json[.gz]."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or "%s_%d" % (socket.gethostname(), os.getpid())
        path = os.path.join(dir_name, "%s.%d.pt.trace.json" % (name, time.time_ns() // 10**6))
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                dst.write(src.read())
            os.remove(path)
    return handler
