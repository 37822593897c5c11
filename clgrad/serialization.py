"""clgrad.save / clgrad.load in PyTorch's zip checkpoint format, without PyTorch.

A checkpoint is an uncompressed zip archive (``archive/`` prefix) holding ``data.pkl`` (the
object, pickled with protocol 2), one ``data/<key>`` record of raw little-endian bytes per
storage, and ``version``, ``byteorder``, ``.format_version``, ``.storage_alignment`` and
``.data/serialization_id`` as torch.save writes them; records start on 64-byte boundaries.
Tensors are pickled exactly as torch pickles them: a call of the global
``torch._utils._rebuild_tensor_v2`` on a persistent storage reference
``('storage', torch.<Type>Storage, key, location, numel)``, so ``torch.load`` (including
``weights_only=True``) reads our files and ``clgrad.load`` reads torch's, mapping those global
names onto clgrad functions. Views sharing a storage share it again after loading.

Locations are written as PyTorch writes them: ``"cpu"``, and ``"cuda:N"`` for a tensor on
``cl:N`` (clgrad's accelerator, as ``device("cuda")`` is), so a whole module saved on cl loads
back onto cl, and ``torch.load(f, map_location="cpu")`` reads it. Loading follows
``torch.serialization.default_restore_location``: ``cuda``/``cl`` locations need a cl device
(otherwise PyTorch's RuntimeError, naming ``map_location``), and ``map_location`` may be a
string, a device, a dict from saved locations to new ones, or a callable.

A damaged file (truncated, bytes flipped) raises RuntimeError: zip's CRC covers every record,
and the rebuilt tensors are checked against their storages, so nothing half-built escapes.
"""
from __future__ import annotations

import io
import lzma
import os
import pickle
import secrets
import struct
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from typing import Any

import numpy as np

from . import _dtype as dt
from ._device import canonical, device as Device
from .backends import is_accelerator
from ._tensor import Tensor
from ._typenames import SCALAR_NAMES

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]

# dtype name -> PyTorch's legacy storage class name (FloatStorage), from the one type-name table.
_STORAGE_NAMES = {name: scalar + "Storage" for name, scalar in SCALAR_NAMES.items()}
_DTYPE_OF_STORAGE = {name: getattr(dt, key) for key, name in _STORAGE_NAMES.items()}
_ALIGNMENT = 64
_DTYPE_NAMES = tuple(SCALAR_NAMES)


# -- writing --------------------------------------------------------------------------------
class _Global:
    """A stand-in for a torch global: pickles as ``GLOBAL module name`` without importing."""

    __slots__ = ("module", "name", "__name__")

    def __init__(self, module: str, name: str):
        self.module, self.name, self.__name__ = module, name, name

    def __call__(self, *args):  # save_reduce insists that the callable be callable
        raise TypeError(f"{self.module}.{self.name} is a placeholder for pickling")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_DEVICE = _Global("torch", "device")


class _StorageRef:
    """A tensor's storage, written as a persistent id (the tensor serves to read it back)."""

    __slots__ = ("storage", "tensor")

    def __init__(self, tensor: Tensor):
        self.storage, self.tensor = tensor._storage, tensor


def _location_tag(dev) -> str:
    """The location torch.save writes for a device: cl:N is PyTorch's accelerator, cuda:N."""
    return "cpu" if dev.type == "cpu" else f"cuda:{dev.index}"


