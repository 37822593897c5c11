"""clgrad.autograd.profiler: the older profiler API (profile(enabled=...), record_function),
recording through clgrad.profiler."""
from ..profiler import record_function  # noqa: F401
from ..backends import is_accelerator
from ..profiler import _profile


class profile(_profile.profile):
    """torch.autograd.profiler.profile: use_cuda / use_device="cl" add cl time; enabled=False
    records nothing."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None):
        acts = [_profile.ProfilerActivity.CPU]
        if use_cuda or is_accelerator(use_device):
            acts.append(_profile.ProfilerActivity.CUDA)
        super().__init__(activities=acts, record_shapes=record_shapes,
                         profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules)
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self.start()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.stop()
        return False

    def table(self, sort_by=None, row_limit=100, **kw):
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **kw)

    def __str__(self):
        return self.table()
