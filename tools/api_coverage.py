#!/usr/bin/env python
"""How much of the PyTorch API a folder of programs uses exists in clgrad.

For every .py file under a folder: follow the torch/torchvision import aliases, collect each
attribute chain (``torch.nn.functional.relu``) and each imported name, rename it as a port
would (torch -> clgrad, torchvision -> clgrad.vision, a ``cuda`` component -> ``cl``) and
resolve it in the installed clgrad; collect Tensor-method calls (``x.view(...)``: an attribute
call whose name torch.Tensor has, on a receiver that is not an imported module or ``self``)
and check ``clgrad.Tensor`` has the (renamed) name. A name bound locally (an assignment, a
loop or ``with`` target, a function argument) hides an import of the same name until the end
of its scope. Imports in a ``try:`` that catches ImportError, and in its handlers, are not
counted (programs probe several versions' names that way). Files that import neither torch
nor torchvision are not counted: their method calls (``stats.values()``) are on dicts and
strings, not Tensors. Prints the share of uses that resolve, the share of files whose
every use resolves, and the most used missing names.

Usage: python tools/api_coverage.py FOLDER [--top N] [--json]
       python tools/api_coverage.py FOLDER --rebuild tools/api_coverage_corpus.txt

The corpus is not in the repository (none of its code is committed): the manifest lists each
file as ``owner/repo commit path``; ``--rebuild`` clones each repository (from
https://github.com/, or the ``--git-base`` given) and writes every listed file at that commit
to FOLDER/owner+repo/path, then measures it.
"""
import argparse
import ast
import collections
import importlib
import json
import os
import subprocess
import sys
import types

ROOTS = {"torch": "clgrad", "torchvision": "clgrad.vision"}
# Receivers whose methods are not Tensor methods even when the name matches.
NON_TENSOR_RECEIVERS = {"self", "cls", "super"}
# Names torch.Tensor has that programs call far more often on lists and strings.
LIST_METHODS = {"index"}
HERE = os.path.dirname(os.path.abspath(__file__))


def tensor_method_names():
    """dir(torch.Tensor) when torch is installed, else the committed list beside this file."""
    try:
        import torch
        return {n for n in dir(torch.Tensor) if not n.startswith("_")}
    except ImportError:
        with open(os.path.join(HERE, "tensor_methods.txt")) as f:
            return {ln.strip() for ln in f if ln.strip() and not ln.startswith("#")}


def rename(chain):
    parts = chain.split(".")
    head = ROOTS[parts[0]].split(".")
    return ".".join(head + ["cl" if p == "cuda" else p for p in parts[1:]])


