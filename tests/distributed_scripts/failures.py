"""Run under mpiexec -n 2 with a mode: `timeout` (rank 1 never joins: rank 0 raises within the
group's timeout) or `dead` (rank 1 dies: rank 0 must not hang)."""
import datetime
import os
import sys
import time

import clgrad
import clgrad.distributed as dist


def main(mode):
    with open(os.path.join(os.environ["PID_DIR"], f"pid{os.getpid()}"), "w"):
        pass
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=2))
    rank = dist.get_rank()
    dist.barrier()
    if rank == 1:
        if mode == "dead":
            os._exit(3)
        time.sleep(30)  # never joins; the abort at rank 0's exit ends this process
        return
    start = time.monotonic()
    try:
        dist.all_reduce(clgrad.ones(3))
    except RuntimeError as exc:
        print(f"RAISED after {time.monotonic() - start:.1f}s: {exc}", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1])
