"""Rendering kernels from the Mako templates, building them once, and caching them.

A kernel is named by (template file, def name, key) where the key holds everything the
rendering is specialised on (dtypes, rank, contiguity): never sizes, which are arguments. The
first request renders and builds; later ones are a dict lookup (get_kernel, the one kernel
cache). The driver keeps its own disk cache where it has one (PoCL, NVIDIA) and pyopencl's
cache covers the others. A kernel's arguments come from its template's SIGNATURES (see
kernels/signature.py): they render its parameter list and drive Kernel.pack.

Cold start: every program costs the driver a fixed build price (PoCL: about 0.25 s, most of it
linking its kernel library) however small it is, so build_many renders several kernels into
one program (a warm-up's discoveries, clgrad/warmup.py). The cache is thread-safe: a kernel is
built once, and a thread that asks for one another thread is building waits for that build.
"""
from __future__ import annotations

import re
import sys
import threading
import time
import warnings
from functools import lru_cache
from pathlib import Path

from mako.lookup import TemplateLookup

from ...errors import KernelBuildError
from .kernel import Kernel  # first: importing it makes clgrad.kernels importable
from ...kernels.signature import c_params  # noqa: I100
from . import build_worker
from .runtime import DEBUG, DryLaunch, cl, log


class BuildStats:
    """Totals shown by `python -m clgrad info` and reported by the benchmarks.

    history: (description, seconds, kernels in the program, thread name) per program built.
    """

    programs = 0
    seconds = 0.0
    history: list = []


# One lock for every runtime's cache misses: it guards rt.kernels writes and the in-flight
# table, never a build (builds run unlocked, so a waiting thread is the only one blocked).
_lock = threading.Lock()
_inflight: dict = {}  # (id(rt), full key) -> _Pending
_local = threading.local()  # .collect: a list while a warm-up discovers kernels (collecting)


class _Pending:
    """A build in flight: the threads that need its kernel wait on `done`."""

    __slots__ = ("done", "owner")

    def __init__(self):
        self.done = threading.Event()
        self.owner = threading.current_thread().name


class Deferred(BaseException):
    """Raised by get_kernel in a thread that is collecting (see collecting()) instead of
    building a missing kernel: the request is recorded for build_many. A BaseException so
    that no op's `except Exception` fallback swallows it."""


def template_dir() -> Path:
    """The folder of the clgrad.kernels package (installed, or the source tree's kernels/)."""
    return Path(sys.modules["clgrad.kernels"].__file__).parent


@lru_cache(maxsize=1)
def _lookup() -> TemplateLookup:
    return TemplateLookup(directories=[str(template_dir())], strict_undefined=True)


def compute_ctype(dtype) -> str:
    """The OpenCL C type arithmetic on `dtype` runs in: half and bfloat16 compute in float."""
    return "float" if dtype.name in ("float16", "bfloat16") else dtype.ctype


def acc_ctype(dtype) -> str:
    """Accumulators of floating kernels: double for float64, float otherwise."""
    return "double" if dtype.name == "float64" else "float"


def signature(template: str, def_name: str, params: dict) -> list:
    """The declared arguments of kernels/<template>:<def_name> for these render parameters."""
    declared = getattr(_lookup().get_template(template).module, "SIGNATURES", {}).get(def_name)
    if declared is None:
        raise LookupError(f"kernels/{template}: kernel {def_name} declares no signature")
    return declared(**params)


def render(template: str, def_name: str, **params) -> tuple[str, list]:
    """(OpenCL C source, declared arguments) of one kernel `<%def>` of kernels/<template>.

    The def's parameter list is the `signature` keyword, rendered from its declaration.
    """
    prelude, body, args = _render_parts(template, def_name, **params)
    return prelude + "\n" + body, args


def _render_parts(template: str, def_name: str, **params) -> tuple[str, str, list]:
    lookup = _lookup()
    args = signature(template, def_name, params)
    prelude = lookup.get_template("common.cl.mako").get_def("prelude").render(**params)
    kernel_def = lookup.get_template(template).get_def(def_name)
    body = kernel_def.render(signature=c_params(args), **params)
    return prelude, body, args


