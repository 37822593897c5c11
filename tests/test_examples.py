"""Every example runs in --smoke mode in a subprocess, on cpu and on the OpenCL device, with
tqdm and matplotlib (the `examples` extra) and, simulated by a sitecustomize that blocks their
import, without them."""
import os
import pickle
import re
import subprocess
import sys
import zlib

import numpy as np
import pytest

import clgrad

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "examples")
DATA = os.environ.get("CLGRAD_DATA", os.path.join(REPO, "..", "shared", "data"))
MNIST = os.path.join(DATA, "mnist")

if not os.path.isdir(EXAMPLES):  # an installed wheel tested without the source tree
    pytest.skip("examples/ is not beside the tests", allow_module_level=True)

# CLGRAD_TEST_DEVICES (e.g. "cpu" or "cl:0") narrows the devices, as in conftest.py.
_WANTED = os.environ.get("CLGRAD_TEST_DEVICES")
DEVICES = ([d.strip() for d in _WANTED.split(",") if d.strip()] if _WANTED else
           ["cpu"] + (["cl"] if clgrad.cl.is_available() else []))


# Imported by Python at start-up when its folder is on PYTHONPATH: makes tqdm and matplotlib
# look uninstalled, as they are without the `examples` extra.
BLOCK_EXTRAS = """import sys
class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tqdm", "matplotlib"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _Blocker())
"""


