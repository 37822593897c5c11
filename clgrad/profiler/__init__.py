"""clgrad.profiler: profile, record_function, ProfilerActivity, schedule as torch.profiler."""
from ._schedule import ProfilerAction, schedule  # noqa: F401
from ._profile import (ProfilerActivity, profile, record_function,  # noqa: F401
                       tensorboard_trace_handler)
