#!/usr/bin/env python3
"""Figures on clgrad's layering, for closing notes (issue 10: before and after).

    python tools/layer_report.py [PROJECT_ROOT]     (default: this checkout)

PROJECT_ROOT may be any checkout (an old commit's worktree, say); the layer map, the
allow-list and the import walker are always this checkout's tests/test_layering.py, so that
before and after are measured by the same rules. Prints: lines per layer, the kernel launch
sites (calls `kernel(queue, global_size, ...)` and `enqueue_nd_range_kernel`) and the modules
holding them, function-body imports, the largest import circle, and the upward imports.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Calls on a queue that copy or synchronise rather than launch a kernel.
NOT_LAUNCHES = {"enqueue_copy", "enqueue_fill_buffer", "enqueue_barrier", "enqueue_marker",
                "enqueue_map_buffer", "enqueue_read_buffer", "enqueue_write_buffer"}


def load_rules():
    """tests/test_layering.py as a module (LAYERS, ALLOWED, the walker)."""
    path = os.path.join(HERE, os.pardir, "tests", "test_layering.py")
    spec = importlib.util.spec_from_file_location("clgrad_layering_rules", path)
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    return rules


def _is_queue(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "queue") or (
        isinstance(node, ast.Attribute) and node.attr == "queue")


def launch_sites(modules: dict) -> dict:
    """{module: number of kernel launch calls in it}."""
    sites = {}
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        count = 0
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
            if name == "enqueue_nd_range_kernel":
                count += 1
            elif len(node.args) >= 2 and _is_queue(node.args[0]) and name not in NOT_LAUNCHES:
                count += 1
        if count:
            sites[module] = count
    return sites


def split_imports(rules, modules: dict) -> tuple:
    """(module-level edges, function-body import count): the imports that run when a module
    is first imported, as (importer, imported) pairs, and how many clgrad imports wait
    inside function bodies instead."""
    edges, in_functions = set(), 0
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        is_package = path.endswith("__init__.py")
        stack = [(node, False) for node in tree.body]
        while stack:
            node, in_function = stack.pop()
            targets = rules.import_targets(module, is_package, node, modules)
            if targets and in_function:
                in_functions += isinstance(node, (ast.Import, ast.ImportFrom))
            elif targets:
                edges.update((module, t) for t in targets if t in modules)
            inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                     ast.Lambda))
            stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return edges, in_functions


def largest_circle(edges: set) -> list:
    """The largest strongly connected set of modules (Tarjan, iterative)."""
    graph: dict = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index, low, on_stack, stack, best = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > len(best):
                        best = component
    return sorted(best)


def _among(edges: set, keep) -> set:
    return {(a, b) for a, b in edges if keep(a) and keep(b)}


def main(argv: list) -> int:
    project = argv[1] if len(argv) > 1 else os.path.join(HERE, os.pardir)
    rules = load_rules()
    modules = rules.package_modules(os.path.join(os.path.abspath(project), "clgrad"))

    lines = [0] * len(rules.LAYERS)
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            lines[rules.layer_of(module)] += sum(1 for _ in f)
    print("lines per layer (bottom to top):")
    for (name, _), count in zip(rules.LAYERS, lines):
        print(f"  {name:10} {count:6}")

    sites = launch_sites(modules)
    print(f"kernel launch sites: {sum(sites.values())} in {len(sites)} modules")
    for module, count in sorted(sites.items()):
        print(f"  {module}: {count}")

    edges = {(a, b) for a, b, _ in rules.imports(modules) if b in modules}
    module_level, in_functions = split_imports(rules, modules)
    print(f"function-body imports of clgrad modules: {in_functions}")
    # A module importing the clgrad namespace itself (user-style code in the api layer) joins
    # every module into one circle through clgrad/__init__; circles are counted without it.
    top = len(rules.LAYERS) - 1
    for label, keep in (("all layers", lambda m: m != "clgrad"),
                        ("below the api layer", lambda m: rules.layer_of(m) < top)):
        print(f"largest import circle, {label}: "
              f"{len(largest_circle(_among(module_level, keep)))} modules by module-level "
              f"imports, {len(largest_circle(_among(edges, keep)))} by all imports")

    upward = rules.upward_imports(modules)
    allowed = [u for u in upward if (u[0], u[1]) in rules.ALLOWED]
    pairs = {(a, b) for a, b, _ in upward}
    print(f"upward imports: {len(upward)} ({len(pairs)} importer/imported pairs; "
          f"{len(allowed)} allowed)")
    for a, b, line in upward:
        mark = "  (allowed)" if (a, b) in rules.ALLOWED else ""
        print(f"  {a}:{line} -> {b} ({rules.LAYERS[rules.layer_of(a)][0]} -> "
              f"{rules.LAYERS[rules.layer_of(b)][0]}){mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
