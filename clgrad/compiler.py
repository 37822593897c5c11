"""clgrad.compile: torch.compile's signature, by capture and replay of the device's kernels.

For each input signature (tensor shapes, dtypes, devices, requires_grad; grad and autocast
modes; the module's train/eval flags; the other arguments' values) the first call runs eagerly (it
creates lazy state: optimizer moments, cached kernels), the second runs eagerly while its
kernels are recorded (backends/cl/capture.py), and later calls copy their inputs into the
recording's static tensors and replay it. Results equal eager execution bit for bit, since
the same kernels run on the same values.

- A training step (forward, backward, optimizer.step(), zero_grad) is captured whole; each
  optimizer step is re-run on the host at each replay, so schedulers and step counts work.
- A forward whose outputs require grad (a compiled model in a training loop) is captured with
  its backward: the outputs come back through a CompiledFunctionBackward node that replays
  the recorded backward and hands the gradients on to the usual autograd graph.
- What cannot be captured runs eagerly for that signature, with one warning saying why
  (`fullgraph=True`: an error): a host read (`.item()`, printing, a data-dependent shape),
  compute on the cpu device in a cl region, or more signatures than
  `clgrad._dynamo.config.cache_size_limit`.
- On the cpu device the recording is of the backend's numpy calls (backends/cpu/capture.py),
  replayed with their arrays bound, without the op layer's Python in between.
"""
from __future__ import annotations

import functools
import warnings
import weakref

from . import _capture, _device
from ._dynamo import config as _dynamo_config
from ._tensor import Tensor
from .autograd.function import Function
from .autograd.grad_mode import is_grad_enabled, no_grad
from .autograd.graph import reachable_leaves
from .nn.modules.module import Module

__all__ = ["compile", "reset", "disable", "is_compiling", "is_dynamo_compiling",
           "allow_in_graph", "assume_constant_result"]

# The cpu backend's methods that compute; during a cl capture they would not be replayed.
_CPU_HARMLESS = frozenset({"check_dtype", "empty", "release", "from_host", "to_host",
                           "synchronize", "scratch", "view", "flat"})


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",
            mode=None, options=None, disable: bool = False):
    """torch.compile: returns a compiled function, or an OptimizedModule for a Module.

    backend, mode, options and dynamic are accepted for torch's signature; every mode
    captures and replays (what torch calls "reduce-overhead").
    """
    if model is None:  # @clgrad.compile(...) with arguments
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                  mode=mode, options=options, disable=disable)
    if not callable(model):
        raise RuntimeError(f"clgrad.compile: expected a callable or a Module, got "
                           f"{type(model).__name__}")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model, fullgraph)
    compiled = _Compiled(model, fullgraph, getattr(model, "__qualname__", repr(model)))
    wrapper = functools.wraps(model)(lambda *args, **kwargs: compiled(*args, **kwargs))
    wrapper._clgrad_compiled = compiled
    wrapper._orig_fn = model
    return wrapper


def compile_module_call(module, *, fullgraph: bool = False, dynamic=None,
                        backend="inductor", mode=None, options=None, disable: bool = False):
    """Module.compile(): the module's own calls (hooks, then forward) through a capture."""
    if disable:
        return module._call_impl
    compiled = _Compiled(module._call_impl, fullgraph, type(module).__name__, module=module)
    return lambda *args, **kwargs: compiled(*args, **kwargs)


class OptimizedModule(Module):
    """A compiled module: calls go through the capture; everything else (parameters,
    state_dict under `_orig_mod.`, train()/eval(), hooks) is the original module's. Python
    side effects inside the call (a hook appending to a list) run at the eager and recorded
    calls only: a replay runs kernels, not Python."""

    def __init__(self, mod, fullgraph: bool = False):
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_compiled"] = _Compiled(mod, fullgraph, type(mod).__name__, module=mod)

    def forward(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["_orig_mod"], name)


class _Entry:
    """One input signature: its calls so far, and its recording once captured."""

    __slots__ = ("calls", "eager", "on_cpu", "forward", "backward", "static_inputs", "outputs",
                 "out_spec", "grad_outputs", "grad_targets", "grads", "generation", "storages")

    def __init__(self):
        self.calls = 0
        self.eager = False
        self.on_cpu = False
        self.forward = self.backward = None
        self.generation = 0


