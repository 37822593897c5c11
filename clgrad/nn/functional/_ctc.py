"""Connectionist temporal classification loss (Graves et al., 2006).

The forward (alpha) and backward (beta) recursions run over time as Tensor ops on the
input's device, all samples and all extended-label positions at once. The node is
CtcLossBackward0 with PyTorch's gradient, exp(log_probs) - exp(lcab + nll - log_probs),
which is the gradient with respect to the logits under a log_softmax (what PyTorch returns
as the log_probs gradient), not the plain derivative of the loss.
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.graph import needs_grad, record

__all__ = ["ctc_loss"]

_NEG = float("-inf")


def _host_ints(values) -> list:
    if isinstance(values, Tensor):
        return [int(v) for v in values.reshape(-1).tolist()]
    if isinstance(values, int):
        return [values]
    return [int(v) for v in values]


def _log_or_neg_inf(x: Tensor) -> Tensor:
    """log(x) for x >= 0, -inf where x is 0 (without asking a backend for log(0))."""
    zero = x == 0
    return x.masked_fill(zero, 1.0).log().masked_fill(zero, _NEG)


def _lse(*terms: Tensor) -> Tensor:
    """Elementwise log(sum(exp(terms))) that keeps an all -inf position at -inf."""
    m = terms[0]
    for t in terms[1:]:
        m = m.maximum(t)
    safe = m.masked_fill(m == _NEG, 0.0)
    total = (terms[0] - safe).exp()
    for t in terms[1:]:
        total = total + (t - safe).exp()
    return _log_or_neg_inf(total) + safe


def _shift(x: Tensor, by: int) -> Tensor:
    """x moved `by` places along the last dim (right if positive), -inf filling in."""
    from ...ops.creation import full
    from ...ops.join import cat
    length = x.shape[-1]
    k = min(abs(by), length)
    fill = full(tuple(x.shape[:-1]) + (k,), _NEG, dtype=x.dtype, device=x.device)
    if by > 0:
        return cat([fill, x[..., :length - k]], -1)
    return cat([x[..., k:], fill], -1)


def _padded_targets(targets: Tensor, target_lengths: list, batch: int):
    from ...ops.creation import tensor
    s_max = max(target_lengths + [0])
    rows = []
    flat = targets.reshape(-1).tolist() if targets.dim() == 1 else None
    start = 0
    for b in range(batch):
        n = target_lengths[b]
        if flat is not None:
            row, start = flat[start:start + n], start + n
        else:
            row = targets[b].tolist()[:n]
        rows.append(row + [0] * (s_max - n))
    padded = tensor(rows, dtype=targets.dtype, device=targets.device)
    return padded.long().reshape(batch, s_max)


def _recursions(lp: Tensor, ext: Tensor, skip: Tensor, in_len: Tensor, tl: Tensor):
    """(alpha, beta, nll): (T, N, L) log forward/backward variables and (N,) losses."""
    from ...ops.creation import arange, full
    from ...ops.join import stack
    t_max, n, _ = lp.shape
    length = ext.shape[1]
    lp_ext = lp.gather(2, ext.unsqueeze(0).expand(t_max, n, length))
    pos = arange(length, device=lp.device).view(1, length)
    no_skip = ~skip
    start = pos <= (tl.view(n, 1) > 0).long()
    alpha_t = lp_ext[0].masked_fill(~start, _NEG)
    alphas = [alpha_t]
    for t in range(1, t_max):
        two = _shift(alpha_t, 2).masked_fill(no_skip, _NEG)
        new = _lse(alpha_t, _shift(alpha_t, 1), two) + lp_ext[t]
        alpha_t = new.where((in_len > t).view(n, 1), alpha_t)
        alphas.append(alpha_t)
    alpha = stack(alphas)
    last = (in_len - 1).clamp_min(0)
    final = alpha.gather(0, last.view(1, n, 1).expand(1, n, length))[0]
    end = (2 * tl).view(n, 1)
    a_end = final.gather(1, end).view(n)
    a_prev = final.gather(1, (end - 1).clamp_min(0)).view(n).masked_fill(tl == 0, _NEG)
    nll = -_lse(a_end, a_prev)
    # beta: starts at each sample's own last frame, on its last two positions
    ends = (pos == end) | ((pos == end - 1) & (tl.view(n, 1) > 0))
    skip_next = _shift(skip.float(), -2) > 0  # may s jump to s + 2
    empty = full((n, length), _NEG, dtype=lp.dtype, device=lp.device)
    beta_t = empty
    betas = [None] * t_max
    for t in range(t_max - 1, -1, -1):
        init = lp_ext[t].masked_fill(~ends, _NEG).where((in_len - 1 == t).view(n, 1), empty)
        if t < t_max - 1:
            two = _shift(beta_t, -2).masked_fill(~skip_next, _NEG)
            rec = _lse(beta_t, _shift(beta_t, -1), two) + lp_ext[t]
            beta_t = rec.where((in_len - 1 > t).view(n, 1), init)
        else:
            beta_t = init
        betas[t] = beta_t
    return alpha, stack(betas), nll


def _ctc_grad(lp: Tensor, ext: Tensor, alpha: Tensor, beta: Tensor, nll: Tensor,
              in_len: Tensor, gr: Tensor) -> Tensor:
    from ...ops.creation import arange, zeros
    t_max, n, c = lp.shape
    ab = alpha + beta
    m = ab.amax(2, keepdim=True)
    m = m.masked_fill(m == _NEG, 0.0)
    summed = zeros((t_max, n, c), dtype=lp.dtype, device=lp.device).scatter_add_(
        2, ext.unsqueeze(0).expand(ab.shape), (ab - m).exp())
    lcab = _log_or_neg_inf(summed) + m
    grad = (lp.exp() - (lcab + nll.view(1, n, 1) - lp).exp()) * gr.view(1, n, 1)
    live = arange(t_max, device=lp.device).view(t_max, 1) < in_len.view(1, n)
    return grad.masked_fill(~live.unsqueeze(2), 0.0)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of (T, N, C) (or (T, C)) log-probabilities against label sequences."""
    from ...ops.creation import tensor
    from ._loss import _check_reduction
    _check_reduction(reduction)
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_max, n, _ = lp.shape
    in_list, tl_list = _host_ints(input_lengths), _host_ints(target_lengths)
    if len(in_list) != n:
        raise RuntimeError(f"input_lengths must be of size batch_size, but got "
                           f"{len(in_list)}")
    if len(tl_list) != n:
        raise RuntimeError(f"target_lengths must be of size batch_size, but got "
                           f"{len(tl_list)}")
    for length in in_list:
        if length > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but "
                               f"got value {length} (while checking arguments for ctc_loss_cpu)")
    tgt = targets.unsqueeze(0) if unbatched and targets.dim() == 1 else targets
    dev = lp.device
    with no_grad():
        labels = _padded_targets(tgt, tl_list, n)
        length = 2 * labels.shape[1] + 1
        from ...ops.creation import full
        ext = full((n, length), blank, dtype=labels.dtype, device=dev)
        if labels.shape[1]:
            ext[:, 1::2] = labels
        two_back = _shift(ext.float(), 2)
        skip = (ext != blank) & (ext.float() != two_back)
        in_len = tensor(in_list, device=dev)
        tl = tensor(tl_list, device=dev)
        alpha, beta, nll = _recursions(lp.detach(), ext, skip, in_len, tl)
        inf = nll == float("inf")
        if zero_infinity:
            nll = nll.masked_fill(inf, 0.0)
    if needs_grad(log_probs):

        def rule(g):
            gr = g.masked_fill(inf, 0.0) if zero_infinity else g
            grad = _ctc_grad(lp.detach(), ext, alpha, beta, nll, in_len, gr)
            if zero_infinity:
                grad = grad.masked_fill(inf.view(1, n, 1), 0.0)
            return (grad.squeeze(1) if unbatched else grad,)
        record("CtcLossBackward0", nll, (log_probs,), rule)
    loss = nll
    if reduction == "mean":
        denom = tensor(tl_list, device=dev).clamp_min(1).to(nll.dtype)
        loss = (nll / denom).mean()
    elif reduction == "sum":
        loss = nll.sum()
    elif unbatched:
        loss = loss.squeeze(0)
    return loss
