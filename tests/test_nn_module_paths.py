"""torch.nn.modules.<file>.<Class> paths (``torch.nn.modules.pixelshuffle.PixelShuffle``,
``from torch.nn.modules.utils import _pair``) resolve after ``import clgrad`` alone."""
import importlib
import pkgutil
import subprocess
import sys

import pytest

import clgrad

# PyTorch's files here that have no counterpart: private helpers, and the fused
# linear+cross-entropy loss clgrad does not have.
NO_COUNTERPART = {"_functions", "linear_cross_entropy", "linear_cross_entropy_options"}
# Classes of those files clgrad does not have (each a deliberate gap): the pre-1.0
# Container, the LazyModuleMixin base, the Lua-torch CrossMapLRN2d, LinearCrossEntropyLoss.
NOT_HERE = {"Container", "LazyModuleMixin", "CrossMapLRN2d", "LinearCrossEntropyLoss"}


def test_every_torch_module_file_class_is_at_its_path():
    torch = pytest.importorskip("torch")
    missing = []
    for info in pkgutil.iter_modules(torch.nn.modules.__path__):
        if info.name in NO_COUNTERPART:
            continue
        tm = importlib.import_module("torch.nn.modules." + info.name)
        cm = getattr(clgrad.nn.modules, info.name, None)
        if cm is None:
            missing.append(info.name)
            continue
        for name in getattr(tm, "__all__", []):
            obj = getattr(tm, name, None)
            if (isinstance(obj, type) and obj.__module__ == tm.__name__
                    and name not in NOT_HERE and getattr(cm, name, None) is not
                    getattr(clgrad.nn, name, object())):
                missing.append(f"{info.name}.{name}")
    assert not missing


def test_paths_bound_by_import_clgrad_alone():
    code = ("import clgrad\n"
            "m = clgrad.nn.modules\n"
            "assert m.pixelshuffle.PixelShuffle is clgrad.nn.PixelShuffle\n"
            "assert m.batchnorm.BatchNorm2d is clgrad.nn.BatchNorm2d\n"
            "assert m.conv.Conv3d is clgrad.nn.Conv3d\n"
            "from clgrad.nn.modules.utils import _pair, _triple\n"
            "assert _pair(3) == (3, 3) and _triple([1, 2, 3]) == (1, 2, 3)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_ntuple_helpers_match_torch():
    pytest.importorskip("torch")
    from torch.nn.modules import utils as tu
    from clgrad.nn.modules import utils as cu
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for v in (2, (1, 2), [3]):
            assert getattr(cu, name)(v) == getattr(tu, name)(v)
    assert cu._reverse_repeat_tuple((1, 2, 3), 2) == tu._reverse_repeat_tuple((1, 2, 3), 2)
    defaults = [7, 8, 9]
    assert cu._list_with_default([None, 4], defaults) == tu._list_with_default([None, 4],
                                                                               defaults)
