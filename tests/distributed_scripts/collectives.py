"""Run under mpiexec -n 2: every collective on each device given in argv, against numpy."""
import os
import sys

import numpy as np

import clgrad
import clgrad.distributed as dist


def check(name, got, want):
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-6, atol=1e-6, err_msg=name)
    print(f"OK {name}", flush=True)


def main(devices):
    with open(os.path.join(os.environ["PID_DIR"], f"pid{os.getpid()}"), "w"):
        pass
    # One log per rank: two ranks writing one pipe can interleave within a line.
    sys.stdout = open(os.path.join(os.environ["PID_DIR"], f"log{os.getpid()}"), "w",
                      buffering=1)
    try:
        dist.all_reduce(clgrad.ones(2))
    except ValueError as exc:
        print("OK before-init", str(exc)[:40], flush=True)
    dist.init_process_group("mpi")
    try:
        dist.init_process_group("mpi")
    except ValueError:
        print("OK init-twice", flush=True)
    rank, world = dist.get_rank(), dist.get_world_size()
    base = [np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * r for r in range(world)]
    for dev in devices:
        mine = base[rank]
        ops = {dist.ReduceOp.SUM: sum(base), dist.ReduceOp.AVG: sum(base) / world,
               dist.ReduceOp.MIN: np.minimum.reduce(base), dist.ReduceOp.MAX:
               np.maximum.reduce(base), dist.ReduceOp.PRODUCT: np.prod(base, axis=0)}
        for op, want in ops.items():
            t = clgrad.tensor(mine, device=dev)
            dist.all_reduce(t, op=op)
            check(f"{dev} all_reduce {op}", t, want)
        t = clgrad.tensor(mine, device=dev)
        work = dist.all_reduce(t, async_op=True)
        work.wait()
        check(f"{dev} all_reduce async", t, sum(base))
        ti = clgrad.tensor(mine.astype(np.int64), device=dev)
        dist.all_reduce(ti)
        check(f"{dev} all_reduce int64", ti, sum(base))
        t = clgrad.tensor(mine, device=dev)
        dist.broadcast(t, src=1)
        check(f"{dev} broadcast", t, base[1])
        outs = [clgrad.zeros(2, 3, device=dev) for _ in range(world)]
        dist.all_gather(outs, clgrad.tensor(mine, device=dev))
        for r in range(world):
            check(f"{dev} all_gather[{r}]", outs[r], base[r])
        out = clgrad.zeros(2 * world, 3, device=dev)
        dist.all_gather_into_tensor(out, clgrad.tensor(mine, device=dev))
        check(f"{dev} all_gather_into_tensor", out, np.concatenate(base))
        big = np.concatenate(base)  # each rank contributes its own copy scaled by rank + 1
        out = clgrad.zeros(2, 3, device=dev)
        dist.reduce_scatter_tensor(out, clgrad.tensor(big * (rank + 1), device=dev))
        want = sum(big * (r + 1) for r in range(world))
        check(f"{dev} reduce_scatter_tensor", out, want[2 * rank:2 * rank + 2])
        t = clgrad.tensor(mine, device=dev)
        dist.reduce(t, dst=0)
        if rank == 0:
            check(f"{dev} reduce", t, sum(base))
        gl = [clgrad.zeros(2, 3, device=dev) for _ in range(world)] if rank == 0 else None
        dist.gather(clgrad.tensor(mine, device=dev), gl, dst=0)
        if rank == 0:
            for r in range(world):
                check(f"{dev} gather[{r}]", gl[r], base[r])
        t = clgrad.zeros(2, 3, device=dev)
        sl = [clgrad.tensor(b, device=dev) for b in base] if rank == 1 else None
        dist.scatter(t, sl, src=1)
        check(f"{dev} scatter", t, base[rank])
        t = clgrad.zeros(2, 3, device=dev)
        if rank == 0:
            dist.send(clgrad.tensor(base[0], device=dev), dst=1)
        else:
            assert dist.recv(t, src=0) == 0
            check(f"{dev} send/recv", t, base[0])
        dist.barrier()
        # A shape mismatch raises on every rank, which then carry on.
        try:
            dist.all_reduce(clgrad.ones(2 + rank, device=dev))
        except RuntimeError as exc:
            assert "disagree" in str(exc), exc
            print(f"OK {dev} shape mismatch raises", flush=True)
        try:
            dist.all_reduce(clgrad.ones(2, device=dev,
                                        dtype=clgrad.float32 if rank else clgrad.float64))
        except RuntimeError:
            print(f"OK {dev} dtype mismatch raises", flush=True)
    sub = dist.new_group([1])
    if rank == 1:
        t = clgrad.ones(2)
        dist.all_reduce(t, group=sub)
        check("new_group", t, np.ones(2))
    else:
        assert sub == dist.GroupMember.NON_GROUP_MEMBER
        print("OK new_group", flush=True)
    dist.destroy_process_group()
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
