"""Run under mpiexec -n 2: object collectives, all-to-all, reduce_scatter, batched p2p and
the group queries, against numpy / expected values on each device given in argv."""
import datetime
import os
import sys

import numpy as np

import clgrad
import clgrad.distributed as dist


def check(name, got, want):
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-6, atol=1e-6, err_msg=name)
    print(f"OK {name}", flush=True)


def raises(name, exc_type, fn, match):
    try:
        fn()
    except exc_type as exc:
        assert match in str(exc), (name, exc)
        print(f"OK {name}", flush=True)
        return
    raise AssertionError(f"{name} did not raise {exc_type.__name__}")


def objects(rank, world):
    got = [None] * world
    dist.all_gather_object(got, {"rank": rank, "sq": [rank] * rank})
    assert got == [{"rank": r, "sq": [r] * r} for r in range(world)], got
    print("OK all_gather_object", flush=True)
    lst = ["a", 1, {2: 3}] if rank == 1 else [None, None, None]
    keep = lst[2]
    dist.broadcast_object_list(lst, src=1)
    assert rank == 0 or lst[2] is keep
    assert lst == ["a", 1, {2: 3}], lst
    print("OK broadcast_object_list", flush=True)
    out = [None] * world if rank == 0 else None
    dist.gather_object(("r", rank), out, dst=0)
    if rank == 0:
        assert out == [("r", r) for r in range(world)], out
        print("OK gather_object", flush=True)
    mine = [None]
    dist.scatter_object_list(mine, [f"to{r}" for r in range(world)] if rank == 0 else None,
                             src=0)
    assert mine == [f"to{rank}"], mine
    print("OK scatter_object_list", flush=True)
    raises("scatter_object_list empty output", ValueError,
           lambda: dist.scatter_object_list([], None), "list of size at least 1")
    if rank == 0:
        dist.send_object_list([np.arange(3), "x"], dst=1)
        raises("send_object_list to self", ValueError,
               lambda: dist.send_object_list([1], dst=0), "destination rank should not")
        raises("send_object_list no dst", ValueError,
               lambda: dist.send_object_list([1]), "Must specify global_rank or group_rank")
        raises("recv_object_list both src", ValueError,
               lambda: dist.recv_object_list([1], src=1, group_src=1), "Can't specify both")
    else:
        box = [None, None]
        assert dist.recv_object_list(box, src=0) == 0
        assert box[0].tolist() == [0, 1, 2] and box[1] == "x", box
        print("OK send/recv_object_list", flush=True)


