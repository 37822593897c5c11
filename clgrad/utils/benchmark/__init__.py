"""clgrad.utils.benchmark: timing statements as torch.utils.benchmark does.

``Timer`` synchronises every OpenCL device in use before and after each timed block, so the
time of queued kernels is counted (as PyTorch does for CUDA)."""
from .common import Measurement  # noqa: F401
from .timer import Timer, Language  # noqa: F401
from .compare import Compare  # noqa: F401
