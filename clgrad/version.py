"""Build information, as ``torch.version`` gives it (no CUDA or ROCm in clgrad).

``cl`` (``torch.version.cuda`` after the rename) is the OpenCL version pyopencl was built
against, or None without pyopencl; it is looked up on first access so that importing clgrad
does not load pyopencl."""
from . import __version__  # noqa: F401

cuda = None
hip = None
debug = False
git_version = "unknown"


def __getattr__(name: str):
    if name == "cl":
        try:
            import pyopencl
        except ImportError:
            return None
        return ".".join(str(v) for v in pyopencl.get_cl_header_version())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
