"""tools/api_coverage.py on a tiny folder of programs written here."""
import importlib.util
import json
import os

import clgrad  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))


def _tool():
    path = os.path.join(HERE, os.pardir, "tools", "api_coverage.py")
    spec = importlib.util.spec_from_file_location("api_coverage", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GOOD = """
import torch as t
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
import numpy as np

x = t.zeros(2, 3).cuda()
y = F.relu(x).view(6)
m = nn.Linear(3, 4)
np.zeros(3).reshape(3)
a = np.ones(3)
a.reshape(3)
a = t.from_numpy(a)
a.reshape(3)
"""

BAD = """
import torch
z = torch.no_such_function_xyz(3)
w = torch.ones(2).no_such_method_abc()
v = torch.ones(2).sum()
"""


def test_counts_resolved_and_missing(tmp_path, monkeypatch):
    tool = _tool()
    monkeypatch.setattr(tool, "tensor_method_names",
                        lambda: {"view", "cuda", "reshape", "sum", "no_such_method_abc"})
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    r = tool.measure(str(tmp_path))
    assert r["files"] == 2 and r["files_all_resolved"] == 1
    missing = dict(r["missing"])
    assert missing == {"clgrad.no_such_function_xyz": 1, "Tensor.no_such_method_abc": 1}
    good = r["per_file"]["good.py"]
    # imports: torch, torch.nn, torch.nn.functional, DataLoader; chains: t.zeros, F.relu,
    # nn.Linear, t.from_numpy; methods: .cuda (as .cl), .view, the reshape of `a` once it
    # is a tensor; numpy's reshapes are not counted.
    assert good == {"uses": 11, "missing": []}
    # bad.py: import torch, three chains, two methods; two of them missing.
    assert r["uses"] == 11 + 6 and r["uses_resolved"] == 15


def test_rename():
    tool = _tool()
    assert tool.rename("torch.cuda.amp.autocast") == "clgrad.cl.amp.autocast"
    assert tool.rename("torchvision.transforms.ToTensor") == "clgrad.vision.transforms.ToTensor"


def test_cli_json_and_text(tmp_path, capsys):
    tool = _tool()
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "broken.py").write_text("def (:\n")
    assert tool.main([str(tmp_path), "--json", "--top", "5"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["files"] == 1 and len(r["skipped_unparsable"]) == 1
    assert ["clgrad.no_such_function_xyz", 1] in r["missing"]
    tool.main([str(tmp_path), "--top", "1"])
    out = capsys.readouterr().out
    assert "files fully resolved: 0/1" in out and "top 1 missing" in out


SHADOWED = """
import torch
import torch.utils.data as data
from torch.utils import data as data2


def collate(data):
    data.sort(key=len)          # the argument, a list
    return data.no_such_attr_1


for data2, target in []:
    data2.to("cuda")            # the loop variable: a Tensor method call, not a chain


def fetch(url):
    data = open(url)
    return data.read()


class DS(data.Dataset):         # still the module here
    pass


print(data.no_such_attr_2)      # and here: the function scopes ended
"""

NO_TORCH = """
stats = {}
best = max(stats.values())
"""


def test_local_bindings_hide_imports_and_files_without_torch_are_skipped(
        tmp_path, monkeypatch):
    tool = _tool()
    monkeypatch.setattr(tool, "tensor_method_names", lambda: {"to", "values", "sort"})
    (tmp_path / "shadowed.py").write_text(SHADOWED)
    (tmp_path / "no_torch.py").write_text(NO_TORCH)
    r = tool.measure(str(tmp_path))
    assert r["files"] == 1 and list(r["per_file"]) == ["shadowed.py"]
    # The only missing chain is the module-level one; data.sort/data.read/data.to were
    # counted as Tensor-method calls on locals (sort and to exist), not module chains.
    assert dict(r["missing"]) == {"clgrad.utils.data.no_such_attr_2": 1}


def test_rebuild_from_manifest_writes_the_listed_files_at_their_commit(tmp_path):
    import subprocess
    tool = _tool()
    src = tmp_path / "base" / "someone" / "proj"
    src.mkdir(parents=True)

    def git(*args):
        return subprocess.run(["git", "-C", str(src), "-c", "user.name=t", "-c",
                               "user.email=t@t", *args], check=True,
                              capture_output=True, text=True).stdout.strip()
    git("init", "-q")
    (src / "train.py").write_text("import torch\nx = torch.zeros(2)\n")
    git("add", "train.py")
    git("commit", "-q", "-m", "one")
    first = git("rev-parse", "HEAD")
    (src / "train.py").write_text("import torch\nx = torch.no_such_function_xyz(2)\n")
    git("commit", "-q", "-am", "two")
    manifest = tmp_path / "manifest.txt"
    manifest.write_text("# repo commit path\nsomeone/proj %s train.py\n" % first)
    out = tmp_path / "corpus"
    tool.rebuild(str(manifest), str(out), git_base=str(tmp_path / "base") + "/")
    assert (out / "someone+proj" / "train.py").read_text() == (
        "import torch\nx = torch.zeros(2)\n")
    r = tool.measure(str(out))
    assert r["files"] == 1 and r["files_all_resolved"] == 1


GUARDED = """
import torch
try:
    from torch.utils.model_zoo import _no_such_private_name
except ImportError:
    try:
        from torch.hub import download_url_to_file as _no_such_private_name
    except ImportError:
        from torch.hub import _another_missing_name
try:
    from torch.no_such_module_xyz import thing
except KeyError:
    pass
"""


def test_imports_guarded_by_except_importerror_are_not_uses(tmp_path, monkeypatch):
    tool = _tool()
    monkeypatch.setattr(tool, "tensor_method_names", lambda: set())
    (tmp_path / "guarded.py").write_text(GUARDED)
    r = tool.measure(str(tmp_path))
    # import torch, and the import under a try that does not catch ImportError
    assert r["uses"] == 2 and dict(r["missing"]) == {"clgrad.no_such_module_xyz": 1}
