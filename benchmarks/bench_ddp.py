"""DistributedDataParallel on this machine: allreduce bandwidth, training throughput with 1
and 2 processes, and how much of the allreduce is hidden behind backward.

Run: python benchmarks/bench_ddp.py [--devices cpu,cl:0] [--steps 30]
It starts itself under mpiexec -n 1 and -n 2 (clgrad.distributed.run's mpiexec). Throughput
is weak scaling: every rank trains on its own batch of the given size, so ideal 2-process
throughput is twice 1-process; on a 2-core machine both ranks share the cores, which bounds
the efficiency. Hidden fraction = 1 - (backward with DDP - backward under no_sync) / time of
a blocking allreduce of the same gradients.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import clgrad  # noqa: E402
from _common import parse_args, parser  # noqa: E402
import clgrad.distributed as dist  # noqa: E402
from clgrad.distributed.run import find_mpiexec  # noqa: E402

nn = clgrad.nn


def sync(device):
    if str(device).startswith("cl"):
        clgrad.cl.synchronize()


def bench_allreduce(devices):
    for dev in devices:
        for mb in (1, 10, 100):
            t = clgrad.zeros(mb * 1024 * 1024 // 4, device=dev)
            dist.all_reduce(t)
            dist.barrier()
            reps = 5 if mb < 100 else 2
            start = time.perf_counter()
            for _ in range(reps):
                dist.all_reduce(t)
            sync(dev)
            seconds = (time.perf_counter() - start) / reps
            if dist.get_rank() == 0:
                print(f"allreduce {dev:5s} {mb:4d} MB: {seconds * 1e3:8.2f} ms, "
                      f"{mb / seconds:8.1f} MB/s", flush=True)


def models(dev):
    from digits import Net
    two_layer = (nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10)),
                 (64, 1000), lambda out: out.square().sum())
    digits = (Net(), (32, 1, 8, 8), lambda out: out.logsumexp(1).sum())
    return {"two-layer": two_layer, "digits": digits}


def bench_training(devices, steps):
    world = dist.get_world_size()
    for dev in devices:
        for name, (module, shape, loss_fn) in models(dev).items():
            module = module.to(dev)
            model = nn.parallel.DistributedDataParallel(module) if world > 1 else module
            opt = clgrad.optim.SGD(model.parameters(), lr=1e-4)
            x = clgrad.randn(*shape, device=dev)
            backward_sync, backward_local = [], []
            for i in range(steps + 3):
                opt.zero_grad()
                loss = loss_fn(model(x))
                sync(dev)
                t0 = time.perf_counter()
                if world > 1 and i % 2:
                    with model.no_sync():
                        loss = loss_fn(model(x))
                        sync(dev)
                        t0 = time.perf_counter()
                        loss.backward()
                        sync(dev)
                    backward_local.append(time.perf_counter() - t0)
                else:
                    loss.backward()
                    sync(dev)
                    backward_sync.append(time.perf_counter() - t0)
                opt.step()
                if i == 2:
                    dist.barrier()
                    start = time.perf_counter()
            sync(dev)
            elapsed = time.perf_counter() - start
            samples = shape[0] * world * (steps)
            line = f"train {dev:5s} {name:9s} {world} proc: {samples / elapsed:9.1f} samples/s"
            if world > 1:
                grads = [p.grad for p in module.parameters()]
                flat = clgrad.cat([g.reshape(-1) for g in grads])
                dist.barrier()
                t0 = time.perf_counter()
                for _ in range(5):
                    dist.all_reduce(flat)
                sync(dev)
                comm = (time.perf_counter() - t0) / 5
                with_comm = sorted(backward_sync)[len(backward_sync) // 2]
                local = sorted(backward_local)[len(backward_local) // 2]
                hidden = 1 - max(with_comm - local, 0) / comm
                line += (f" (backward {local * 1e3:.2f} ms local, {with_comm * 1e3:.2f} ms with "
                         f"DDP; allreduce alone {comm * 1e3:.2f} ms; hidden "
                         f"{100 * max(min(hidden, 1), 0):.0f}%)")
            if dist.get_rank() == 0:
                print(line, flush=True)


def worker(args):
    dist.init_process_group("mpi")
    devices = args.devices.split(",")
    if dist.get_world_size() > 1:
        bench_allreduce(devices)
    bench_training(devices, args.steps)
    dist.destroy_process_group()


def main():
    cli = parser(__doc__.splitlines()[0])
    default = "cpu,cl:0" if clgrad.cl.is_available() else "cpu"
    cli.add_argument("--devices", default=default)
    cli.add_argument("--steps", type=int, default=30)
    cli.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parse_args(cli, header="--worker" not in sys.argv)  # no torch: clgrad only
    if args.worker:
        return worker(args)
    mpiexec = find_mpiexec()
    if mpiexec is None:
        sys.exit("bench_ddp: no mpiexec (pip install 'clgrad[distributed]')")
    for n in (1, 2):
        # As clgrad.distributed.run (and torchrun) do: one BLAS thread per rank when several
        # ranks share the cores; the 1-process run keeps every core.
        env = dict(os.environ)
        if n > 1:
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                env.setdefault(var, "1")
        subprocess.run([mpiexec, "-n", str(n), sys.executable, os.path.abspath(__file__),
                        "--worker", "--devices", args.devices, "--steps", str(args.steps)],
                       check=True, env=env)


if __name__ == "__main__":
    main()
