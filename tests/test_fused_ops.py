"""Fused ops (softmax, losses, norms, conv helpers, pooling) double-backward as PyTorch does.

For each op: the first-order gradient taken with create_graph=True carries PyTorch's node
name (NllLossBackwardBackward0, SoftmaxBackwardDataBackward0, ...), first and second
derivatives equal torch's (where it is installed), and gradgradcheck passes in float64 on
every device. A last test keeps nn/ and optim/ off the backends: they use Tensor ops and
clgrad.ops.fused only.
"""
import ast
import pathlib

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F
from helpers import skip_without_fp64

RNG = np.random.default_rng(7)


def _arr(*shape):
    return RNG.standard_normal(shape)


T4 = np.array([1, 0, 4, 2])
T4_IGNORE = np.array([1, -100, 4, 2])
W5 = RNG.random(5) + 0.5
T_2D = RNG.integers(0, 3, (2, 3, 4))
T_KD = RNG.integers(0, 3, (2, 5))
PROBS = RNG.random((4, 5))
PROBS /= PROBS.sum(1, keepdims=True)
W3 = RNG.random(3) + 0.5
RUN_MEAN, RUN_VAR = RNG.standard_normal(3), RNG.random(3) + 0.5

# id -> (input arrays, fn(F, const, *inputs)); const(array) makes a constant tensor on the
# library and device under test. Shapes are small: gradgradcheck differentiates numerically.
CASES = {
    "softmax": ((_arr(4, 5),), lambda F, c, x: F.softmax(x, 1)),
    "softmax_dim0_3d": ((_arr(3, 2, 2),), lambda F, c, x: F.softmax(x, 0)),
    "log_softmax": ((_arr(4, 5),), lambda F, c, x: F.log_softmax(x, -1)),
    "log_softmax_3d": ((_arr(2, 3, 2),), lambda F, c, x: F.log_softmax(x, 1)),
    "nll_mean": ((_arr(4, 5),), lambda F, c, x: F.nll_loss(x, c(T4))),
    "nll_sum": ((_arr(4, 5),), lambda F, c, x: F.nll_loss(x, c(T4), reduction="sum")),
    "nll_none": ((_arr(4, 5),), lambda F, c, x: F.nll_loss(x, c(T4), reduction="none")),
    "nll_weight_ignore": ((_arr(4, 5),), lambda F, c, x: F.nll_loss(
        x, c(T4_IGNORE), weight=c(W5))),
    "nll_1d_input": ((_arr(5),), lambda F, c, x: F.nll_loss(x, c(np.array(3)))),
    "nll_2d": ((_arr(2, 3, 3, 4),), lambda F, c, x: F.nll_loss(x, c(T_2D))),
    "nll_kd": ((_arr(2, 3, 5),), lambda F, c, x: F.nll_loss(x, c(T_KD), reduction="none")),
    "cross_entropy": ((_arr(4, 5),), lambda F, c, x: F.cross_entropy(x, c(T4))),
    "cross_entropy_weight_smoothing": ((_arr(4, 5),), lambda F, c, x: F.cross_entropy(
        x, c(T4_IGNORE), weight=c(W5), label_smoothing=0.1)),
    "cross_entropy_probs": ((_arr(4, 5),), lambda F, c, x: F.cross_entropy(x, c(PROBS))),
    "layer_norm": ((_arr(3, 4),), lambda F, c, x: F.layer_norm(x, (4,))),
    "layer_norm_affine": ((_arr(2, 3, 4), _arr(3, 4), _arr(3, 4)),
                          lambda F, c, x, w, b: F.layer_norm(x, (3, 4), w, b)),
    "group_norm": ((_arr(2, 4, 3), _arr(4), _arr(4)),
                   lambda F, c, x, w, b: F.group_norm(x, 2, w, b)),
    "batch_norm_train": ((_arr(4, 3, 2), _arr(3), _arr(3)),
                         lambda F, c, x, w, b: F.batch_norm(x, None, None, w, b, True)),
    "batch_norm_eval": ((_arr(4, 3, 2), _arr(3), _arr(3)), lambda F, c, x, w, b: F.batch_norm(
        x, c(RUN_MEAN), c(RUN_VAR), w, b, False)),
    "instance_norm": ((_arr(2, 3, 4),), lambda F, c, x: F.instance_norm(x)),
    "conv2d": ((_arr(2, 2, 4, 4), _arr(3, 2, 2, 2), _arr(3)),
               lambda F, c, x, w, b: F.conv2d(x, w, b, stride=1, padding=1)),
    "conv2d_groups_stride": ((_arr(1, 4, 5, 5), _arr(4, 2, 3, 3)),
                             lambda F, c, x, w: F.conv2d(x, w, stride=2, groups=2)),
    "conv1d": ((_arr(2, 2, 6), _arr(3, 2, 3)), lambda F, c, x, w: F.conv1d(x, w, padding=1)),
    "conv_transpose2d": ((_arr(1, 2, 3, 3), _arr(2, 3, 2, 2), _arr(3)),
                         lambda F, c, x, w, b: F.conv_transpose2d(x, w, b, stride=2)),
    "conv_transpose2d_output_padding_past_stride": (
        (_arr(1, 2, 3, 4), _arr(2, 1, 2, 2)), lambda F, c, x, w: F.conv_transpose2d(
            x, w, stride=1, dilation=2, output_padding=1)),
    "unfold": ((_arr(1, 2, 4, 4),), lambda F, c, x: F.unfold(x, 2, padding=1)),
    "fold": ((_arr(1, 8, 9),), lambda F, c, x: F.fold(x, (4, 4), 2, stride=1)),
    "max_pool2d": ((_arr(1, 2, 4, 5),), lambda F, c, x: F.max_pool2d(x, 2, ceil_mode=True)),
    "avg_pool2d": ((_arr(1, 2, 4, 5),), lambda F, c, x: F.avg_pool2d(
        x, 3, 2, padding=1, count_include_pad=False)),
    "max_pool1d": ((_arr(2, 2, 7),), lambda F, c, x: F.max_pool1d(x, 3, 2)),
    "avg_pool1d": ((_arr(2, 2, 7),), lambda F, c, x: F.avg_pool1d(x, 2)),
    "adaptive_max_pool2d": ((_arr(1, 2, 5, 4),), lambda F, c, x: F.adaptive_max_pool2d(
        x, (2, 3))),
    "adaptive_avg_pool2d": ((_arr(1, 2, 5, 4),), lambda F, c, x: F.adaptive_avg_pool2d(
        x, (3, 2))),
    "adaptive_max_pool1d": ((_arr(2, 2, 7),), lambda F, c, x: F.adaptive_max_pool1d(x, 3)),
    "adaptive_avg_pool1d": ((_arr(2, 2, 7),), lambda F, c, x: F.adaptive_avg_pool1d(x, 3)),
    "max_pool3d": ((_arr(1, 1, 4, 4, 4),), lambda F, c, x: F.max_pool3d(x, 2)),
    "max_pool3d_pad_dilation_ceil": ((_arr(1, 2, 5, 4, 5),), lambda F, c, x: F.max_pool3d(
        x, (3, 2, 2), (2, 1, 2), padding=(1, 1, 0), dilation=(1, 2, 1), ceil_mode=True)),
    "avg_pool3d": ((_arr(1, 1, 4, 4, 4),), lambda F, c, x: F.avg_pool3d(x, 2)),
    "avg_pool3d_pad_ceil_exclude": ((_arr(1, 2, 5, 4, 5),), lambda F, c, x: F.avg_pool3d(
        x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False)),
    "avg_pool3d_divisor": ((_arr(2, 4, 3, 5),), lambda F, c, x: F.avg_pool3d(
        x, (2, 2, 3), divisor_override=5)),
    "adaptive_max_pool3d": ((_arr(1, 1, 4, 4, 3),), lambda F, c, x: F.adaptive_max_pool3d(
        x, 2)),
    "adaptive_max_pool3d_uneven": ((_arr(1, 2, 5, 3, 4),), lambda F, c, x: F.adaptive_max_pool3d(
        x, (3, 2, 3))),
    "adaptive_avg_pool3d": ((_arr(1, 1, 4, 4, 3),), lambda F, c, x: F.adaptive_avg_pool3d(
        x, 2)),
    "adaptive_avg_pool3d_uneven": ((_arr(2, 5, 3, 4),), lambda F, c, x: F.adaptive_avg_pool3d(
        x, (3, None, 3))),
    "conv3d": ((_arr(2, 2, 3, 4, 3), _arr(3, 2, 2, 2, 2), _arr(3)),
               lambda F, c, x, w, b: F.conv3d(x, w, b, padding=1)),
    "conv3d_groups_stride_dilation": ((_arr(1, 4, 5, 4, 5), _arr(4, 2, 2, 2, 3)),
                                      lambda F, c, x, w: F.conv3d(
                                          x, w, stride=(2, 1, 2), dilation=(2, 1, 1),
                                          padding=(1, 0, 1), groups=2)),
    "conv3d_pointwise": ((_arr(2, 3, 2, 3, 2), _arr(2, 3, 1, 1, 1)),
                         lambda F, c, x, w: F.conv3d(x, w)),
    "conv_transpose3d": ((_arr(1, 2, 2, 3, 2), _arr(2, 3, 2, 2, 2), _arr(3)),
                         lambda F, c, x, w, b: F.conv_transpose3d(x, w, b, stride=2)),
    "conv_transpose3d_groups_padding": ((_arr(1, 4, 3, 2, 3), _arr(4, 1, 3, 2, 2)),
                                        lambda F, c, x, w: F.conv_transpose3d(
                                            x, w, stride=(2, 1, 2), padding=(1, 0, 1),
                                            output_padding=(1, 0, 0), groups=2,
                                            dilation=(1, 2, 1))),
}


