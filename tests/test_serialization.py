"""clgrad.save / clgrad.load: PyTorch's zip format both ways, map_location, safety, atomicity."""
from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import clgrad
from clgrad import optim
from clgrad.serialization import load, save

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


class Custom:
    def __init__(self, value):
        self.value = value


def _values(t):
    return t.detach().cpu().numpy()


def _skip_fp64(device):
    from helpers import device_supports_fp64
    if not device_supports_fp64(device):
        pytest.skip("no fp64 on this device")


def test_round_trip_every_dtype_and_container(device, tmp_path):
    _skip_fp64(device)
    rng = np.random.default_rng(0)
    tensors = {name: clgrad.tensor((rng.standard_normal((2, 3)) * 5).astype(
        getattr(clgrad, name).np), device=device) for name in DTYPES}
    base = clgrad.arange(24, dtype=clgrad.float32, device=device).reshape(4, 6)
    obj = {"t": tensors, "base": base, "view": base[1:, 2:5].t(), "row": base[2],
           "nested": [1, 2.5, "s", None, True, (3, [4, OrderedDict(a=base[0, 1:3])])],
           "scalar": clgrad.tensor(7.5, device=device),
           "grad": clgrad.ones(2, device=device, requires_grad=True), "dtype": clgrad.int16}
    path = tmp_path / "ck.pt"
    save(obj, path)
    back = load(path)
    for name, t in tensors.items():
        got = back["t"][name]
        assert got.dtype is t.dtype and got.device == t.device  # restored where saved
        np.testing.assert_array_equal(_values(got), _values(t))
    np.testing.assert_array_equal(_values(back["view"]), _values(base)[1:, 2:5].T)
    assert back["view"].stride() == (1, 6) and back["view"].storage_offset() == 8
    assert back["view"]._storage is back["base"]._storage is back["row"]._storage
    assert back["nested"][:5] == [1, 2.5, "s", None, True]
    assert isinstance(back["nested"][5][1][1], OrderedDict)
    np.testing.assert_array_equal(_values(back["nested"][5][1][1]["a"]), [1, 2])
    assert back["scalar"].shape == () and back["scalar"].item() == 7.5
    assert back["grad"].requires_grad and back["grad"].is_leaf
    assert back["dtype"] is clgrad.int16
    # Shared storage stays shared: a write through one view shows through the other.
    back["base"].fill_(0.0)
    assert _values(back["view"]).sum() == 0


def test_map_location_in_every_form_torch_accepts(device, tmp_path):
    path = tmp_path / "m.pt"
    save({"w": clgrad.ones(3, device=device)}, path)
    home = clgrad.device(device)
    saved_as = "cpu" if home.type == "cpu" else f"cuda:{home.index}"
    assert load(path)["w"].device == home  # restored where it was saved, as torch does
    for target in ("cpu", clgrad.device("cpu"), {saved_as: "cpu"}):
        assert load(path, map_location=target)["w"].device.type == "cpu"
    assert load(path, map_location=device)["w"].device == home
    assert load(path, map_location=clgrad.device(device))["w"].device == home
    assert load(path, map_location={"elsewhere": "cpu"})["w"].device == home  # key not found
    seen = []
    got = load(path, map_location=lambda storage, loc: seen.append(
        (loc, storage.device.type)) or storage.to(device))
    assert seen == [(saved_as, "cpu")] and got["w"].device == home  # callables get cpu data
    assert load(path, map_location=lambda s, loc: None)["w"].device == home
    np.testing.assert_array_equal(_values(load(path, map_location="cpu")["w"]), np.ones(3))
    with pytest.raises(TypeError, match="map_location"):
        load(path, map_location=3)


