"""clgrad: PyTorch's API on any OpenCL device, in pure Python over pyopencl."""
from __future__ import annotations

__version__ = "0.1.0"

from ._dtype import (bool, uint8, int8, int16, int32, int64, float16, float32, float64,  # noqa
                     short, int, long, half, float, double, dtype, finfo, iinfo,
                     promote_types, result_type, can_cast, get_default_dtype,
                     set_default_dtype)
from ._device import device, get_default_device, set_default_device  # noqa
from ._tensor import Tensor, Size  # noqa
from .errors import OutOfMemoryError, KernelBuildError  # noqa
from .ops import creation as _creation, shape as _shape, movement as _movement  # noqa
from .ops import pointwise as _pointwise  # noqa
from .ops.creation import (tensor, as_tensor, from_numpy, empty, zeros, ones, full,  # noqa
                           empty_like, zeros_like, ones_like, full_like)
from .ops.pointwise import (add, sub, mul, div, neg, exp, log, eq, ne, lt, le, gt,  # noqa
                            ge)
from . import cl  # noqa