def build(rt, source: str, kernel_name: str, description: str):
    """Build `source` for the runtime's device and return the named pyopencl kernel."""
    return getattr(_build_program(rt, source, description, 1), kernel_name)


def _build_program(rt, source: str, description: str, kernels: int, pregenerate=False):
    start = time.perf_counter()
    options = list(rt.caps.build_options)
    try:
        with warnings.catch_warnings():
            # PoCL prints harmless notes on success; a failure raises with the log below.
            warnings.simplefilter("ignore")
            program = cl.Program(rt.context, source).build(options=options)
            if pregenerate and getattr(rt, "pregenerate", False):
                _pregenerate(program)
    except cl.RuntimeError as exc:
        try:
            build_log = cl.Program(rt.context, source).get_build_info(
                rt.device, cl.program_build_info.LOG)
        except Exception:
            build_log = str(exc)
        raise KernelBuildError(f"clgrad: building {description} for {rt.caps.name} failed",
                               build_log or str(exc), source) from None
    seconds = time.perf_counter() - start
    with _lock:
        BuildStats.seconds += seconds
        BuildStats.programs += 1
        BuildStats.history.append((description, seconds, kernels,
                                   threading.current_thread().name))
    if DEBUG >= 2:
        log.debug("built %s in %.3f s:\n%s", description, seconds, source)
    elif DEBUG:
        log.debug("built %s in %.3f s", description, seconds)
    return program


def _pregenerate(program) -> None:
    """Have PoCL generate the launch code of every kernel of `program` now (rt.pregenerate:
    PoCL launching generic work-group functions), not at each kernel's first launch: asking
    for the program's binary sizes makes it compile the generic work-group function of each
    kernel, into its disk cache, where the launches find them. In the warm-up's thread,
    this is the first launches' code generation (~0.1-0.3 s a kernel) off the main thread."""
    try:
        program.get_info(cl.program_info.BINARY_SIZES)
    except cl.Error as exc:  # only an optimisation: the first launch generates it instead
        log.debug("pregenerating launch code failed: %s", exc)


def get_kernel(rt, template: str, def_name: str, key: tuple, params) -> Kernel:
    """The cached kernel for (template, def, key), rendering and building it on a miss.

    The key holds everything the rendering depends on besides the device. params: the render
    parameters (with `name`, the kernel's C name), or a function returning them, which hot
    paths pass so that a cache hit builds nothing. A `check` parameter (a checks.Check) is
    not rendered: it becomes the kernel's `check`, what its launches pass.
    """
    full_key = (template, def_name, key)
    kernel = rt.kernels.get(full_key)
    if kernel is None or _DRY_RUNS:
        kernel = _get_missing(rt, full_key, params)
    return kernel


_DRY_RUNS = 0  # threads in a dry run (collecting(dry=True)): get_kernel then hands out stand-ins
# (or announced to start one, dry_run_ahead). Notified when it drops.
_dry_runs_changed = threading.Condition(_lock)
# How long a thread waits for another's dry run to claim a kernel before building it itself.
DRY_RUN_WAIT = 30.0


def dry_run_ahead() -> None:
    """Count a dry run another thread is about to start (collecting(dry=True, ahead=True)
    takes the count over), so that from now on threads that are not collecting wait for its
    claims instead of building kernels it is going to build (see _wait_for_dry_runs)."""
    global _DRY_RUNS
    with _lock:
        _DRY_RUNS += 1


def owns_dry_run_ahead() -> None:
    """Mark this thread as the one that will run an announced dry run: its own kernel
    requests before the dry run starts never wait for it."""
    _local.owns_ahead = True


def dry_run_cancelled() -> None:
    """Take back a dry_run_ahead whose dry run never started."""
    global _DRY_RUNS
    with _lock:
        _DRY_RUNS -= 1
        _dry_runs_changed.notify_all()


