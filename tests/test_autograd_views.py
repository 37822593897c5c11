"""Autograd of views, shape, join, indexing, movement and creation ops (API §3).

Node names and graph shapes are those PyTorch records (literal expectations, plus a parity
table against torch when it is installed); gradients are checked by finite differences in
float64 on every device; in-place writes through views rewrite the base's history.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import clgrad
from clgrad.autograd import gradcheck
from helpers import Square, skip_without_fp64

F64 = clgrad.float64


def need_fp64(device: str) -> None:
    skip_without_fp64(device)


def inputs(module, device=None, requires_grad=True) -> dict:
    """The same float64 values as `module` tensors (clgrad on `device`, or torch)."""
    rng = np.random.default_rng(7)
    shapes = {"x": (2, 3, 4), "m": (3, 3), "v": (3,), "s": (2, 1, 3), "z": ()}
    result = {}
    for name, shape in shapes.items():
        values = rng.standard_normal(shape)
        if module is clgrad:
            result[name] = clgrad.tensor(values, dtype=F64, device=device,
                                         requires_grad=requires_grad)
        else:
            result[name] = module.tensor(values, dtype=module.float64,
                                         requires_grad=requires_grad)
    return result


def chain(t) -> list:
    """(node name, number of edges) from t's grad_fn down the first edges."""
    out = []
    node = t.grad_fn
    while node is not None:
        out.append((type(node).__name__, len(node.next_functions)))
        node = node.next_functions[0][0] if node.next_functions else None
    return out


def describe(result) -> list:
    results = result if isinstance(result, (tuple, list)) else (result,)
    return [chain(r) for r in results]


def names(result) -> list:
    return [[n for n, _ in c] for c in describe(result)]