def _scalar(lib, out, const):
    """A scalar of out, weighted unequally and squared: its gradient depends on the inputs,
    so the second derivative must take the paths through the incoming gradient too."""
    weights = np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape))
    return (out * out * const(weights)).sum()


def _derivatives(lib, F_, fn, arrays, const_of, make):
    """(first-order gradients, their node names, second-order gradients) of fn at arrays."""
    xs = [make(a) for a in arrays]
    const = const_of
    grads = lib.autograd.grad(_scalar(lib, fn(F_, const, *xs), const), xs, create_graph=True)
    names = [type(g.grad_fn).__name__ if g.grad_fn is not None else None for g in grads]
    probe = sum((g * const(np.cos(np.arange(g.numel())).reshape(tuple(g.shape)))).sum()
                + (g * g).sum() for g in grads if g.requires_grad)
    second = [None] * len(xs)
    if not isinstance(probe, int):
        second = lib.autograd.grad(probe, xs, allow_unused=True)
    as_np = [None if g is None else g.detach().cpu().numpy() for g in grads]
    return as_np, names, [None if g is None else g.detach().cpu().numpy() for g in second]


def _clgrad_side(fn, arrays, device):
    def const(a):
        a = np.asarray(a)
        return clgrad.tensor(a, dtype=clgrad.float64 if a.dtype.kind == "f" else clgrad.int64,
                             device=device)

    def make(a):
        return clgrad.tensor(a, dtype=clgrad.float64, device=device, requires_grad=True)
    return _derivatives(clgrad, F, fn, arrays, const, make)


