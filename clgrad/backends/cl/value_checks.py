"""Device-side value checks (mixed into ClBackend): kernels that read an op's input once and
report a value outside its domain in the queue's error word (kernels/check.cl.mako), so the
op raises PyTorch's error at the next synchronisation instead of waiting to read the values.
"""
from __future__ import annotations

from .checks import DOMAIN, Check
from .programs import compute_ctype, get_kernel
from .runtime import index_t

_T = "check.cl.mako"


class ClValueChecks:
    """check_in_range and check_probabilities for the OpenCL backend."""

    _range_checks: dict = {}  # (op, message) -> Check, shared: a Check holds no device state

    def check_in_range(self, x, lo: float, hi: float, op: str, message: str) -> None:
        """Raise RuntimeError(message), naming op, at the next synchronisation if an element
        of x (contiguous) is outside [lo, hi] or NaN."""
        n = x.numel()
        if n == 0:
            return
        check = self._range_checks.get((op, message))
        if check is None:
            check = Check(op, {DOMAIN: (RuntimeError, message)})
            self._range_checks[op, message] = check
        it = index_t(x)
        T = compute_ctype(x.dtype)
        kernel = get_kernel(self.rt, _T, "in_range", (x.dtype.name, it),
                            dict(name="check_in_range", dt=x.dtype, T=T, index_t=it))
        self.rt.launch(kernel, n, None, dict(n=n, x=x, lo=lo, hi=hi), check)

    def check_probabilities(self, probs, need: int, op: str) -> None:
        """PyTorch's multinomial checks of each row of probs (rows, ncat), contiguous, raised
        at the next synchronisation: no negative, infinite or NaN value, a positive sum, and
        at least `need` positive categories."""
        rows, ncat = probs._shape
        if rows * ncat == 0:
            return
        kernel = get_kernel(self.rt, _T, "probabilities", (probs.dtype.name,),
                            dict(name="check_probabilities", dt=probs.dtype,
                                 T=compute_ctype(probs.dtype)))
        self.rt.launch(kernel, rows, None, dict(rows=rows, ncat=ncat, need=need, p=probs),
                       Check(op, {}))
