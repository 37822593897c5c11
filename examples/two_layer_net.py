"""The two-layer network of PyTorch's "learning by examples", on an OpenCL device.

    python examples/two_layer_net.py [--device cl:0 | cpu] [--optim sgd | adam] [--steps 500]

A fully connected ReLU network with one hidden layer (1000 -> 100 -> 10, batch 64) fitted to
random data with MSELoss(reduction='sum'), exactly as the PyTorch version (rename torch to
clgrad and cuda to cl). Prints the loss every 100 steps and the time per step.
"""
from __future__ import annotations

import argparse
import time

import clgrad
import clgrad.nn as nn


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = "cl" if clgrad.cl.is_available() else "cpu"
    parser.add_argument("--device", default=default, help=f"default: {default}")
    parser.add_argument("--optim", choices=("sgd", "adam"), default="sgd")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    device = clgrad.device(args.device)
    if device.type == "cl":
        # At the first device use: build the kernels a training step needs in a background
        # thread (a few programs, not one per kernel) while the data and model are made; the
        # first step waits for the ones it still needs. Its own random stream: the seed below
        # gives the same run with or without it.
        print(f"compiling kernels for {device} in the background (cached for later runs)")
        clgrad.cl.warmup(device, async_=True)
    clgrad.manual_seed(args.seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = clgrad.randn(N, D_in, device=device)
    y = clgrad.randn(N, D_out, device=device)

    model = nn.Sequential(nn.Linear(D_in, H), nn.ReLU(), nn.Linear(H, D_out)).to(device)
    loss_fn = nn.MSELoss(reduction="sum")
    if args.optim == "sgd":
        optimizer = clgrad.optim.SGD(model.parameters(), lr=1e-4, momentum=0.5)
    else:
        optimizer = clgrad.optim.Adam(model.parameters(), lr=1e-4)

    first = None
    start = time.perf_counter()
    for t in range(args.steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        if first is None:
            first = loss.item()
        if t == 1:
            # the first step builds the kernels (once per machine, then cached): time the rest
            loss.item()
            start = time.perf_counter()
        if t % 100 == 99:
            print(t + 1, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    final = loss.item()  # waits for the device
    elapsed = time.perf_counter() - start
    print(f"{args.optim} on {device}: loss {first:.6g} -> {final:.6g} in {args.steps} steps, "
          f"{elapsed / max(args.steps - 1, 1) * 1e3:.2f} ms/step after the first")
    return final / first


if __name__ == "__main__":
    main()
