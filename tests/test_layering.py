"""Imports point down (DESIGN.md, "Layers, top to bottom"; issue 10 item 4).

Every import in clgrad/, at module level and inside functions (a function-body import is a
dependency all the same, only a later one), is mapped to the layers of both its ends; an
import from a lower layer to a higher one fails unless ALLOWED names it with the reason.
Hidden imports count too: `__import__("clgrad...")`, `importlib.import_module(...)` and
`sys.modules[...]` / `sys.modules.get(...)` with a constant module name.

tools/layer_report.py reads LAYERS, ALLOWED and the walker from this file.
"""
from __future__ import annotations

import ast
import os

import pytest

# Bottom to top. A module belongs to the layer of the longest prefix that names it (whole
# dotted parts); it may import its own layer and those below it.
LAYERS = (
    # What everything stands on and which imports nothing of clgrad's above it: dtypes and
    # promotion, stride arithmetic, the storage record (backend, buffer, dtype, device),
    # PyTorch's type names, the exception types, the kernel templates, and the one hook
    # handle class (torch.utils.hooks.RemovableHandle; clgrad/utils/__init__ imports nothing,
    # so importing it runs nothing above), and the list of captures in progress that the
    # generator and the optimizer report to.
    ("floor", ("clgrad._dtype", "clgrad._strides", "clgrad._storage", "clgrad._typenames",
               "clgrad.errors", "clgrad.kernels", "clgrad.utils.hooks", "clgrad._capture")),
    # Memory and kernels per device type, and the device names, whose types come from the
    # backend registry.
    ("backends", ("clgrad.backends", "clgrad._device")),
    # What a tensor is: metadata, autograd attributes, host reads, printing, memory formats,
    # and the "must be a Tensor" checks.
    ("tensor", ("clgrad._tensor", "clgrad._formatting", "clgrad._memory_format",
                "clgrad._checks")),
    # The graph core: nodes, the engine and its entry points (backward, grad), grad mode,
    # anomaly mode, in-place rebasing, custom Functions and the Tensor methods that reach
    # nodes (backward, register_hook, retain_grad). It knows nothing about devices and calls
    # Tensor methods only.
    ("autograd", ("clgrad.autograd.graph", "clgrad.autograd.engine",
                  "clgrad.autograd.grad_mode", "clgrad.autograd.anomaly",
                  "clgrad.autograd.inplace", "clgrad.autograd.function",
                  "clgrad.autograd.tensor_methods")),
    # The op layer: the op table, the ops and the Tensor methods they attach, fused ops, and
    # the generators the random ops draw from (clgrad.random, torch.random's Generator).
    ("ops", ("clgrad.ops", "clgrad.random")),
    # Everything a user calls: the clgrad namespace, nn, optim, linalg, special, autograd's
    # public package (functional, gradcheck, Variable), utils, vision, distributions, the
    # global switches of _settings (set_default_tensor_type, deterministic mode...), _dynamo's
    # knobs that clgrad.compile reads, and
    # ops/pairs.py, which completes torch.X / Tensor.X pairs by calling nn.functional and
    # linalg (Tensor.relu, Tensor.det, ...): an api module kept under ops/, imported only by
    # clgrad/__init__.
    ("api", ("clgrad", "clgrad._settings", "clgrad.ops.pairs", "clgrad._dynamo")),
)

# (importer, imported): why this upward import stays. Keep it short; each entry is a debt.
ALLOWED: dict = {
}


def layer_of(module: str) -> int:
    """The index in LAYERS of the layer `module` belongs to."""
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise ValueError(f"{module} is in no layer")
    return best


def package_modules(root: str) -> dict:
    """{dotted module name: file path} for every .py file of the package at `root`.

    In a source tree the kernel templates' package is kernels/ beside clgrad/ (setup.cfg
    maps it to clgrad.kernels); in a wheel it is clgrad/kernels/. Both are walked."""
    modules = _walk(root, os.path.basename(root))
    beside = os.path.join(os.path.dirname(root), "kernels")
    if not os.path.isdir(os.path.join(root, "kernels")) and os.path.isfile(
            os.path.join(beside, "__init__.py")):
        modules.update(_walk(beside, os.path.basename(root) + ".kernels"))
    return modules


