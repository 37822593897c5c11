"""Fused ops: the only callers of the backends' fused kernels.

Each family module allocates its outputs, launches the backend's kernel and records its
autograd node with the gradient rule beside the forward; every backward is itself a recorded
op, so gradients of gradients work where PyTorch has them. nn and optim call these functions
(and Tensor ops), never a backend.
"""
from .conv import col2im, col2vol, conv_out_size, im2col, vol2col
from .double_backward import backward_with_graph
from .loss import nll_loss
from .norm import NormPlan, norm_apply, norm_moments, record_norm
from .optim import counter_add_, counter_mul_, counter_value, optimizer_step
from .pool import pool2d, pool3d, pool3d_indices
from .softmax import softmax, softmax_backward_data

__all__ = ["col2im", "col2vol", "conv_out_size", "im2col", "vol2col", "backward_with_graph",
           "nll_loss", "NormPlan", "norm_apply", "norm_moments", "record_norm", "counter_add_",
           "counter_mul_", "counter_value", "optimizer_step", "pool2d", "pool3d",
           "pool3d_indices", "softmax", "softmax_backward_data"]
