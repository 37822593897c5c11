"""A tour of autograd, ported from the usage document's Autograd section.

    python examples/autograd_tour.py [--device cl:0 | cpu]

Setting ``requires_grad=True`` on a tensor records every operation on it in a graph of
Functions; ``.backward()`` walks the graph back and accumulates gradients into ``.grad``.
``.detach()`` and ``with clgrad.no_grad():`` stop the recording, ``requires_grad_()`` turns it
on in place, and ``clgrad.autograd.Function`` defines new differentiable operations. Each
result is checked, so the tour stops with an error if anything is wrong.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import clgrad
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import clgrad

from _plotting import pick_device


def check(t, expected) -> None:
    np.testing.assert_allclose(t.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)


def basics(device) -> None:
    print("== requires_grad, grad_fn and backward ==")
    x = clgrad.ones(2, 2, requires_grad=True, device=device)
    print("x =", x)
    y = x + 2
    print("y = x + 2 =", y)
    print("y.grad_fn:", y.grad_fn)  # y was made by an operation, so it has a grad_fn
    print("x.grad_fn (made by the user):", x.grad_fn)
    z = y * y * 3
    out = z.mean()
    print("z = y * y * 3 =", z)
    print("out = z.mean() =", out)
    out.backward()
    # out = 1/4 sum 3 (x + 2)^2, so d(out)/dx = 3/2 (x + 2) = 4.5 at x = 1
    print("after out.backward(), x.grad =", x.grad)
    check(x.grad, np.full((2, 2), 4.5))


def requires_grad_flag(device) -> None:
    print("\n== requires_grad_ changes the flag in place ==")
    a = clgrad.randn(2, 2, device=device)
    a = (a * 3) / (a - 1)
    print("a.requires_grad:", a.requires_grad)
    a.requires_grad_(True)
    print("after a.requires_grad_(True):", a.requires_grad)
    b = (a * a).sum()
    print("b = (a * a).sum(), b.grad_fn:", b.grad_fn)
    assert a.requires_grad and b.grad_fn is not None


def vector_jacobian(device) -> None:
    print("\n== a vector-Jacobian product: y.backward(v) for a non-scalar y ==")
    x = clgrad.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    y = x * x
    v = clgrad.tensor([0.1, 1.0, 0.0001], device=device)
    y.backward(v)
    print("x.grad = v * 2x =", x.grad)
    check(x.grad, [0.2, 4.0, 0.0006])


def stop_tracking(device) -> None:
    print("\n== stopping the recording: no_grad and detach ==")
    x = clgrad.randn(3, requires_grad=True, device=device)
    print("x.requires_grad:", x.requires_grad)
    print("(x ** 2).requires_grad:", (x ** 2).requires_grad)
    with clgrad.no_grad():
        print("inside no_grad, (x ** 2).requires_grad:", (x ** 2).requires_grad)
        assert not (x ** 2).requires_grad
    y = x.detach()
    print("y = x.detach(): y.requires_grad:", y.requires_grad)
    print("x.eq(y).all() (same values, shared storage):", x.eq(y).all())
    assert not y.requires_grad and bool(x.eq(y).all())


class Exp(clgrad.autograd.Function):
    """exp(x), whose derivative is its own result: saved in forward for backward."""

    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


def custom_function(device) -> None:
    print("\n== a custom Function ==")
    x = clgrad.tensor([0.0, 1.0, 2.0], requires_grad=True, device=device)
    y = Exp.apply(x)
    print("y = Exp.apply(x) =", y)
    print("y.grad_fn:", y.grad_fn)
    y.sum().backward()
    print("x.grad (= exp(x)) =", x.grad)
    check(x.grad, np.exp([0.0, 1.0, 2.0]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="default: cl when available, else cpu")
    parser.add_argument("--smoke", action="store_true", help="accepted for the tests; the "
                        "tour is quick anyway")
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    print(f"touring autograd on {device}\n")
    clgrad.manual_seed(0)
    basics(device)
    requires_grad_flag(device)
    vector_jacobian(device)
    stop_tracking(device)
    custom_function(device)
    print("\nall autograd checks passed")


if __name__ == "__main__":
    main()