def _wait_for_dry_runs(rt, full_key) -> None:
    """While another thread's dry run is on and `full_key` is neither cached nor claimed,
    wait (at most DRY_RUN_WAIT): the dry run may claim it for one of its programs. Which
    program builds a kernel then no longer depends on which thread got there first, so an
    async warm-up's programs are the same from run to run, and PoCL's disk cache finds them
    (it keys a program on its whole source; with the race, a warm cache rebuilt ~3 programs
    and regenerated their launch code: LeNet's first step 7.5 s instead of ~2 s)."""
    if getattr(_local, "owns_ahead", False):
        return
    deadline = time.monotonic() + DRY_RUN_WAIT
    with _lock:
        while (_DRY_RUNS and full_key not in rt.kernels
               and (id(rt), full_key) not in _inflight):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            _dry_runs_changed.wait(left)


def _split_check(params):
    if callable(params):
        params = params()
    check = params.get("check")
    if check is not None:
        params = {k: v for k, v in params.items() if k != "check"}
    return params, check


def _claim(rt, full_key):
    """Under _lock: (kernel, None) if cached, (None, pending) if another thread builds it,
    (None, None) once this thread has registered itself as its builder."""
    kernel = rt.kernels.get(full_key)
    if kernel is not None:
        return kernel, None
    pending = _inflight.get((id(rt), full_key))
    if pending is not None:
        return None, pending
    _inflight[(id(rt), full_key)] = _Pending()
    return None, None


def _release(rt, keys, kernels: dict) -> None:
    with _lock:
        for full_key in keys:
            kernel = kernels.get(full_key)
            if kernel is not None:
                rt.kernels[full_key] = kernel
            pending = _inflight.pop((id(rt), full_key), None)
            if pending is not None:
                pending.done.set()


def _get_missing(rt, full_key, params) -> Kernel:
    collect = getattr(_local, "collect", None)
    if collect is not None and collect.dry:
        return _stand_in(rt, collect, full_key, params)
    if _DRY_RUNS:  # another thread's dry run; this one builds what it does not claim
        kernel = rt.kernels.get(full_key)
        if kernel is not None:
            return kernel
        if collect is None:
            _wait_for_dry_runs(rt, full_key)
    while True:
        with _lock:
            kernel = rt.kernels.get(full_key)
            pending = None if kernel is not None else _inflight.get((id(rt), full_key))
            if kernel is None and pending is None:
                if collect is not None:  # a warm-up discovering what to build: none now
                    return _collect(rt, collect, full_key, params)
                _inflight[(id(rt), full_key)] = _Pending()  # this thread builds it
        if kernel is not None:
            return kernel
        if pending is None:
            break
        pending.done.wait()  # another thread builds it; if that build failed, we try
    built = {}
    try:
        built[full_key] = _make_kernel(rt, full_key, params)
    finally:
        _release(rt, [full_key], built)
    return built[full_key]


def _make_kernel(rt, full_key, params) -> Kernel:
    template, def_name, key = full_key
    params, check = _split_check(params)
    name = params["name"]
    description = f"{template}:{def_name} {key}"
    source, args = render(template, def_name, caps=rt.caps, **params)
    kernel = Kernel(build(rt, source, name, description), name, args, description,
                    template, def_name, params)
    kernel.check = check
    return kernel


def _collect(rt, collect, full_key, params):
    collect.append((full_key, params))
    raise Deferred(full_key)


def _stand_in(rt, collect, full_key, params) -> Kernel:
    """A dry run's kernel: launches do nothing. A missing kernel's is claimed (other threads
    asking for it wait for build_many) and recorded; a cached one's is not."""
    stand_in = collect.stand_ins.get(full_key)
    if stand_in is not None:
        return stand_in
    collect.met.append((full_key, params))
    with _lock:
        cached = rt.kernels.get(full_key)
        claim = cached is None and (id(rt), full_key) not in _inflight
        if claim:
            _inflight[(id(rt), full_key)] = _Pending()
            collect.claimed.add(full_key)
    try:
        params, check = _split_check(params)
        template, def_name, key = full_key
        args = cached.args if cached is not None else signature(
            template, def_name, dict(params, caps=rt.caps))
        stand_in = _kernel(_NOTHING, full_key, params, check, args)
    except BaseException:
        if claim:
            collect.claimed.discard(full_key)
            _release(rt, [full_key], {})
        raise
    collect.stand_ins[full_key] = stand_in
    if claim:
        collect.append((full_key, dict(params, check=check) if check is not None else params,
                        stand_in))
    elif cached is not None:
        collect.borrowed[full_key] = cached
    return stand_in