def tensors(dev, rank, world):
    base = np.arange(4 * world, dtype=np.float32).reshape(2 * world, 2) + 100 * rank
    everyone = [np.arange(4 * world, dtype=np.float32).reshape(2 * world, 2) + 100 * r
                for r in range(world)]
    # all_to_all_single, even: my chunk j goes to rank j.
    out = clgrad.zeros(2 * world, 2, device=dev)
    dist.all_to_all_single(out, clgrad.tensor(base, device=dev))
    want = np.concatenate([e[2 * rank:2 * rank + 2] for e in everyone])
    check(f"{dev} all_to_all_single", out, want)
    # Uneven splits: rank r sends r + 1 rows to rank 0 and the rest to rank 1.
    in_splits = [rank + 1, 2 * world - rank - 1]
    out_splits = [r + 1 if rank == 0 else 2 * world - r - 1 for r in range(world)]
    out = clgrad.zeros(sum(out_splits), 2, device=dev)
    dist.all_to_all_single(out, clgrad.tensor(base, device=dev), out_splits, in_splits)
    pieces = [e[:r + 1] if rank == 0 else e[r + 1:] for r, e in enumerate(everyone)]
    check(f"{dev} all_to_all_single splits", out, np.concatenate(pieces))
    raises(f"{dev} all_to_all_single bad splits", ValueError,
           lambda: dist.all_to_all_single(out, clgrad.tensor(base, device=dev), None, [1]),
           "split sizes")
    # all_to_all with lists of different shapes per peer.
    ins = [clgrad.full((r + 1,), float(10 * rank + r), device=dev) for r in range(world)]
    outs = [clgrad.zeros(rank + 1, device=dev) for _ in range(world)]
    work = dist.all_to_all(outs, ins, async_op=True)
    work.wait()
    for r in range(world):
        check(f"{dev} all_to_all[{r}]", outs[r], np.full(rank + 1, 10 * r + rank))
    # reduce_scatter: output = sum over ranks of input_list[my rank].
    ins = [clgrad.tensor(base[:2] * (r + 1), device=dev) for r in range(world)]
    out = clgrad.zeros(2, 2, device=dev)
    dist.reduce_scatter(out, ins)
    check(f"{dev} reduce_scatter", out, sum(e[:2] * (rank + 1) for e in everyone))
    out = clgrad.zeros(2, 2, device=dev)
    dist.reduce_scatter(out, ins, op=dist.ReduceOp.MAX)
    check(f"{dev} reduce_scatter max", out, np.maximum.reduce(everyone)[:2] * (rank + 1))
    raises(f"{dev} reduce_scatter wrong count", ValueError,
           lambda: dist.reduce_scatter(out, ins[:1]), "input_list has 1")
    # batch_isend_irecv: both ranks send and receive at once (a ring of 2).
    peer = (rank + 1) % world
    got = clgrad.zeros(3, device=dev)
    ops = [dist.P2POp(dist.isend, clgrad.full((3,), float(rank + 7), device=dev), peer),
           dist.P2POp(dist.irecv, got, peer)]
    for work in dist.batch_isend_irecv(ops):
        work.wait()
    check(f"{dev} batch_isend_irecv", got, np.full(3, peer + 7))
    # Objects holding device tensors arrive as tensors on that device.
    got = [None] * world
    dist.all_gather_object(got, {"t": clgrad.full((2,), float(rank), device=dev)})
    for r in range(world):
        assert got[r]["t"].device == clgrad.device(dev), got[r]["t"].device
        check(f"{dev} all_gather_object tensor[{r}]", got[r]["t"], np.full(2, r))


def main(devices):
    with open(os.path.join(os.environ["PID_DIR"], f"pid{os.getpid()}"), "w"):
        pass
    sys.stdout = open(os.path.join(os.environ["PID_DIR"], f"log{os.getpid()}"), "w",
                      buffering=1)
    dist.init_process_group(dist.get_default_backend_for_device("cpu"))
    rank, world = dist.get_rank(), dist.get_world_size()
    assert dist.get_process_group_ranks(dist.group.WORLD) == list(range(world))
    assert dist.get_global_rank(dist.group.WORLD, 1) == 1
    sub = dist.new_group([1])
    if rank == 1:
        assert dist.get_process_group_ranks(sub) == [1]
        assert dist.get_global_rank(sub, 0) == 1 and dist.get_group_rank(sub, 1) == 0
        raises("get_group_rank outsider", ValueError, lambda: dist.get_group_rank(sub, 0),
               "not part of group")
        raises("get_global_rank outsider", ValueError, lambda: dist.get_global_rank(sub, 1),
               "not part of group")
    else:
        print("OK get_group_rank outsider\nOK get_global_rank outsider", flush=True)
    assert dist.get_node_local_rank(fallback_rank=5) in (rank, 5)
    print("OK group queries", flush=True)
    raises("P2POp bad op", ValueError,
           lambda: dist.P2POp(dist.send, clgrad.ones(1), 0), "Invalid ``op``")
    raises("P2POp no peer", ValueError,
           lambda: dist.P2POp(dist.isend, clgrad.ones(1)), "Must specify global_rank")
    objects(rank, world)
    for dev in devices:
        tensors(dev, rank, world)
    dist.monitored_barrier(timeout=datetime.timedelta(seconds=60))
    print("OK monitored_barrier", flush=True)
    dist.destroy_process_group()
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
