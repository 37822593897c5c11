"""The cl launch path: one launch function, kernel signatures declared once.

Every kernel clgrad enqueues goes through DeviceRuntime.launch (counted, hooked, logged under
CLGRAD_DEBUG); each kernel's arguments are declared once beside its <%def> and both the
template's parameter list and the Python packing come from that declaration.
"""
from __future__ import annotations

import ast
import gc
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F
from helpers import device_supports_fp64

pytestmark = pytest.mark.kernel

cl = pytest.importorskip("pyopencl")
from clgrad.backends.cl import programs, runtime  # noqa: E402

CL_DIR = Path(runtime.__file__).parent
KERNEL_DIR = programs.template_dir()
TEMPLATES = sorted(p.name for p in KERNEL_DIR.glob("*.cl.mako")
                   if p.name not in ("common.cl.mako", "math.cl.mako"))


def _runtime(cl_device):
    return runtime.runtime(clgrad.device(cl_device).index or 0)


def _every_family(dev: str, dtype=clgrad.float32) -> None:
    """At least one launch of every kernel template (and of most defs in each)."""
    x = clgrad.arange(24, dtype=dtype, device=dev).reshape(2, 3, 4) / 7
    x = x.requires_grad_()
    y = (x.transpose(1, 2) + 1).exp()                    # pointwise, strided
    y.sum(1).max(-1).values.mean().backward()             # reduce, arg reduce
    x.detach().cumsum(2).cummax(1)                        # scan
    x.detach().sort(1, descending=True)                   # sort
    x.detach().median(2)
    clgrad.bincount(clgrad.tensor([0, 2, 2], device=dev))
    x.detach()[x.detach() > 1]                            # index, nonzero
    x.detach().gather(2, clgrad.zeros(2, 3, 1, dtype=clgrad.int64, device=dev))
    clgrad.linspace(0, 1, 5, device=dev)                  # creation
    clgrad.eye(3, device=dev).triu()
    x.detach() @ x.detach().transpose(1, 2)               # gemm
    img = clgrad.rand(1, 2, 5, 5, dtype=dtype, device=dev, requires_grad=True)
    w = clgrad.rand(3, 2, 3, 3, dtype=dtype, device=dev)
    out = F.conv2d(img, w)                                # conv
    out = F.max_pool2d(out, 2) + F.avg_pool2d(out, 2)     # pool
    out = F.layer_norm(out, out.shape[-1:])               # norm
    logits = out.reshape(1, -1)
    loss = F.cross_entropy(logits, clgrad.tensor([1], device=dev))  # softmax, loss
    loss.backward()
    param = clgrad.nn.Parameter(clgrad.ones(4, dtype=dtype, device=dev))
    param.grad = clgrad.ones(4, dtype=dtype, device=dev)
    clgrad.optim.Adam([param]).step()                     # optim
    clgrad.randn(5, device=dev).bernoulli_(0.5)           # random
    clgrad.multinomial(clgrad.ones(3, device=dev), 2)     # check (its probabilities)
    clgrad.randperm(6, device=dev)
    clgrad.cl.synchronize()


# -- one launch function ---------------------------------------------------------------------
def test_every_family_launches_through_the_counted_hooked_launch(cl_device):
    rt = _runtime(cl_device)
    seen = []
    before = rt.launches
    rt.launch_hook = lambda kernel, gsize, lsize, args: seen.append(kernel)
    try:
        _every_family(cl_device)
    finally:
        rt.launch_hook = None
    assert rt.launches - before == len(seen) > 0
    assert runtime.launch_count() >= rt.launches
    templates = {k.template for k in seen}
    assert templates == set(TEMPLATES), set(TEMPLATES) - templates
    count = rt.launches
    clgrad.ones(3, device=cl_device).add_(1)
    assert rt.launches > count  # counting goes on without a hook


def test_launch_hook_sees_sizes_and_packed_arguments(cl_device):
    rt = _runtime(cl_device)
    calls = []
    rt.launch_hook = lambda kernel, gsize, lsize, args: calls.append((kernel, gsize, lsize, args))
    try:
        clgrad.eye(3, device=cl_device)
    finally:
        rt.launch_hook = None
    kernel, gsize, lsize, args = calls[-1]
    assert kernel.name == "eye" and lsize == rt.geometry(9)[1]  # None, or fixed on CPUs
    assert gsize[0] >= 9 and gsize[0] % rt.group_size == 0
    assert args[:2] == [9, 3] and len(args) == kernel.cl.num_args


