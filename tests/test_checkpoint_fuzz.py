"""Damaged checkpoints: 1000 seeded byte flips and truncations of real ones (a model's
state_dict, an optimizer's state, a whole pickled module). Each variant either loads equal to
the original (the damage hit bytes nothing reads, such as the zip's alignment padding) or
raises RuntimeError, as torch.load does for a damaged archive: no other exception, no crash,
no hang, and never a partly rebuilt object."""
from __future__ import annotations

import io
import signal
import zipfile

import numpy as np
import pytest

import clgrad
from clgrad import nn, optim

VARIANTS = 1000
SECONDS_PER_LOAD = 10  # a healthy load takes milliseconds; past this it is a hang


def _model():
    clgrad.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def _optimizer_state():
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(clgrad.randn(5, 4)).sum().backward()
    opt.step()
    return opt.state_dict()


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    clgrad.save(obj, buf)
    return buf.getvalue()


# name -> (object, load keyword arguments)
CHECKPOINTS = {
    "state_dict": (lambda: _model().state_dict(), {}),
    "optimizer": (_optimizer_state, {}),
    "module": (_model, {"weights_only": False}),
}


def _same(a, b) -> bool:
    """Structural equality: types, keys in order, tensor dtype/shape/strides/values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, clgrad.Tensor):
        return (a.dtype is b.dtype and a.shape == b.shape and a.stride() == b.stride()
                and a.requires_grad == b.requires_grad
                and np.array_equal(a.detach().numpy(), b.detach().numpy(), equal_nan=True))
    if isinstance(a, nn.Module):
        return a.training == b.training and repr(a) == repr(b) \
            and _same(a.state_dict(), b.state_dict())
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _structure_bytes(data: bytes) -> np.ndarray:
    """Offsets of the bytes zip's CRC does not cover: local headers, central directory, end
    record. Random flips rarely hit them, so a share of the variants aims there."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        spans = [(info.header_offset, info.header_offset + 30 + len(info.filename) + 4)
                 for info in zf.infolist()]
        spans.append((zf.start_dir, len(data)))
    return np.concatenate([np.arange(lo, hi) for lo, hi in spans])


def _variants(data: bytes, count: int, rng: np.random.Generator):
    """(description, damaged bytes): random flips anywhere, flips aimed at the zip structure,
    and truncations, in equal shares."""
    structure = _structure_bytes(data)
    for i in range(count):
        kind = i % 3
        if kind == 2:
            cut = int(rng.integers(0, len(data)))
            yield f"truncated to {cut} of {len(data)} bytes", data[:cut]
            continue
        damaged = bytearray(data)
        flips = int(rng.integers(1, 5))
        where = rng.integers(0, len(data), flips) if kind == 0 else rng.choice(structure, flips)
        for pos in where:
            damaged[pos] ^= int(rng.integers(1, 256))
        yield f"bytes {sorted(int(p) for p in where)} flipped", bytes(damaged)


class _Hang(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Hang()


def test_damaged_checkpoints_load_equal_or_raise_runtime_error():
    shares = {name: VARIANTS // len(CHECKPOINTS) + (i < VARIANTS % len(CHECKPOINTS))
              for i, name in enumerate(CHECKPOINTS)}
    rng = np.random.default_rng(20261202)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    outcomes = {"equal": 0, "RuntimeError": 0}
    tried = 0
    try:
        for name, (build, load_kw) in CHECKPOINTS.items():
            original = build()
            data = _saved(original)
            assert _same(clgrad.load(io.BytesIO(data), **load_kw), original)
            for what, damaged in _variants(data, shares[name], rng):
                tried += 1
                signal.alarm(SECONDS_PER_LOAD)
                try:
                    loaded = clgrad.load(io.BytesIO(damaged), **load_kw)
                except RuntimeError:
                    outcomes["RuntimeError"] += 1
                    continue
                except _Hang:
                    pytest.fail(f"{name}, {what}: load still running after "
                                f"{SECONDS_PER_LOAD} s")
                except Exception as exc:
                    pytest.fail(f"{name}, {what}: raised {type(exc).__name__}: {exc}")
                finally:
                    signal.alarm(0)
                assert _same(loaded, original), f"{name}, {what}: loaded something else"
                outcomes["equal"] += 1
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert tried == VARIANTS
    # Most damage is caught; some lands in bytes nothing reads (padding, unused records).
    assert outcomes["RuntimeError"] > VARIANTS // 2 and outcomes["equal"] > 0, outcomes


def test_damage_is_reported_as_a_damaged_checkpoint():
    data = _saved(_model().state_dict())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("archive/data.pkl")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    flipped = bytearray(data)
    flipped[start + 5] ^= 0x40  # inside the pickle: zip's CRC notices before unpickling
    for damaged in (bytes(flipped), data[:len(data) // 3], data[:-1], b""):
        with pytest.raises(RuntimeError, match="not a valid checkpoint"):
            clgrad.load(io.BytesIO(damaged))
