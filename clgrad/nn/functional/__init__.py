"""clgrad.nn.functional: the functional form of every layer, activation and loss."""
from ._conv import *  # noqa: F401,F403
from ._pooling import *  # noqa: F401,F403
from ._norm import *  # noqa: F401,F403
from ._sampling import *  # noqa: F401,F403
