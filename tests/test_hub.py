"""clgrad.hub (local hubconf.py, the cache, checkpoints by url) and utils.model_zoo."""
import subprocess
import sys

import numpy as np
import pytest

import clgrad
import clgrad.utils.model_zoo  # noqa: F401


HUBCONF = '''
dependencies = ["clgrad"]
import clgrad.nn as nn
from helper_in_repo import width


def tiny(out=2, scale=1.0):
    """A tiny linear model."""
    m = nn.Linear(width(), out)
    m.scale = scale
    return m


def _private():
    pass
'''


@pytest.fixture
def repo(tmp_path):
    d = tmp_path / "repo"
    d.mkdir()
    (d / "hubconf.py").write_text(HUBCONF)
    (d / "helper_in_repo.py").write_text("def width():\n    return 3\n")
    return d


def test_load_list_help_local(repo):
    m = clgrad.hub.load(str(repo), "tiny", 4, source="local", scale=2.0)
    assert isinstance(m, clgrad.nn.Linear) and m.weight.shape == (4, 3) and m.scale == 2.0
    assert clgrad.hub.list(str(repo)) == ["tiny", "width"]  # imported callables too, as torch
    assert clgrad.hub.help(str(repo), "tiny") == "A tiny linear model."
    with pytest.raises(RuntimeError, match="Cannot find callable nope in hubconf"):
        clgrad.hub.load(str(repo), "nope", source="local")
    with pytest.raises(ValueError, match='Unknown source: "svn"'):
        clgrad.hub.load(str(repo), "tiny", source="svn")


def test_github_form_uses_the_cache_or_says_what_to_do(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(clgrad.hub, "_hub_dir", None)
    clgrad.hub.set_dir(tmp_path / "hub")
    assert clgrad.hub.get_dir() == str(tmp_path / "hub")
    with pytest.raises(RuntimeError, match="not in the hub cache.*source='local'"):
        clgrad.hub.load("someone/proj", "tiny")
    (tmp_path / "hub").mkdir()
    repo.rename(tmp_path / "hub" / "someone_proj_main")
    assert clgrad.hub.load("someone/proj", "tiny").weight.shape == (2, 3)


def test_get_dir_follows_torch_home(tmp_path, monkeypatch):
    monkeypatch.setattr(clgrad.hub, "_hub_dir", None)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert clgrad.hub.get_dir() == str(tmp_path / "hub")


def test_load_state_dict_from_url_reads_the_cache_and_downloads(tmp_path, monkeypatch):
    monkeypatch.setattr(clgrad.hub, "_hub_dir", None)
    clgrad.hub.set_dir(tmp_path / "hub")
    sd = {"w": clgrad.arange(4.0)}
    src = tmp_path / "served" / "net-0123.pth"
    src.parent.mkdir()
    clgrad.save(sd, str(src))
    url = src.as_uri()  # file:// through urllib, as https would be
    got = clgrad.hub.load_state_dict_from_url(url)
    np.testing.assert_array_equal(got["w"].numpy(), np.arange(4.0))
    cached = tmp_path / "hub" / "checkpoints" / "net-0123.pth"
    assert cached.exists()
    src.unlink()  # now only the cache has it
    got = clgrad.utils.model_zoo.load_url(url)
    np.testing.assert_array_equal(got["w"].numpy(), np.arange(4.0))
    cached.unlink()
    clgrad.save(sd, str(src))
    with pytest.raises(RuntimeError, match="invalid hash value"):
        clgrad.hub.load_state_dict_from_url(url, check_hash=True)
    assert not cached.exists()


def test_bound_by_import_clgrad():
    out = subprocess.run([sys.executable, "-c", "import clgrad; print(clgrad.hub.get_dir, "
                          "clgrad.hub.load_state_dict_from_url)"], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