@pytest.mark.parametrize("case", sorted(CASES))
def test_double_backward_matches_torch(device, case):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    arrays, fn = CASES[case]

    def const(a):
        a = np.asarray(a)
        return torch.tensor(a, dtype=torch.float64 if a.dtype.kind == "f" else torch.int64)

    def make(a):
        return torch.tensor(a, dtype=torch.float64, requires_grad=True)

    want, want_names, want_second = _derivatives(torch, torch.nn.functional, fn, arrays,
                                                 const, make)
    got, names, second = _clgrad_side(fn, arrays, device)
    assert names == want_names
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9)
    for g, w in zip(second, want_second):
        # allow_unused: one side may report no path where the other reports zeros
        g = np.zeros_like(w) if g is None and w is not None else g
        w = np.zeros_like(g) if w is None and g is not None else w
        if g is not None:
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradgradcheck(device, case):
    skip_without_fp64(device)
    arrays, fn = CASES[case]

    def const(a):
        a = np.asarray(a)
        return clgrad.tensor(a, dtype=clgrad.float64 if a.dtype.kind == "f" else clgrad.int64,
                             device=device)

    xs = [clgrad.tensor(a, dtype=clgrad.float64, device=device, requires_grad=True)
          for a in arrays]
    assert clgrad.autograd.gradgradcheck(lambda *t: fn(F, const, *t), xs)