class _Pickler(pickle._Pickler):
    """The pure-Python pickler (it lets us emit torch's GLOBAL names without torch)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, storages: dict):
        super().__init__(file, protocol=2)
        self.storages = storages  # id(storage) -> (key, storage), in order of first use

    def _save_global_name(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + obj.module.encode("utf-8") + b"\n"
                   + obj.name.encode("utf-8") + b"\n")
        self.memoize(obj)

    dispatch[_Global] = _save_global_name

    def _save_dtype(self, obj) -> None:
        self.save(_Global("torch", obj.name))

    dispatch[dt.dtype] = _save_dtype

    def persistent_id(self, obj):
        if obj.__class__ is _StorageRef:
            storage = obj.storage
            entry = self.storages.get(id(storage))
            if entry is None:
                entry = self.storages[id(storage)] = (str(len(self.storages)), obj.tensor)
            return ("storage", _Global("torch", _STORAGE_NAMES[storage.dtype.name]),
                    entry[0], _location_tag(storage.device), storage.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            args = (_StorageRef(obj), obj._offset, tuple(obj._shape),
                    tuple(obj._stride), obj.requires_grad, OrderedDict())
            if type(obj).__name__ == "Parameter":
                plain = obj.detach()
                return (_REBUILD_PARAMETER, (plain, obj.requires_grad, OrderedDict()))
            return (_REBUILD_TENSOR, args)
        if isinstance(obj, Device):
            return (_DEVICE, (str(obj),))
        return NotImplemented


def _storage_bytes(tensor: Tensor) -> bytes:
    """The raw little-endian bytes of a tensor's whole storage (copied from a cl device)."""
    storage = tensor._storage
    if storage.device.type == "cpu":
        data = storage.data[:storage.numel]
    else:
        data = storage.backend.to_host(tensor._view((storage.numel,), (1,), 0))
        if storage.dtype is dt.bfloat16:
            data = dt.to_bfloat16_bits(data)  # the host copy is float32; files hold the bits
    data = np.ascontiguousarray(data)
    if data.dtype.byteorder == ">":
        data = data.byteswap().view(data.dtype.newbyteorder("<"))
    return data.tobytes()


def _write_record(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """One stored record whose data starts on a 64-byte boundary (torch's 'FB' padding)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    offset = zf.fp.tell() + 30 + len(name.encode("utf-8")) + 4
    pad = -offset % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, data)


def _write_archive(obj: Any, fileobj, pickle_module=None) -> None:
    storages: dict = {}
    buf = io.BytesIO()
    _Pickler(buf, storages).dump(obj)
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, "archive/data.pkl", buf.getvalue())
        _write_record(zf, "archive/.format_version", b"1")
        _write_record(zf, "archive/.storage_alignment", str(_ALIGNMENT).encode())
        _write_record(zf, "archive/byteorder", b"little")
        for key, tensor in storages.values():
            _write_record(zf, f"archive/data/{key}", _storage_bytes(tensor))
        _write_record(zf, "archive/version", b"3\n")
        serial = "".join(str(secrets.randbelow(10)) for _ in range(40))
        _write_record(zf, "archive/.data/serialization_id", serial.encode())


def save(obj: Any, f, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save an object (tensors, state dicts, containers) to a path or a binary file object.

    The file is PyTorch's zip checkpoint format. Writes to a path are atomic: the data goes
    to a temporary file in the same directory, which then replaces the target.
    """
    if not _use_new_zipfile_serialization:
        raise RuntimeError("clgrad.save writes only the zip format "
                           "(_use_new_zipfile_serialization=True)")
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".clgrad-save-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                _write_archive(obj, out)
                out.flush()
                os.fsync(out.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return
    if not hasattr(f, "write"):
        raise AttributeError(f"expected 'f' to be string, path, or a file-like object with a "
                             f"'write' attribute, got {type(f).__name__}")
    _write_archive(obj, f)


# -- reading --------------------------------------------------------------------------------
class _WeightsOnlyError(pickle.UnpicklingError):
    pass


def _is_index(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_geometry(storage: Tensor, offset, size, stride) -> tuple:
    """(size, stride) as tuples, once they address only elements inside `storage`.

    zip's CRC catches damaged bytes, but a file from a faulty writer (or a hostile one) can
    still describe a view past its storage: refuse it as PyTorch's set_ does, with
    RuntimeError, rather than build a tensor that reads foreign memory.
    """
    if not isinstance(storage, Tensor):
        raise RuntimeError(f"clgrad.load: not a valid checkpoint: a tensor is rebuilt from a "
                           f"{type(storage).__name__}, not from a storage")
    if not (isinstance(size, (tuple, list)) and isinstance(stride, (tuple, list))
            and all(map(_is_index, size)) and all(map(_is_index, stride))
            and _is_index(offset)):
        raise RuntimeError(f"clgrad.load: not a valid checkpoint: tensor geometry "
                           f"{size!r}, {stride!r}, offset {offset!r} is not made of integers")
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length "
                           f"({len(stride)})")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(size)}: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                           f"got strides: {list(stride)}")
    if 0 not in size:
        needed = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
        have = storage._storage.numel
        if needed > have:
            itemsize = storage.dtype.itemsize
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, "
                               f"storage offset {offset}, and itemsize {itemsize} requiring "
                               f"a storage size of {needed * itemsize} are out of bounds for "
                               f"storage of size {have * itemsize}")
    return size, stride


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None) -> Tensor:
    base = storage  # a flat tensor over the whole loaded storage
    size, stride = _check_geometry(base, storage_offset, size, stride)
    t = base._view(size, stride, storage_offset)
    t._base = None
    t._version = [0]
    if requires_grad:
        t.requires_grad = True
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    try:
        from .nn import Parameter
    except ImportError:  # nn not importable: a plain leaf tensor serves
        data.requires_grad = requires_grad
        return data
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    param = _rebuild_parameter(data, requires_grad)
    if state:
        param.__dict__.update(state)
    return param


