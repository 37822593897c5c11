"""clgrad.nn.functional: the functional form of every layer, activation and loss."""
from ._conv import *  # noqa: F401,F403
from ._conv3d import *  # noqa: F401,F403
from ._pooling import *  # noqa: F401,F403
from ._unpool import *  # noqa: F401,F403
from ._norm import *  # noqa: F401,F403
from ._sampling import *  # noqa: F401,F403
from ._grid import *  # noqa: F401,F403
from ._activation import *  # noqa: F401,F403
from ._loss import *  # noqa: F401,F403
from ._linear import *  # noqa: F401,F403
from ._dropout import *  # noqa: F401,F403
from ._embedding import *  # noqa: F401,F403
from ._embedding_bag import *  # noqa: F401,F403
from ._attention import *  # noqa: F401,F403
from ._misc import *  # noqa: F401,F403