# label: (expected node chain of each output, down to AccumulateGrad; the op)
ACC = "AccumulateGrad"
NAME_CASES = {
    "view": (["ViewBackward0"], lambda M, T: T["x"].view(6, 4)),
    "view_as": (["ViewBackward0"], lambda M, T: T["x"].view_as(T["x"].detach().view(4, 6))),
    "reshape_view": (["ViewBackward0"], lambda M, T: T["x"].reshape(6, 4)),
    "reshape_copy": (["UnsafeViewBackward0", "CloneBackward0", "TransposeBackward0"],
                     lambda M, T: T["x"].transpose(0, 1).reshape(12, 2)),
    "reshape_as": (["ViewBackward0"], lambda M, T: T["x"].reshape_as(T["x"].detach().view(24))),
    "flatten": (["ViewBackward0"], lambda M, T: T["x"].flatten()),
    "flatten_copy": (["UnsafeViewBackward0", "CloneBackward0", "TransposeBackward0"],
                     lambda M, T: T["x"].transpose(1, 2).flatten(1)),
    "flatten_0d": (["ViewBackward0"], lambda M, T: T["z"].flatten()),
    "unflatten": (["ViewBackward0"], lambda M, T: T["x"].unflatten(2, (2, 2))),
    "squeeze": (["SqueezeBackward0"], lambda M, T: T["s"].squeeze()),
    "squeeze_dim": (["SqueezeBackward1"], lambda M, T: T["s"].squeeze(1)),
    "squeeze_noop": (["SqueezeBackward1"], lambda M, T: T["s"].squeeze(0)),
    "squeeze_dims": (["SqueezeBackward2"], lambda M, T: T["s"].squeeze((0, 1))),
    "unsqueeze": (["UnsqueezeBackward0"], lambda M, T: T["x"].unsqueeze(1)),
    "permute": (["PermuteBackward0"], lambda M, T: T["x"].permute(2, 0, 1)),
    "transpose": (["TransposeBackward0"], lambda M, T: T["x"].transpose(0, 2)),
    "swapaxes": (["TransposeBackward0"], lambda M, T: T["x"].swapaxes(0, 1)),
    "swapdims": (["TransposeBackward0"], lambda M, T: T["x"].swapdims(1, 2)),
    "t": (["TBackward0"], lambda M, T: T["m"].t()),
    "t_1d": (["TBackward0"], lambda M, T: T["v"].t()),
    "T": (["PermuteBackward0"], lambda M, T: T["m"].T),
    "mT": (["TransposeBackward0"], lambda M, T: T["x"].mT),
    "mH": (["TransposeBackward0"], lambda M, T: T["x"].mH),
    "H": (["TransposeBackward0"], lambda M, T: T["m"].H),
    "movedim": (["PermuteBackward0"], lambda M, T: T["x"].movedim(0, 2)),
    "moveaxis": (["PermuteBackward0"], lambda M, T: T["x"].moveaxis(0, 1)),
    "expand": (["ExpandBackward0"], lambda M, T: T["s"].expand(2, 4, 3)),
    "expand_as": (["ExpandBackward0"], lambda M, T: T["v"].expand_as(T["m"])),
    "broadcast_to": (["ExpandBackward0"], lambda M, T: T["s"].broadcast_to((3, 2, 4, 3))),
    "narrow": (["SliceBackward0"], lambda M, T: T["x"].narrow(1, 1, 2)),
    "select": (["SelectBackward0"], lambda M, T: T["x"].select(1, 1)),
    "as_strided": (["AsStridedBackward0"], lambda M, T: T["x"].as_strided((2, 2), (1, 2))),
    "diagonal": (["DiagonalBackward0"], lambda M, T: T["x"].diagonal(0, 1, 2)),
    "cat": (["CatBackward0"], lambda M, T: M.cat([T["x"], T["x"]], 1)),
    "cat_one": (["CatBackward0"], lambda M, T: M.cat([T["v"]])),
    "stack": (["StackBackward0"], lambda M, T: M.stack([T["v"], T["v"]], 1)),
    "hstack": (["CatBackward0"], lambda M, T: M.hstack([T["v"], T["v"]])),
    "hstack_0d": (["CatBackward0", "ViewBackward0"], lambda M, T: M.hstack([T["z"], T["z"]])),
    "vstack": (["CatBackward0", "UnsqueezeBackward0"], lambda M, T: M.vstack([T["v"], T["v"]])),
    "dstack": (["CatBackward0", "UnsqueezeBackward0", "UnsqueezeBackward0"],
               lambda M, T: M.dstack([T["v"], T["v"]])),
    "atleast_2d": (["UnsqueezeBackward0"], lambda M, T: M.atleast_2d(T["v"])),
    "atleast_3d_0d": (["ViewBackward0"], lambda M, T: M.atleast_3d(T["z"])),
    "flip": (["FlipBackward0"], lambda M, T: T["x"].flip(0, 2)),
    "fliplr": (["FlipBackward0"], lambda M, T: T["m"].fliplr()),
    "roll": (["RollBackward0"], lambda M, T: T["x"].roll(1, 2)),
    "roll_flat": (["RollBackward0"], lambda M, T: T["x"].roll(5)),
    "repeat": (["RepeatBackward0"], lambda M, T: T["m"].repeat(2, 1, 2)),
    "tile": (["RepeatBackward0"], lambda M, T: T["v"].tile(2)),
    "tril": (["TrilBackward0"], lambda M, T: T["m"].tril()),
    "triu": (["TriuBackward0"], lambda M, T: T["m"].triu(1)),
    "diag_1d": (["DiagEmbedBackward0"], lambda M, T: T["v"].diag(1)),
    "diag_2d": (["DiagonalBackward0_copy"], lambda M, T: T["m"].diag(-1)),
    "diag_embed": (["DiagEmbedBackward0"], lambda M, T: T["m"].diag_embed()),
    "get_int": (["SelectBackward0"], lambda M, T: T["x"][1]),
    "get_slice": (["SliceBackward0"], lambda M, T: T["x"][1:]),
    "get_full_slice": (["SliceBackward0"], lambda M, T: T["x"][:]),
    "get_none": (["UnsqueezeBackward0"], lambda M, T: T["x"][None]),
    "get_ellipsis": (["AliasBackward0"], lambda M, T: T["x"][...]),
    "get_empty_tuple": (["AliasBackward0"], lambda M, T: T["x"][()]),
    "get_full_tuple": (["AliasBackward0"], lambda M, T: T["x"][:, 0:9]),
    "get_composite": (["UnsqueezeBackward0", "SliceBackward0", "SelectBackward0"],
                      lambda M, T: T["x"][0, 1:, None]),
    "get_none_ellipsis_int": (["SelectBackward0", "UnsqueezeBackward0"],
                              lambda M, T: T["x"][None, ..., 0]),
    "get_steps": (["SelectBackward0", "SliceBackward0", "SliceBackward0"],
                  lambda M, T: T["x"][1:2, ::2, 0]),
    "get_skips_full": (["SelectBackward0"], lambda M, T: T["x"][:, 1]),
    "clone": (["CloneBackward0"], lambda M, T: T["x"].clone()),
    "contiguous": (["CloneBackward0", "TransposeBackward0"],
                   lambda M, T: T["x"].transpose(0, 1).contiguous()),
    "to_dtype": (["ToCopyBackward0"], lambda M, T: T["x"].to(M.float32)),
    "float": (["ToCopyBackward0"], lambda M, T: T["x"].float()),
    "to_copy": (["ToCopyBackward0"], lambda M, T: T["x"].to(M.float64, copy=True)),
    "type_as": (["ToCopyBackward0"], lambda M, T: T["x"].type_as(T["x"].detach().float())),
    "unbind": ([["UnbindBackward0"]] * 3, lambda M, T: T["x"].unbind(1)),
    "split": ([["SplitBackward0"]] * 2, lambda M, T: T["x"].split(2, 1)),
    "split_sizes": ([["SplitWithSizesBackward0"]] * 2, lambda M, T: T["x"].split([1, 2], 1)),
    "chunk": ([["SplitBackward0"]] * 2, lambda M, T: T["x"].chunk(2, 2)),
    "tensor_split": ([["SliceBackward0"]] * 2, lambda M, T: T["x"].tensor_split([1], 1)),
    "broadcast_tensors": ([[], ["ExpandBackward0"]],
                          lambda M, T: M.broadcast_tensors(T["s"], T["v"])),
}