_ALL_COMPILED: "weakref.WeakSet" = weakref.WeakSet()


def reset() -> None:
    """torch.compiler.reset: every compiled function forgets its recordings."""
    for compiled in list(_ALL_COMPILED):
        compiled.entries.clear()
        compiled._warned_limit = False


def disable(fn=None, recursive: bool = True):
    """torch.compiler.disable: clgrad records whatever a region launches, so a function
    marked here is captured with the rest; returned unchanged."""
    if fn is None:
        return lambda f: f
    return fn


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def is_compiling() -> bool:
    """Whether a compiled region is being recorded right now."""
    return any(getattr(c, "execute", False) for c in _capture.ACTIVE)


is_dynamo_compiling = is_compiling


class _Compiled:
    def __init__(self, fn, fullgraph: bool, name: str, module=None):
        _ALL_COMPILED.add(self)
        self.fn = fn
        self.fullgraph = fullgraph
        self.name = name
        self.module = module
        self.entries: dict = {}
        self._warned_limit = False

    def __call__(self, *args, **kwargs):
        leaves, spec = _flatten((args, kwargs))
        key = self._signature(leaves, spec)
        entry = self.entries.get(key) if key is not None else None
        if entry is None:
            limit = _dynamo_config.cache_size_limit
            if key is None or len(self.entries) >= limit:
                if key is not None and not self._warned_limit:
                    self._warned_limit = True
                    self._fallback(f"more than {limit} input signatures "
                                   "(clgrad._dynamo.config.cache_size_limit)")
                return self.fn(*args, **kwargs)
            entry = self.entries[key] = _Entry()
        if entry.eager:
            return self.fn(*args, **kwargs)
        entry.calls += 1
        if entry.forward is not None:
            if self._state_moved(entry):  # parameters replaced (.to(), .data =): capture anew
                entry.forward = entry.backward = None
                return self._capture(entry, leaves, spec)
            return self._replay(entry, leaves)
        if entry.calls == 1:
            return self.fn(*args, **kwargs)
        return self._capture(entry, leaves, spec)

    def _signature(self, leaves: list, spec) -> tuple | None:
        parts = [spec, is_grad_enabled(), _autocast_state()]
        for leaf in leaves:
            if isinstance(leaf, Tensor):
                parts.append((leaf._shape, leaf.dtype, leaf.device, leaf.requires_grad))
            else:
                try:
                    hash(leaf)
                except TypeError:
                    return None
                parts.append((type(leaf), leaf))
        if self.module is not None:
            parts.append(tuple(m.training for m in self.module.modules()))
        return tuple(parts)

    def _fallback(self, why: str) -> None:
        from ._capture import CaptureError, outside_frames
        message = f"clgrad.compile: {self.name} runs eagerly for this input signature: {why}"
        if self.fullgraph:
            raise CaptureError(message + " (fullgraph=True)")
        warnings.warn(message, stacklevel=outside_frames())

    # -- capture ------------------------------------------------------------------------------
    def _capture(self, entry: _Entry, leaves: list, spec):
        tensors = [leaf for leaf in leaves if isinstance(leaf, Tensor)]
        start = self._recorder_factory(entry, {t.device for t in tensors})
        if start is None:  # several devices, or a device without capture: eager, exactly
            entry.eager = True
            args, kwargs = _unflatten(spec, leaves)
            return self.fn(*args, **kwargs)
        with no_grad():
            static = [t.detach().clone() for t in tensors]
        for s, t in zip(static, tensors):
            if t.requires_grad:
                s.requires_grad_(True)
        it = iter(static)
        args, kwargs = _unflatten(spec, [next(it) if isinstance(x, Tensor) else x
                                         for x in leaves])
        forward = start()
        try:
            out = self.fn(*args, **kwargs)
        finally:
            forward.stop()
        out_leaves, out_spec = _flatten(out)
        differentiable = [o for o in out_leaves if isinstance(o, Tensor) and o.requires_grad]
        backward = None
        stepped = any(command[0] == "host" for command in forward.commands)
        if forward.broken is None and differentiable and not stepped:
            backward = self._capture_backward(entry, start, differentiable, static)
        if forward.cpu_compute and not forward.launch_count:
            # Globals on the cpu, seen from a cl capture: capture the next call on the cpu.
            entry.on_cpu = True
            entry.calls = 1
            return out
        if forward.broken is not None or (backward is not None and backward.broken):
            entry.eager = True
            self._fallback((backward if forward.broken is None else forward).broken)
            return out
        entry.forward, entry.backward = forward, backward
        entry.storages = self._module_storages()
        entry.static_inputs = static
        entry.outputs = out_leaves
        entry.out_spec = out_spec
        return self._results(entry, leaves)

    def _recorder_factory(self, entry: _Entry, devices: set):
        """A function starting a recording of the region's device, or None (eager)."""
        from .backends import backend_for, is_accelerator
        cl_devices = {d for d in devices if is_accelerator(d.type)} or self._module_devices()
        if len(cl_devices) > 1:
            return None
        if not cl_devices and not devices and not entry.on_cpu:
            from . import cl  # no tensor arguments: a region over globals, on cl if there is one
            if cl.is_available():
                cl_devices = {_device.device("cl", cl.current_device())}
        if cl_devices:
            from .backends.cl.capture import Capture
            rt = backend_for(next(iter(cl_devices))).rt

            def start():
                recording = Capture(rt, execute=True)
                guard = _CpuGuard(recording).__enter__()
                recording.begin()

                def stop():
                    recording.end()
                    guard.__exit__()
                recording.stop = stop
                return recording
            return start
        from .backends.cpu.capture import CpuCapture
        backend = backend_for(_device.device("cpu"))

        def start_cpu():
            recording = CpuCapture(backend).begin()
            recording.stop = recording.end
            return recording
        return start_cpu

    def _capture_backward(self, entry: _Entry, start, outputs: list, static: list):
        """Record the backward of `outputs` from static incoming gradients to the inputs and
        the leaves (parameters) the outputs depend on."""
        from .autograd.engine import grad
        targets = [s for s in static if s.requires_grad] + reachable_leaves(
            o.grad_fn for o in outputs)
        with no_grad():
            grad_outputs = [o.detach().new_zeros(o.shape) for o in outputs]
        backward = start()
        try:
            grads = grad(outputs, targets, grad_outputs, allow_unused=True)
        except RuntimeError as exc:
            if "second time" not in str(exc):
                raise
            return None  # the region ran its own backward: a step, replayed whole
        finally:
            backward.stop()
        entry.grad_outputs = grad_outputs
        entry.grad_targets = targets
        entry.grads = grads
        return backward

    def _module_storages(self) -> list:
        """The memory of the module's parameters and buffers, which a recording reads."""
        if self.module is None:
            return []
        return [t._storage for t in (*self.module.parameters(), *self.module.buffers())]

    def _state_moved(self, entry: _Entry) -> bool:
        if self.module is None:
            return False
        now = self._module_storages()
        return len(now) != len(entry.storages) or any(
            a is not b for a, b in zip(now, entry.storages))

    def _module_devices(self) -> set:
        if self.module is None:
            return set()
        from .backends import is_accelerator
        return {p.device for p in self.module.parameters() if is_accelerator(p.device.type)}

    # -- replay -------------------------------------------------------------------------------
    def _replay(self, entry: _Entry, leaves: list):
        with no_grad():
            statics = iter(entry.static_inputs)
            for leaf in leaves:
                if isinstance(leaf, Tensor):
                    static = next(statics)
                    if static is not leaf:
                        static.copy_(leaf)
        entry.forward.replay()
        return self._results(entry, leaves)

    def _results(self, entry: _Entry, leaves: list | None = None):
        """The outputs as fresh tensors (the static ones change at the next replay); those
        that require grad come through a CompiledFunctionBackward node."""
        with no_grad():
            fresh = [o.detach().clone() if isinstance(o, Tensor) else o
                     for o in entry.outputs]
        if entry.backward is not None and is_grad_enabled():
            entry.generation += 1
            positions = [i for i, o in enumerate(entry.outputs)
                         if isinstance(o, Tensor) and o.requires_grad]
            through = CompiledFunction.apply(entry, entry.generation,
                                             tuple(fresh[i] for i in positions),
                                             *_grad_inputs(entry, leaves))
            if not isinstance(through, tuple):
                through = (through,)
            for i, t in zip(positions, through):
                fresh[i] = t
        return _unflatten(entry.out_spec, fresh)


