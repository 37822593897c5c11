## Negative log-likelihood (the second half of cross entropy) over log-probabilities laid
## out contiguously as (N, C, D) (D: the product of the extra dims, 1 for (N, C) inputs) and
## int64 targets (N, D). A target equal to ignore_index contributes 0 (and no weight); a
## target outside [0, C) never reads out of bounds: it gives NaN and reports checks.TARGET
## with its value in the error word (the host raises PyTorch's IndexError at its next wait).
##
## nll_none(name, caps, dt, T, has_w, index_t): out[n, d] = -w[t] * x[n, t, d], one
##   work-item per (n, d). Arguments: N, C, D, x, x_off, t, t_off, [w, w_off], ignore, out,
##   err, err_id.
## nll_reduce(name, caps, dt, T, has_w, mean, tree, index_t): out[0] = the sum of the
##   weighted losses (mean: sum / total weight) and tw[0] = the total weight (kept for the
##   backward). tree: one work-group sums in local memory (GPUs); otherwise one work-item
##   loops (CPU devices run a work-group on one core anyway, and PoCL spends ~1 s generating
##   code for the barriers of the tree). Arguments: N, C, D, x, x_off, t, t_off, [w, w_off],
##   ignore, out, tw (T), [scratch (local, 2 * group size of T)], err, err_id.
## nll_bwd(name, caps, dt, T, has_w, reduced, mean, index_t): the gradient of x (N, C, D):
##   -w[t] * g at the target class, 0 elsewhere; g is out's gradient (one value when
##   reduced, divided by tw[0] for the mean). One work-item per element of x.
##   Arguments: N, C, D, g, g_off, t, t_off, [w, w_off], ignore, [tw], out.
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, error_word, local_mem, scalar, tensor

SIGNATURES = {}


def head(dt, has_w, index_t, x="x"):
    """N, C, D, the input (x or g), the targets t and the optional class weights w."""
    w = [tensor(dt.ctype, "w", index_t)] if has_w else []
    return [scalar(index_t, "N", "C", "D"), tensor(dt.ctype, x, index_t),
            tensor("long", "t", index_t), *w, scalar("long", "ignore")]


@declare(SIGNATURES)
def nll_none(dt, has_w, index_t, **_):
    return head(dt, has_w, index_t) + [buffer(dt.ctype, "out")] + error_word()


@declare(SIGNATURES)
def nll_reduce(dt, T, has_w, tree, index_t, **_):
    scratch = [local_mem(T, "scratch")] if tree else []
    return (head(dt, has_w, index_t) + [buffer(dt.ctype, "out"), buffer(T, "tw"), *scratch]
            + error_word())


@declare(SIGNATURES)
def nll_bwd(dt, T, has_w, mean, index_t, **_):
    tw = [buffer(T, "tw", const=True)] if mean else []
    return head(dt, has_w, index_t, "g") + tw + [buffer(dt.ctype, "out")]
%>

<%def name="weight_of(has_w, dt, T, cls)">\
% if has_w:
${common.load(dt, "w", "w_off + " + cls, T)}\
% else:
(${T})1\
% endif
</%def>

<%def name="nll_none(name, caps, dt, T, has_w, index_t)">\
${common.reporter()}
__kernel void ${name}(${signature})
{
    const ${index_t} r = get_global_id(0);
    if (r >= N * D) return;
    const ${index_t} n = r / D;
    const ${index_t} d = r - n * D;
    const long c = t[t_off + r];
    ${T} v = 0;
    if (c != ignore) {
        if (c < 0 || c >= C) {
            clgrad_report(err, err_id, 1, c);  // checks.TARGET
            v = NAN;
        } else {
            const ${index_t} ci = (${index_t})c;
            v = -${weight_of(has_w, dt, T, "ci")} * ${common.load(dt, "x", "x_off + (n * C + ci) * D + d", T)};
        }
    }
    ${common.store(dt, "out", "r", "v")}
}
</%def>

<%def name="nll_reduce(name, caps, dt, T, has_w, mean, tree, index_t)">\
${common.reporter()}
__kernel void ${name}(${signature})
{
% if tree:
    const ${index_t} lid = get_local_id(0);
    const ${index_t} L = get_local_size(0);
% else:
    const ${index_t} lid = 0, L = 1;
% endif
    ${T} s = 0, ws = 0;
    for (${index_t} r = lid; r < N * D; r += L) {
        const long c = t[t_off + r];
        if (c == ignore) continue;
        if (c < 0 || c >= C) {
            clgrad_report(err, err_id, 1, c);  // checks.TARGET
            s = NAN;
            continue;
        }
        const ${index_t} n = r / D;
        const ${index_t} ci = (${index_t})c;
        const ${T} wv = ${weight_of(has_w, dt, T, "ci")};
        s -= wv * ${common.load(dt, "x", "x_off + (n * C + ci) * D + (r - n * D)", T)};
        ws += wv;
    }
% if tree:
    scratch[lid] = s;
    scratch[L + lid] = ws;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (${index_t} k = L / 2; k > 0; k >>= 1) {
        if (lid < k) {
            scratch[lid] += scratch[lid + k];
            scratch[L + lid] += scratch[L + lid + k];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        tw[0] = scratch[L];
% if mean:
        ${common.store(dt, "out", "0", "scratch[0] / scratch[L]")}
% else:
        ${common.store(dt, "out", "0", "scratch[0]")}
% endif
    }
% else:
    tw[0] = ws;
% if mean:
    ${common.store(dt, "out", "0", "s / ws")}
% else:
    ${common.store(dt, "out", "0", "s")}
% endif
% endif
}
</%def>

<%def name="nll_bwd(name, caps, dt, T, has_w, reduced, mean, index_t)">\
__kernel void ${name}(${signature})
{
    const ${index_t} e = get_global_id(0);
    if (e >= N * C * D) return;
    const ${index_t} nc = e / D;
    const ${index_t} d = e - nc * D;
    const ${index_t} n = nc / C;
    const ${index_t} ci = nc - n * C;
    const ${index_t} r = n * D + d;
    const long c = t[t_off + r];
    ${T} v = 0;
    if (c == (long)ci && c != ignore) {
% if reduced:
        v = -${weight_of(has_w, dt, T, "ci")} * ${common.load(dt, "g", "g_off", T)};
% else:
        v = -${weight_of(has_w, dt, T, "ci")} * ${common.load(dt, "g", "g_off + r", T)};
% endif
% if mean:
        v = v / tw[0];
% endif
    }
    ${common.store(dt, "out", "e", "v")}
}
</%def>