def _expected(spec) -> list:
    return spec if spec and isinstance(spec[0], list) else [spec]


def _run(fn, module, T):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(module, T)


@pytest.mark.parametrize("label", sorted(NAME_CASES))
def test_node_names(label, device):
    need_fp64(device)
    expected, fn = NAME_CASES[label]
    result = _run(fn, clgrad, inputs(clgrad, device))
    assert [n[:-1] if n and n[-1] == ACC else n for n in names(result)] == _expected(expected)
    assert all(not c or c[-1] == (ACC, 0) for c in describe(result))


@pytest.mark.parametrize("label", sorted(NAME_CASES))
def test_node_parity_with_torch(label):
    torch = pytest.importorskip("torch")
    _, fn = NAME_CASES[label]
    mine = _run(fn, clgrad, inputs(clgrad, "cpu"))
    theirs = _run(fn, torch, inputs(torch))
    assert describe(mine) == describe(theirs)
    results = mine if isinstance(mine, tuple) else (mine,)
    expected = theirs if isinstance(theirs, tuple) else (theirs,)
    for a, b in zip(results, expected):
        assert a.shape == tuple(b.shape)
        assert np.array_equal(a.detach().float().numpy(), b.detach().float().numpy())
        assert a.requires_grad == b.requires_grad and a.is_leaf == b.is_leaf
        assert (a._base is None) == (b._base is None)