def _autocast_state() -> tuple:
    """What autocast changes about the kernels a region runs (its per-device switches)."""
    from .amp.autocast_mode import _any_enabled, _state
    if not _any_enabled[0]:
        return ()
    return tuple(sorted(_state.enabled.items())) + tuple(sorted(
        (k, v.name) for k, v in _state.dtype.items()))


def _grad_inputs(entry: _Entry, leaves: list | None) -> list:
    """The tensors the backward's gradients go to: the caller's inputs that require grad
    (their static copies stand in for them at capture) and the parameters."""
    if leaves is None:
        return entry.grad_targets
    user = [leaf for leaf in leaves if isinstance(leaf, Tensor) and leaf.requires_grad]
    return user + entry.grad_targets[len(user):]


class CompiledFunction(Function):
    """The node a compiled forward's outputs hang from: its backward replays the recorded
    backward on the incoming gradients."""

    @staticmethod
    def forward(ctx, entry, generation, outputs, *inputs):
        ctx.entry = entry
        ctx.generation = generation
        return outputs if len(outputs) > 1 else outputs[0]

    @staticmethod
    def backward(ctx, *grad_outputs):
        entry = ctx.entry
        if ctx.generation != entry.generation:
            raise RuntimeError(
                "clgrad.compile: backward through the outputs of an earlier call of a compiled "
                "function after it was called again: its recording holds one call's "
                "activations. Call backward before the next call, or clone what you keep.")
        with no_grad():
            for static, incoming in zip(entry.grad_outputs, grad_outputs):
                if incoming is None:
                    static.zero_()
                else:
                    static.copy_(incoming)
        entry.backward.replay()
        with no_grad():
            grads = [None if g is None else g.clone() for g in entry.grads]
        return (None, None, None) + tuple(grads)