class _Nothing:
    """What a dry run's stand-in launches: nothing. Its set_args, the first thing
    runtime.launch does with a kernel, raises DryLaunch, which launch takes as done (no
    program to build for it: a no-op kernel cost a cold process 0.4 s, PoCL's fixed price of
    a program; and the normal launch path tests nothing)."""

    def set_args(self, *args):
        raise DryLaunch

    def set_scalar_arg_dtypes(self, dtypes) -> None:
        pass

    def get_work_group_info(self, param, device) -> int:
        return device.max_work_group_size  # what a kernel using no local memory gets


_NOTHING = _Nothing()


class _Found(list):
    """collecting()'s list: (full key, params[, stand-in]) per kernel missing."""

    def __init__(self, dry: bool):
        super().__init__()
        self.dry = dry
        self.stand_ins = {}
        self.claimed = set()  # keys this dry run claimed: build_many builds and releases them
        self.borrowed = {}  # key -> the cached kernel a stand-in stood for
        self.met = []  # (full key, params) of every kernel met, in order, cached ones too


class collecting:
    """Within `with collecting() as found:` get_kernel, in this thread, records each kernel
    it lacks in `found` ((full key, params) pairs) and raises Deferred instead of building
    it; build_many(rt, found) then builds them together.

    dry=True: a dry run. get_kernel returns, for a missing kernel, a stand-in Kernel that
    launches nothing (programs._Nothing), so the op runs on (its results garbage) and meets its
    next missing kernels; found holds (full key, params, stand-in) triples, and build_many
    turns each stand-in into the real kernel (the same object, so a caller that kept it
    launches the real one). Stand-ins never enter the cache before that.
    """

    def __init__(self, dry: bool = False, ahead: bool = False):
        self.dry = dry
        self.ahead = ahead  # counted already, by dry_run_ahead()

    def __enter__(self) -> list:
        global _DRY_RUNS
        self.previous = getattr(_local, "collect", None)
        self.found = _local.collect = _Found(self.dry)
        if self.dry and not self.ahead:
            with _lock:
                _DRY_RUNS += 1
        return self.found

    def __exit__(self, *exc) -> bool:
        global _DRY_RUNS
        _local.collect = self.previous
        if self.dry:
            with _lock:
                _DRY_RUNS -= 1
                _dry_runs_changed.notify_all()
            for full_key, cached in self.found.borrowed.items():
                stand_in = self.found.stand_ins[full_key]
                stand_in.cl = cached.cl  # a stand-in some caller kept runs for real
                stand_in._max_group = None  # the stand-in's limit is not the kernel's
        return exc[0] is Deferred  # the op stopped at its first missing kernel


_HELPER = re.compile(r"^[ \t]*inline\s[^;{}()]*?\b(\w+)\s*\(", re.M)
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)", re.M)
_KERNEL = re.compile(r"__kernel\s+void\s+(\w+)\s*\(")


def _bundle_body(body: str, name: str, tag: str):
    """`body` made to sit beside others in one program: its kernel and inline helpers renamed
    with `tag` (helpers of the same name may differ between kernels), its macros undefined
    after it and FP_CONTRACT back at the default before it (pointwise kernels switch it off
    for the rest of their program). None when it is not one kernel named `name`."""
    kernels = _KERNEL.findall(body)
    if kernels != [name]:
        return None
    for helper in set(_HELPER.findall(body)) | {name}:
        body = re.sub(rf"\b{helper}\b", f"{helper}{tag}", body)
    # dict.fromkeys, not set: the source (the driver's disk-cache key) must not depend on
    # the process's string hash seed
    undefs = "".join(f"#undef {macro}\n" for macro in dict.fromkeys(_DEFINE.findall(body)))
    return f"#pragma OPENCL FP_CONTRACT ON\n{body}\n{undefs}"