def _torch_device(spec, index=None):
    return canonical(Device(spec) if index is None else Device(spec, index))


class _StorageType:
    """What ``torch.FloatStorage`` & co. mean inside a checkpoint: an element dtype."""

    def __init__(self, dtype, name: str):
        self.dtype, self.name = dtype, name


def _allowed_globals() -> dict:
    allowed = {("collections", "OrderedDict"): OrderedDict,
               ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
               ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
               ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
               ("torch", "device"): _torch_device,
               ("torch.storage", "UntypedStorage"): _StorageType(dt.uint8, "UntypedStorage"),
               ("torch", "UntypedStorage"): _StorageType(dt.uint8, "UntypedStorage"),
               ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
               ("builtins", "slice"): slice, ("builtins", "complex"): complex,
               ("builtins", "bytearray"): bytearray}
    import codecs
    allowed[("_codecs", "encode")] = codecs.encode  # protocol 2 pickles bytes through it
    for name, dtype in _DTYPE_OF_STORAGE.items():
        allowed[("torch", name)] = _StorageType(dtype, name)
    for name in _DTYPE_NAMES:
        allowed[("torch", name)] = getattr(dt, name)
    return allowed


_ALLOWED = _allowed_globals()

# -- user allowlist for weights_only loads (PyTorch 2.6's serialization.add_safe_globals) --
_SAFE_GLOBALS: list = []


def _global_name(entry) -> tuple:
    """('module', 'qualname') an allowlist entry (an object or (object, "mod.name")) names."""
    if isinstance(entry, tuple):
        if len(entry) != 2 or not isinstance(entry[1], str):
            raise ValueError(f"Expected tuple of (object, str) but got {entry!r}")
        module, _, name = entry[1].rpartition(".")
        return module, name
    return entry.__module__, entry.__qualname__


def add_safe_globals(safe_globals: list) -> None:
    """Allow these globals (classes, functions, or (object, "module.name") pairs) in
    ``load(..., weights_only=True)``."""
    for entry in safe_globals:
        _global_name(entry)  # validate now, not at load time
    _SAFE_GLOBALS.extend(safe_globals)


def get_safe_globals() -> list:
    """The user-allowed globals for weights_only loads."""
    return list(_SAFE_GLOBALS)


def clear_safe_globals() -> None:
    """Forget every global added by add_safe_globals."""
    _SAFE_GLOBALS.clear()


class safe_globals:
    """Context manager: these globals are allowed for weights_only loads inside."""

    def __init__(self, safe_globals: list):
        self.safe_globals = list(safe_globals)
        self._saved: list = []

    def __enter__(self):
        self._saved = get_safe_globals()
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _SAFE_GLOBALS[:] = self._saved
        return False


def _user_safe_global(module: str, name: str):
    for entry in _SAFE_GLOBALS:
        if _global_name(entry) == (module, name):
            return entry[0] if isinstance(entry, tuple) else entry
    return None


# -- where storages go: torch.serialization.default_restore_location, cl for cuda ----------
_CPU_HINT = ("If you are running on a CPU-only machine, please use clgrad.load with "
             "map_location=clgrad.device('cpu') to map your storages to the CPU.")