def test_debug_logs_each_launch(cl_device):
    code = ("import clgrad; clgrad.ones(4, device=%r).mul_(3); clgrad.cl.synchronize()"
            % cl_device)
    env = dict(os.environ, CLGRAD_DEBUG="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    # local: the driver's choice (None), or on CPU devices the fixed 1-D group size.
    assert re.search(r"clgrad\.cl: launch pw_mul global=\(\d+,\) local=(None|\(\d+,\))",
                     done.stderr)


def _launch_sites(path: Path) -> list:
    """Calls that enqueue a kernel: kernel(queue, ...) / kernel(self.queue, ...) / enqueue_nd."""
    sites = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "enqueue_nd_range_kernel":
            sites.append(node.lineno)
        elif len(node.args) >= 3 and ast.unparse(node.args[0]) in ("queue", "self.queue") \
                and not (isinstance(func, ast.Attribute) and func.attr == "enqueue_copy"):
            sites.append(node.lineno)  # kernel(queue, global_size, local_size, ...)
    return sites


def test_only_the_runtime_enqueues_kernels():
    holders = {p.name: _launch_sites(p) for p in CL_DIR.glob("*.py")}
    assert {name for name, sites in holders.items() if sites} == {"runtime.py"}
    # DeviceRuntime.launch, and enqueue_preset: a capture's replay of kernels set up once.
    assert len(holders["runtime.py"]) == 2


def test_int32_limit_is_defined_once():
    defining = [p.name for p in CL_DIR.glob("*.py")
                if re.search(r"^_?INT32_LIMIT\s*=", p.read_text(), re.M)]
    assert defining == ["runtime.py"]


# -- signatures declared once ----------------------------------------------------------------
def _kernel_defs(text: str) -> list:
    """Names of the <%def>s of a template that render a kernel: those whose body holds a
    `__kernel`, or calls a helper def that writes it (optim's `head`), but not that helper."""
    bodies = {d.split("(", 1)[0]: d.split("</%def>", 1)[0]
              for d in re.split(r'<%def name="', text)[1:]}
    writers = {name for name, body in bodies.items() if "__kernel void" in body}
    callers = {name for name, body in bodies.items()
               if any("${%s(" % w in body for w in writers)}
    helpers = {w for w in writers if callers and any(
        "${%s(" % w in bodies[c] for c in callers)}
    return sorted((writers - helpers) | callers)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_kernel_declares_its_signature_and_uses_it(template):
    text = (KERNEL_DIR / template).read_text()
    names = _kernel_defs(text)
    assert names
    module = programs._lookup().get_template(template).module
    assert sorted(names) == sorted(module.SIGNATURES)
    # No parameter list written by hand: every kernel's comes from its declaration.
    assert text.count("__kernel void ${name}(${signature})") == text.count("__kernel void") > 0


def _declared_c(args) -> list:
    """(name, OpenCL type name) of each C parameter the declaration renders to."""
    out = []
    for a in args:
        for param in a.c_params():
            words = param.replace("*", " * ").split()
            ctype = words[-3] + "*" if words[-2] == "*" else words[-2]
            out.append((words[-1], ctype))
    return out


def test_rendered_parameters_match_declarations(cl_device):
    """Each kernel built so far, for every dtype: pyopencl sees as many arguments as packing
    produces; one kernel per <%def> is rebuilt with argument info to compare names and types."""
    rt = _runtime(cl_device)
    dtypes = [clgrad.float32, clgrad.float16]
    if device_supports_fp64(cl_device):
        dtypes.append(clgrad.float64)
    for dtype in dtypes:
        _every_family(cl_device, dtype)
    clgrad.arange(10, device=cl_device).sum()   # integer kernels
    (clgrad.arange(10, device=cl_device) > 3).cumsum(0)
    checked = {}
    for kernel in list(rt.kernels.values()):
        width = sum(len(a.arg_dtypes()) for a in kernel.args)
        assert kernel.cl.num_args == width, kernel.description
        checked.setdefault((kernel.template, kernel.def_name), kernel)
    assert {t for t, _ in checked} == set(TEMPLATES)
    for kernel in checked.values():
        source, args = programs.render(kernel.template, kernel.def_name, caps=rt.caps,
                                       **kernel.params)
        built = cl.Program(rt.context, source).build(
            options=list(rt.caps.build_options) + ["-cl-kernel-arg-info"])
        k = getattr(built, kernel.name)
        # PoCL reports a parameter named like a builtin (step) as _cl_step.
        names = [re.sub(r"^_cl_", "", k.get_arg_info(i, cl.kernel_arg_info.NAME))
                 for i in range(k.num_args)]
        types = [k.get_arg_info(i, cl.kernel_arg_info.TYPE_NAME).replace(" ", "")
                 for i in range(k.num_args)]
        assert list(zip(names, types)) == _declared_c(args), kernel.description


# -- packing ---------------------------------------------------------------------------------
@pytest.fixture
def tri_kernel(cl_device):
    rt = _runtime(cl_device)
    x = clgrad.ones(3, 3, device=cl_device)
    kernel = programs.get_kernel(rt, "creation.cl.mako", "tri", (x.dtype.name, False),
                                 dict(name="tril", dt=x.dtype, upper=False))
    return rt, kernel, x


def test_named_packing_expands_tensors(tri_kernel):
    rt, kernel, x = tri_kernel
    y = clgrad.empty(3, 3, device=x.device)
    src = x[1:].reshape(-1)
    values = dict(n=6, rows=2, cols=3, diagonal=0, src=src, out=y)
    packed = kernel.pack(values)
    assert packed[:4] == [6, 2, 3, 0]
    assert packed[5] == 3 and packed[7] == 0          # offsets follow their buffers
    assert len(packed) == kernel.cl.num_args == 8
    rt.launch(kernel, 6, None, values)
    np.testing.assert_array_equal(y.reshape(-1)[:6].cpu().numpy(), [1, 0, 0, 1, 1, 0])


def test_generated_packers_pack_as_the_general_packing(cl_device, monkeypatch):
    """Every named-argument launch of every family: the packer generated for the kernel's
    signature gives the same positional arguments, in the same order, as the general one."""
    from clgrad.backends.cl import kernel as kernel_module
    general = kernel_module.Kernel.pack
    compared = set()

    def comparable(packed):  # LocalMemory objects compare by identity: by size instead
        return [("local", v.size) if isinstance(v, cl.LocalMemory) else v for v in packed]

    def both(self, values):
        packed = general(self, values)
        assert comparable(packed) == comparable(self._pack_checked(values)), self.description
        compared.add(self.template)
        return packed
    monkeypatch.setattr(kernel_module.Kernel, "pack", both)
    _every_family(cl_device)
    assert len(compared) >= len(TEMPLATES) - 2  # most pointwise and copy kernels pack their own


def test_a_failed_launch_leaves_the_kernel_usable(tri_kernel):
    """Arguments are set afresh at every launch: one that failed half-way through setting
    them does not leak into the next launch of the same kernel."""
    rt, kernel, x = tri_kernel
    y = clgrad.full((3, 3), 7.0, device=x.device)
    with pytest.raises(Exception):
        rt.launch(kernel, 9, None, dict(n=9, rows=3, cols=3, diagonal=0.5, src=x, out=y))
    rt.launch(kernel, 9, None, dict(n=9, rows=3, cols=3, diagonal=0, src=x, out=y))
    np.testing.assert_array_equal(y.cpu().numpy(), np.tril(np.ones((3, 3))))


def test_missing_or_unknown_argument_names_kernel_and_argument(tri_kernel):
    rt, kernel, x = tri_kernel
    with pytest.raises(TypeError, match=r"kernel tril: missing arguments \['diagonal'\], "
                                        r"unknown arguments \['diag'\]"):
        rt.launch(kernel, 9, None, dict(n=9, rows=3, cols=3, diag=0, src=x, out=x))
    with pytest.raises(TypeError, match=r"kernel tril: missing arguments \['out'\]"):
        kernel.pack(dict(n=9, rows=3, cols=3, diagonal=0, src=x))


def test_wrong_kind_of_value_names_kernel_and_argument(tri_kernel):
    rt, kernel, x = tri_kernel
    with pytest.raises(TypeError, match=r"kernel tril: argument src \(tensor of float\) "
                                        r"cannot take a float"):
        kernel.pack(dict(n=9, rows=3, cols=3, diagonal=0, src=1.5, out=x))
    with pytest.raises(Exception) as info:
        rt.launch(kernel, 9, None, dict(n=9, rows=x, cols=3, diagonal=0, src=x, out=x))
    assert "argument rows" in "".join(getattr(info.value, "__notes__", [])) + str(info.value)


def test_bare_buffer_refuses_an_offset_view(cl_device):
    rt = _runtime(cl_device)
    out = clgrad.empty(4, device=cl_device)
    kernel = programs.get_kernel(rt, "creation.cl.mako", "eye", (out.dtype.name,),
                                 dict(name="eye", out=out.dtype))
    with pytest.raises(TypeError, match="kernel eye: argument out is a bare buffer, got a "
                                        "tensor at offset 1"):
        kernel.pack(dict(n=3, cols=3, out=out[1:]))


def test_strided_tensor_argument_checks_its_rank(cl_device):
    rt = _runtime(cl_device)
    x = clgrad.ones(1, 1, 3, 3, device=cl_device)
    kernel = programs.get_kernel(rt, "conv.cl.mako", "im2col", (x.dtype.name, "int", False),
                                 dict(name="nn_im2col", dt=x.dtype, T="float", index_t="int",
                                      rows=False))
    values = {a.name: 1 for a in kernel.args}
    values.update(x=x[0], cols=x[0, 0])
    with pytest.raises(TypeError, match="kernel nn_im2col: argument x has 4 strides, got a "
                                        "tensor of rank 3"):
        kernel.pack(values)


# -- allocation failures ---------------------------------------------------------------------
def test_allocation_above_the_device_limit_is_out_of_memory(cl_device):
    gc.collect()  # an earlier test's tensors dying during the call would change the count
    before = clgrad.cl.memory_allocated()
    with pytest.raises(clgrad.OutOfMemoryError, match=r"^cl:\d+ out of memory\. Tried to "
                                                      r"allocate 37252\.90 GiB\. Device \d+ "):
        clgrad.empty(10 ** 13, device=cl_device)
    assert issubclass(clgrad.OutOfMemoryError, RuntimeError)
    assert clgrad.cl.memory_allocated() == before


class _FailingPool:
    """A memory pool whose first `failures` allocations raise `error`."""

    def __init__(self, pool, failures: int, error):
        self.pool, self.failures, self.error = pool, failures, error
        self.freed = 0
        self.managed_bytes = pool.managed_bytes

    def allocate(self, nbytes):
        if self.failures:
            self.failures -= 1
            raise self.error
        return self.pool.allocate(nbytes)

    def free_held(self):
        self.freed += 1


def _driver_error(kind, code):
    return kind(cl._cl._ErrorRecord("clCreateBuffer", code, "planted"))


@pytest.mark.parametrize("make_error", [
    lambda: _driver_error(cl.MemoryError, cl.status_code.MEM_OBJECT_ALLOCATION_FAILURE),
    lambda: _driver_error(cl.LogicError, cl.status_code.INVALID_BUFFER_SIZE),
    lambda: _driver_error(cl.RuntimeError, cl.status_code.OUT_OF_RESOURCES),
], ids=["allocation-failure", "invalid-buffer-size", "out-of-resources"])
def test_driver_allocation_failures_retry_once_then_raise(cl_device, monkeypatch, make_error):
    rt = _runtime(cl_device)
    pool = _FailingPool(rt.pool, 1, make_error())
    monkeypatch.setattr(rt, "pool", pool)
    assert clgrad.ones(4, device=cl_device).sum().item() == 4  # the retry succeeded
    assert pool.freed == 1
    pool.failures = 2
    with pytest.raises(clgrad.OutOfMemoryError, match="Tried to allocate 16 bytes") as info:
        clgrad.empty(4, device=cl_device)
    assert pool.freed == 2 and isinstance(info.value.__cause__, cl.Error)


def test_other_driver_errors_are_not_out_of_memory(cl_device, monkeypatch):
    rt = _runtime(cl_device)
    error = _driver_error(cl.LogicError, cl.status_code.INVALID_CONTEXT)
    monkeypatch.setattr(rt, "pool", _FailingPool(rt.pool, 1, error))
    with pytest.raises(cl.LogicError, match="INVALID_CONTEXT"):
        clgrad.empty(4, device=cl_device)


# -- threads ---------------------------------------------------------------------------------
def test_threads_launching_one_kernel_keep_their_arguments(cl_device):
    """set_args and the enqueue are one step: threads running the same cached kernel (as a
    background warm-up does beside the script) each get their own operands' results. Without
    the runtime's launch lock about 1 launch in 200 ran with another thread's arguments."""
    import threading
    results = {}

    def work(i):
        x = clgrad.full((64,), float(i), device=cl_device)
        results[i] = [x + 0.5 for _ in range(1500)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    wrong = [i for i, outs in results.items() for r in outs if (r.cpu().numpy() != i + 0.5).any()]
    assert len(results) == 4 and not wrong
