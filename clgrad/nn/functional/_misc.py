"""normalize, cosine_similarity, pairwise_distance (torch.nn.functional's)."""
from __future__ import annotations

from ..._tensor import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim (broadcasting)."""
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim."""
    output_dim = max(x1.dim(), x2.dim())
    inner = max(output_dim - 1, 0)
    return (x1 - x2 + eps).norm(p, inner if output_dim else None, keepdim=keepdim) \
        if output_dim else (x1 - x2 + eps).abs()


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances between the rows of a 2-D input (upper triangle, row-major)."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    n = input.shape[0]
    diffs = input.unsqueeze(1) - input.unsqueeze(0)
    full = diffs.norm(p, 2)
    rows = [full[i, i + 1:] for i in range(n - 1)]
    from ...ops.join import cat
    return cat(rows) if rows else input.new_zeros(0)