def test_identities_record_nothing(device):
    need_fp64(device)
    T = inputs(clgrad, device)
    assert T["x"].flatten(1, 1) is T["x"]
    assert T["x"].contiguous() is T["x"]
    assert T["x"].to(F64) is T["x"]
    assert clgrad.atleast_1d(T["v"]) is T["v"]
    a, b = clgrad.broadcast_tensors(T["s"], T["v"])
    assert a is T["s"]
    d = T["x"].detach()
    assert d.grad_fn is None and not d.requires_grad
    # Integer results never require grad; no_grad records nothing.
    assert not T["x"].long().requires_grad
    with clgrad.no_grad():
        assert T["x"][0].grad_fn is None and T["x"].view(24).grad_fn is None


# label: (op, names of the inputs it takes)
GRAD_CASES = {
    "view": (lambda a: a.view(3, 2), "a"),
    "reshape_copy": (lambda a: a.t().reshape(6), "a"),
    "flatten": (lambda b: b.flatten(0, 1), "b"),
    "unflatten": (lambda a: a.unflatten(1, (3, 1)), "a"),
    "squeeze": (lambda c: c.squeeze(), "c"),
    "squeeze_dims": (lambda c: c.squeeze((0, 2)), "c"),
    "unsqueeze": (lambda a: a.unsqueeze(1), "a"),
    "permute": (lambda b: b.permute(2, 0, 1), "b"),
    "transpose": (lambda b: b.transpose(0, 2), "b"),
    "t": (lambda a: a.t(), "a"),
    "T": (lambda a: a.T, "a"),
    "mT": (lambda b: b.mT, "b"),
    "movedim": (lambda b: b.movedim(0, 2), "b"),
    "expand": (lambda c: c.expand(2, 2, 3), "c"),
    "expand_as": (lambda v: v.expand_as(clgrad.empty(2, 3, dtype=F64, device=v.device)), "v"),
    "broadcast_tensors": (lambda c, v: clgrad.broadcast_tensors(c, v), "cv"),
    "narrow": (lambda a: a.narrow(1, 1, 2), "a"),
    "select": (lambda b: b.select(2, 1), "b"),
    "unbind": (lambda a: a.unbind(1), "a"),
    "split": (lambda a: a.split(2, 1), "a"),
    "split_sizes": (lambda a: a.split([2, 1], 1), "a"),
    "chunk": (lambda a: a.chunk(2, 1), "a"),
    "tensor_split": (lambda a: a.tensor_split(2, 1), "a"),
    "as_strided": (lambda a: a.as_strided((2, 2), (1, 2), 1), "a"),
    "as_strided_overlap": (lambda a: a.as_strided((3, 2), (1, 1)), "a"),
    "as_strided_expand": (lambda v: v.as_strided((2, 3), (0, 1)), "v"),
    "diagonal": (lambda a: a.diagonal(1), "a"),
    "diagonal_3d": (lambda b: b.diagonal(0, 0, 2), "b"),
    "cat": (lambda a, v: clgrad.cat([a, v.view(1, 3), a], 0), "av"),
    "cat_distinct": (lambda a, v: clgrad.cat([a, v.view(1, 3)], 0), "av"),
    "stack": (lambda v, w: clgrad.stack([v, w], 1), "vw"),
    "hstack": (lambda v, w: clgrad.hstack([v, w]), "vw"),
    "vstack": (lambda v, a: clgrad.vstack([v, a]), "va"),
    "dstack": (lambda v, w: clgrad.dstack([v, w]), "vw"),
    "flip": (lambda a: a.flip(0, 1), "a"),
    "roll": (lambda a: a.roll(1, 1), "a"),
    "roll_flat": (lambda a: a.roll(-2), "a"),
    "repeat": (lambda a: a.repeat(2, 1, 2), "a"),
    "tile": (lambda v: v.tile((2, 1)), "v"),
    "tril": (lambda m: m.tril(), "m"),
    "triu": (lambda m: m.triu(-1), "m"),
    "diag_1d": (lambda v: v.diag(-1), "v"),
    "diag_2d": (lambda m: m.diag(1), "m"),
    "diag_embed": (lambda a: a.diag_embed(1, 0, 2), "a"),
    "getitem": (lambda b: b[1, ::2, None, 1:], "b"),
    "getitem_ellipsis": (lambda b: b[..., 0], "b"),
    "clone": (lambda a: a.clone(), "a"),
    "contiguous": (lambda a: a.t().contiguous(), "a"),
    "to_copy": (lambda a: a.to(F64, copy=True), "a"),
    "to_cpu": (lambda a: a.cpu(), "a"),
    "copy_": (lambda a, v: a.clone().copy_(v), "av"),
    "setitem": (lambda a, v: _setitem(a, (0, slice(None)), v[0]), "av"),
    "setitem_broadcast": (lambda a, v: _setitem(a, slice(None), v.view(1, 1, 3)), "av"),
    "setitem_number": (lambda a: _setitem(a, (slice(None), 1), 5.0), "a"),
    "fill_view": (lambda a: _then(a.clone(), lambda y: y[:, 0].fill_(2.0)), "a"),
    "fill_tensor": (lambda a, z: _then(a.clone(), lambda y: y[1].fill_(z)), "az"),
    "zero_view": (lambda a: _then(a.clone(), lambda y: y.t()[1].zero_()), "a"),
    "tril_": (lambda m: _then(m.clone(), lambda y: y.tril_()), "m"),
    "triu_view": (lambda m: _then(m.clone(), lambda y: y.t().triu_(1)), "m"),
}


