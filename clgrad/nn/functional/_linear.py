"""linear and bilinear (torch.nn.functional's): one GEMM plus the bias, as addmm."""
from __future__ import annotations

from typing import Optional

from ..._checks import not_tensor
from ..._tensor import Tensor
from ...ops.linalg import addmm, matmul, mm

__all__ = ["linear", "bilinear"]


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """input @ weight.T + bias (2-D inputs: one addmm, recorded as AddmmBackward0)."""
    if not isinstance(input, Tensor):
        raise not_tensor("linear", input)
    ndim = input.dim()
    if ndim == 2:
        if bias is None:
            return mm(input, weight.t())
        return addmm(bias, input, weight.t())
    if ndim > 2 and input.shape[-1] == weight.shape[-1] and weight.dim() == 2:
        lead = input._shape[:-1]
        flat = input.reshape(-1, input.shape[-1])
        out = mm(flat, weight.t()) if bias is None else addmm(bias, flat, weight.t())
        return out.view(*lead, weight.shape[0])
    out = matmul(input, weight.t() if weight.dim() == 2 else weight)
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Optional[Tensor] = None) -> Tensor:
    """y_k = x1 @ W_k @ x2 + b_k for weight (out, in1, in2)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    lead = input1._shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out_f, in1, in2 = weight._shape
    # (B, in1) @ (in1, out * in2) -> (B, out, in2), then contract in2 with x2
    t = mm(x1, weight.permute(1, 0, 2).reshape(in1, out_f * in2)).view(-1, out_f, in2)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_f)