def _dotted(node):
    """'a.b.c' for a pure Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Collector(ast.NodeVisitor):
    """Collects (kind, torch-name) uses from one module's tree.

    kind is "import" (an import statement: submodules may be imported), "attr" (an attribute
    chain: reached by getattr only, so it needs the module bound) or "method"."""

    def __init__(self, methods):
        self.methods = methods
        self.aliases = {}      # local name -> torch dotted path
        self.other = set()     # local names bound to non-torch imports
        self.uses = []
        self.imported = set()  # torch modules this file imports explicitly
        self.nontensor = set()  # local variables last assigned from a non-torch call

    optional = 0  # > 0 inside `try:` bodies whose handlers catch ImportError

    def visit_Try(self, node):
        catches = set()
        for h in node.handlers:
            types_ = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
            catches |= {_dotted(t) if t is not None else "" for t in types_}
        # try: from torch.hub import x / except ImportError: (another version's name)
        guarded = bool(catches & {"", "ImportError", "ModuleNotFoundError", "Exception",
                                  "BaseException"})
        # the body and the fallbacks in the handlers: the program deals with either failing
        self.optional += guarded
        for stmt in node.body + node.handlers:
            self.visit(stmt)
        self.optional -= guarded
        for stmt in node.orelse + node.finalbody:
            self.visit(stmt)

    def _import_use(self, name):
        if not self.optional:
            self.uses.append(("import", name))

    def visit_Import(self, node):
        for a in node.names:
            root = a.name.split(".")[0]
            if root in ROOTS:
                self._import_use(a.name)
                self.imported.add(a.name)
                if a.asname:
                    self.aliases[a.asname] = a.name
                else:
                    self.aliases[root] = root
            else:
                self.other.add(a.asname or root)

    def visit_ImportFrom(self, node):
        mod = node.module or ""
        if node.level or mod.split(".")[0] not in ROOTS:
            for a in node.names:
                self.other.add(a.asname or a.name)
            return
        self.imported.add(mod)
        for a in node.names:
            if a.name == "*":
                self._import_use(mod)
                continue
            full = mod + "." + a.name
            self._import_use(full)
            self.aliases[a.asname or a.name] = full

    def _call_root(self, node):
        """Root name of the outermost call chain of node (Image.open(p).convert() -> Image)."""
        while isinstance(node, (ast.Call, ast.Attribute)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return node.id if isinstance(node, ast.Name) else None

    def visit_Assign(self, node):
        # img = Image.open(path): img's methods (resize, convert, ...) are not Tensor methods.
        # A later assignment from anything else (torch.from_numpy(img)) clears the mark.
        self.generic_visit(node)
        root = self._call_root(node.value) if isinstance(node.value, ast.Call) else None
        names = [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        for t in node.targets:
            self._unbind(t)
        for name in names:  # a, b = img.split() marks both
            if root in self.other or root in self.nontensor:
                self.nontensor.add(name)
            else:
                self.nontensor.discard(name)

    def _unbind(self, target):
        """A local binding of an alias's name (``for data, target in loader``, an argument
        ``data``, ``with open(p) as data``) hides the import from there to the scope's end."""
        for n in ast.walk(target):
            if isinstance(n, ast.Name) and n.id in self.aliases:
                del self.aliases[n.id]

    def visit_FunctionDef(self, node):
        for d in node.decorator_list + node.args.defaults + node.args.kw_defaults:
            if d is not None:
                self.visit(d)
        saved = (dict(self.aliases), set(self.nontensor))
        a = node.args
        for arg in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
            if arg is not None:
                self.aliases.pop(arg.arg, None)
        for stmt in node.body:
            self.visit(stmt)
        self.aliases, self.nontensor = saved

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_For(self, node):
        self.visit(node.iter)
        self._unbind(node.target)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    def visit_withitem(self, node):
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self._unbind(node.optional_vars)

    def visit_Attribute(self, node):
        chain = _dotted(node)
        if chain is not None:
            root = chain.split(".")[0]
            if root in self.aliases:
                rest = chain.split(".")[1:]
                self.uses.append(("attr", ".".join([self.aliases[root]] + rest)))
                return  # the outermost chain only
        self.generic_visit(node)

    def visit_Call(self, node):
        f = node.func
        if (isinstance(f, ast.Attribute) and f.attr in self.methods
                and f.attr not in LIST_METHODS):
            recv = f.value
            chain = _dotted(recv)
            if chain is None and isinstance(recv, ast.Call):
                # np.zeros(3).reshape(...): the result of a non-torch call is not a Tensor.
                inner = _dotted(recv.func)
                if inner and inner.split(".")[0] in self.other:
                    chain = inner
            root = chain.split(".")[0] if chain else None
            is_literal = isinstance(recv, (ast.Constant, ast.JoinedStr, ast.List, ast.Dict,
                                           ast.Tuple, ast.Set))
            is_super = isinstance(recv, ast.Call) and _dotted(recv.func) == "super"
            if not (is_literal or is_super or root in self.aliases or root in self.other
                    or root in self.nontensor or root in NON_TENSOR_RECEIVERS):
                self.uses.append(("method", f.attr))
        self.generic_visit(node)


class Resolver:
    def __init__(self):
        import clgrad
        self.clgrad = clgrad
        # Submodules bound after `import clgrad` alone: a chain may reach only these (and what
        # the file itself imports) without an import statement.
        self.bound = {n for n, m in list(sys.modules.items())
                      if n.startswith("clgrad") and m is not None}
        self.cache = {}
        self.bound_by = {}

    def _bound_after(self, module):
        """Modules bound once `import module` ran in a fresh interpreter (cached)."""
        if module not in self.bound_by:
            code = ("import importlib, sys\ntry:\n importlib.import_module(%r)\n"
                    "except Exception:\n pass\nprint('\\n'.join(n for n, m in "
                    "sys.modules.items() if n.startswith('clgrad') and m is not None))"
                    % module)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 timeout=300).stdout
            self.bound_by[module] = frozenset(out.split())
        return self.bound_by[module]

    def resolve(self, kind, name, imported):
        """None when it resolves, else the first missing clgrad prefix."""
        if kind == "method":
            new = "cl" if name == "cuda" else name
            return None if hasattr(self.clgrad.Tensor, new) else "Tensor." + new
        allowed = set()
        for m in imported:
            m = rename(m)
            allowed.add(m)
            if m not in self.bound:
                allowed |= self._bound_after(m)
        allowed = frozenset(allowed)
        key = (kind, name, allowed if kind == "attr" else None)
        if key not in self.cache:
            self.cache[key] = self._walk(rename(name).split("."), kind == "import", allowed)
        return self.cache[key]

    def _walk(self, parts, may_import, allowed):
        obj, path = self.clgrad, "clgrad"
        for p in parts[1:]:
            path = path + "." + p
            if hasattr(obj, p):
                nxt = getattr(obj, p)
                if (isinstance(nxt, types.ModuleType) and not may_import
                        and nxt.__name__ not in self.bound and nxt.__name__ not in allowed
                        and not any(a.startswith(nxt.__name__ + ".") for a in allowed)):
                    return path + " (not bound by import clgrad)"
                obj = nxt
                continue
            if isinstance(obj, types.ModuleType) and (may_import or path in allowed):
                try:
                    obj = importlib.import_module(path)
                    continue
                except Exception:
                    pass
            return path
        return None


