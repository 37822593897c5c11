"""Run under mpiexec -n 2: DDP with half the batch per rank equals one process with the whole
batch after 20 steps (SGD, Adam; with and without no_sync), on each device in argv."""
import os
import sys

import numpy as np

import clgrad
import clgrad.distributed as dist
nn = clgrad.nn


def make(seed, dev):
    clgrad.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)).to(dev)


def step_grads(model, x, y, micro):
    loss_fn = nn.MSELoss()
    for m in range(micro):
        rows = slice(m * len(x) // micro, (m + 1) * len(x) // micro)
        loss_fn(model(x[rows]), y[rows]).backward()


def share(a, rank, half, micro):
    if not micro:
        return a[rank * half:(rank + 1) * half]
    return np.concatenate([a[m * 4:(m + 1) * 4][rank * half // 2:(rank + 1) * half // 2]
                           for m in range(2)])


def run(dev, opt_name, use_no_sync, rank, world):
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((8, 4)).astype(np.float32),
             rng.standard_normal((8, 3)).astype(np.float32)) for _ in range(20)]
    opt_cls = {"sgd": lambda p: clgrad.optim.SGD(p, lr=0.1, momentum=0.9),
               "adam": lambda p: clgrad.optim.Adam(p, lr=0.01)}[opt_name]
    ddp = nn.parallel.DistributedDataParallel(make(rank, dev), bucket_cap_mb=0.0005)
    opt = opt_cls(ddp.parameters())
    ref = make(0, dev) if rank == 0 else None
    ref_opt = opt_cls(ref.parameters()) if ref is not None else None
    half = 8 // world
    for x, y in data:
        # Each rank holds its share of every micro-batch the one process would see.
        mine, ymine = share(x, rank, half, use_no_sync), share(y, rank, half, use_no_sync)
        xs, ys = clgrad.tensor(mine, device=dev), clgrad.tensor(ymine, device=dev)
        opt.zero_grad()
        if use_no_sync:
            n = len(mine) // 2
            with ddp.no_sync():
                nn.MSELoss()(ddp(xs[:n]), ys[:n]).backward()
            nn.MSELoss()(ddp(xs[n:]), ys[n:]).backward()
        else:
            nn.MSELoss()(ddp(xs), ys).backward()
        opt.step()
        if ref is not None:
            ref_opt.zero_grad()
            step_grads(ref, clgrad.tensor(x, device=dev), clgrad.tensor(y, device=dev),
                       2 if use_no_sync else 1)
            ref_opt.step()
    if ref is not None:
        for (name, a), b in zip(ddp.module.named_parameters(), ref.parameters()):
            np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(),
                                       rtol=1e-4, atol=1e-5, err_msg=name)
    # Both ranks hold identical parameters.
    for p in ddp.parameters():
        other = p.detach().clone()
        dist.broadcast(other, src=0)
        np.testing.assert_array_equal(other.cpu().numpy(), p.detach().cpu().numpy())
    print(f"OK ddp {dev} {opt_name} no_sync={use_no_sync}", flush=True)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(3, 2)
        self.unused = nn.Linear(3, 2)
        self.register_buffer("count", clgrad.zeros(1))

    def forward(self, x):
        return self.used(x)


def extras(dev, rank):
    m = Branchy().to(dev)
    m.count.fill_(float(rank + 5))
    ddp = nn.parallel.DistributedDataParallel(m, find_unused_parameters=True)
    assert ddp.module is m
    assert list(ddp.state_dict())[0].startswith("module."), list(ddp.state_dict())
    m.count.fill_(float(rank + 7))
    ddp(clgrad.ones(2, 3, device=dev) * (rank + 1)).sum().backward()
    assert m.unused.weight.grad is None
    np.testing.assert_allclose(m.used.weight.grad.cpu().numpy(), np.full((2, 3), 3.0))
    assert m.count.item() == 7.0  # broadcast_buffers: rank 0's buffer everywhere
    print(f"OK ddp {dev} find_unused_parameters broadcast_buffers", flush=True)
    ddp2 = nn.parallel.DistributedDataParallel(Branchy().to(dev))
    ddp2(clgrad.ones(2, 3, device=dev)).sum().backward()
    try:
        ddp2(clgrad.ones(2, 3, device=dev))
    except RuntimeError as exc:
        assert "find_unused_parameters=True" in str(exc)
        print(f"OK ddp {dev} unused parameter error", flush=True)


def main(devices):
    with open(os.path.join(os.environ["PID_DIR"], f"pid{os.getpid()}"), "w"):
        pass
    # One log per rank: two ranks writing one pipe can interleave within a line.
    sys.stdout = open(os.path.join(os.environ["PID_DIR"], f"log{os.getpid()}"), "w",
                      buffering=1)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    for dev in devices:
        for opt_name in ("sgd", "adam"):
            for use_no_sync in (False, True):
                run(dev, opt_name, use_no_sync, rank, world)
        extras(dev, rank)
    try:
        nn.parallel.DistributedDataParallel(nn.Linear(2 + rank, 2))
    except RuntimeError as exc:
        assert "DDP expects same model across all ranks" in str(exc)
        print("OK ddp model mismatch", flush=True)
    dist.destroy_process_group()
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
