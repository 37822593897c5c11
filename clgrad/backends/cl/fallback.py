"""The counted numpy fallback for ops with no OpenCL kernel (see DESIGN.md "Fallback")."""
from __future__ import annotations

import warnings
from collections import Counter

STATS: Counter = Counter()


def note_fallback(op_name: str, device) -> None:
    """Count one fallback and warn the first time an op falls back."""
    if op_name not in STATS:
        warnings.warn(f"clgrad: {op_name} has no OpenCL kernel for this case and runs through "
                      f"numpy on the host for {device} (counted in clgrad.cl.fallback_stats())",
                      RuntimeWarning, stacklevel=3)
    STATS[op_name] += 1
