"""The usage document's two-layer network, 500 training steps: clgrad on PoCL vs PyTorch CPU.

N=64, 1000-100-10, ReLU, MSELoss(reduction='sum'); SGD (lr=1e-4, momentum=0.5) and Adam
(lr=1e-4). PyTorch starts from the same data and weights, copied from clgrad's, in the same
run; the final losses of both are printed as a check that both did the same work.
Each clgrad device runs eagerly and with the step through clgrad.compile ("compiled").
Run: python benchmarks/bench_two_layer.py [--steps 500] [--cpu]   (--cpu adds clgrad's numpy
backend). Ratios above 1 mean clgrad is faster.
"""
from __future__ import annotations

import time

from _common import (cl_device_or_exit, clgrad, parse_args, parser, report, torch_device,
                     torch_label, torch_or_none, torch_sync)
import clgrad.nn  # noqa: E402,F401
import clgrad.optim  # noqa: E402,F401

N, D_IN, H, D_OUT = 64, 1000, 100, 10


def build(lib, device, optim_name: str, host: dict):
    """Data, model, loss and optimizer in `lib` (clgrad or torch) from the host arrays."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(D_IN, H), nn.ReLU(), nn.Linear(H, D_OUT))
    with lib.no_grad():
        for name, p in model.named_parameters():
            p.copy_(lib.tensor(host[name]))
    model = model.to(device)
    x, y = (lib.tensor(host[k], device=device) for k in ("x", "y"))
    if optim_name == "sgd":
        opt = lib.optim.SGD(model.parameters(), lr=1e-4, momentum=0.5)
    else:
        opt = lib.optim.Adam(model.parameters(), lr=1e-4)
    return model, nn.MSELoss(reduction="sum"), opt, x, y


def train(parts, steps: int, sync, compiled: bool = False) -> tuple:
    """Seconds for `steps` training steps (after two untimed warm-up steps), final loss.
    compiled: the step through clgrad.compile (captured at the second warm-up step)."""
    model, loss_fn, opt, x, y = parts

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    if compiled:
        step = clgrad.compile(step)

    for _ in range(2):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    final = loss.item()  # waits for the device
    return time.perf_counter() - start, final


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--steps", type=int, default=500)
    cli.add_argument("--cpu", action="store_true", help="also time clgrad's cpu backend")
    args = parse_args(cli)
    dev = cl_device_or_exit()
    torch = torch_or_none()
    clgrad.manual_seed(0)
    template = clgrad.nn.Sequential(clgrad.nn.Linear(D_IN, H), clgrad.nn.ReLU(),
                                    clgrad.nn.Linear(H, D_OUT))
    host = {name: p.detach().numpy() for name, p in template.named_parameters()}
    host["x"] = clgrad.randn(N, D_IN).numpy()
    host["y"] = clgrad.randn(N, D_OUT).numpy()

    for optim_name in ("sgd", "adam"):
        devices = [dev] + (["cpu"] if args.cpu else [])
        results = {}
        for d in devices:
            for compiled in (False, True):
                label = f"{d} compiled" if compiled else d
                results[label] = train(build(clgrad, d, optim_name, host), args.steps,
                                       clgrad.cl.synchronize, compiled)
        refs = {}
        if torch:
            # OpenMP's spinning barriers collapse on a busy 2-core machine: time one thread too
            # and compare with PyTorch's better figure.
            default_threads = torch.get_num_threads()
            for threads in sorted({default_threads, 1}, reverse=True):
                torch.set_num_threads(threads)
                refs[f"{torch_label()} {threads}T"] = train(
                    build(torch, torch_device(), optim_name, host), args.steps, torch_sync)
            torch.set_num_threads(default_threads)
        for d, (seconds, final) in results.items():
            report(f"two-layer {optim_name}, {args.steps} steps, {d} (steps/s)",
                   args.steps / seconds, {k: args.steps / v[0] for k, v in refs.items()},
                   "steps/s", higher_is_better=True)
            print(f"    {d}: {seconds:.3f} s, final loss {final:.6g}; " + "; ".join(
                f"{k}: {v[0]:.3f} s, final loss {v[1]:.6g}" for k, v in refs.items()))
            if refs:
                best = min(v[0] for v in refs.values())
                print(f"    clgrad on {d} takes {seconds / best:.2f}x {torch_label()}'s best time "
                      "(issue 5 asks for at most 1.5x)")


if __name__ == "__main__":
    main()
