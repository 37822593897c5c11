"""clgrad.utils.tensorboard: SummaryWriter over the optional ``tensorboard`` package.

As in PyTorch, ``import clgrad`` does not import this module; importing it without tensorboard
installed raises ImportError saying how to install it (``pip install tensorboard``, or the
``clgrad[tensorboard]`` extra)."""
try:
    import tensorboard  # noqa: F401
except ImportError as exc:
    raise ImportError("clgrad.utils.tensorboard needs the tensorboard package: "
                      "pip install tensorboard (or pip install clgrad[tensorboard])") from exc

from .writer import SummaryWriter  # noqa: E402,F401
