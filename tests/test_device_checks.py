"""Values only the device sees (a target class, an integer divisor, a probability, an index)
raise PyTorch's errors on every device: at once on cpu, at the next host synchronisation on
cl (the device-side error word), naming the op; valid inputs are unaffected, and an error is
cleared once raised. The messages are PyTorch 2.13's cpu ones (str(exc) is exactly PyTorch's;
on cl a note names the op, and pytest's `match` sees notes after a newline)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

import clgrad
import clgrad.nn.functional as F

# name -> (make(device): a result whose read raises, exception type, PyTorch's message)
BAD_INPUTS = {
    "cross_entropy_target": (
        lambda d: F.cross_entropy(clgrad.zeros(2, 3, device=d), clgrad.tensor([0, 5], device=d)),
        IndexError, "Target 5 is out of bounds."),
    "nll_loss_negative_target": (
        lambda d: F.nll_loss(clgrad.zeros(2, 3, device=d), clgrad.tensor([0, -2], device=d),
                             reduction="none"),
        IndexError, "Target -2 is out of bounds."),
    "nll_loss_sum_target": (
        lambda d: F.nll_loss(clgrad.zeros(4, 3, device=d),
                             clgrad.tensor([0, 1, 3, 2], device=d), reduction="sum"),
        IndexError, "Target 3 is out of bounds."),
    "floor_divide_by_zero": (
        lambda d: clgrad.tensor([3, 4], device=d) // clgrad.tensor([0, 2], device=d),
        RuntimeError, "ZeroDivisionError"),
    "remainder_by_zero": (
        lambda d: clgrad.tensor([3, 4], device=d) % clgrad.tensor([2, 0], device=d),
        RuntimeError, "ZeroDivisionError"),
    "fmod_by_zero": (
        lambda d: clgrad.fmod(clgrad.tensor([3, 4], dtype=clgrad.int32, device=d), 0),
        RuntimeError, "ZeroDivisionError"),
    "div_trunc_by_zero_strided": (
        lambda d: clgrad.div(clgrad.arange(6, device=d).reshape(2, 3).t(),
                             clgrad.tensor([[1, 0]], device=d), rounding_mode="trunc"),
        RuntimeError, "ZeroDivisionError"),
    "binary_cross_entropy_above_one": (
        lambda d: F.binary_cross_entropy(clgrad.tensor([0.5, 1.5], device=d),
                                         clgrad.tensor([0.0, 1.0], device=d)),
        RuntimeError, "all elements of input should be between 0 and 1"),
    "binary_cross_entropy_nan": (
        lambda d: F.binary_cross_entropy(clgrad.tensor([float("nan")], device=d),
                                         clgrad.tensor([1.0], device=d)),
        RuntimeError, "all elements of input should be between 0 and 1"),
    "multinomial_negative": (
        lambda d: clgrad.multinomial(clgrad.tensor([0.5, -0.1, 0.6], device=d), 1),
        RuntimeError, "probability tensor contains either `inf`, `nan` or element < 0"),
    "multinomial_inf": (
        lambda d: clgrad.multinomial(clgrad.tensor([[1.0, float("inf")]], device=d), 1, True),
        RuntimeError, "probability tensor contains either `inf`, `nan` or element < 0"),
    "multinomial_zero_sum": (
        lambda d: clgrad.multinomial(clgrad.tensor([[1.0, 1.0], [0.0, 0.0]], device=d), 1),
        RuntimeError, "invalid multinomial distribution (sum of probabilities <= 0)"),
    "multinomial_too_few": (
        lambda d: clgrad.multinomial(clgrad.tensor([1.0, 0.0, 0.0], device=d), 2),
        RuntimeError, "invalid multinomial distribution (with replacement=False, not enough "
                      "non-negative category to sample)"),
    "bernoulli_above_one": (
        lambda d: clgrad.bernoulli(clgrad.tensor([0.5, 1.5], device=d)),
        RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this "
                      "error message be improved?  If so, please report an enhancement request "
                      "to PyTorch.)"),
    "embedding_out_of_range": (
        lambda d: F.embedding(clgrad.tensor([0, 7], device=d), clgrad.zeros(3, 2, device=d)),
        IndexError, "index out of range in self"),
}

# PyTorch refuses negative indices here (index_fill, index_put, take and x[idx] wrap them).
NEGATIVE_INDICES = {
    "index_select_dim1": (
        lambda d: clgrad.zeros(2, 3, device=d).index_select(1, clgrad.tensor([-1], device=d)),
        RuntimeError, "INDICES element is out of DATA bounds, id=-1 axis_dim=3"),
    "index_select_bool_dim0": (
        lambda d: clgrad.ones(3, 2, dtype=clgrad.bool, device=d).index_select(
            0, clgrad.tensor([-1], device=d)),
        IndexError, "index out of range in self"),
    "index_select_1d": (
        lambda d: clgrad.zeros(3, device=d).index_select(0, clgrad.tensor([-3], device=d)),
        IndexError, "index out of range in self"),
    "gather": (
        lambda d: clgrad.zeros(2, 3, device=d).gather(1, clgrad.tensor([[-1], [0]], device=d)),
        RuntimeError, "index -1 is out of bounds for dimension 1 with size 3"),
    "scatter": (
        lambda d: clgrad.zeros(2, 3, device=d).scatter(1, clgrad.tensor([[0], [-1]], device=d),
                                                       1.0),
        RuntimeError, "index -1 is out of bounds for dimension 1 with size 3"),
    "scatter_add": (
        lambda d: clgrad.zeros(2, 3, device=d).scatter_add(
            1, clgrad.tensor([[-2]], device=d), clgrad.ones(1, 1, device=d)),
        RuntimeError, "index -2 is out of bounds for dimension 1 with size 3"),
    "index_add": (
        lambda d: clgrad.zeros(2, 3, device=d).index_add(
            1, clgrad.tensor([-1], device=d), clgrad.ones(2, 1, device=d)),
        RuntimeError, "index -1 is out of bounds for dimension 1 with size 3"),
    "index_copy": (
        lambda d: clgrad.zeros(2, 3, device=d).index_copy(
            1, clgrad.tensor([-1], device=d), clgrad.ones(2, 1, device=d)),
        IndexError, "index_copy_(): index -1 is out of bounds for dimension 1 with size 3"),
    "embedding": (
        lambda d: F.embedding(clgrad.tensor([[0, -1]], device=d), clgrad.zeros(3, 2, device=d)),
        IndexError, "index out of range in self"),
}


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}(\n|$)"


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_values_raise_pytorchs_error(device, case):
    make, exc_type, message = BAD_INPUTS[case]
    with pytest.raises(exc_type, match=_exactly(message)) as info:
        make(device).tolist()
    assert str(info.value) == message


@pytest.mark.parametrize("case", sorted(NEGATIVE_INDICES))
def test_negative_indices_are_refused_where_pytorch_refuses_them(device, case):
    make, exc_type, message = NEGATIVE_INDICES[case]
    with pytest.raises(exc_type, match=_exactly(message)) as info:
        make(device).tolist()
    assert str(info.value) == message


def test_negative_indices_still_count_from_the_end_where_pytorch_takes_them(device):
    x = clgrad.arange(6.0, device=device).reshape(2, 3)
    i = clgrad.tensor([-1], device=device)
    assert x.index_fill(1, i, 9.0).tolist() == [[0.0, 1.0, 9.0], [3.0, 4.0, 9.0]]
    assert x.take(i).tolist() == [5.0]
    assert x[:, i].tolist() == [[2.0], [5.0]]
    assert x.take_along_dim(clgrad.tensor([[-1], [-3]], device=device), 1).tolist() == [
        [2.0], [3.0]]
    assert clgrad.index_put(x, (i, i), clgrad.tensor(7.0, device=device)).tolist() == [
        [0.0, 1.0, 2.0], [3.0, 4.0, 7.0]]


def test_valid_inputs_are_unaffected(device):
    logits = clgrad.tensor([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]], device=device)
    target = clgrad.tensor([2, -100], device=device)  # -100: the default ignore_index
    assert F.cross_entropy(logits, target).item() == pytest.approx(0.40760596)
    a = clgrad.tensor([-7, 7, 0], device=device)
    b = clgrad.tensor([2, -2, 3], device=device)
    assert (a // b).tolist() == [-4, -4, 0]
    assert (a % b).tolist() == [1, -1, 0]
    assert clgrad.fmod(a, b).tolist() == [-1, 1, 0]
    floats = clgrad.tensor([1.0, -1.0], device=device) / clgrad.tensor([0.0, 0.0], device=device)
    assert floats.tolist() == [float("inf"), float("-inf")]  # float division by zero is fine
    p = clgrad.tensor([0.0, 1.0], device=device)
    assert F.binary_cross_entropy(p, p).item() == 0.0
    assert clgrad.bernoulli(p).tolist() == [0.0, 1.0]
    assert clgrad.multinomial(clgrad.tensor([0.0, 0.0, 2.0], device=device), 1).tolist() == [2]


def test_an_error_is_cleared_once_raised(device):
    a = clgrad.tensor([3, 4], device=device)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        (a // clgrad.tensor([0, 1], device=device)).tolist()
    assert (a // clgrad.tensor([1, 2], device=device)).tolist() == [3, 2]
    clgrad.cl.synchronize() if device.startswith("cl") else None


def test_the_first_error_wins_and_names_its_op(cl_device):
    logp = clgrad.zeros(2, 3, device=cl_device)
    loss = F.nll_loss(logp, clgrad.tensor([4, 0], device=cl_device))
    quotient = clgrad.tensor([1], device=cl_device) // clgrad.tensor([0], device=cl_device)
    with pytest.raises(IndexError, match=_exactly("Target 4 is out of bounds.")) as info:
        quotient.tolist()  # any read raises the pending error, the first one met
    assert any("nll_loss" in note for note in info.value.__notes__)
    assert loss.tolist() != loss.tolist()  # nan, and nothing pending any more


@pytest.mark.parametrize("sync", ["synchronize", "item", "numpy", "cpu", "print"])
def test_every_synchronisation_raises(cl_device, sync):
    bad = clgrad.tensor([5, 6], device=cl_device) % clgrad.tensor([0, 1], device=cl_device)
    other = clgrad.ones(2, device=cl_device)  # the error is the queue's, read by any wait
    reads = {"synchronize": lambda: clgrad.cl.synchronize(), "item": lambda: other[0].item(),
             "numpy": lambda: other.numpy(force=True), "cpu": lambda: other.cpu(),
             "print": lambda: str(other)}
    with pytest.raises(RuntimeError, match=_exactly("ZeroDivisionError")):
        reads[sync]()
    del bad
    assert other.tolist() == [1.0, 1.0]


def test_no_wait_until_a_synchronisation(cl_device):
    # The op itself returns without raising (no host wait on the hot path) ...
    q = clgrad.tensor([1, 2], device=cl_device) // clgrad.tensor([0, 1], device=cl_device)
    # ... and the next wait raises.
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        q.tolist()


def test_launch_blocking_raises_at_the_op(cl_device, tmp_path):
    script = textwrap.dedent(f"""
        import traceback
        import clgrad
        a = clgrad.tensor([1, 2], device="{cl_device}")
        b = clgrad.tensor([0, 1], device="{cl_device}")
        try:
            c = a // b  # the op
        except RuntimeError as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            print("raised at:", frames[0].line, "|", exc, "|", " ".join(exc.__notes__))
        else:
            print("not raised at the op")
    """)
    path = tmp_path / "blocking.py"
    path.write_text(script)
    env = dict(os.environ, CLGRAD_LAUNCH_BLOCKING="1")
    out = subprocess.run([sys.executable, str(path)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "raised at: c = a // b  # the op | ZeroDivisionError |" in out.stdout, out.stdout
    assert "floor_divide" in out.stdout


def test_an_error_from_a_launch_long_ago_is_still_raised(cl_device):
    a = clgrad.tensor([3, 4], device=cl_device)
    a // clgrad.tensor([0, 1], device=cl_device)
    ones = clgrad.ones(2, dtype=clgrad.int64, device=cl_device)
    for _ in range(300):  # more checking launches than the host remembers
        a // ones
    with pytest.raises(RuntimeError, match=_exactly("ZeroDivisionError")) as info:
        clgrad.cl.synchronize()
    assert any("no longer recorded" in note for note in info.value.__notes__)
