"""Download, checksum, progress and archive helpers for the vision datasets."""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from typing import Optional

import numpy as np

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive", "to_image", "have_pil"]

USER_AGENT = "clgrad"
CHUNK = 1024 * 32


def have_pil() -> bool:
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def to_image(array: np.ndarray):
    """A PIL image of a uint8 HxW or HxWx3 array where Pillow is installed, else the array.

    torchvision's datasets return PIL images; without Pillow (an optional extra) clgrad's
    return the numpy array, which every clgrad transform accepts too.
    """
    if have_pil():
        from PIL import Image
        return Image.fromarray(array)
    return array


def calculate_md5(fpath: str, chunk_size: int = 1024 * 1024) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: str, md5: str) -> bool:
    return md5 == calculate_md5(fpath)


def check_integrity(fpath: str, md5: Optional[str] = None) -> bool:
    """Whether `fpath` exists and (when `md5` is given) has that md5."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def _progress(done: int, total: Optional[int], name: str, stream) -> None:
    if total:
        frac = min(done / total, 1.0)
        bar = "#" * int(30 * frac)
        stream.write(f"\r{name}: {100 * frac:5.1f}% [{bar:<30}] "
                     f"{done / 1e6:.1f}/{total / 1e6:.1f} MB")
    else:
        stream.write(f"\r{name}: {done / 1e6:.1f} MB")
    stream.flush()


def download_url(url: str, root: str, filename: Optional[str] = None,
                 md5: Optional[str] = None, timeout: float = 30.0) -> str:
    """Download `url` into `root/filename` with a progress bar on stderr, then check its md5.

    Skips the download when the file is already there with the right md5. Raises the
    urllib/OS error on network failure and RuntimeError on a checksum mismatch.
    """
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    tmp = fpath + ".part"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    stream = sys.stderr
    with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as out:
        total = response.headers.get("Content-Length")
        total = int(total) if total else None
        done = 0
        for chunk in iter(lambda: response.read(CHUNK), b""):
            out.write(chunk)
            done += len(chunk)
            _progress(done, total, f"Downloading {url}", stream)
        stream.write("\n")
    if md5 is not None and not check_md5(tmp, md5):
        os.remove(tmp)
        raise RuntimeError(f"The MD5 checksum of the download of {url} does not match "
                           f"(expected {md5}); the file was removed")
    os.replace(tmp, fpath)
    return fpath


def extract_archive(from_path: str, to_path: Optional[str] = None,
                    remove_finished: bool = False) -> str:
    """Extract a .tar(.gz|.tgz|.bz2|.xz), .zip or .gz file into `to_path`."""
    if to_path is None:
        to_path = os.path.dirname(from_path)
    name = from_path.lower()
    if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
        with tarfile.open(from_path) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(to_path, filter="data")
            else:  # pragma: no cover - Python without tarfile filters
                tar.extractall(to_path)
    elif name.endswith(".zip"):
        with zipfile.ZipFile(from_path) as z:
            z.extractall(to_path)
    elif name.endswith(".gz"):
        target = os.path.join(to_path, os.path.basename(from_path)[:-3])
        with gzip.open(from_path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        raise RuntimeError(f"Extraction of {from_path} not supported")
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root: str,
                                 extract_root: Optional[str] = None,
                                 filename: Optional[str] = None, md5: Optional[str] = None,
                                 remove_finished: bool = False) -> None:
    download_root = os.path.expanduser(download_root)
    extract_root = extract_root or download_root
    fpath = download_url(url, download_root, filename, md5)
    extract_archive(fpath, extract_root, remove_finished)


def download_from_mirrors(dataset: str, mirrors, filename: str, md5: Optional[str],
                          download_root: str, extract_root: Optional[str], place_hint: str):
    """Try each mirror in turn; on total failure raise a RuntimeError that says what to place
    where."""
    errors = []
    for mirror in mirrors:
        url = mirror if mirror.endswith(filename) else mirror.rstrip("/") + "/" + filename
        try:
            download_and_extract_archive(url, download_root, extract_root, filename, md5)
            return
        except (urllib.error.URLError, OSError, RuntimeError) as error:
            errors.append(f"{url}: {error}")
    tried = "; ".join(errors) or "no mirrors"
    raise RuntimeError(f"{dataset}: could not download {filename} ({tried}). Without network "
                       f"access, {place_hint}")
