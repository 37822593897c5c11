## Device-side value checks for inputs only the device holds: each kernel reports the first
## bad value it meets in the queue's error word (common.reporter; the host raises PyTorch's
## error at its next wait, backends/cl/checks.py). They read and write nothing else.
##
## in_range(name, caps, dt, T, index_t): reports checks.DOMAIN (7) for an element of x (n
##   elements, contiguous from x_off) outside [lo, hi], NaN included (PyTorch's check is
##   `x >= lo && x <= hi`). One work-item per element.
##   Arguments: n, x, x_off, lo, hi, err, err_id. Global size: n.
## probabilities(name, caps, dt, T): rows of ncat probabilities (contiguous from p_off), one
##   work-item per row: reports checks.PROBABILITY (4) for a negative, infinite or NaN value,
##   else checks.PROB_SUM (5) for a row summing to 0, else checks.PROB_FEW (6) for fewer
##   than `need` positive categories (sampling without replacement; need = 0 otherwise).
##   Arguments: rows, ncat, need, p, p_off, err, err_id. Global size: rows.
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import declare, error_word, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def in_range(dt, T, index_t, **_):
    return [scalar(index_t, "n"), tensor(dt.ctype, "x", index_t), scalar(T, "lo", "hi"),
            *error_word()]


@declare(SIGNATURES)
def probabilities(dt, **_):
    return [scalar("long", "rows", "ncat", "need"), tensor(dt.ctype, "p", "long"),
            *error_word()]
%>

<%def name="in_range(name, caps, dt, T, index_t)">\
${common.reporter()}
__kernel void ${name}(${signature})
{
    const ${index_t} gid = get_global_id(0);
    if (gid >= n) return;
    const ${T} v = ${common.load(dt, "x", "x_off + gid", T)};
    if (!(v >= lo && v <= hi)) clgrad_report(err, err_id, 7, 0);
}
</%def>

<%def name="probabilities(name, caps, dt, T)">\
${common.reporter()}
__kernel void ${name}(${signature})
{
    const long r = get_global_id(0);
    if (r >= rows) return;
    ${T} sum = 0;
    long positive = 0;
    for (long c = 0; c < ncat; ++c) {
        const ${T} v = ${common.load(dt, "p", "p_off + r * ncat + c", T)};
        if (!(v >= 0) || isinf(v)) {
            clgrad_report(err, err_id, 4, 0);
            return;
        }
        sum += v;
        positive += v > 0;
    }
    if (!(sum > 0)) clgrad_report(err, err_id, 5, 0);
    else if (positive < need) clgrad_report(err, err_id, 6, 0);
}
</%def>
