"""clgrad.testing.assert_close: tolerances, checks and PyTorch's message text."""
import math
import re

import pytest

import clgrad

assert_close = clgrad.testing.assert_close


def _message(fn) -> str:
    with pytest.raises(AssertionError) as info:
        fn()
    return str(info.value)


def test_passes_within_default_float32_tolerance(device):
    a = clgrad.tensor([1.0, 2.0, 3.0], device=device)
    assert_close(a, a + 5e-6)
    with pytest.raises(AssertionError):
        assert_close(a, a + 1e-3)


def test_mismatch_message_has_pytorch_format(device):
    a = clgrad.tensor([1.0, 2.0, 3.0], device=device)
    b = clgrad.tensor([1.0, 2.5, 3.1], device=device)
    text = _message(lambda: assert_close(a, b))
    assert text.startswith("Tensor-likes are not close!\n\nMismatched elements: 2 / 3 (66.7%)\n")
    assert "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)" in text
    assert "(up to 1.3e-06 allowed)" in text


def test_integers_compare_exactly(device):
    a = clgrad.tensor([1, 2, 3], device=device)
    text = _message(lambda: assert_close(a, clgrad.tensor([1, 2, 4], device=device)))
    assert text == ("Tensor-likes are not equal!\n\nMismatched elements: 1 / 3 (33.3%)\n"
                    "Greatest absolute difference: 1 at index (2,)\n"
                    "Greatest relative difference: 0.25 at index (2,)")


def test_shape_dtype_and_device_checks(device):
    a = clgrad.ones(2, device=device)
    assert "attribute 'shape'" in _message(lambda: assert_close(a, clgrad.ones(3, device=device)))
    b = clgrad.ones(2, dtype=clgrad.float16, device=device)
    assert _message(lambda: assert_close(a, b)) == (
        "The values for attribute 'dtype' do not match: clgrad.float32 != clgrad.float16.")
    assert_close(a, b, check_dtype=False)
    if device != "cpu":
        assert "attribute 'device'" in _message(lambda: assert_close(a, a.cpu()))
        assert_close(a, a.cpu(), check_device=False)


def test_nan_needs_equal_nan(device):
    a = clgrad.tensor([1.0, math.nan], device=device)
    assert "Mismatched elements: 1 / 2" in _message(lambda: assert_close(a, a.clone()))
    assert_close(a, a.clone(), equal_nan=True)


def test_scalars_containers_and_msg():
    assert _message(lambda: assert_close(1.0, 1.1)).startswith(
        "Scalars are not close!\n\nExpected 1.1 but got 1.0.\n")
    text = _message(lambda: assert_close({"a": [clgrad.tensor(1.0)]},
                                         {"a": [clgrad.tensor(2.0)]}))
    assert text.endswith("\n\nThe failure occurred for item ['a'][0]")
    assert _message(lambda: assert_close(clgrad.ones(1), clgrad.zeros(1), msg="boom")) == "boom"
    with pytest.raises(ValueError, match=re.escape("must be either specified or omitted")):
        assert_close(clgrad.ones(1), clgrad.ones(1), rtol=1e-3)
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(clgrad.ones(1), [1.0])
    assert_close(clgrad.ones(1), clgrad.ones(1) + 0.5, rtol=0, atol=0.6)


def test_assert_allclose_is_deprecated():
    with pytest.warns(FutureWarning):
        clgrad.testing.assert_allclose(clgrad.ones(2), [1.0, 1.0])


@pytest.mark.parity
def test_messages_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [([1.0, 2.0, 3.0], [1.0, 2.5, 3.1]), ([1, 2, 3], [1, 2, 4]),
             ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.5]]), (1.0, 2.0),
             ([True], [False]), ([1.0, math.nan], [1.0, math.nan])]
    for a, b in pairs:
        texts = []
        for lib in (torch, clgrad):
            try:
                lib.testing.assert_close(lib.tensor(a), lib.tensor(b))
                texts.append(None)
            except AssertionError as exc:
                texts.append(str(exc))
        assert texts[0] == texts[1]