def run_example(name, *args, cwd=None, timeout=120, without_extras=None):
    # PYTHONPATH makes a source checkout importable; an installed clgrad works as well.
    # without_extras: a folder to write the blocking sitecustomize.py into.
    first = []
    if without_extras is not None:
        (without_extras / "sitecustomize.py").write_text(BLOCK_EXTRAS)
        first = [str(without_extras)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (*first, REPO, os.environ.get("PYTHONPATH")) if p))
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def check_png(path):
    """A readable PNG: signature, IHDR, and chunks whose CRCs match, ending with IEND."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, kinds = 8, []
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        crc = int.from_bytes(data[pos + 8 + length:pos + 12 + length], "big")
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, (path, kind)
        kinds.append(kind)
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds, kinds
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 16 and height > 16


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">i4").tobytes()
    return header + array.tobytes()


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    """The real files when present, else a tiny IDX set with the official file names."""
    if os.path.isdir(MNIST) and os.path.exists(os.path.join(MNIST, "t10k-labels-idx1-ubyte.gz")):
        return MNIST
    root = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 600), ("t10k", 600)):
        (root / f"{prefix}-images-idx3-ubyte").write_bytes(
            idx_bytes(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)))
        (root / f"{prefix}-labels-idx1-ubyte").write_bytes(
            idx_bytes((np.arange(n) % 10).astype(np.uint8)))
    return str(root)


@pytest.fixture(scope="module")
def fake_cifar(tmp_path_factory):
    """cifar-10-batches-py in the official pickle format with a few random images."""
    root = tmp_path_factory.mktemp("cifar")
    folder = root / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        entry = {"data": rng.integers(0, 256, (32, 3072), dtype=np.uint8),
                 "labels": [(k + j) % 10 for j in range(32)]}
        (folder / name).write_bytes(pickle.dumps(entry))
    meta = {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                            "horse", "ship", "truck"]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))
    return str(root)


def png_size(path):
    data = open(path, "rb").read()
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def check_compile_message(device, result):
    """On cl the kernels are built first under a visible bar; cpu has nothing to build."""
    if device.startswith("cl"):
        assert "compiling kernels for cl:0" in result.stdout + result.stderr
        assert re.search(r"kernels for cl:0 ready: \d+ programs in [\d.]+s", result.stdout)
    else:
        assert "compiling kernels" not in result.stdout + result.stderr


@pytest.mark.parametrize("device", DEVICES)
def test_digits(device, tmp_path):
    result = run_example("digits.py", "--smoke", "--device", device, "--out", str(tmp_path))
    out = ok(result)
    assert f"device {device}" in out
    assert re.search(r"epoch  2: loss [\d.]+, test loss [\d.]+, test accuracy", out)
    accuracy = float(re.search(r"final test accuracy ([\d.]+)%", out).group(1))
    assert accuracy > 20.0, out  # chance is 10%
    check_compile_message(device, result)
    # tqdm's bars, on stderr: the epochs and each epoch's batches with the loss in the postfix.
    assert re.search(r"epochs: 100%\|.*\| 2/2 ", result.stderr), result.stderr
    assert re.search(r"epoch  1/2: .*loss=[\d.]+", result.stderr), result.stderr
    assert "not installed" not in out
    for name in ("digits_loss.png", "digits_predictions.png"):
        check_png(tmp_path / name)
        assert str(tmp_path / name) in out
    width, height = png_size(tmp_path / "digits_predictions.png")
    assert width >= 480 and height >= 480  # 64 labelled digits, readable


@pytest.mark.parametrize("device", DEVICES)
def test_digits_without_tqdm_and_matplotlib(device, tmp_path):
    out_dir, site = tmp_path / "out", tmp_path / "site"
    site.mkdir()
    result = run_example("digits.py", "--smoke", "--device", device, "--out", str(out_dir),
                         without_extras=site)
    out = ok(result)
    assert "final test accuracy" in out
    assert re.search(r"epoch  2/2: 10/10, loss=[\d.]+, [\d.]+s", out)  # plain progress
    assert "it/s" not in result.stderr and "batch/s" not in result.stderr  # no tqdm
    check_compile_message(device, result)
    notes = [line for line in out.splitlines() if "not installed" in line]
    assert len(notes) == 1, out  # said once
    assert "matplotlib and tqdm not installed" in notes[0]
    assert "digits_loss.png, digits_predictions.png" in notes[0]
    assert "pip install '.[examples]'" in notes[0]
    assert not (out_dir / "digits_loss.png").exists()
    assert not (out_dir / "digits_predictions.png").exists()


def test_warmup_runs_given_ops_and_reports_progress(cl_device):
    x = clgrad.ones(3, device=cl_device)
    ran, seen = [], []
    stats = clgrad.cl.warmup(cl_device, ops=[("double", lambda: ran.append((x * 2).sum().item())),
                                             ("exp", lambda: ran.append(x.exp().sum().item()))],
                             progress=lambda done, total, label: seen.append((done, total, label)))
    assert ran == [6.0, pytest.approx(3 * np.e)]
    assert seen == [(0, 2, "double"), (1, 2, "exp"), (2, 2, None)]
    assert stats["programs"] >= 0 and stats["skipped"] == []

    def broken():
        raise TypeError("a bug in the caller's step")
    with pytest.raises(TypeError, match="a bug in the caller's step"):
        clgrad.cl.warmup(cl_device, ops=[("broken", broken)], progress=lambda *a: None)


@pytest.mark.parametrize("device", DEVICES)
def test_mnist(device, tmp_path, fake_mnist):
    result = run_example("mnist.py", "--smoke", "--root", fake_mnist, "--device", device,
                         "--out", str(tmp_path))
    out = ok(result)
    assert "512 training and 512 test images" in out
    assert re.search(r"epoch 1: loss [\d.]+, test loss [\d.]+, test accuracy [\d.]+%", out)
    check_compile_message(device, result)
    assert re.search(r"epochs: 100%\|.*\| 1/1 ", result.stderr), result.stderr
    if fake_mnist == MNIST:  # 8 Adam steps on real digits already beat chance clearly
        assert float(re.search(r"final test accuracy ([\d.]+)%", out).group(1)) > 20.0
    check_png(tmp_path / "mnist_loss.png")


def test_mnist_without_files(tmp_path):
    result = run_example("mnist.py", "--smoke", "--root", str(tmp_path))
    assert result.returncode == 2
    assert "train-images-idx3-ubyte" in result.stderr and str(tmp_path) in result.stderr


@pytest.mark.parametrize("device", DEVICES)
def test_cifar10(device, tmp_path, fake_cifar):
    result = run_example("cifar10.py", "--smoke", "--root", fake_cifar, "--device", device,
                         "--out", str(tmp_path))
    out = ok(result)
    assert "64 training and 32 test images" in out
    assert re.search(r"epoch  1: loss [\d.]+, test loss [\d.]+, test accuracy", out)
    check_compile_message(device, result)
    check_png(tmp_path / "cifar10_loss.png")
    check_png(tmp_path / "cifar10_predictions.png")


def test_mnist_and_cifar10_without_tqdm_and_matplotlib(tmp_path, fake_mnist, fake_cifar):
    site = tmp_path / "site"
    site.mkdir()
    mnist = ok(run_example("mnist.py", "--smoke", "--root", fake_mnist, "--device", "cpu",
                           "--out", str(tmp_path), without_extras=site))
    assert "epoch 1/1: 8/8, loss=" in mnist
    assert [line for line in mnist.splitlines() if "not installed" in line] == [
        "matplotlib and tqdm not installed: skipped mnist_loss.png; plain progress lines "
        "instead of bars. Install them with: pip install '.[examples]'"]
    cifar = ok(run_example("cifar10.py", "--smoke", "--root", fake_cifar, "--device", "cpu",
                           "--out", str(tmp_path), "--workers", "0", without_extras=site))
    assert cifar.count("skipped cifar10_loss.png, cifar10_predictions.png;") == 1
    assert not list(tmp_path.glob("*.png"))


def test_cifar10_without_files(tmp_path):
    result = run_example("cifar10.py", "--smoke", "--root", str(tmp_path))
    assert result.returncode == 2
    assert "cifar-10-batches-py" in result.stderr and "test_batch" in result.stderr


@pytest.mark.parametrize("device", DEVICES)
def test_autograd_tour(device):
    out = ok(run_example("autograd_tour.py", "--device", device))
    assert "<AddBackward0 object at" in out
    assert re.search(r"x.grad = tensor\(\[\[4.5000, 4.5000\],\s+\[4.5000, 4.5000\]\]", out)
    assert "ExpBackward" in out and "all autograd checks passed" in out
    assert ("device='cl:" in out) == device.startswith("cl")


def test_default_device_is_cl_when_available():
    out = ok(run_example("autograd_tour.py"))
    expected = "cl" if clgrad.cl.is_available() else "cpu"
    assert f"touring autograd on {expected}" in out