def iter_files(folder):
    for dirpath, _, files in os.walk(folder):
        for f in sorted(files):
            if f.endswith(".py"):
                yield os.path.join(dirpath, f)


def measure(folder):
    methods = tensor_method_names()
    res = Resolver()
    total = ok = files_ok = files = 0
    missing = collections.Counter()
    per_file = {}
    skipped = []
    for path in iter_files(folder):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                tree = ast.parse(fh.read())
        except (SyntaxError, ValueError):
            skipped.append(path)
            continue
        c = Collector(methods)
        c.visit(tree)
        if not c.imported and not any(k == "import" for k, _ in c.uses):
            continue  # imports neither torch nor torchvision: not a PyTorch program
        files += 1
        bad = []
        for kind, name in c.uses:
            total += 1
            miss = res.resolve(kind, name, c.imported)
            if miss is None:
                ok += 1
            else:
                missing[miss] += 1
                bad.append(miss)
        files_ok += not bad
        per_file[os.path.relpath(path, folder)] = {"uses": len(c.uses), "missing": bad}
    return {"files": files, "files_all_resolved": files_ok, "uses": total,
            "uses_resolved": ok, "share_uses": ok / total if total else 1.0,
            "share_files": files_ok / files if files else 1.0,
            "missing": missing.most_common(), "skipped_unparsable": skipped,
            "per_file": per_file}


def read_manifest(path):
    """[(repo, commit, path)] from a manifest: one file a line, '#' comments."""
    rows = []
    with open(path) as f:
        for ln in f:
            ln = ln.strip()
            if ln and not ln.startswith("#"):
                repo, commit, file = ln.split(None, 2)
                rows.append((repo, commit, file))
    return rows


def rebuild(manifest, folder, git_base="https://github.com/"):
    """Write each manifest file at its commit under folder/owner+repo/path."""
    import tempfile
    by_repo = collections.defaultdict(list)
    for repo, commit, file in read_manifest(manifest):
        by_repo[repo].append((commit, file))
    with tempfile.TemporaryDirectory() as tmp:
        for repo, files in sorted(by_repo.items()):
            git_dir = os.path.join(tmp, repo.replace("/", "+"))
            subprocess.run(["git", "clone", "--bare", "--quiet", git_base + repo, git_dir],
                           check=True)
            for commit, file in files:
                blob = subprocess.run(["git", "--git-dir", git_dir, "show",
                                       "%s:%s" % (commit, file)],
                                      check=True, capture_output=True).stdout
                dest = os.path.join(folder, repo.replace("/", "+"), file)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as out:
                    out.write(blob)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--top", type=int, default=30, help="how many missing names to list")
    ap.add_argument("--json", action="store_true", help="print the full result as JSON")
    ap.add_argument("--rebuild", metavar="MANIFEST",
                    help="first write the manifest's files into FOLDER (git clone each repo)")
    ap.add_argument("--git-base", default="https://github.com/",
                    help="where --rebuild clones owner/repo from")
    a = ap.parse_args(argv)
    if a.rebuild:
        rebuild(a.rebuild, a.folder, a.git_base)
    r = measure(a.folder)
    if a.json:
        r["missing"] = r["missing"][:a.top] if a.top >= 0 else r["missing"]
        print(json.dumps(r, indent=1))
        return 0
    print("files: %d (%d unparsable skipped)" % (r["files"], len(r["skipped_unparsable"])))
    print("uses resolved: %d/%d = %.1f%%" % (r["uses_resolved"], r["uses"],
                                             100 * r["share_uses"]))
    print("files fully resolved: %d/%d = %.1f%%" % (r["files_all_resolved"], r["files"],
                                                    100 * r["share_files"]))
    print("top %d missing names (uses):" % a.top)
    for name, n in r["missing"][:a.top]:
        print("  %6d  %s" % (n, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
