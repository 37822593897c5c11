"""Shared timing helpers: best-of-N wall time, device description, optional PyTorch, and the
command line every benchmark takes (`--torch-device {cpu,cuda}`) with its header line naming the
OpenCL driver and the PyTorch it compares with."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

try:
    import clgrad
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import clgrad


def best_time(fn, repeat: int = 5, number: int = 1, sync=None) -> float:
    """The best of `repeat` runs of `number` calls, in seconds per call.

    `sync` is called before the clock stops, so asynchronous devices are timed honestly.
    """
    sync = _with_torch_sync(sync)
    fn()
    if sync:
        sync()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if sync:
            sync()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def cl_device_or_exit() -> str:
    if not clgrad.cl.is_available():
        raise SystemExit("no OpenCL device: these benchmarks need one (pip install clgrad[pocl])")
    return "cl"


def describe_device(dev: str = "cl") -> str:
    props = clgrad.cl.get_device_properties(clgrad.device(dev).index or 0)
    return f"{dev}: {props.name} on {props.platform} ({props.opencl_version}, driver " \
           f"{props.driver_version})"


def torch_or_none():
    try:
        import torch
        torch.set_num_threads(torch.get_num_threads())
        return torch
    except ImportError:
        return None


# The PyTorch device the benchmarks compare with, set by parse_args (--torch-device).
TORCH_DEVICE = "cpu"


def torch_device() -> str:
    """The PyTorch device to compare with: "cpu" or "cuda" (--torch-device)."""
    return TORCH_DEVICE


def torch_label() -> str:
    """"PyTorch CPU" or "PyTorch CUDA", for the lines a benchmark prints."""
    return f"PyTorch {TORCH_DEVICE.upper()}"


def torch_sync() -> None:
    """Wait for PyTorch's queued work (CUDA is asynchronous; nothing to do on the CPU)."""
    if TORCH_DEVICE == "cuda":
        import torch
        torch.cuda.synchronize()


def _with_torch_sync(sync):
    if TORCH_DEVICE != "cuda":
        return sync
    if sync is None:
        return torch_sync

    def both():
        sync()
        torch_sync()
    return both


def add_common_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--torch-device", choices=("cpu", "cuda"), default="cpu",
        help="the PyTorch device to compare with (cuda: fp32 with TF32 off, timings "
             "synchronised); default cpu")
    return parser


def parser(description: str | None = None, **kw) -> argparse.ArgumentParser:
    """An ArgumentParser with the options every benchmark takes (`--torch-device`)."""
    return add_common_args(argparse.ArgumentParser(description=description, **kw))


def _setup_torch(device: str) -> None:
    global TORCH_DEVICE
    torch = torch_or_none()
    if device == "cuda":
        if torch is None:
            raise SystemExit("--torch-device cuda: PyTorch is not installed")
        if not torch.cuda.is_available():
            raise SystemExit(f"--torch-device cuda: PyTorch {torch.__version__} sees no CUDA "
                             "device (a CPU-only build, or no NVIDIA GPU/driver here)")
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 as clgrad computes it
        torch.backends.cudnn.allow_tf32 = False
        torch.set_default_device("cuda")  # torch.ones/tensor/randn and new modules go there
    TORCH_DEVICE = device


def driver_line() -> str:
    """One line naming the OpenCL driver (platform, its version, device, driver version) and
    the PyTorch compared with (version, device, threads)."""
    from clgrad.backends.cl import runtime as cl_runtime
    pairs = cl_runtime.enumerate_devices()
    if pairs:
        index = clgrad.cl.current_device()
        platform, dev = pairs[index if index < len(pairs) else 0]
        ocl = (f"OpenCL cl:{index}: {platform.name.strip()} | {platform.version.strip()} | "
               f"{dev.name.strip()} | driver {dev.driver_version.strip()}")
    else:
        reason = cl_runtime.IMPORT_ERROR or "no platform"
        ocl = f"OpenCL: none ({reason})"
    torch = torch_or_none()
    if torch is None:
        ref = "torch: not installed"
    elif TORCH_DEVICE == "cuda":
        ref = (f"torch {torch.__version__} on cuda ({torch.cuda.get_device_name(0)}, CUDA "
               f"{torch.version.cuda}, fp32, TF32 off)")
    else:
        ref = f"torch {torch.__version__} on cpu, {torch.get_num_threads()} threads"
    return f"{ocl}; {ref}"


def parse_args(parser_: argparse.ArgumentParser | None = None, argv=None, header: bool = True):
    """Parse a benchmark's command line (adding the common options if `parser_` lacks them),
    set up the PyTorch device and print the driver line (unless header is False); returns the
    parsed namespace."""
    if parser_ is None:
        parser_ = parser()
    elif not any("--torch-device" in a.option_strings for a in parser_._actions):
        add_common_args(parser_)
    args = parser_.parse_args(argv)
    _setup_torch(args.torch_device)
    if header:
        print(driver_line(), flush=True)
    if os.environ.get("CLGRAD_BENCH_HEADER_ONLY"):  # tests: the command line and header only
        raise SystemExit(0)
    return args


def report(name: str, ours: float, others: dict, unit: str = "s", higher_is_better=False):
    """Print one line: our figure and the ratio of each reference to it (>1 = we are faster)."""
    parts = [f"{name:<38} clgrad {ours:.4g} {unit}"]
    for label, value in others.items():
        if value is None:
            continue
        ratio = ours / value if higher_is_better else value / ours
        parts.append(f"{label} {value:.4g} {unit} (clgrad is {ratio:.2f}x {label})")
    print("; ".join(parts))
