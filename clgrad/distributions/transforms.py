"""Transforms between supports (torch.distributions.transforms): y = t(x), t.inv(y) and
log |dy/dx|; the building blocks of TransformedDistribution and of biject_to / transform_to.
Defined in transforms_core (the base class and combinators), transforms_elementwise and
transforms_structured; this module is the public path torch programs import from."""
from .transforms_core import (CatTransform, ComposeTransform, IndependentTransform,  # noqa: F401
                              ReshapeTransform, StackTransform, Transform, _InverseTransform,
                              identity_transform)
from .transforms_elementwise import (AbsTransform, AffineTransform,  # noqa: F401
                                     CumulativeDistributionTransform, ExpTransform,
                                     PowerTransform, SigmoidTransform, SoftplusTransform,
                                     TanhTransform)
from .transforms_structured import (CorrCholeskyTransform, LowerCholeskyTransform,  # noqa: F401
                                    PositiveDefiniteTransform, SoftmaxTransform,
                                    StickBreakingTransform)

__all__ = ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform",
           "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftplusTransform",
           "TanhTransform", "SoftmaxTransform", "StackTransform", "StickBreakingTransform",
           "Transform", "identity_transform"]
