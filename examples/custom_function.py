"""A custom autograd.Function, as in PyTorch's "learning by examples", on an OpenCL device.

    python examples/custom_function.py [--device cl:0 | cpu] [--steps 2000]

Fits y = sin(x) on [-pi, pi] with y = a + b * P3(c + d * x), where P3(x) = (5x^3 - 3x) / 2 is
the Legendre polynomial of degree three, written as a clgrad.autograd.Function with its own
forward and backward. The Function's gradient is first checked with gradcheck in float64; the
parameters are then fitted by plain gradient descent. Prints the loss every 100 steps.
"""
from __future__ import annotations

import argparse
import math
import time

import clgrad


class LegendrePolynomial3(clgrad.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2 with a hand-written backward: dP3/dx = (15x^2 - 3) / 2."""

    @staticmethod
    def forward(ctx, input: clgrad.Tensor) -> clgrad.Tensor:
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output: clgrad.Tensor) -> clgrad.Tensor:
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = "cl" if clgrad.cl.is_available() else "cpu"
    parser.add_argument("--device", default=default, help=f"default: {default}")
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args(argv)
    device = clgrad.device(args.device)

    # The hand-written backward agrees with finite differences (float64, on the same device
    # when it has doubles).
    check_on = device if device.type == "cpu" or \
        clgrad.cl.get_device_properties(device.index or 0).fp64 else clgrad.device("cpu")
    probe = clgrad.randn(8, dtype=clgrad.float64, device=check_on, requires_grad=True)
    assert clgrad.autograd.gradcheck(LegendrePolynomial3.apply, (probe,))
    print(f"gradcheck of LegendrePolynomial3 on {check_on}: ok")

    x = clgrad.linspace(-math.pi, math.pi, 2000, device=device)
    y = clgrad.sin(x)
    # Weights start near the solution: far from it the cubic makes gradient descent diverge.
    a = clgrad.full((), 0.0, device=device, requires_grad=True)
    b = clgrad.full((), -1.0, device=device, requires_grad=True)
    c = clgrad.full((), 0.0, device=device, requires_grad=True)
    d = clgrad.full((), 0.3, device=device, requires_grad=True)

    learning_rate = 5e-6
    P3 = LegendrePolynomial3.apply
    first = None
    start = time.perf_counter()
    for t in range(args.steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if first is None:
            first = loss.item()
        if t % 100 == 99:
            print(t + 1, loss.item())
        loss.backward()
        with clgrad.no_grad():
            for p in (a, b, c, d):
                p -= learning_rate * p.grad
                p.grad = None
    final = loss.item()
    elapsed = time.perf_counter() - start
    print(f"Result: y = {a.item():.4g} + {b.item():.4g} * P3({c.item():.4g} + {d.item():.4g} x)")
    print(f"custom Function on {device}: loss {first:.6g} -> {final:.6g} in {args.steps} steps, "
          f"{elapsed / max(args.steps, 1) * 1e3:.2f} ms/step")
    return final / first


if __name__ == "__main__":
    main()