def _then(y, action):
    action(y)
    return y


def _setitem(a, key, value):
    y = a.clone()
    y[key] = value
    return y


def grad_inputs(device, letters: str) -> list:
    rng = np.random.default_rng(3)
    shapes = {"a": (2, 3), "b": (2, 2, 3), "c": (1, 2, 1), "v": (3,), "w": (3,), "m": (3, 3),
              "z": ()}
    return [clgrad.tensor(rng.standard_normal(shapes[k]), dtype=F64, device=device,
                          requires_grad=True) for k in letters]


@pytest.mark.parametrize("label", sorted(GRAD_CASES))
def test_gradcheck(label, device):
    need_fp64(device)
    fn, letters = GRAD_CASES[label]
    assert gradcheck(fn, grad_inputs(device, letters))


# Ops whose gradient is computed only by ops of this family (no pointwise or reductions, and
# no input used twice, whose gradients the engine adds).
GRADGRAD_CASES = ["view", "reshape_copy", "permute", "select", "narrow", "unbind", "split",
                  "as_strided", "diagonal", "cat_distinct", "stack", "flip", "roll", "tril",
                  "diag_1d", "diag_2d", "diag_embed", "getitem", "to_copy", "to_cpu"]


@pytest.mark.parametrize("label", GRADGRAD_CASES)
def test_double_backward(label, device):
    """gradcheck of the gradient as a function of the incoming gradient (create_graph)."""
    need_fp64(device)
    fn, letters = GRAD_CASES[label]
    xs = grad_inputs(device, letters)
    rng = np.random.default_rng(5)
    outs = fn(*xs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    gos = [clgrad.tensor(rng.standard_normal(o.shape), dtype=F64, device=o.device,
                         requires_grad=True) for o in outs]
    n = len(xs)

    def first_grads(*args):
        # gradcheck's finite differences pass fresh inputs under no_grad: track them anyway.
        xs = [x if x.requires_grad else x.detach().requires_grad_() for x in args[:n]]
        with clgrad.enable_grad():
            return clgrad.autograd.grad(fn(*xs), xs, args[n:], create_graph=True)
    assert gradcheck(first_grads, xs + gos)


@pytest.mark.parametrize("op, name", [
    (lambda x: x[0], "SelectBackwardBackward0"),
    (lambda x: x[1:], "SliceBackwardBackward0"),
    (lambda x: x.diagonal(), "DiagonalBackwardBackward0"),
    (lambda x: x.unbind()[0], "StackBackward0"),
    (lambda x: x.split(1)[0], "CatBackward0"),
    (lambda x: x.t(), "TBackward0"),
    (lambda x: x.diag_embed(), "DiagonalBackward0"),
])
def test_double_backward_nodes(op, name, device):
    need_fp64(device)
    m = grad_inputs(device, "m")[0]
    y = op(m)
    go = clgrad.ones(y.shape, dtype=F64, device=device, requires_grad=True)
    (g,) = clgrad.autograd.grad(y, m, go, create_graph=True)
    assert type(g.grad_fn).__name__ == name


# -- in-place writes through views ---------------------------------------------------------------
def seed(shape, device):
    values = np.arange(1, 1 + int(np.prod(shape)), dtype=np.float64).reshape(shape)
    return values, clgrad.tensor(values, dtype=F64, device=device)


def test_fill_through_view(device):
    need_fp64(device)
    x = clgrad.tensor(np.ones((3, 2)), dtype=F64, device=device, requires_grad=True)
    y = x.clone()
    v = y[0]
    v.fill_(3)
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    assert v.grad_fn.next_functions[0][0] is y.grad_fn
    assert y.tolist() == [[3, 3], [1, 1], [1, 1]]
    values, g = seed((3, 2), device)
    y.backward(g)
    expected = values.copy()
    expected[0] = 0
    np.testing.assert_array_equal(x.grad.cpu().numpy(), expected)


def test_setitem_number_and_tensor(device):
    need_fp64(device)
    x = clgrad.tensor(np.ones((3, 2)), dtype=F64, device=device, requires_grad=True)
    src = clgrad.tensor([5.0, 6.0], dtype=F64, device=device, requires_grad=True)
    y = x.clone()
    y[1:] = 0
    assert names(y) == [["CopySlices", "CloneBackward0", ACC]]
    assert y.grad_fn.next_functions[1] == (None, 0)
    y[0] = src
    assert y.grad_fn.next_functions[1][0] is src.grad_fn or \
        type(y.grad_fn.next_functions[1][0]).__name__ == ACC
    assert y.tolist() == [[5, 6], [0, 0], [0, 0]]
    values, g = seed((3, 2), device)
    y.backward(g)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.zeros((3, 2)))
    np.testing.assert_array_equal(src.grad.cpu().numpy(), values[0])