def _checkpoint(location="cpu", numel=4, offset=0, size=(4,), stride=(1,)):
    """A minimal checkpoint written opcode by opcode, as a third-party writer could: one float
    tensor over a storage of `numel` elements tagged `location`, with the given geometry."""
    def text(s):
        return b"X" + struct.pack("<I", len(s)) + s.encode()

    def ints(*values):
        return b"".join(b"J" + struct.pack("<i", v) for v in values)

    pkl = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((" + text("storage")
           + b"ctorch\nFloatStorage\n" + text("0") + text(location) + ints(numel) + b"tQ"
           + ints(offset) + b"(" + ints(*size) + b"t(" + ints(*stride) + b"t"
           + b"\x89ccollections\nOrderedDict\n)RtR.")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.writestr("archive/byteorder", b"little")
        zf.writestr("archive/data/0", np.arange(numel, dtype="<f4").tobytes())
    return io.BytesIO(buf.getvalue())


def test_cuda_locations_need_a_cl_device_as_torch_needs_cuda(monkeypatch):
    monkeypatch.setattr(clgrad.cl, "is_available", lambda: False)
    for location in ("cuda:0", "cuda", "cl:0"):
        with pytest.raises(RuntimeError, match=r"clgrad\.cl\.is_available\(\) is False.*"
                                               r"map_location=clgrad\.device\('cpu'\)"):
            load(_checkpoint(location))
        assert load(_checkpoint(location), map_location="cpu").tolist() == [0, 1, 2, 3]
        assert load(_checkpoint(location), map_location={location: "cpu"}).device.type == "cpu"
    with pytest.raises(RuntimeError, match="is_available"):
        load(_checkpoint("cpu"), map_location="cuda")


def test_unknown_locations_and_missing_device_indices():
    with pytest.raises(RuntimeError, match=r"don't know how to restore data location of "
                                           r"torch\.FloatStorage \(tagged with mps\)"):
        load(_checkpoint("mps"))
    if clgrad.cl.is_available():
        count = clgrad.cl.device_count()
        with pytest.raises(RuntimeError, match=rf"CL device {count} but clgrad\.cl\."
                                               rf"device_count\(\) is {count}"):
            load(_checkpoint(f"cuda:{count}"))


@pytest.mark.parametrize("geometry, message", [
    (dict(size=(10,)), r"setStorage: sizes \[10\], strides \[1\], storage offset 0, and "
                       r"itemsize 4 requiring a storage size of 40 are out of bounds for "
                       r"storage of size 16"),
    (dict(offset=2), "out of bounds"),
    (dict(size=(2, 3), stride=(3, 1)), "out of bounds"),
    (dict(size=(2, 2), stride=(1,)), r"unequal size length \(2\) and stride length \(1\)"),
    (dict(offset=-1), "invalid storage offset -1"),
    (dict(size=(-2,)), "negative dimension"),
])
def test_views_past_their_storage_are_refused(geometry, message):
    with pytest.raises(RuntimeError, match=message):
        load(_checkpoint(**geometry))
    assert load(_checkpoint(size=(2, 2), stride=(2, 1))).tolist() == [[0, 1], [2, 3]]
    empty = load(_checkpoint(size=(0, 3), stride=(3, 1), offset=9))
    assert empty.shape == (0, 3)  # an empty view may start anywhere, as in torch


def test_cl_tensors_are_saved_as_cuda_and_come_back_on_cl(cl_device, tmp_path):
    from clgrad import nn
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(cl_device)
    path = tmp_path / "model.pt"
    clgrad.save(model, path)
    with zipfile.ZipFile(path) as zf:
        pkl = zf.read("archive/data.pkl")
    index = clgrad.device(cl_device).index
    assert f"cuda:{index}".encode() in pkl and b"cl:" not in pkl
    back = load(path, weights_only=False)
    assert isinstance(back, nn.Sequential)
    for (name, p), (_, q) in zip(model.named_parameters(), back.named_parameters()):
        assert isinstance(q, nn.Parameter) and q.device == clgrad.device(cl_device), name
        np.testing.assert_array_equal(_values(q), _values(p))
    x = clgrad.ones(5, 3, device=cl_device)
    np.testing.assert_array_equal(_values(back(x)), _values(model(x)))
    cpu = load(path, weights_only=False, map_location="cpu")
    assert all(p.device.type == "cpu" for p in cpu.parameters())
    # A cpu checkpoint goes to cl through map_location in torch's spellings of the device.
    state = tmp_path / "state.pt"
    save(cpu.state_dict(), state)
    for target in ("cuda", f"cuda:{index}", clgrad.device("cuda", index), {"cpu": "cuda"}):
        moved = load(state, map_location=target)
        assert all(v.device == clgrad.device(cl_device) for v in moved.values()), target


def test_torch_loads_our_cl_checkpoints_with_map_location(cl_device, tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "cl.pt"
    save({"w": clgrad.arange(6, dtype=clgrad.float32, device=cl_device).reshape(2, 3)}, path)
    got = torch.load(path, map_location="cpu")
    assert got["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    if not torch.cuda.is_available():  # torch without CUDA refuses cuda locations, as we do
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path)


def test_torch_cuda_checkpoints_load_onto_cl(cl_device, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    # This torch has no CUDA: tag its cpu storages "cuda:0" as a CUDA machine's torch.save does.
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    net = torch.nn.Linear(3, 2)
    path = tmp_path / "cuda.pt"
    torch.save(net.state_dict(), path)
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(path) if not torch.cuda.is_available() else pytest.skip("torch has CUDA")
    sd = load(path)
    for key, value in net.state_dict().items():
        assert sd[key].device == clgrad.device("cl", 0)
        np.testing.assert_array_equal(_values(sd[key]), value.numpy())


def test_file_objects_and_zip_layout():
    buf = io.BytesIO()
    save([clgrad.arange(5)], buf)
    buf.seek(0)
    assert load(buf)[0].tolist() == [0, 1, 2, 3, 4]
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        names = zf.namelist()
        assert names[0] == "archive/data.pkl" and "archive/data/0" in names
        assert zf.read("archive/version") == b"3\n"
        assert zf.read("archive/byteorder") == b"little"
        assert len(zf.read("archive/.data/serialization_id")) == 40
        raw = buf.getvalue()
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            start = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert start % 64 == 0 and raw[start:start + info.file_size] == zf.read(info)

    class Unseekable(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def read(self, n=-1):
            return self.inner.read(n)

    assert load(Unseekable(buf.getvalue()))[0].tolist() == [0, 1, 2, 3, 4]


def test_weights_only_refuses_arbitrary_globals(tmp_path):
    path = tmp_path / "c.pt"
    save({"x": Custom(3)}, path)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL test_serialization\.Custom|"
                                                     r"GLOBAL .*Custom was not an allowed"):
        load(path)
    assert load(path, weights_only=False)["x"].value == 3


def test_truncated_and_corrupted_files(tmp_path):
    buf = io.BytesIO()
    save({"w": clgrad.arange(100, dtype=clgrad.float32)}, buf)
    data = buf.getvalue()
    for cut in (10, len(data) // 2, len(data) - 30):
        path = tmp_path / f"cut{cut}.pt"
        path.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="not a valid checkpoint"):
            load(path)
    # Flip bytes inside the tensor data: the zip CRC check rejects it.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("archive/data/0")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    bad = bytearray(data)
    bad[start + 8:start + 12] = b"\xff\xff\xff\xff"
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        load(io.BytesIO(bytes(bad)))
    with pytest.raises(RuntimeError, match="not a valid checkpoint"):
        load(io.BytesIO(b"definitely not a zip file"))


def test_atomic_write(tmp_path, monkeypatch):
    path = tmp_path / "a.pt"
    save({"v": 1}, path)
    before = path.read_bytes()
    with pytest.raises(pickle.PicklingError):
        save({"bad": lambda: 0}, path)
    assert path.read_bytes() == before  # the old file survives a failed save
    assert sorted(os.listdir(tmp_path)) == ["a.pt"]  # no temporary left behind
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: replaced.append((a, b)) or real_replace(a, b))
    save({"v": 2}, str(path))
    assert replaced and os.path.dirname(replaced[0][0]) == str(tmp_path)
    assert load(path) == {"v": 2}


def test_module_like_and_optimizer_state_dicts(device, tmp_path):
    w = clgrad.ones(3, 2, device=device, requires_grad=True)
    opt = optim.Adam([w], lr=0.01)
    w.grad = clgrad.ones(3, 2, device=device)
    opt.step()
    path = tmp_path / "o.pt"
    save({"model": OrderedDict(weight=w.detach()), "optim": opt.state_dict()}, path)
    back = load(path, map_location=device)
    w2 = clgrad.zeros(3, 2, device=device, requires_grad=True)
    opt2 = optim.Adam([w2], lr=0.5)
    opt2.load_state_dict(back["optim"])
    assert opt2.param_groups[0]["lr"] == 0.01
    assert opt2.state[w2]["step"].item() == 1.0
    np.testing.assert_allclose(_values(opt2.state[w2]["exp_avg"]), 0.1 * np.ones((3, 2)),
                               rtol=1e-6)


def test_torch_reads_ours(device, tmp_path):
    torch = pytest.importorskip("torch")
    _skip_fp64(device)
    base = clgrad.arange(12, dtype=clgrad.float32, device=device).reshape(3, 4)
    obj = {name: clgrad.tensor(np.arange(4).astype(getattr(clgrad, name).np) % 2 == 1
                               if name == "bool" else np.arange(4).astype(
                                   getattr(clgrad, name).np), device=device)
           for name in DTYPES}
    obj.update(base=base, view=base[:, 1:3].t(), od=OrderedDict(a=1, b=(2.0, "x")))
    path = tmp_path / "ours.pt"
    save(obj, path)
    got = torch.load(path, map_location="cpu")  # weights_only=True by default in 2.x
    for name in DTYPES:
        assert str(got[name].dtype) == f"torch.{name}"
        np.testing.assert_array_equal(got[name].numpy(), _values(obj[name]))
    assert got["view"].stride() == (1, 4) and got["view"].storage_offset() == 1
    assert got["view"].untyped_storage().data_ptr() == got["base"].untyped_storage().data_ptr()
    np.testing.assert_array_equal(got["view"].numpy(), _values(base)[:, 1:3].T)
    assert got["od"] == OrderedDict(a=1, b=(2.0, "x"))


def test_we_read_torch(device, tmp_path):
    torch = pytest.importorskip("torch")
    _skip_fp64(device)
    base = torch.arange(20, dtype=torch.float64).reshape(4, 5)
    obj = {name: torch.arange(3).to(getattr(torch, name)) for name in DTYPES}
    obj.update(base=base, view=base[1:, ::2], param=torch.nn.Parameter(torch.ones(2)),
               sd=torch.nn.Linear(3, 2).state_dict())
    path = tmp_path / "theirs.pt"
    torch.save(obj, path)
    got = load(path, map_location=device)
    for name in DTYPES:
        assert got[name].dtype is getattr(clgrad, name) and got[name].device == \
            clgrad.device(device)
        np.testing.assert_array_equal(_values(got[name]), obj[name].numpy())
    assert got["view"].stride() == (5, 2) and got["view"]._storage is got["base"]._storage
    np.testing.assert_array_equal(_values(got["view"]), base[1:, ::2].numpy())
    assert got["param"].requires_grad
    assert isinstance(got["sd"], OrderedDict) and list(got["sd"]) == ["weight", "bias"]
    np.testing.assert_array_equal(_values(got["sd"]["weight"]), obj["sd"]["weight"].numpy())


def test_torch_optimizer_checkpoint_loads(tmp_path):
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.ones(4))
    topt = torch.optim.Adam([p], lr=0.02)
    p.grad = torch.ones(4)
    topt.step()
    path = tmp_path / "topt.pt"
    torch.save(topt.state_dict(), path)
    sd = load(path)
    q = clgrad.tensor(p.detach().numpy(), requires_grad=True)
    opt = optim.Adam([q])
    opt.load_state_dict(sd)
    q.grad = clgrad.ones(4)
    opt.step()
    p.grad = torch.ones(4)
    topt.step()
    np.testing.assert_allclose(_values(q), p.detach().numpy(), rtol=1e-6)
