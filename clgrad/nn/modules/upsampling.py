"""torch.nn.modules.upsampling's classes under their PyTorch module path (programs import
them from here: ``from torch.nn.modules.upsampling import ...``); defined elsewhere in nn."""
from .sampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
