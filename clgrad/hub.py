"""clgrad.hub: PyTorch's torch.hub for local repositories and cached checkpoints.

``load(dir, name, source="local")`` imports ``dir/hubconf.py`` and calls its entry point, as
PyTorch does; a GitHub ``owner/repo[:ref]`` loads from the hub cache (``get_dir()``) when it
is there and otherwise says what to do (no git download here). ``load_state_dict_from_url``
loads ``get_dir()/checkpoints/<file>`` with clgrad.load, downloading it first with urllib
when missing (``torch.utils.model_zoo.load_url`` is the same function).
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request

_hub_dir = None
MODULE_HUBCONF = "hubconf.py"
_HASH = re.compile(r"-([a-f0-9]*)\.")


def get_dir() -> str:
    """The hub cache: set_dir's, else $TORCH_HOME/hub, else ~/.cache/torch/hub (PyTorch's
    default, so checkpoints PyTorch cached are found)."""
    if os.getenv("TORCH_HUB"):
        import warnings
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead")
    if _hub_dir is not None:
        return _hub_dir
    home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(
        os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")))
    return os.path.join(home, "hub")


def set_dir(d) -> None:
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def _import_hubconf(repo_dir: str):
    path = os.path.join(repo_dir, MODULE_HUBCONF)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} does not exist")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, repo_dir)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(repo_dir)
    return module


def _entry(module, model: str):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    fn = getattr(module, model, None)
    if fn is None or not callable(fn):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return fn


def _repo_dir(repo_or_dir: str, source: str) -> str:
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "local":
        return repo_or_dir
    owner_name, _, ref = repo_or_dir.partition(":")
    if "/" not in owner_name:
        raise ValueError(f'Invalid input: repo_or_dir should be of the form '
                         f'"repo_owner/repo_name[:ref]", got {repo_or_dir!r}')
    owner, name = owner_name.split("/", 1)
    cached = [os.path.join(get_dir(), "_".join((owner, name, r)))
              for r in ((ref,) if ref else ("main", "master"))]
    for d in cached:
        if os.path.isdir(d):
            return d
    raise RuntimeError(f"clgrad.hub.load: {repo_or_dir!r} is not in the hub cache "
                       f"({cached[0]}); clgrad does not download repositories: clone it and "
                       f"call clgrad.hub.load(path, model, source='local')")


def list(github, force_reload=False, skip_validation=False, trust_repo=None,  # noqa: A001
         verbose=True):
    """The entry points of a hubconf.py (callables not starting with '_')."""
    module = _import_hubconf(_repo_dir(github, "github" if not os.path.isdir(github)
                                       else "local"))
    return [f for f in dir(module) if callable(getattr(module, f)) and not f.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False,  # noqa: A001
         trust_repo=None):
    module = _import_hubconf(_repo_dir(github, "github" if not os.path.isdir(github)
                                       else "local"))
    return _entry(module, model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """model(*args, **kwargs) from the hubconf.py of a local folder (source="local") or of
    a repository already in the hub cache."""
    source = source.lower()
    module = _import_hubconf(_repo_dir(os.fspath(repo_or_dir), source))
    return _entry(module, model)(*args, **kwargs)


def download_url_to_file(url, dst, hash_prefix=None, progress=True) -> None:
    """Download url to dst (through a temporary file in dst's folder), checking that the
    SHA-256 starts with hash_prefix when given."""
    dst = os.path.expanduser(dst)
    folder = os.path.dirname(os.path.abspath(dst))
    sha = hashlib.sha256()
    with tempfile.NamedTemporaryFile(delete=False, dir=folder) as tmp:
        try:
            with urllib.request.urlopen(urllib.request.Request(
                    url, headers={"User-Agent": "clgrad.hub"})) as resp:
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    tmp.write(chunk)
                    sha.update(chunk)
            tmp.close()
            if hash_prefix is not None and not sha.hexdigest().startswith(hash_prefix):
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{sha.hexdigest()}")')
            shutil.move(tmp.name, dst)
        finally:
            if os.path.exists(tmp.name):
                os.remove(tmp.name)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """clgrad.load of the checkpoint url names, from model_dir (get_dir()/checkpoints by
    default), downloaded there first when missing."""
    from .serialization import load as _load
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        match = _HASH.search(filename) if check_hash else None
        download_url_to_file(url, cached, match.group(1) if match else None, progress)
    return _load(cached, map_location=map_location, weights_only=weights_only)


__all__ = ["get_dir", "set_dir", "list", "help", "load", "download_url_to_file",
           "load_state_dict_from_url"]
