"""Serialization as PyTorch 2.6+: safe-globals allowlists and whole pickled modules."""
import io

import pytest

import clgrad


class Point:
    """A user class saved inside a checkpoint (module level, so pickle can find it)."""

    def __init__(self, x, y):
        self.x, self.y = x, y


def _roundtrip(obj, **load_kw):
    buf = io.BytesIO()
    clgrad.save(obj, buf)
    buf.seek(0)
    return clgrad.load(buf, **load_kw)


@pytest.fixture(autouse=True)
def _clean_allowlist():
    clgrad.serialization.clear_safe_globals()
    yield
    clgrad.serialization.clear_safe_globals()


def test_weights_only_refuses_unknown_globals_and_names_the_fix():
    with pytest.raises(Exception) as info:
        _roundtrip({"p": Point(1, 2)})
    assert "add_safe_globals" in str(info.value) and "Point" in str(info.value)


def test_add_get_clear_safe_globals():
    clgrad.serialization.add_safe_globals([Point])
    assert clgrad.serialization.get_safe_globals() == [Point]
    loaded = _roundtrip({"p": Point(1, clgrad.ones(2))})
    assert isinstance(loaded["p"], Point) and loaded["p"].y.tolist() == [1.0, 1.0]
    clgrad.serialization.clear_safe_globals()
    assert clgrad.serialization.get_safe_globals() == []
    with pytest.raises(Exception):
        _roundtrip(Point(1, 2))


def test_safe_globals_context_manager_restores():
    with clgrad.serialization.safe_globals([(Point, f"{__name__}.Point")]):
        assert isinstance(_roundtrip(Point(3, 4)), Point)
    assert clgrad.serialization.get_safe_globals() == []


def test_bad_entry_rejected():
    with pytest.raises(ValueError):
        clgrad.serialization.add_safe_globals([(Point, 3)])


def test_whole_module_roundtrip(device):
    clgrad.manual_seed(0)
    model = clgrad.nn.Sequential(clgrad.nn.Linear(3, 4), clgrad.nn.ReLU(),
                                 clgrad.nn.Linear(4, 2)).to(device)
    with pytest.raises(Exception):
        _roundtrip(model)
    # cl tensors are written with location "cpu" (see clgrad/serialization.py): map back.
    loaded = _roundtrip(model, weights_only=False, map_location=device)
    assert type(loaded) is clgrad.nn.Sequential
    assert list(loaded.state_dict()) == list(model.state_dict())
    x = clgrad.randn(5, 3, device=device)
    assert clgrad.equal(loaded(x), model(x))
    assert isinstance(loaded[0].weight, clgrad.nn.Parameter) and loaded[0].weight.requires_grad
    assert loaded[0].weight.device == model[0].weight.device
    # the loaded module trains
    loaded(x).sum().backward()
    assert loaded[0].weight.grad is not None


def test_whole_module_map_location(cl_device):
    model = clgrad.nn.Linear(2, 2).to(cl_device)
    loaded = _roundtrip(model, weights_only=False, map_location="cpu")
    assert loaded.weight.device.type == "cpu"
    assert clgrad.equal(loaded.weight, model.weight.cpu())


def test_whole_module_loads_with_its_classes_allowlisted(tmp_path):
    # pytorch/examples' word_language_model pattern: save the module, then load it under
    # safe_globals naming the module classes (its set-typed attributes need no allowlisting).
    model = clgrad.nn.LSTM(3, 4)
    path = tmp_path / "whole.pt"
    clgrad.save(model, path)
    with clgrad.serialization.safe_globals([clgrad.nn.LSTM]):
        loaded = clgrad.load(path)
    assert isinstance(loaded, clgrad.nn.LSTM)
    assert clgrad.equal(loaded.weight_ih_l0, model.weight_ih_l0)