class _CpuGuard:
    """Marks a cl capture broken when the region computes on the cpu device: those numpy
    calls would not run again at a replay. Optimizer steps (host steps) may."""

    def __init__(self, capture):
        self.capture = capture
        self.backend = None

    def __enter__(self):
        from ._device import device
        from .backends import backend_for
        from .backends.base import Backend
        self.backend = backend_for(device("cpu"))
        capture = self.capture
        for name, value in vars(Backend).items():
            if callable(value) and not name.startswith("_") and name not in _CPU_HARMLESS:
                method = getattr(self.backend, name)

                def guarded(*args, _method=method, _name=name, **kwargs):
                    if not capture._in_host_step and capture.broken is None:
                        capture.cpu_compute = True
                        capture.broken = (f"the region computes on the cpu device ({_name}), "
                                          "which a cl replay does not repeat")
                    return _method(*args, **kwargs)
                setattr(self.backend, name, guarded)
        return self

    def __exit__(self, *exc) -> None:
        from .backends.base import Backend  # noqa: F811
        for name in vars(Backend):
            self.backend.__dict__.pop(name, None)


# -- nested arguments (tuples, lists, dicts of tensors and values) ---------------------------
def _flatten(value):
    if isinstance(value, (tuple, list)) and type(value) in (tuple, list):
        leaves, specs = [], []
        for item in value:
            sub, spec = _flatten(item)
            leaves.extend(sub)
            specs.append(spec)
        return leaves, (type(value), tuple(specs))
    if type(value) is dict:
        leaves, specs = [], []
        for k, item in value.items():
            sub, spec = _flatten(item)
            leaves.extend(sub)
            specs.append((k, spec))
        return leaves, (dict, tuple(specs))
    return [value], None


def _unflatten(spec, leaves: list):
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, items = s
        if kind is dict:
            return {k: build(sub) for k, sub in items}
        return kind(build(sub) for sub in items)
    return build(spec)
