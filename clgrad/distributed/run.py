"""`python -m clgrad.distributed.run -n N script.py args`: torchrun's role, through mpiexec.

Each rank gets RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE (as torchrun sets them) and,
where several OpenCL devices exist, `cl` means cl:<LOCAL_RANK mod device count>.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys


def find_mpiexec() -> str | None:
    here = os.path.dirname(sys.executable)  # a venv's mpich wheel puts mpiexec beside python
    return shutil.which("mpiexec", path=here + os.pathsep + os.environ.get("PATH", ""))


def _is_open_mpi(mpiexec: str) -> bool:
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in out.stdout + out.stderr


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clgrad.distributed.run",
                                     description="Start N ranks of a script through MPI.")
    parser.add_argument("-n", "--nproc-per-node", "--nproc_per_node", dest="n", type=int,
                        default=1, help="number of processes")
    parser.add_argument("--mpiexec", default=None, help="the mpiexec to use")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    mpiexec = ns.mpiexec or find_mpiexec()
    if mpiexec is None:
        print("clgrad.distributed.run: no mpiexec found; pip install 'clgrad[distributed]'",
              file=sys.stderr)
        return 2
    cmd = [mpiexec]
    if _is_open_mpi(mpiexec) and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")  # MPICH's hydra needs no such flag
    cmd += ["-n", str(ns.n), sys.executable, "-m", "clgrad.distributed._entry", ns.script,
            *ns.args]
    env = dict(os.environ)
    if ns.n > 1:
        # torchrun's default: N ranks each running a full-width thread pool oversubscribe
        # the cores (numpy's BLAS spins), so start with one thread per rank unless told.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()  # mpiexec forwards it to every rank
        return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
