"""The pyopencl backend (imported only when a cl device is used)."""
# torch.backends.cuda's flags, which ported programs reach here by the rename cuda -> cl
from ..cuda_compat import *  # noqa: F401,F403
