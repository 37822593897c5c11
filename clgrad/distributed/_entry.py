"""Per-rank start-up for clgrad.distributed.run: torchrun's environment, then the script."""
from __future__ import annotations

import os
import runpy
import sys

# (rank, size, local rank, local size) as MPICH's hydra and Open MPI name them.
_VARS = (("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
         ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
          "OMPI_COMM_WORLD_LOCAL_SIZE"))


def set_env() -> None:
    for names in _VARS:
        if names[0] in os.environ:
            rank, size, local, nlocal = (os.environ.get(n) for n in names)
            os.environ["RANK"] = rank
            os.environ["WORLD_SIZE"] = size
            os.environ["LOCAL_RANK"] = local or rank
            os.environ["LOCAL_WORLD_SIZE"] = nlocal or size
            return
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("LOCAL_RANK", "0")
    os.environ.setdefault("LOCAL_WORLD_SIZE", "1")


def pick_device() -> None:
    import clgrad
    if clgrad.cl.is_available() and clgrad.cl.device_count() > 1:
        clgrad.cl.set_device(int(os.environ["LOCAL_RANK"]) % clgrad.cl.device_count())


def main() -> None:
    set_env()
    pick_device()
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