def _restore_location(location, storage_name: str):
    """The device a storage tagged `location` ("cpu", "cuda", "cuda:N", "cl:N") goes to."""
    if isinstance(location, Device):
        location = str(location)  # PyTorch needs strings here; a device is unambiguous
    if location == "cpu":
        return canonical("cpu")
    name, _, idx = location.partition(":") if isinstance(location, str) else ("", "", "")
    if not is_accelerator(name) or not (idx == "" or idx.isdigit()):
        raise RuntimeError(f"don't know how to restore data location of {storage_name} "
                           f"(tagged with {location})")
    from . import cl
    if not cl.is_available():
        raise RuntimeError(f"Attempting to deserialize object on a CL device (tagged with "
                           f"{location}) but clgrad.cl.is_available() is False. {_CPU_HINT}")
    index = int(idx) if idx else cl.current_device()
    count = cl.device_count()
    if index >= count:
        raise RuntimeError(f"Attempting to deserialize object on CL device {index} but "
                           f"clgrad.cl.device_count() is {count}. Please use clgrad.load with "
                           f"map_location to map your storages to an existing device.")
    return canonical(Device("cl", index))


def _mapped(result, numel: int) -> Tensor:
    """A map_location callable's result as the flat, offset-0 tensor storages are."""
    if not isinstance(result, Tensor):
        raise TypeError(f"map_location callable returned {type(result).__name__}; "
                        "expected a tensor (storage) or None")
    if result.numel() != numel:
        raise RuntimeError(f"map_location callable returned {result.numel()} elements for a "
                           f"storage of {numel}")
    if result.dim() == 1 and result.is_contiguous() and result._offset == 0 \
            and result._storage.numel == numel:
        return result
    return result.reshape(-1).clone()


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf: zipfile.ZipFile, prefix: str, map_location,
                 weights_only: bool, byteorder: str):
        super().__init__(file)
        self.zf, self.prefix = zf, prefix
        self.map_location, self.weights_only = map_location, weights_only
        self.byteorder = byteorder
        self.loaded: dict = {}
        self.devices: dict = {}  # restore target -> device, checked once per load

    def find_class(self, module: str, name: str):
        if module == "__builtin__":  # protocol 2 names Python 3's builtins by their 2.x name
            module = "builtins"
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        if self.weights_only:
            found = _user_safe_global(module, name)
            if found is not None:
                return found
            raise _WeightsOnlyError(
                f"Weights only load failed. In clgrad.load, `weights_only` defaults to True "
                f"and only tensors, primitive types, containers and state dicts may be loaded."
                f"\nUnsupported global: GLOBAL {module}.{name} was not an allowed global by "
                f"default. Re-running `clgrad.load` with `weights_only=False` will likely "
                f"succeed, but it can result in arbitrary code execution. Do it only if you "
                f"got the file from a trusted source.\nCheck the documentation of "
                f"clgrad.serialization.add_safe_globals: to allowlist this global if you "
                f"trust it, use `clgrad.serialization.add_safe_globals([{module}.{name}])` "
                f"or the `clgrad.serialization.safe_globals([{module}.{name}])` context "
                f"manager.")
        if module.startswith("torch"):
            raise pickle.UnpicklingError(f"clgrad.load: the checkpoint uses {module}.{name}, "
                                         "which clgrad does not provide")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"clgrad.load: unsupported persistent id {pid!r}")
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"clgrad.load: unsupported storage type "
                                         f"{storage_type!r}")
        if not (isinstance(key, str) and isinstance(location, str) and _is_index(numel)):
            raise pickle.UnpicklingError(f"clgrad.load: malformed storage reference {pid!r}")
        cached = self.loaded.get(key)
        if cached is not None:
            return cached
        dtype = storage_type.dtype
        raw = _read_record(self.zf, f"{self.prefix}data/{key}")
        np_dtype = dtype.storage_np.newbyteorder(">" if self.byteorder == "big" else "<")
        if len(raw) != numel * dtype.itemsize:
            raise RuntimeError(f"clgrad.load: storage {key} holds {len(raw)} bytes, expected "
                               f"{numel * dtype.itemsize} ({numel} x {dtype}); the file is "
                               "corrupted")
        array = np.frombuffer(raw, np_dtype).astype(dtype.storage_np, copy=True)
        if dtype is dt.bfloat16:
            array = dt.from_bfloat16_bits(array)  # host values are float32 (exact)
        flat = self._place(array, dtype, location, f"torch.{storage_type.name}")
        self.loaded[key] = flat
        return flat

    def _place(self, array: np.ndarray, dtype, location: str, storage_name: str) -> Tensor:
        """The storage on the device map_location picks (torch's _get_restore_location)."""
        from .ops.creation import from_host_array
        target = self.map_location
        if target is None:
            target = location
        elif isinstance(target, dict):
            target = target.get(location, location)
        elif not isinstance(target, (str, Device)):
            if not callable(target):
                raise TypeError(f"map_location should be a str, a device, a dict or a "
                                f"callable, got {type(target).__name__}")
            result = target(from_host_array(array, dtype, canonical("cpu")), location)
            if result is not None:
                return _mapped(result, array.size)
            target = location
        dev = self.devices.get(target)
        if dev is None:
            dev = self.devices[target] = _restore_location(target, storage_name)
        return from_host_array(array, dtype, dev)


