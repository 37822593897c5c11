"""The backend contract (clgrad/backends/base.py) and the device registry (issue 10 items 1, 6).

Every registered backend implements every contract method with the contract's parameters;
the registry resolves every device spelling; the cpu and cl folders have the same family
modules; and nothing outside clgrad/backends/ tests a device type against "cl" or "cuda".
"""
from __future__ import annotations

import ast
import inspect
import os

import pytest

import clgrad
from clgrad import backends
from clgrad.backends import Backend

ROOT = os.path.dirname(os.path.abspath(clgrad.__file__))

CONTRACT = sorted(name for name, value in vars(Backend).items()
                  if not name.startswith("_") and callable(value))

# The kernel family modules both backend folders have (DESIGN.md, issue 10 item 1), and
# capture, each device's recording of its commands for replay (clgrad.compile, cl graphs).
FAMILIES = {"backend", "creation", "index", "reduce", "sort", "linalg", "conv", "pool", "norm",
            "softmax", "loss", "optim", "random", "capture"}
# cl's own modules beside the families: devices and the launch path, kernel builds (and
# their helper processes), host fallbacks, GEMM tile tables, and the device-side error word
# with its value-check kernels (the cpu backend raises at the op instead, from
# ops/value_checks.py).
CL_ONLY = {"runtime", "programs", "build_worker", "kernel", "fallback", "gemm_params", "checks",
           "value_checks"}
# cpu's own: glibc's malloc thresholds for numpy's buffers.
CPU_ONLY = {"heap"}


def _cl_class():
    try:
        return backends.device_type("cl").backend_class()
    except ImportError as exc:  # no pyopencl: the registry still names the class
        pytest.skip(f"the cl backend does not import here: {exc}")


def test_contract_lists_the_kernel_families():
    # Spot checks that the contract is the interface ops/ and nn/ call, not a subset.
    for name in ("empty", "from_host", "to_host", "write_host", "release", "synchronize",
                 "check_dtype", "copy", "pointwise", "reduce", "scan", "sort", "gemm",
                 "im2col", "pool_forward", "softmax", "norm_moments", "nll", "optim_step",
                 "philox_raw", "random_fill", "index_map", "gather_dim", "arange"):
        assert name in CONTRACT


@pytest.mark.parametrize("name", CONTRACT)
def test_contract_methods_have_one_line_docstrings(name):
    doc = vars(Backend)[name].__doc__
    assert doc and doc.strip() and "\n" not in doc.strip(), name


@pytest.mark.parametrize("name", CONTRACT)
def test_contract_stubs_raise_not_implemented(name):
    method = getattr(Backend(), name)
    args = [None] * sum(1 for p in inspect.signature(method).parameters.values()
                        if p.default is inspect.Parameter.empty)
    with pytest.raises(NotImplementedError):
        method(*args)


@pytest.mark.parametrize("type_name", backends.device_types())
def test_every_backend_implements_every_method(type_name):
    cls = backends.device_type(type_name).backend_class() if type_name != "cl" else _cl_class()
    assert issubclass(cls, Backend)
    assert cls.name == type_name
    missing = [name for name in CONTRACT
               if inspect.getattr_static(cls, name) is vars(Backend)[name]]
    assert not missing, f"{cls.__name__} leaves {missing} to the contract's stubs"


@pytest.mark.parametrize("type_name", backends.device_types())
def test_implementations_take_the_contract_parameters(type_name):
    cls = backends.device_type(type_name).backend_class() if type_name != "cl" else _cl_class()
    wrong = []
    for name in CONTRACT:
        want = list(inspect.signature(vars(Backend)[name]).parameters.values())
        got = list(inspect.signature(getattr(cls, name)).parameters.values())
        if [(p.name, p.default) for p in got] != [(p.name, p.default) for p in want]:
            wrong.append(f"{name}{inspect.signature(getattr(cls, name))}")
    assert not wrong, f"{cls.__name__} differs from the contract: {wrong}"