def build_many(rt, requests, max_kernels: int = 32, stop=None, pregenerate: bool = True) -> int:
    """Build the kernels of `requests` ((full key, params) pairs, as collecting() records
    them) into as few programs as their preludes allow, at most max_kernels each; cache
    them for get_kernel. Kernels already cached or in flight are skipped; a program that
    fails to build falls back to one program per kernel (whose errors are raised). Returns
    the number of programs built. A dry run's found list (collecting(dry=True)) must come
    here, even empty: its claimed kernels are released here (stop: a threading.Event that
    ends the building early, between programs). pregenerate: also have the driver generate
    the kernels' launch code now where it can (rt.pregenerate; see _pregenerate)."""
    stand_ins = {request[0]: request[2] for request in requests if len(request) > 2}
    claimed = getattr(requests, "claimed", set())
    with _lock:
        mine, seen = [], set()
        for full_key, params, *_ in requests:
            if full_key in seen:
                continue
            seen.add(full_key)
            if full_key in claimed:
                mine.append((full_key, params))
                continue
            kernel, pending = _claim(rt, full_key)
            if kernel is None and pending is None:
                mine.append((full_key, params))
        leftover = [k for k in claimed if k not in seen]
    built: dict = {}
    programs = 0
    mine_keys = {k for k, _ in mine}
    # A dry run's programs hold every kernel it met, cached or being built elsewhere too (only
    # its own are installed): their sources, which PoCL's disk cache is keyed on, then do not
    # depend on what other threads built first.
    every = _unique(getattr(requests, "met", None) or mine)
    try:
        parts = []
        for full_key, params in every:
            params, check = _split_check(params)
            template, def_name, key = full_key
            prelude, body, args = _render_parts(template, def_name, caps=rt.caps, **params)
            tag = f"__b{len(parts)}"
            bundled = _bundle_body(body, params["name"], tag)
            parts.append((full_key, params, check, prelude, body, bundled, args, tag))
        groups: dict = {}
        for part in parts:
            groups.setdefault(part[3] if part[5] is not None else id(part), []).append(part)
        chunks = [chunk for group in groups.values()
                  for chunk in (group[start:start + max_kernels]
                                for start in range(0, len(group), max_kernels))
                  if any(part[0] in mine_keys for part in chunk)]
        programs = _build_chunks(rt, chunks, built, pregenerate, mine_keys, stop)
    finally:
        built = {k: v for k, v in built.items() if k in mine_keys}
        _release(rt, leftover, {})
        for full_key, stand_in in stand_ins.items():
            real = built.get(full_key) or rt.kernels.get(full_key)
            # A stand-in some caller kept launches the real kernel from now on (or, if its
            # build failed, raises rather than silently doing nothing).
            stand_in.cl = real.cl if real is not None else None
            stand_in._max_group = None
            if full_key in built:
                built[full_key] = stand_in
        _release(rt, [k for k, _ in mine], built)
    return programs


def _unique(requests) -> list:
    seen, out = set(), []
    for request in requests:
        if request[0] not in seen:
            seen.add(request[0])
            out.append(request)
    return out


def _build_chunks(rt, chunks, built: dict, pregenerate: bool, mine_keys, stop) -> int:
    """Build each chunk (a list of parts) as a program; with a cold PoCL cache and several
    cores, spread over processes first (see build_worker): the chunks are split into about
    equal shares, this process builds the first while helpers build the others into the
    disk cache, and then this one builds those too, from the cache."""
    count = build_worker.processes(rt, sum(len(chunk) for chunk in chunks))
    shares = _shares(chunks, count, mine_keys) if count > 1 else [chunks]
    binaries = pregenerate and getattr(rt, "pregenerate", False)
    helpers = build_worker.start(cl, rt, [[_program_source(chunk) for chunk in share]
                                          for share in shares[1:]], binaries)
    programs = 0
    try:
        start = time.perf_counter()
        for chunk in shares[0]:
            if stop is not None and stop.is_set():
                return programs
            programs += _build_group(rt, chunk, built, pregenerate, mine_keys)
        seconds = time.perf_counter() - start
        if helpers and seconds / len(shares[0]) < build_worker.CACHED_SECONDS:
            for helper in helpers:  # cache hits: the cache is warm, theirs are in it too
                helper.stop()
        for helper in helpers:
            if not helper.wait(stop) and helper.errors:
                log.debug("a build helper failed (this process builds its programs):\n%s",
                          helper.errors)
        for share in shares[1:]:
            for chunk in share:
                if stop is not None and stop.is_set():
                    return programs
                programs += _build_group(rt, chunk, built, pregenerate, mine_keys)
    finally:
        for helper in helpers:
            helper.stop()
    return programs


