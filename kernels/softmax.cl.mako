## Softmax and log-softmax along one dim of a contiguous tensor viewed as (O, N, I): the
## row (o, i) holds the N elements at o * N * I + k * I + i. One work-item per row; the
## row maximum is subtracted before exponentiating (numerically stable).
##
## softmax_fwd(name, caps, dt, T, log, index_t): out = softmax(x) (log: log_softmax).
##   Arguments: O, N, I, x, x_off, out (contiguous, offset 0).
## softmax_bwd(name, caps, dt, T, log, index_t): the gradient from the output y and its
##   gradient g: softmax: y * (g - sum(g * y)); log_softmax: g - exp(y) * sum(g).
##   Arguments: O, N, I, g, g_off, y, y_off, out (contiguous, offset 0).
## dt: the clgrad dtype of every tensor; T: the compute type (float for half).
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def softmax_fwd(dt, index_t, **_):
    return [scalar(index_t, "O", "N", "I"), tensor(dt.ctype, "x", index_t),
            buffer(dt.ctype, "out")]


@declare(SIGNATURES)
def softmax_bwd(dt, index_t, **_):
    return [scalar(index_t, "O", "N", "I"), tensor(dt.ctype, "g", index_t),
            tensor(dt.ctype, "y", index_t), buffer(dt.ctype, "out")]
%>

<%def name="softmax_fwd(name, caps, dt, T, log, index_t)">\
__kernel void ${name}(${signature})
{
    const ${index_t} r = get_global_id(0);
    if (r >= O * I) return;
    const ${index_t} o = r / I;
    const ${index_t} base = o * N * I + (r - o * I);
    ${T} m = -INFINITY;
    for (${index_t} k = 0; k < N; ++k) {
        const ${T} v = ${common.load(dt, "x", "x_off + base + k * I", T)};
        m = (v > m || isnan(v)) ? v : m;
    }
    ${T} s = 0;
    for (${index_t} k = 0; k < N; ++k)
        s += exp(${common.load(dt, "x", "x_off + base + k * I", T)} - m);
% if log:
    const ${T} shift = m + log(s);
    for (${index_t} k = 0; k < N; ++k) {
        const ${T} v = ${common.load(dt, "x", "x_off + base + k * I", T)};
        ${common.store(dt, "out", "base + k * I", "v - shift")}
    }
% else:
    const ${T} inv = (${T})1 / s;
    for (${index_t} k = 0; k < N; ++k) {
        const ${T} v = ${common.load(dt, "x", "x_off + base + k * I", T)};
        ${common.store(dt, "out", "base + k * I", "exp(v - m) * inv")}
    }
% endif
}
</%def>

<%def name="softmax_bwd(name, caps, dt, T, log, index_t)">\
__kernel void ${name}(${signature})
{
    const ${index_t} r = get_global_id(0);
    if (r >= O * I) return;
    const ${index_t} o = r / I;
    const ${index_t} base = o * N * I + (r - o * I);
    ${T} s = 0;
    for (${index_t} k = 0; k < N; ++k) {
        const ${index_t} j = base + k * I;
% if log:
        s += ${common.load(dt, "g", "g_off + j", T)};
% else:
        s += ${common.load(dt, "g", "g_off + j", T)} * ${common.load(dt, "y", "y_off + j", T)};
% endif
    }
    for (${index_t} k = 0; k < N; ++k) {
        const ${index_t} j = base + k * I;
        const ${T} gv = ${common.load(dt, "g", "g_off + j", T)};
        const ${T} yv = ${common.load(dt, "y", "y_off + j", T)};
% if log:
        ${common.store(dt, "out", "j", "gv - exp(yv) * s")}
% else:
        ${common.store(dt, "out", "j", "yv * (gv - s)")}
% endif
    }
}
</%def>