def test_setitem_whole_tensor_fills_in_place(device):
    need_fp64(device)
    x = clgrad.tensor(np.ones(3), dtype=F64, device=device, requires_grad=True)
    for key in (Ellipsis, (slice(None),)):
        y = x.clone()
        y[key] = 2.0
        assert names(y) == [["FillBackward3", "CloneBackward0", ACC]]
    y = x.clone()
    y[:] = 2.0  # a lone slice is always a slice in PyTorch: a view, then CopySlices
    assert names(y)[0][0] == "CopySlices"


def test_setitem_broadcast_value_and_cpu_scalar(device):
    need_fp64(device)
    x = clgrad.tensor(np.zeros((2, 3)), dtype=F64, device=device, requires_grad=True)
    row = clgrad.tensor([[1.0, 2.0, 3.0]], dtype=F64, device=device, requires_grad=True)
    scalar = clgrad.tensor(4.0, dtype=F64, requires_grad=True)  # 0-dim on cpu: fill_
    y = x.clone()
    y[...] = row
    y[:, 1] = scalar
    assert y.tolist() == [[1, 4, 3], [1, 4, 3]]
    assert names(y)[0][:2] == ["CopySlices", "CopyBackwards"]
    values, g = seed((2, 3), device)
    y.backward(g)
    want = [[values[:, 0].sum(), 0, values[:, 2].sum()]]
    np.testing.assert_array_equal(row.grad.cpu().numpy(), want)
    assert scalar.grad.item() == values[:, 1].sum() and scalar.grad.device.type == "cpu"
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.zeros((2, 3)))


