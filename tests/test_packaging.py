"""The wheel holds every module and every kernel template; the README's commands are CI's."""
from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a build needs from the checkout; a copy keeps setuptools' build/ out of the tree (a
# stale build/lib there would put deleted modules into the wheel).
BUILD_INPUTS = ("setup.cfg", "pyproject.toml", "README.md", "clgrad", "kernels")


def _source_files() -> dict[str, Path]:
    """Each file the wheel must hold, by its path inside the wheel."""
    wanted = {}
    for path in (ROOT / "clgrad").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            wanted[path.relative_to(ROOT).as_posix()] = path
    for path in (ROOT / "kernels").iterdir():
        if path.is_file() and (path.suffix == ".py" or path.name.endswith(".cl.mako")):
            wanted["clgrad/kernels/" + path.name] = path
    return wanted


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not (ROOT / "setup.cfg").is_file():
        pytest.skip("not a source checkout (setup.cfg missing)")
    if importlib.util.find_spec("setuptools") is None:  # the backend, used without isolation
        pytest.skip("setuptools is not installed, so the wheel cannot be built offline")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in BUILD_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, src / name)
    out = tmp / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(out)], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 and "No module named pip" in proc.stderr:
        pytest.skip("pip is not installed, so the wheel cannot be built")
    assert proc.returncode == 0, f"building the wheel failed:\n{proc.stdout}\n{proc.stderr}"
    wheels = list(out.glob("clgrad-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_holds_every_module_and_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = _source_files()
    templates = [n for n in wanted if n.endswith(".cl.mako")]
    assert "clgrad/kernels/common.cl.mako" in templates
    missing = sorted(set(wanted) - names)
    assert not missing, (f"missing from the wheel: {missing}; list new packages by name in "
                         "setup.cfg [options] packages and data files in package_data")


def test_wheel_holds_nothing_from_outside_the_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    stray = [n for n in names
             if not n.startswith(("clgrad/", "clgrad-")) or "__pycache__" in n]
    assert not stray


def test_wheel_metadata_lists_dependencies_and_extras(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    requires = [line.split(":", 1)[1].strip() for line in meta.splitlines()
                if line.startswith("Requires-Dist:")]
    for dependency in ("numpy", "mako", "pyopencl"):
        assert any(r.lower().startswith(dependency) and "extra" not in r for r in requires)
    assert any(r.startswith("pocl-binary-distribution") and "extra == \"pocl\"" in r
               for r in requires), requires
    assert any(r.startswith("pytest") and "extra == \"test\"" in r for r in requires)
    assert "Requires-Python: >=3.9" in meta


def test_installed_wheel_renders_its_own_templates(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                           "-q", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    # Run from an empty folder so that nothing but the installed copy can be imported.
    script = (
        "import clgrad, clgrad.kernels\n"
        "from clgrad.backends.cl import programs\n"
        "print(clgrad.__file__)\n"
        "print(programs.template_dir())\n"
        "print(sorted(p.name for p in programs.template_dir().glob('*.cl.mako')))\n")
    env = dict(os.environ, PYTHONPATH=str(target))
    env.pop("PYTHONSAFEPATH", None)
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    module_file, template_dir, templates = proc.stdout.splitlines()
    assert Path(module_file).is_relative_to(target)
    assert Path(template_dir) == target / "clgrad" / "kernels"
    source_templates = sorted(p.name for p in (ROOT / "kernels").glob("*.cl.mako"))
    assert templates == repr(source_templates)


def test_setup_cfg_lists_every_package_of_the_source_tree():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    found = {p.parent.relative_to(ROOT).as_posix().replace("/", ".")
             for p in (ROOT / "clgrad").rglob("*.py") if "__pycache__" not in p.parts}
    found.add("clgrad.kernels")
    assert found == listed, f"setup.cfg packages: add {found - listed}, drop {listed - found}"
    assert config["options"]["package_dir"].split() == ["clgrad.kernels", "=", "kernels"]


def _readme_commands() -> list[str]:
    """The shell lines of the README's first code blocks (its two quick-start commands)."""
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```")[1::2]
    lines = [line.strip() for block in blocks[:2] for line in block.splitlines()[1:]
             if line.strip()]
    return lines


def test_readme_opens_with_two_one_line_commands():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    example, tests = commands
    assert "pip install" in example and ".[pocl,examples]" in example
    assert example.endswith("examples/digits.py")
    assert ".[pocl,test]" in tests and "--import-mode=importlib" in tests
    assert "/pytest " in tests and "-m pytest" not in tests  # the console script
    assert (ROOT / "examples" / "digits.py").is_file()


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    test_command = _readme_commands()[1]
    assert test_command in [line.strip() for line in ci], (
        ".ci/run must run the README's test command exactly:\n" + test_command)


@pytest.mark.parametrize("where", ["cpu", "cl"])
def test_tensor_tour_runs(where, tmp_path):
    import clgrad
    if where == "cl":
        if not clgrad.cl.is_available():
            pytest.skip("no OpenCL device")
        where = f"cl:{clgrad.cl.current_device()}"
    env = dict(os.environ, PYTHONPATH=str(Path(clgrad.__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "tensor_tour.py"),
                           "--device", where], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert f"Touring clgrad {clgrad.__version__} on {where}" in proc.stdout
    assert proc.stdout.rstrip().endswith("All results matched numpy.")


def test_ci_runs_the_readme_test_command_in_a_venv_nothing_else_was_installed_into():
    # A package installed into the venv first (torch brings its own setuptools) hides a
    # missing install step that a new user's fresh venv would hit.
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    at = ci.index(_readme_commands()[1])
    before = [line for line in ci[:at] if "pip install" in line and not line.startswith("#")]
    assert not before, f".ci/run installs into a venv before the README's test command: {before}"
    assert "rm -rf .venv" in ci[:at]