def _walk(folder: str, package: str) -> dict:
    modules = {}
    for where, _, names in os.walk(folder):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(where, name)
            dotted = package + "." + os.path.relpath(path, folder)[:-3].replace(os.sep, ".")
            modules[dotted[:-len(".__init__")] if dotted.endswith(".__init__") else dotted] = path
    return modules


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[:len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _constant_module(node: ast.AST):
    """The module a hidden import names: __import__("m"), import_module("m"),
    sys.modules["m"], sys.modules.get("m"); None for anything else."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(
            fn, ast.Attribute) else None
        is_get = name == "get" and isinstance(fn, ast.Attribute) and _is_sys_modules(fn.value)
        if name in ("__import__", "import_module") or is_get:
            return node.args[0].value
    if isinstance(node, ast.Subscript) and _is_sys_modules(node.value) and isinstance(
            node.slice, ast.Constant):
        return node.slice.value
    return None


def _is_sys_modules(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(
        node.value, ast.Name) and node.value.id == "sys"


def import_targets(module: str, is_package: bool, node: ast.AST, known: dict) -> list:
    """The clgrad modules one AST node of `module` imports (none for most nodes).

    `from a import b` names the module a.b when `known` has it, else a."""
    targets = []
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = _absolute(module, is_package, node)
        targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                   for alias in node.names]
    else:
        hidden = _constant_module(node)
        if isinstance(hidden, str):
            targets = [hidden]
    return [t for t in dict.fromkeys(targets) if t == "clgrad" or t.startswith("clgrad.")]


def imports(modules: dict):
    """Yield (importer, imported, line) for every clgrad import in `modules`, at any depth."""
    for module, path in sorted(modules.items()):
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        is_package = path.endswith("__init__.py")
        for node in ast.walk(tree):
            for target in import_targets(module, is_package, node, modules):
                yield module, target, node.lineno


def upward_imports(modules: dict) -> list:
    """[(importer, imported, line)] for each import from a lower layer to a higher one."""
    return [(a, b, line) for a, b, line in imports(modules) if layer_of(b) > layer_of(a)]


@pytest.fixture(scope="module")
def modules():
    import clgrad  # here, not at the top: tools/layer_report.py loads this file without it
    return package_modules(os.path.dirname(clgrad.__file__))


def test_private_top_level_modules_are_placed(modules):
    # clgrad/_x.py modules are infrastructure the lower layers use: each is named in LAYERS
    # rather than falling into "api" by the catch-all prefix.
    named = {prefix for _, prefixes in LAYERS for prefix in prefixes}
    loose = [m for m in modules if m.count(".") == 1 and m.split(".")[1].startswith("_")
             and m not in named and m != "clgrad.__main__"]
    assert not loose, f"place these in LAYERS: {loose}"


def test_layers_read_as_designed():
    assert [name for name, _ in LAYERS] == ["floor", "backends", "tensor", "autograd", "ops",
                                            "api"]
    assert layer_of("clgrad.autograd.graph") < layer_of("clgrad.ops.pointwise")
    assert layer_of("clgrad.autograd") == layer_of("clgrad.nn")  # the public package
    assert layer_of("clgrad._device") < layer_of("clgrad._tensor")
    assert layer_of("clgrad.backends.cl.runtime") == layer_of("clgrad.backends")
    assert layer_of("clgrad.ops.pairs") == layer_of("clgrad") > layer_of("clgrad.ops.shape")


def test_imports_point_down(modules):
    found = [f"{a}:{line} imports {b} ({LAYERS[layer_of(a)][0]} -> {LAYERS[layer_of(b)][0]})"
             for a, b, line in upward_imports(modules) if (a, b) not in ALLOWED]
    assert not found, "upward imports:\n" + "\n".join(found)


def test_allow_list_is_still_needed(modules):
    # An entry whose import is gone (or no longer upward) goes too.
    upward = {(a, b) for a, b, _ in upward_imports(modules)}
    assert not [pair for pair in ALLOWED if pair not in upward]


def test_walker_sees_function_level_and_hidden_imports(tmp_path):
    pkg = tmp_path / "clgrad"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "_dtype.py").write_text("def f():\n    from .ops import pointwise\n"
                                   "import sys\nx = sys.modules.get('clgrad.nn')\n")
    (pkg / "ops" / "__init__.py").write_text("")
    (pkg / "ops" / "pointwise.py").write_text("from .. import _dtype as dt\n")
    found = upward_imports(package_modules(str(pkg)))
    assert found == [("clgrad._dtype", "clgrad.ops.pointwise", 2),
                     ("clgrad._dtype", "clgrad.nn", 4)]