def test_registry_resolves_every_spelling():
    assert backends.device_types()[:2] == ("cpu", "cl")
    assert backends.resolve_name("cpu") == "cpu"
    assert backends.resolve_name("cl") == "cl"
    assert backends.resolve_name("cuda") == "cl"
    assert backends.resolve_name("xla") is None
    assert backends.device_type("cuda") is backends.device_type("cl")
    assert backends.accelerator() == "cl"
    assert backends.is_accelerator("cl") and backends.is_accelerator("cuda")
    assert not backends.is_accelerator("cpu")
    assert not backends.is_accelerator("xla") and not backends.is_accelerator(None)
    with pytest.raises(KeyError):
        backends.device_type("xla")


def test_device_names_come_from_the_registry():
    assert clgrad.device("cuda:1") == clgrad.device("cl", 1)
    assert clgrad.device(3).type == backends.accelerator()
    message = ", ".join(backends.device_types())
    with pytest.raises(RuntimeError, match=f"Expected one of {message} device type"):
        clgrad.device("xla")


def test_backend_for_cpu_is_one_cached_instance():
    cpu = backends.backend_for(clgrad.device("cpu"))
    assert isinstance(cpu, backends.CpuBackend)
    assert backends.backend_for(clgrad.device("cpu")) is cpu
    assert clgrad.zeros(2)._storage.backend is cpu
    assert not cpu.counts_memory


@pytest.mark.skipif(not clgrad.cl.is_available(), reason="no OpenCL device")
def test_backend_for_cl_and_cuda_is_one_instance():
    cl = backends.backend_for(clgrad._device.canonical("cl"))
    assert isinstance(cl, _cl_class())
    assert backends.backend_for(clgrad._device.canonical("cuda")) is cl
    assert backends.backend_for(clgrad.device("cl", cl.device.index)) is cl
    assert clgrad.zeros(2, device="cuda")._storage.backend is cl
    assert cl.counts_memory


def _modules(folder: str) -> set:
    path = os.path.join(ROOT, "backends", folder)
    return {name[:-3] for name in os.listdir(path)
            if name.endswith(".py") and name != "__init__.py"}


def test_cpu_folder_has_exactly_the_family_modules_and_its_own():
    assert _modules("cpu") == FAMILIES | CPU_ONLY


def test_cl_folder_has_the_family_modules_and_its_own():
    cl = _modules("cl")
    assert FAMILIES - cl == set(), "family modules missing from backends/cl/"
    assert cl - FAMILIES - CL_ONLY == set(), "modules in backends/cl/ that are no family"


# Device-type tests outside backends/ that stay, each with its reason: (file, source).
ALLOWED = {
    # Tensor.is_cl is the user-facing name: its definition says what it means.
    ("_tensor.py", "self._storage.device.type == 'cl'"),
    # Legacy type names ('torch.cuda.FloatTensor', 'clgrad.cl.LongTensor') name modules,
    # not device types; _typenames sits below the backend layer.
    ("_typenames.py", "parts[1] in ('cl', 'cuda')"),
    # clgrad.version.cl, like torch.version.cuda, is an attribute name.
    ("version.py", "name == 'cl'"),
}


def _strings(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for element in node.elts:
            yield from _strings(element)


def device_name_tests() -> set:
    """(file, source) of each comparison with "cl" or "cuda" outside clgrad/backends/."""
    found = set()
    for folder, dirs, files in os.walk(ROOT):
        if os.path.relpath(folder, ROOT).split(os.sep)[0] == "backends":
            dirs[:] = []
            continue
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Compare) and any(
                        s in ("cl", "cuda") for operand in (node.left, *node.comparators)
                        for s in _strings(operand)):
                    found.add((os.path.relpath(path, ROOT), ast.unparse(node)))
    return found


def test_scan_sees_a_device_name_test():
    # The scanner itself: it must see the allow-listed tests, or it proves nothing.
    assert ALLOWED <= device_name_tests()


def test_nothing_outside_backends_tests_for_cl():
    unexpected = sorted(device_name_tests() - ALLOWED)
    assert not unexpected, ("look the device type up in the registry (clgrad.backends: "
                            f"resolve_name, is_accelerator, device_type): {unexpected}")