def test_nll_loss_gradient_has_history(device):
    """The issue's example: the gradient of nll_loss under create_graph records its node,
    even when the incoming gradient (a plain .sum()'s ones) has none."""
    x = clgrad.tensor(_arr(3, 4), device=device, requires_grad=True)
    target = clgrad.tensor([0, 3, 1], device=device)
    (g,) = clgrad.autograd.grad(F.nll_loss(x, target), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "NllLossBackwardBackward0"
    (gg,) = clgrad.autograd.grad(g.sum(), x)
    assert gg.abs().sum().item() == 0.0  # linear in x: the second derivative is zero


def test_backward_without_create_graph_records_nothing(device):
    x = clgrad.tensor(_arr(2, 3, 4, 4), dtype=clgrad.float32, device=device,
                      requires_grad=True)
    w = clgrad.tensor(_arr(3), dtype=clgrad.float32, device=device, requires_grad=True)
    out = F.max_pool2d(F.group_norm(F.conv2d(x, x[:2, :, :2, :2].detach()), 1), 2)
    (F.log_softmax(out.flatten(1), 1).sum() + F.layer_norm(x, (4,)).sum() * w.sum()).backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    assert w.grad.grad_fn is None


# -- nn/ and optim/ touch no backend ---------------------------------------------------------
PACKAGE = pathlib.Path(clgrad.__file__).parent
FORBIDDEN_MODULES = {"backends", "kernels"}
# Public API names PyTorch gives nn.attention: SDPBackend and sdpa_kernel(backends) choose
# among attention implementations, not clgrad backends.
ALLOWED_NAMES = {("nn/attention/__init__.py", "SDPBackend"),
                 ("nn/attention/__init__.py", "backends")}
# Backend kernel methods no nn/optim code may call (ops.fused calls them). Names a kernel
# shares with a Tensor or functional name (softmax, im2col, norm_apply ...) are left out:
# the _storage / backend checks already stop every way of reaching a backend.
KERNELS = {"softmax_backward", "nll", "nll_backward", "norm_bwd_sums", "norm_bwd_apply",
           "pool_forward", "pool_backward", "optim_step", "gemm", "pointwise", "index_map",
           "gather_dim", "scatter_dim", "random_fill", "philox_raw", "to_host", "from_host"}


def _kernel_names() -> set:
    """KERNELS, checked to be methods of every available backend (the list stays current)."""
    for device in ["cpu"] + (["cl"] if clgrad.cl.is_available() else []):
        backend = type(clgrad.zeros(1, device=device)._storage.backend)
        assert KERNELS <= set(dir(backend)), KERNELS - set(dir(backend))
    return KERNELS


def _identifiers(node):
    """The names a syntax node introduces or reads, with what kind of name each is."""
    if isinstance(node, ast.Name):
        yield "uses", node.id
    elif isinstance(node, ast.Attribute):
        yield "uses .", node.attr
    elif isinstance(node, ast.arg):
        yield "names an argument", node.arg
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield "defines", node.name
    elif isinstance(node, ast.alias):
        yield "imports the name", node.asname or node.name


def _offences(source: str, rel: str, kernels: set) -> list:
    """Each backend reference in `source` (the file at `rel` under clgrad/)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".") + [a.name for a in node.names]
            if FORBIDDEN_MODULES & set(parts):
                found.append(f"{where} imports {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if FORBIDDEN_MODULES & set(alias.name.split(".")):
                    found.append(f"{where} imports {alias.name}")
        for kind, name in _identifiers(node):
            if (rel, name) in ALLOWED_NAMES:
                continue
            if "backend" in name.lower() or name == "_storage" or (
                    kind == "uses ." and name in kernels):
                found.append(f"{where} {kind}{'' if kind.endswith('.') else ' '}{name}")
    return found


def test_nn_and_optim_use_no_backend():
    kernels = _kernel_names()
    files = sorted(PACKAGE.glob("nn/**/*.py")) + sorted(PACKAGE.glob("optim/**/*.py"))
    assert len(files) > 20
    offences = [o for f in files for o in _offences(
        f.read_text(encoding="utf-8"), f.relative_to(PACKAGE).as_posix(), kernels)]
    assert offences == []


def test_backend_check_flags_each_kind_of_reference():
    """The check above is not vacuous: it flags each kind of reference it looks for."""
    code = ("from ...backends import cpu\nimport clgrad.kernels\n"
            "def f(x, backend):\n    x._storage.backend.nll_backward(x)\n    return x.view\n"
            "class SDPBackend:\n    pass\n")
    found = _offences(code, "nn/sample.py", _kernel_names())
    assert sorted(found) == sorted([
        "nn/sample.py:1 imports backends", "nn/sample.py:2 imports clgrad.kernels",
        "nn/sample.py:3 names an argument backend", "nn/sample.py:4 uses .nll_backward",
        "nn/sample.py:4 uses .backend", "nn/sample.py:4 uses ._storage",
        "nn/sample.py:6 defines SDPBackend"])
