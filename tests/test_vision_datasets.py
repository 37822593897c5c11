"""clgrad.vision.datasets on small files in the official formats, downloads from a local
HTTP server, and the real MNIST files when present."""
import functools
import gzip
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading

import numpy as np
import pytest

import clgrad
from clgrad.vision import datasets, transforms
from clgrad.vision.datasets.mnist import read_idx
from clgrad.vision.datasets.utils import have_pil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("CLGRAD_DATA", os.path.join(REPO, "..", "shared", "data"))


def idx_bytes(array: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">i4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def mnist_files(n_train=6, n_test=4):
    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        files[f"{prefix}-images-idx3-ubyte"] = idx_bytes(
            rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        files[f"{prefix}-labels-idx1-ubyte"] = idx_bytes(np.arange(n, dtype=np.uint8) % 10)
    return files


def as_array(img):
    return np.asarray(img)


def test_read_idx_plain_gz_and_errors(tmp_path):
    data = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(idx_bytes(data))
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(idx_bytes(data)))
    np.testing.assert_array_equal(read_idx(str(tmp_path / "a.idx")), data)
    np.testing.assert_array_equal(read_idx(str(tmp_path / "a.idx.gz")), data)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(RuntimeError, match="bad magic"):
        read_idx(str(tmp_path / "bad"))
    (tmp_path / "short").write_bytes(idx_bytes(data)[:-1])
    with pytest.raises(RuntimeError, match="expected 96 data bytes"):
        read_idx(str(tmp_path / "short"))


@pytest.mark.parametrize("layout", ["raw", "root", "gz"])
def test_mnist_layouts(tmp_path, layout):
    folder = tmp_path / "MNIST" / "raw" if layout in ("raw", "gz") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    files = mnist_files()
    for name, content in files.items():
        if layout == "gz":
            (folder / (name + ".gz")).write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    train = datasets.MNIST(str(tmp_path), train=True)
    test = datasets.MNIST(str(tmp_path), train=False, transform=transforms.ToTensor(),
                          target_transform=lambda t: t + 100)
    assert len(train) == 6 and len(test) == 4
    img, label = train[3]
    assert label == 3 and as_array(img).shape == (28, 28)
    np.testing.assert_array_equal(as_array(img), train.data[3].numpy())
    assert train.targets.dtype == clgrad.int64 and train.data.dtype == clgrad.uint8
    x, y = test[1]
    assert x.shape == (1, 28, 28) and x.dtype == clgrad.float32 and y == 101
    assert "Split: Test" in repr(test)


def test_fashion_kmnist_folders(tmp_path):
    for cls in (datasets.FashionMNIST, datasets.KMNIST):
        folder = tmp_path / cls.__name__ / "raw"
        folder.mkdir(parents=True)
        for name, content in mnist_files().items():
            (folder / name).write_bytes(content)
        ds = cls(str(tmp_path))
        assert len(ds) == 6 and len(ds.classes) == 10


def test_missing_files_error_names_them(tmp_path):
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(str(tmp_path))
    msg = str(info.value)
    for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "download=True"):
        assert name in msg
    assert str(tmp_path / "MNIST" / "raw") in msg
    with pytest.raises(RuntimeError, match="data_batch_1, .*test_batch, batches.meta"):
        datasets.CIFAR10(str(tmp_path))


