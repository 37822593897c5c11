"""The autograd engine's semantics, exercised through custom Functions (API §3)."""
from __future__ import annotations

import threading

import pytest

import clgrad
from clgrad.autograd import Function
from helpers import Square, leaf


class MulConst(Function):
    """y = x * k for a Python number k: backward returns None for the non-tensor input."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k, None


class SplitTwo(Function):
    """Two outputs; the second is marked non-differentiable."""

    @staticmethod
    def forward(ctx, x):
        doubled = x * 2
        flag = x > 0
        ctx.mark_non_differentiable(flag)
        return doubled, flag

    @staticmethod
    def backward(ctx, grad_doubled, grad_flag):
        return grad_doubled * 2


def test_graph_structure_and_names(device):
    x = leaf([1.0, 2.0], device)
    y = Square.apply(x)
    assert y.requires_grad and not y.is_leaf and x.is_leaf
    assert type(y.grad_fn).__name__ == "SquareBackward"
    (edge,) = y.grad_fn.next_functions
    assert type(edge[0]).__name__ == "AccumulateGrad" and edge[1] == 0
    assert edge[0].variable is x
    z = MulConst.apply(y, 3.0)
    assert z.grad_fn.next_functions[0][0] is y.grad_fn
    assert z.grad_fn.next_functions[1] == (None, 0)


def test_backward_accumulates(device):
    x = leaf([1.0, -3.0], device)
    Square.apply(x).backward(clgrad.ones(2, dtype=clgrad.float64, device=device))
    assert x.grad.tolist() == [2.0, -6.0]
    Square.apply(x).backward(clgrad.ones(2, dtype=clgrad.float64, device=device))
    assert x.grad.tolist() == [4.0, -12.0]
    assert x.grad.device == x.device


def test_scalar_outputs_seed_ones_and_others_need_gradient(device):
    x = leaf([3.0], device)
    Square.apply(x).backward()
    assert x.grad.tolist() == [6.0]
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        Square.apply(leaf([1.0, 2.0], device)).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        clgrad.ones(1, device=device).backward()


def test_graph_is_freed_unless_retained(device):
    x = leaf([2.0], device)
    y = Square.apply(x)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_autograd_grad_leaves_dot_grad_alone(device):
    x = leaf([1.5], device)
    w = leaf([4.0], device)
    y = MulConst.apply(Square.apply(x), 2.0)
    (gx,) = clgrad.autograd.grad(y, x)
    assert gx.tolist() == [6.0] and x.grad is None
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        clgrad.autograd.grad(MulConst.apply(x, 1.0), [x, w])
    gx, gw = clgrad.autograd.grad(MulConst.apply(x, 1.0), [x, w], allow_unused=True)
    assert gx.tolist() == [1.0] and gw is None
    gx, gw = clgrad.autograd.grad(MulConst.apply(x, 1.0), [x, w], materialize_grads=True)
    assert gw.tolist() == [0.0]
    assert not gw.requires_grad
    # Under create_graph the zeros require grad, as torch.zeros_like(requires_grad=True) does.
    _, gw = clgrad.autograd.grad(MulConst.apply(x, 1.0), [x, w], create_graph=True,
                                 materialize_grads=True)
    assert gw.requires_grad and gw.grad_fn is None


def test_grad_of_non_leaf_input(device):
    x = leaf([3.0], device)
    y = Square.apply(x)
    z = MulConst.apply(y, 5.0)
    (gy,) = clgrad.autograd.grad(z, y)
    assert gy.tolist() == [5.0]


def test_backward_inputs_restricts_accumulation(device):
    x = leaf([1.0], device)
    w = leaf([2.0], device)
    y = MulConst.apply(Square.apply(x), 1.0)
    z = MulConst.apply(Square.apply(w), 1.0)
    clgrad.autograd.backward([y, z], inputs=[w])
    assert x.grad is None and w.grad.tolist() == [4.0]
    with pytest.raises(RuntimeError, match="cannot be empty"):
        clgrad.autograd.backward([y], inputs=[])


def test_tensor_hooks_and_retain_grad(device):
    x = leaf([1.0, 2.0], device)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    y = Square.apply(x)
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    MulConst.apply(y, 1.0).backward(clgrad.ones(2, dtype=clgrad.float64, device=device))
    assert seen == [[4.0, 8.0]]
    assert x.grad.tolist() == [40.0, 80.0]
    assert y.retains_grad and y.grad is not None
    handle.remove()
    x.grad = None
    MulConst.apply(Square.apply(x), 1.0).backward(clgrad.ones(2, dtype=clgrad.float64,
                                                              device=device))
    assert x.grad.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        clgrad.ones(1, device=device).register_hook(lambda g: g)


def test_grad_modes_stop_recording(device):
    x = leaf([1.0], device)
    with clgrad.no_grad():
        assert not Square.apply(x).requires_grad
        with clgrad.enable_grad():
            assert Square.apply(x).requires_grad
    with clgrad.set_grad_enabled(False):
        assert not clgrad.is_grad_enabled()
    assert clgrad.is_grad_enabled()
    with clgrad.inference_mode():
        assert not Square.apply(x).requires_grad

    @clgrad.no_grad()
    def decorated():
        return Square.apply(x)

    assert not decorated().requires_grad


def test_grad_mode_is_thread_local():
    results = []
    with clgrad.no_grad():
        thread = threading.Thread(target=lambda: results.append(clgrad.is_grad_enabled()))
        thread.start()
        thread.join()
    assert results == [True]


def test_saved_tensor_modified_in_place_raises(device):
    x = leaf([1.0, 2.0], device)
    y = MulConst.apply(x, 1.0)
    z = Square.apply(y)
    with clgrad.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward(clgrad.ones(2, dtype=clgrad.float64, device=device))


def test_function_context_features(device):
    x = leaf([-1.0, 2.0], device)
    doubled, flag = SplitTwo.apply(x)
    assert doubled.requires_grad and not flag.requires_grad
    doubled.backward(clgrad.ones(2, dtype=clgrad.float64, device=device))
    assert x.grad.tolist() == [2.0, 2.0]

    class NeedsGrad(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.flags = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    a = leaf([1.0], device)
    b = clgrad.ones(1, dtype=clgrad.float64, device=device)
    out = NeedsGrad.apply(a, b)
    assert out.grad_fn._ctx.flags == (True, False)


def test_materialize_grads_off_passes_none(device):
    received = []

    class TwoOut(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            received.append((g1 is None, g2 is None))
            return g1 if g1 is not None else g2

    x = leaf([1.0], device)
    first, _ = TwoOut.apply(x)
    first.backward()
    assert received == [(False, True)]


def test_setup_context_style(device):
    class Cube(Function):
        @staticmethod
        def forward(x):
            return x * x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = leaf([2.0], device)
    Cube.apply(x).backward()
    assert x.grad.tolist() == [12.0]


def test_leaf_grad_is_never_an_alias(device):
    x = leaf([1.0, 2.0], device)
    w = leaf([3.0, 4.0], device)

    class Both(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad  # the same tensor to both inputs

    seed = clgrad.ones(2, dtype=clgrad.float64, device=device)
    Both.apply(x, w).backward(seed)
    x.grad.add_(5)
    assert w.grad.tolist() == [1.0, 1.0] and seed.tolist() == [1.0, 1.0]
