"""clgrad.utils: data loading utilities (``clgrad.utils.data``)."""
from . import data  # noqa: F401