class _Server:
    """Serves a directory on 127.0.0.1 in a background thread."""

    def __init__(self, directory):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                    directory=str(directory))
        handler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_mnist_download_from_local_mirror(tmp_path, capfd):
    served = tmp_path / "served"
    served.mkdir()
    resources = []
    for name, content in mnist_files().items():
        gz = gzip.compress(content)
        (served / (name + ".gz")).write_bytes(gz)
        resources.append((name + ".gz", hashlib.md5(gz).hexdigest()))

    class LocalMNIST(datasets.MNIST):
        pass
    LocalMNIST.resources = resources
    with _Server(served) as server:
        LocalMNIST.mirrors = ["http://127.0.0.1:9/", server.url]  # first mirror unreachable
        ds = LocalMNIST(str(tmp_path / "root"), download=True)
    assert len(ds) == 6
    assert (tmp_path / "root" / "LocalMNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    assert "100.0%" in capfd.readouterr().err  # the progress bar

    class BadMD5(datasets.MNIST):
        pass
    BadMD5.resources = [(n, "0" * 32) for n, _ in resources]
    with _Server(served) as server:
        BadMD5.mirrors = [server.url]
        with pytest.raises(RuntimeError, match="MD5 checksum .* does not match"):
            BadMD5(str(tmp_path / "bad"), download=True)


def test_download_offline_error(tmp_path):
    class Offline(datasets.MNIST):
        mirrors = ["http://127.0.0.1:9/"]
    with pytest.raises(RuntimeError) as info:
        Offline(str(tmp_path), download=True)
    msg = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz" in msg
    assert "Without network access, place the official files" in msg


def cifar_tree(root, n_per_batch=3, cifar100=False):
    rng = np.random.default_rng(1)
    folder = root / ("cifar-100-python" if cifar100 else "cifar-10-batches-py")
    folder.mkdir(parents=True)
    key = "fine_labels" if cifar100 else "labels"
    names = ["train", "test"] if cifar100 else [f"data_batch_{i}" for i in range(1, 6)] + \
        ["test_batch"]
    for k, name in enumerate(names):
        entry = {"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
                 key: [(k + j) % 10 for j in range(n_per_batch)]}
        (folder / name).write_bytes(pickle.dumps(entry))
    meta = {"fine_label_names": [f"c{i}" for i in range(100)]} if cifar100 else \
        {"label_names": [f"c{i}" for i in range(10)]}
    (folder / ("meta" if cifar100 else "batches.meta")).write_bytes(pickle.dumps(meta))
    return folder


def test_cifar10_and_100(tmp_path):
    folder = cifar_tree(tmp_path)
    train = datasets.CIFAR10(str(tmp_path))
    test = datasets.CIFAR10(str(tmp_path), train=False)
    assert len(train) == 15 and len(test) == 3
    raw = pickle.loads((folder / "data_batch_2").read_bytes())
    img, label = train[4]
    np.testing.assert_array_equal(as_array(img), raw["data"][1].reshape(3, 32, 32)
                                  .transpose(1, 2, 0))
    assert label == raw["labels"][1] and train.classes[0] == "c0"
    assert train.data.shape == (15, 32, 32, 3)
    cifar_tree(tmp_path / "c100", cifar100=True)
    c100 = datasets.CIFAR100(str(tmp_path / "c100"), train=False)
    assert len(c100) == 3 and len(c100.classes) == 100


def test_cifar_download_archive(tmp_path):
    folder = cifar_tree(tmp_path / "build")
    archive = tmp_path / "served" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")

    class LocalCIFAR(datasets.CIFAR10):
        tgz_md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    with _Server(archive.parent) as server:
        LocalCIFAR.mirrors = [server.url]
        ds = LocalCIFAR(str(tmp_path / "root"), download=True)
    assert len(ds) == 15


@pytest.mark.skipif(not have_pil(), reason="Pillow is not installed")
def test_image_folder(tmp_path):
    from PIL import Image
    for cls, colour in (("cat", (255, 0, 0)), ("dog", (0, 0, 255))):
        (tmp_path / cls).mkdir()
        for i in range(2):
            Image.new("RGB", (5, 4), colour).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 4 and ds.targets == [0, 0, 1, 1]
    x, y = ds[3]
    assert y == 1 and x.shape == (3, 4, 5) and x[2].min().item() == 1.0
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(str(tmp_path))
    assert len(datasets.ImageFolder(str(tmp_path), allow_empty=True)) == 4


def test_dataset_folder_custom_loader(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        np.save(tmp_path / cls / "x.npy", np.full((2, 2), ord(cls), np.uint8))
    ds = datasets.DatasetFolder(str(tmp_path), loader=np.load, extensions=(".npy",))
    assert [int(ds[i][0][0, 0]) for i in range(2)] == [ord("a"), ord("b")]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        datasets.DatasetFolder(str(tmp_path), loader=np.load)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.DatasetFolder(str(tmp_path / "a"), loader=np.load, extensions=(".npy",))


def test_fakedata_is_deterministic():
    ds = datasets.FakeData(size=5, image_size=(3, 6, 4), num_classes=3)
    a, la = ds[2]
    b, lb = ds[2]
    np.testing.assert_array_equal(as_array(a), as_array(b))
    assert la == lb and 0 <= la < 3 and as_array(a).shape == (6, 4, 3)
    assert not np.array_equal(as_array(ds[1][0]), as_array(a))
    with pytest.raises(IndexError):
        ds[5]


def test_digits_bundled():
    train, test = datasets.Digits(), datasets.Digits(train=False)
    assert len(train) == 1437 and len(test) == 360
    assert train.data.shape == (1437, 8, 8)
    assert sorted(set(train.targets.tolist())) == list(range(10))
    x, y = datasets.Digits(transform=transforms.ToTensor())[0]
    assert x.shape == (1, 8, 8) and 0.0 <= x.min().item() and x.max().item() <= 1.0
    assert y == train.targets[0].item()
    # First row of the UCI file: a zero; pixel (0, 2) holds 5/16 of full scale.
    assert y == 0 and abs(x[0, 0, 2].item() - 5 / 16) < 2 / 255


def test_loader_over_dataset_with_workers(tmp_path):
    ds = datasets.Digits(transform=transforms.ToTensor())
    loader = clgrad.utils.data.DataLoader(ds, batch_size=64, num_workers=2)
    x, y = next(iter(loader))
    assert x.shape == (64, 1, 8, 8) and y.dtype == clgrad.int64


MNIST_DIR = os.path.join(DATA, "mnist")


@pytest.mark.skipif(not os.path.isfile(os.path.join(MNIST_DIR, "t10k-labels-idx1-ubyte.gz")),
                    reason="the real MNIST files are absent (set CLGRAD_DATA)")
def test_real_mnist():
    train = datasets.MNIST(MNIST_DIR, train=True)
    test = datasets.MNIST(MNIST_DIR, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert train[0][1] == 5 and test[0][1] == 7
    assert train.data.shape == (60000, 28, 28)


def test_io_roundtrip_for_idx_bytes():
    # Guards the test helper itself against a wrong header.
    buf = io.BytesIO(idx_bytes(np.zeros((2, 3), np.uint8)))
    assert buf.getvalue()[:4] == b"\x00\x00\x08\x02"
