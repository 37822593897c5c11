"""Build information, as ``torch.version`` gives it (no CUDA or ROCm in clgrad)."""
from . import __version__  # noqa: F401

cuda = None
hip = None
debug = False
git_version = "unknown"