def test_copy_fill_zero_tril_in_place_names(device):
    need_fp64(device)
    x = clgrad.tensor(np.ones((2, 2)), dtype=F64, device=device, requires_grad=True)
    src = clgrad.tensor([1.0, 2.0], dtype=F64, device=device, requires_grad=True)
    z = clgrad.tensor(3.0, dtype=F64, device=device, requires_grad=True)
    cases = [(lambda y: y.copy_(src), "CopyBackwards", 2),
             (lambda y: y.fill_(1), "FillBackward2", 1),
             (lambda y: y.fill_(z), "FillBackward3", 2), (lambda y: y.zero_(), "ZeroBackward0", 1),
             (lambda y: y.tril_(), "TrilBackward0", 1), (lambda y: y.triu_(), "TriuBackward0", 1)]
    for action, name, edges in cases:
        y = x.clone()
        assert action(y) is y
        assert chain(y)[:2] == [(name, edges), ("CloneBackward0", 1)]
        assert not y.is_leaf


def test_copy_across_devices_and_dtypes(cl_device):
    skip_without_fp64(cl_device)
    x = clgrad.zeros(2, 3, device=cl_device, requires_grad=True)
    src = clgrad.tensor([1.0, 2.0, 3.0], dtype=F64, requires_grad=True)  # cpu, float64
    y = x.clone()
    y.copy_(src)
    y.backward(clgrad.ones(2, 3, device=cl_device))
    assert src.grad.device.type == "cpu" and src.grad.dtype is F64
    assert src.grad.tolist() == [2.0, 2.0, 2.0]
    assert x.grad.tolist() == [[0.0] * 3] * 2


def test_cross_device_to_carries_gradient_back(cl_device):
    x = clgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to(cl_device)
    assert type(y.grad_fn).__name__ == "ToCopyBackward0" and y.device.type == "cl"
    y.backward(clgrad.tensor([1.0, 10.0, 100.0], device=cl_device))
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [1.0, 10.0, 100.0]
    w = clgrad.tensor([1.0, 2.0], device=cl_device, requires_grad=True)
    w.cpu().half().backward(clgrad.tensor([3.0, 4.0], dtype=clgrad.float16))
    assert w.grad.device == clgrad.device(cl_device) and w.grad.dtype is clgrad.float32
    assert w.grad.tolist() == [3.0, 4.0]


def test_dtype_conversion_gradient_dtype(device):
    x = clgrad.tensor([1.5, 2.5], dtype=clgrad.float32, device=device, requires_grad=True)
    y = x.half()
    y.backward(clgrad.tensor([2.0, 4.0], dtype=clgrad.float16, device=device))
    assert x.grad.dtype is clgrad.float32 and x.grad.tolist() == [2.0, 4.0]


# -- errors ---------------------------------------------------------------------------------------
LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF = ("a view of a leaf Variable that requires grad is being used in an in-place "
                "operation.")


