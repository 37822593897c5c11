"""A non-Tensor where a Tensor is needed: PyTorch's TypeError, word for word (API §1)."""
from __future__ import annotations

import pytest

import clgrad

# name -> call(module): the same call with clgrad or torch, a list where a Tensor belongs.
CASES = {
    "copy_": lambda m: m.zeros(2).copy_([1.0]),
    "linalg_inv": lambda m: m.linalg.inv([1.0]),
    "linalg_cholesky": lambda m: m.linalg.cholesky([1.0]),
    "linalg_svd": lambda m: m.linalg.svd([1.0]),
    "matmul_input": lambda m: m.matmul([1.0], m.zeros(2)),
    "matmul_other": lambda m: m.matmul(m.zeros(2), [1.0]),
    "linear": lambda m: m.nn.functional.linear([1.0], m.zeros(2, 2)),
    "embedding": lambda m: m.nn.functional.embedding([1], m.zeros(2, 2)),
    "relu": lambda m: m.nn.functional.relu([1.0]),
    "gelu": lambda m: m.nn.functional.gelu([1.0]),
    "sum": lambda m: m.sum([1.0]),
    "neg": lambda m: m.neg([1.0]),
    "lgamma": lambda m: m.lgamma([1.0]),
    "sinc": lambda m: m.sinc([1.0]),
    "abs_": lambda m: m.abs_([1.0]),
    "gather": lambda m: m.gather([1.0], 0, m.zeros(1, dtype=m.int64)),
}


def _message(call, module) -> str:
    with pytest.raises(TypeError) as info:
        call(module)
    return str(info.value)


@pytest.mark.parametrize("name", list(CASES))
def test_message_matches_torch(name):
    torch = pytest.importorskip("torch")
    assert _message(CASES[name], clgrad) == _message(CASES[name], torch)


def test_message_names_the_argument_and_the_type():
    assert _message(CASES["matmul_other"], clgrad) == \
        "matmul(): argument 'other' (position 2) must be Tensor, not list"
    assert _message(lambda m: m.linalg.det((1.0,)), clgrad) == \
        "linalg_det(): argument 'A' (position 1) must be Tensor, not tuple"
