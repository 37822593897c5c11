"""clgrad: PyTorch's API on any OpenCL device, in pure Python over pyopencl."""
__version__ = "0.1.0"

from ._dtype import (bool, uint8, int8, int16, int32, int64, float16, float32, float64,  # noqa
                     short, int, long, half, float, double, dtype, finfo, iinfo,
                     promote_types, result_type, can_cast, get_default_dtype,
                     set_default_dtype)
from ._device import device, get_default_device, set_default_device  # noqa
from ._tensor import Tensor, Size  # noqa
from .errors import OutOfMemoryError, KernelBuildError  # noqa
from .ops import copy as _copy  # noqa: F401  (attaches Tensor methods)
from .ops import conversion as _conversion  # noqa: F401  (Tensor.to, .float, ...)
# Each ops module attaches its Tensor methods on import and lists its functions in __all__.
from .ops.creation import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.join import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.gather_scatter import *  # noqa: F401,F403
from .ops.pointwise import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .ops.scan import *  # noqa: F401,F403
from .ops.sort import *  # noqa: F401,F403
from .ops.host_fallback import *  # noqa: F401,F403
from .ops.random_ops import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.trapezoid import *  # noqa: F401,F403
from .ops import inplace_views as _inplace_views  # noqa: F401  (unsqueeze_, t_, ...)
from .random import *  # noqa: F401,F403
from . import cl  # noqa: E402,F401
from . import autograd  # noqa: E402,F401
from . import optim  # noqa: E402,F401
from . import utils  # noqa: E402,F401
from .serialization import save, load  # noqa: E402,F401
from .autograd import (no_grad, enable_grad, set_grad_enabled,  # noqa: E402,F401
                       inference_mode, is_grad_enabled, is_inference_mode_enabled)

# `import torch` alone binds its submodules (torch.nn.functional, torch.utils.data, ...), and
# ported programs rely on it: bind ours the same way. nn and linalg come last: they build on
# everything above.
from . import linalg  # noqa: E402,F401
from . import nn  # noqa: E402,F401
import clgrad.nn.functional  # noqa: E402,F401
import clgrad.nn.init  # noqa: E402,F401
import clgrad.nn.utils  # noqa: E402,F401
import clgrad.optim.lr_scheduler  # noqa: E402,F401
import clgrad.utils.data  # noqa: E402,F401
import clgrad.autograd.functional  # noqa: E402,F401
from . import backends  # noqa: E402,F401
from ._dtype import bfloat16  # noqa: E402,F401
# Issue 9: the rest of what `import torch` binds (legacy types, accelerator, backends flags,
# onnx, constants) and clgrad.cuda as an alias of clgrad.cl for code that was not renamed.
from .legacy import *  # noqa: E402,F401,F403
from . import accelerator, hub, onnx  # noqa: E402,F401
import clgrad.backends.cudnn  # noqa: E402,F401
import clgrad.backends.mps  # noqa: E402,F401
import clgrad.backends.opencl  # noqa: E402,F401
import sys as _sys  # noqa: E402
cuda = cl
_sys.modules[__name__ + ".cuda"] = cl
from math import inf, nan, pi, e  # noqa: E402,F401
newaxis = None
from . import testing  # noqa: E402,F401
from .ops.special_ops import *  # noqa: E402,F401,F403
from . import special  # noqa: E402,F401
from ._memory_format import (memory_format, contiguous_format, channels_last,  # noqa: E402,F401,E501
                             channels_last_3d, preserve_format)
from .ops.pairs import *  # noqa: E402,F401,F403
from . import func  # noqa: E402,F401
from .func import vmap  # noqa: E402,F401  (torch.vmap, the same as torch.func.vmap)
from . import multiprocessing  # noqa: E402,F401
from . import profiler  # noqa: E402,F401
import clgrad.autograd.profiler  # noqa: E402,F401
from .ops.structured import *  # noqa: E402,F401,F403
from ._settings import *  # noqa: E402,F401,F403
from ._settings import _assert  # noqa: E402,F401
from ._formatting import set_printoptions  # noqa: E402,F401
from . import version  # noqa: E402,F401
import clgrad.distributed  # noqa: E402,F401  (mpi4py is imported only by init_process_group)
import clgrad.nn.parallel  # noqa: E402,F401
import clgrad.nn.attention  # noqa: E402,F401
import clgrad.distributions  # noqa: E402,F401
from . import amp  # noqa: E402,F401
from .compiler import compile  # noqa: E402,F401  (capture and replay, API.md §11)
from .amp import autocast  # noqa: E402,F401
from .amp.autocast_mode import (is_autocast_enabled, set_autocast_enabled,  # noqa: E402,F401
                                get_autocast_dtype, set_autocast_dtype,
                                is_autocast_cache_enabled, clear_autocast_cache)
from .amp import device_legacy as _cl_amp  # noqa: E402
cl.amp = _cl_amp  # torch.cuda.amp after the rename
_sys.modules[__name__ + ".cl.amp"] = _cl_amp
