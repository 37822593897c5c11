"""Every example runs in --smoke mode in a subprocess, on cpu and on the OpenCL device."""
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


def run_example(name, *args, cwd=None, timeout=120):
    # PYTHONPATH makes a source checkout importable; an installed clgrad works as well.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get("PYTHONPATH")) if p))
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


@pytest.mark.parametrize("device", DEVICES)
def test_digits(device, tmp_path):
    out = ok(run_example("digits.py", "--smoke", "--device", device, "--out", str(tmp_path)))
    assert f"device {device}" in out
    assert re.search(r"epoch  2: loss [\d.]+, test accuracy", out)
    accuracy = float(re.search(r"final test accuracy ([\d.]+)%", out).group(1))
    assert accuracy > 20.0, out  # chance is 10%
    assert "predicted labels of the grid" in out
    check_png(tmp_path / "digits_loss.png")
    check_png(tmp_path / "digits_predictions.png")


@pytest.mark.parametrize("device", DEVICES)
def test_mnist(device, tmp_path, fake_mnist):
    out = ok(run_example("mnist.py", "--smoke", "--root", fake_mnist, "--device", device,
                         "--out", str(tmp_path)))
    assert "512 training and 512 test images" in out
    assert re.search(r"epoch 1: loss [\d.]+, test accuracy [\d.]+%", out)
    if fake_mnist == MNIST:  # 8 Adam steps on real digits already beat chance clearly
        assert float(re.search(r"final test accuracy ([\d.]+)%", out).group(1)) > 20.0
    check_png(tmp_path / "mnist_loss.png")


def test_mnist_without_files(tmp_path):
    result = run_example("mnist.py", "--smoke", "--root", str(tmp_path))
    assert result.returncode == 2
    assert "train-images-idx3-ubyte" in result.stderr and str(tmp_path) in result.stderr


@pytest.mark.parametrize("device", DEVICES)
def test_cifar10(device, tmp_path, fake_cifar):
    out = ok(run_example("cifar10.py", "--smoke", "--root", fake_cifar, "--device", device,
                         "--out", str(tmp_path)))
    assert "64 training and 32 test images" in out
    assert re.search(r"epoch  1: loss [\d.]+, test accuracy", out)
    assert "predicted classes of the grid" in out
    check_png(tmp_path / "cifar10_loss.png")
    check_png(tmp_path / "cifar10_predictions.png")


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
