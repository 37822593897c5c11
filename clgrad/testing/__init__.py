"""clgrad.testing: assert_close as torch.testing has it."""
from ._comparison import assert_allclose, assert_close  # noqa: F401

__all__ = ["assert_close", "assert_allclose"]
