"""Started by python -m clgrad.distributed.run -n 2: checks torchrun's environment."""
import os
import sys

import clgrad
import clgrad.distributed as dist

with open(os.path.join(os.environ["PID_DIR"], f"pid{os.getpid()}"), "w"):
    pass
dist.init_process_group()
assert os.environ["RANK"] == str(dist.get_rank())
assert os.environ["WORLD_SIZE"] == "2" and os.environ["LOCAL_RANK"] == str(dist.get_rank())
sampler = clgrad.utils.data.DistributedSampler(list(range(10)), shuffle=False)
t = clgrad.tensor([float(sum(sampler))])
dist.all_reduce(t)
assert t.item() == 45.0, t
with open(os.path.join(os.environ["PID_DIR"], f"log{os.getpid()}"), "w") as f:
    f.write(f"OK launched rank {dist.get_rank()} args {sys.argv[1:]}\n")