def _open_source(f):
    """(file object, must close) for a path or a readable binary file object."""
    if isinstance(f, (str, os.PathLike)):
        return open(os.fspath(f), "rb"), True
    if not hasattr(f, "read"):
        raise AttributeError(f"expected 'f' to be string, path, or a file-like object with a "
                             f"'read' attribute, got {type(f).__name__}")
    seekable = getattr(f, "seekable", None)
    if seekable is None or not seekable():
        return io.BytesIO(f.read()), True
    return f, False


def load(f, map_location=None, pickle_module=None, *, weights_only: bool = True,
         mmap: bool | None = None, **pickle_load_args) -> Any:
    """Load an object saved by clgrad.save or torch.save (zip format).

    Args:
        f: a path or a seekable binary file object.
        map_location: where storages go: a device or string, a dict from saved locations to
            new ones, or a callable ``fn(storage, location)`` returning a tensor or None.
        weights_only: refuse every global except tensors, containers and primitive types
            (default True, as in PyTorch); False unpickles arbitrary (trusted!) objects.
    """
    if pickle_module is not None and weights_only:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    fileobj, close = _open_source(f)
    try:
        try:
            zf = zipfile.ZipFile(fileobj)
        except _ZIP_ERRORS as exc:
            raise RuntimeError(f"clgrad.load: not a valid checkpoint: the file is truncated, "
                               f"corrupted or not in PyTorch's zip format "
                               f"({type(exc).__name__}: {exc})") from None
        with zf:
            return _load_archive(zf, map_location, weights_only)
    finally:
        if close:
            fileobj.close()


# What zipfile raises on a damaged archive: a bad header or CRC, a size or offset that points
# nowhere, a flipped compression method or flag (NotImplementedError, RuntimeError for the
# "encrypted" bit) and the decompressors' own errors for data that was never compressed.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError,
               RuntimeError, ValueError, OverflowError, struct.error, zlib.error,
               lzma.LZMAError, OSError)


def _read_record(zf: zipfile.ZipFile, name: str) -> bytes:
    """A record's bytes, CRC-checked by zipfile; damage of any kind becomes RuntimeError."""
    try:
        return zf.read(name)
    except KeyError:
        raise RuntimeError(f"clgrad.load: the checkpoint is missing the record '{name}' "
                           f"(corrupted file?)") from None
    except _ZIP_ERRORS as exc:
        raise RuntimeError(f"clgrad.load: not a valid checkpoint: the file is truncated or "
                           f"corrupted ({type(exc).__name__}: {exc})") from None


def _load_archive(zf: zipfile.ZipFile, map_location, weights_only: bool):
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
    if not pkl:
        raise RuntimeError("clgrad.load: not a valid checkpoint: no data.pkl record (the file "
                           "is corrupted or not written by torch.save / clgrad.save)")
    prefix = pkl[0][:-len("data.pkl")]
    byteorder = _read_record(zf, prefix + "byteorder") if prefix + "byteorder" in names \
        else b"little"
    if byteorder not in (b"little", b"big"):
        raise RuntimeError(f"clgrad.load: not a valid checkpoint: unknown byte order "
                           f"{byteorder!r}")
    data = _read_record(zf, pkl[0])  # whole and CRC-checked before anything is built
    unpickler = _Unpickler(io.BytesIO(data), zf, prefix, map_location, weights_only,
                           byteorder.decode())
    try:
        return unpickler.load()
    except _WeightsOnlyError:
        raise
    except (EOFError, pickle.UnpicklingError, ValueError, struct.error, IndexError) as exc:
        raise RuntimeError(f"clgrad.load: not a valid checkpoint: the file is truncated or "
                           f"corrupted ({type(exc).__name__}: {exc})") from None
