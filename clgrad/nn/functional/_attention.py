"""scaled_dot_product_attention and multi_head_attention_forward."""
from __future__ import annotations

import math
from typing import Optional

from ..._tensor import Tensor
from ...ops.linalg import matmul

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Optional[Tensor] = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V over (..., L, E) queries and (..., S, E) keys.

    attn_mask: bool (True = attend) or additive float, broadcast to (..., L, S)."""
    from ._activation import softmax
    from ._dropout import dropout
    L, S = query.shape[-2], key.shape[-2]
    scale_factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa and query.dim() >= 3 and query.shape[-3] != key.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, -3)
        value = value.repeat_interleave(rep, -3)
    scores = matmul(query, key.transpose(-2, -1)) * scale_factor
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        from ...ops.creation import ones
        from ...ops.join import tril
        keep = tril(ones((L, S), device=query.device)).bool()
        scores = scores.masked_fill(~keep, float("-inf"))
    elif attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value)


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, num_heads: int,
                                 in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor],
                                 out_proj_weight: Tensor, out_proj_bias: Optional[Tensor],
                                 dropout_p: float = 0.0, training: bool = True,
                                 key_padding_mask: Optional[Tensor] = None,
                                 need_weights: bool = True, attn_mask: Optional[Tensor] = None,
                                 average_attn_weights: bool = True, is_causal: bool = False,
                                 q_proj_weight: Optional[Tensor] = None,
                                 k_proj_weight: Optional[Tensor] = None,
                                 v_proj_weight: Optional[Tensor] = None,
                                 bias_k: Optional[Tensor] = None,
                                 bias_v: Optional[Tensor] = None,
                                 add_zero_attn: bool = False) -> tuple:
    """Multi-head attention on (L, N, E) sequence-first inputs (or unbatched (L, E)).

    Returns (output (L, N, E), weights (N, L, S) averaged over heads, or per head, or None).
    """
    from ._activation import softmax
    from ._dropout import dropout
    from ._linear import linear
    from ...ops.join import cat
    unbatched = query.dim() == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if in_proj_weight is not None:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
    q = linear(query, w_q, b_q)
    k = linear(key, w_k, b_k)
    v = linear(value, w_v, b_v)
    if attn_mask is not None and attn_mask.dim() == 2:
        attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = cat([attn_mask, attn_mask.new_zeros(attn_mask.shape[:-1] + (1,))], -1)
        if key_padding_mask is not None:
            key_padding_mask = cat([key_padding_mask,
                                    key_padding_mask.new_zeros(key_padding_mask.shape[0], 1)],
                                   -1)
    # (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        zeros = k.new_zeros(bsz * num_heads, 1, head_dim)
        k = cat([k, zeros], 1)
        v = cat([v, zeros], 1)
        if attn_mask is not None:
            attn_mask = cat([attn_mask, attn_mask.new_zeros(attn_mask.shape[:-1] + (1,))], -1)
        if key_padding_mask is not None:
            key_padding_mask = cat([key_padding_mask,
                                    key_padding_mask.new_zeros(key_padding_mask.shape[0], 1)],
                                   -1)
    src_len = k.shape[1]
    scores = matmul(q * (1.0 / math.sqrt(head_dim)), k.transpose(-2, -1))
    if attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    elif is_causal:
        from ...ops.creation import ones
        from ...ops.join import triu
        causal = triu(ones((tgt_len, src_len), device=query.device), 1).bool()
        scores = scores.masked_fill(causal, float("-inf"))
    if key_padding_mask is not None:
        scores = scores.view(bsz, num_heads, tgt_len, src_len)
        if key_padding_mask.dtype.name == "bool":
            scores = scores.masked_fill(key_padding_mask.view(bsz, 1, 1, src_len),
                                        float("-inf"))
        else:
            scores = scores + key_padding_mask.view(bsz, 1, 1, src_len)
        scores = scores.view(bsz * num_heads, tgt_len, src_len)
    weights = softmax(scores, -1)
    if dropout_p > 0.0 and training:
        weights = dropout(weights, dropout_p, True)
    out = matmul(weights, v)  # (N * H, L, head_dim)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, embed_dim)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.view(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if unbatched:
        weights = weights.squeeze(0)
    return out, weights
