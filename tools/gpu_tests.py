#!/usr/bin/env python3
"""Run the tests on this machine's OpenCL GPUs (its own drivers), and only on them.

    python tools/gpu_tests.py [pytest arguments]     (default: tests)

clgrad orders GPUs first, so they are cl:0 .. cl:k-1; CLGRAD_TEST_DEVICES is set to those.
Where no GPU exists it says so and exits 0: a machine without one has nothing to test here.
"""
from __future__ import annotations

import os
import subprocess
import sys

# Simulators that call themselves GPUs; not a GPU driver to test.
NOT_GPUS = ("oclgrind",)


def gpu_devices() -> list[str]:
    """The `cl:N` names of the OpenCL GPUs clgrad sees."""
    try:
        import pyopencl as cl
    except ImportError as exc:
        print(f"gpu_tests: pyopencl is not installed ({exc})", file=sys.stderr)
        return []
    from clgrad.backends.cl import runtime
    names = []
    for index, (platform, device) in enumerate(runtime.enumerate_devices()):
        if device.type & cl.device_type.GPU and \
                not any(word in platform.name.lower() for word in NOT_GPUS):
            names.append(f"cl:{index}")
    return names


def main(argv: list[str]) -> int:
    devices = gpu_devices()
    if not devices:
        print("gpu_tests: no OpenCL GPU on this machine (see `python -m clgrad info`); "
              "nothing to test, skipping")
        return 0
    env = dict(os.environ, CLGRAD_TEST_DEVICES=",".join(devices))
    print(f"gpu_tests: testing on {env['CLGRAD_TEST_DEVICES']}", flush=True)
    script = os.path.join(os.path.dirname(sys.executable), "pytest")
    return subprocess.call([script, "--import-mode=importlib", *(argv or ["tests"])], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