def _cost(part) -> float:
    """A kernel's estimated build cost (PoCL 3.0: ~0.15 s for any kernel, plus ~0.15 s per
    4 KB of source), from its source alone, so that splits are the same from run to run."""
    return 1.0 + len(part[5] or part[4]) / 4000


def _shares(chunks, count: int, mine_keys) -> list:
    """`chunks` cut into programs and dealt into `count` shares of about equal cost: a chunk
    of n kernels is spread over the n // (build_worker.MIN_KERNELS / 2) shares with the least
    so far (at most `count`), one program in each; pieces holding none of mine_keys (only a
    dry run's cached kernels) are dropped. Deterministic: the sources stay cache-stable."""
    least = build_worker.MIN_KERNELS // 2
    totals = [0.0] * count
    shares = [[] for _ in range(count)]
    for chunk in sorted(chunks, key=len):  # the big ones, cut, even out the small ones
        lightest = sorted(range(count), key=totals.__getitem__)[:max(1, len(chunk) // least)]
        pieces = _deal(chunk, [totals[n] for n in lightest])
        for share, piece in zip(lightest, pieces):
            totals[share] += sum(map(_cost, piece))
            if any(part[0] in mine_keys for part in piece):
                shares[share].append(piece)
    return [share for share in shares if share]


def _deal(parts, totals: list) -> list:
    """`parts` dealt into len(totals) lists that start at those costs, each costliest part
    first to the list cheapest so far, so that they end about equal; each list keeps the
    parts' order (empty lists dropped)."""
    totals = list(totals)
    members = [[] for _ in totals]
    for n in sorted(range(len(parts)), key=lambda n: -_cost(parts[n])):
        target = totals.index(min(totals))
        totals[target] += _cost(parts[n])
        members[target].append(n)
    return [[parts[n] for n in sorted(chosen)] for chosen in members if chosen]


def _program_source(group) -> str:
    """The source _build_group builds for `group`: its kernels bundled in one program, or
    a lone kernel's own source."""
    if len(group) > 1:
        return group[0][3] + "\n" + "\n".join(part[5] for part in group)
    return group[0][3] + "\n" + group[0][4]


def _build_group(rt, group, built: dict, pregenerate: bool, mine_keys) -> int:
    if len(group) > 1:
        source = _program_source(group)
        names = ", ".join(f"{part[0][0]}:{part[0][1]}" for part in group)
        try:
            program = _build_program(rt, source, f"{len(group)} kernels ({names})", len(group),
                                     pregenerate)
        except KernelBuildError as exc:
            log.debug("bundled build failed, building one by one: %s", exc)
        else:
            for full_key, params, check, _, _, _, args, tag in group:
                built[full_key] = _kernel(getattr(program, params["name"] + tag), full_key,
                                          params, check, args)
            return 1
    for full_key, params, check, prelude, body, _, args, _ in group:
        if full_key not in mine_keys:  # another thread's: not rebuilt alone
            continue
        description = f"{full_key[0]}:{full_key[1]} {full_key[2]}"
        program = _build_program(rt, prelude + "\n" + body, description, 1, pregenerate)
        cl_kernel = getattr(program, params["name"])
        built[full_key] = _kernel(cl_kernel, full_key, params, check, args)
    return sum(part[0] in mine_keys for part in group)


def _kernel(cl_kernel, full_key, params, check, args) -> Kernel:
    template, def_name, key = full_key
    kernel = Kernel(cl_kernel, params["name"], args, f"{template}:{def_name} {key}", template,
                    def_name, params)
    kernel.check = check
    return kernel