@pytest.mark.parametrize("action, message", [
    (lambda x: x.fill_(1), LEAF),
    (lambda x: x.zero_(), LEAF),
    (lambda x: x.copy_(x.detach()), LEAF),
    (lambda x: x.tril_(), LEAF),
    (lambda x: x.__setitem__(Ellipsis, 1), LEAF),
    (lambda x: x.__setitem__((slice(None),), 1), LEAF),
    (lambda x: x.__setitem__(0, 1), VIEW_OF_LEAF),
    (lambda x: x[0].fill_(1), VIEW_OF_LEAF),
    (lambda x: x.t().zero_(), VIEW_OF_LEAF),
    (lambda x: x.view(4).copy_(x.detach().view(4)), VIEW_OF_LEAF),
])
def test_in_place_on_leaf_refused(action, message, device):
    x = clgrad.ones(2, 2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        action(x)
    assert str(err.value) == message
    assert x.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with clgrad.no_grad():
        action(x)  # allowed outside grad mode
    x.detach()[0].fill_(5)  # a detached view is outside the graph


@pytest.mark.parametrize("action, message", [
    (lambda y: y.split(1)[1].fill_(0), "Output 1 of Split is"),
    (lambda y: y.chunk(2)[0].zero_(), "Output 0 of Split is"),
    (lambda y: y.split([1, 1])[1].copy_(y[0]), "Output 1 of SplitWithSizes is"),
    (lambda y: y.unbind(1)[1].fill_(0), "Output 1 of Unbind is"),
    (lambda y: y.unbind()[0][1:].fill_(0), "Output 0 of Slice is"),
])
def test_in_place_on_multi_output_views_refused(action, message, device):
    x = clgrad.ones(2, 2, device=device, requires_grad=True)
    y = x.clone()
    with pytest.raises(RuntimeError, match="^" + message + " a view and is being modified "
                       "inplace. This view is the output of a function that returns multiple "
                       "views."):
        action(y)
    y.tensor_split(2)[0].fill_(3)  # separate slices may be written
    assert y.tolist()[0] == [3.0, 3.0]


def test_out_arguments_refuse_autograd(device):
    x = clgrad.ones(2, 2, device=device, requires_grad=True)
    out = clgrad.empty(4, 2, device=device)
    with pytest.raises(RuntimeError, match=r"^cat\(\): functions with out=\.\.\. arguments "
                       "don't support automatic differentiation, but one of the arguments "
                       "requires grad."):
        clgrad.cat([x, x], out=out)
    with pytest.raises(RuntimeError, match=r"^tril\(\): functions with out="):
        clgrad.tril(x, out=clgrad.empty(2, 2, device=device))
    with clgrad.no_grad():
        clgrad.cat([x, x], out=out)
    assert out.tolist() == [[1.0, 1.0]] * 4


@pytest.mark.parametrize("write", [
    lambda y: y.__setitem__(0, 1.0),
    lambda y: y[1:].fill_(2.0),
    lambda y: y.copy_(y.detach() + 1),
    lambda y: y.view(2, 1).zero_(),
    lambda y: y.tril_() if y.dim() >= 2 else y.unsqueeze(0).tril_(),
])
def test_writing_a_saved_tensor_fails_backward(write, device):
    x = clgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x.clone()
    z = Square.apply(y)
    version = y._version[0]
    write(y)
    assert y._version[0] == version + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward(clgrad.ones(2, device=device))


def test_creation_requires_grad(device):
    for make in (lambda: clgrad.zeros(2, dtype=clgrad.int64, device=device, requires_grad=True),
                 lambda: clgrad.tensor([1, 2], device=device, requires_grad=True),
                 lambda: clgrad.arange(3, device=device, requires_grad=True),
                 lambda: clgrad.full((2,), 1, device=device, requires_grad=True)):
        with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex "
                           "dtype can require gradients$"):
            make()
    for t in (clgrad.ones(2, device=device, requires_grad=True),
              clgrad.arange(3.0, device=device, requires_grad=True),
              clgrad.eye(2, device=device, requires_grad=True),
              clgrad.ones_like(clgrad.empty(2), requires_grad=True),
              clgrad.empty(1, device=device).new_zeros(2, requires_grad=True)):
        assert t.requires_grad and t.is_leaf and t.grad_fn is None
    x = clgrad.ones(2, device=device, requires_grad=True)
    assert not clgrad.tensor(x).requires_grad and not clgrad.empty_like(x).requires_grad
