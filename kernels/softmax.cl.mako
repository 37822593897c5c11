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
## softmax_rows(name, caps, dt, T, log, V, index_t): the forward over contiguous rows (I == 1),
##   one work-item per row, in vectors of V elements (V = 1: scalars; Oclgrind cannot
##   simulate vector arithmetic): a max pass, an exp pass that stores exp(x - max) (softmax)
##   and sums it, a scaling pass; exp runs once per element. float32 and float64 only.
##   Arguments: O, N, x, x_off, out (contiguous, offset 0).
## softmax_rows_bwd(name, caps, dt, T, log, V, index_t): softmax_bwd over contiguous rows
##   likewise. Arguments: O, N, g, g_off, y, y_off, out (contiguous, offset 0).
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def softmax_fwd(dt, index_t, **_):
    return [scalar(index_t, "O", "N", "I"), tensor(dt.ctype, "x", index_t),
            buffer(dt.ctype, "out")]


@declare(SIGNATURES)
def softmax_rows(dt, index_t, **_):
    return [scalar(index_t, "O", "N"), tensor(dt.ctype, "x", index_t), buffer(dt.ctype, "out")]


@declare(SIGNATURES)
def softmax_rows_bwd(dt, index_t, **_):
    return [scalar(index_t, "O", "N"), tensor(dt.ctype, "g", index_t),
            tensor(dt.ctype, "y", index_t), buffer(dt.ctype, "out")]


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

<%def name="softmax_rows(name, caps, dt, T, log, V, index_t)">\
<%
    I = index_t
    TV = T if V == 1 else "%s%d" % (T, V)
    def vload(ptr, k):
        return "%s[%s]" % (ptr, k) if V == 1 else "vload%d(%s, %s)" % (V, k, ptr)
    def vstore(val, ptr, k):
        return "%s[%s] = %s;" % (ptr, k, val) if V == 1 else "vstore%d(%s, %s, %s);" % (V, val, k, ptr)
    def better(v, m):  # v where v > m or v is NaN, else m
        return "((%s > %s || isnan(%s)) ? %s : %s)" % (v, m, v, v, m) if V == 1 else \
            "select(%s, %s, (%s > %s) | isnan(%s))" % (m, v, v, m, v)
    lanes = ["s%x" % u for u in range(V)] if V > 1 else []
%>\
__kernel void ${name}(${signature})
{
    const ${I} r = get_global_id(0);
    if (r >= O) return;
    const __global ${T} *row = x + x_off + r * N;
    __global ${T} *dst = out + r * N;
    const ${I} nv = N / ${V};
    ${TV} mv = (${TV})(-INFINITY);
    for (${I} k = 0; k < nv; ++k) {
        const ${TV} v = ${vload("row", "k")};
        mv = ${better("v", "mv")};
    }
% if V > 1:
    ${T} m = mv.s0;
% for c in lanes[1:]:
    m = (mv.${c} > m || isnan(mv.${c})) ? mv.${c} : m;
% endfor
% else:
    ${T} m = mv;
% endif
    for (${I} k = nv * ${V}; k < N; ++k) {
        const ${T} v = row[k];
        m = (v > m || isnan(v)) ? v : m;
    }
    ${TV} sv = (${TV})0;
    for (${I} k = 0; k < nv; ++k) {
        const ${TV} e = exp(${vload("row", "k")} - m);
% if not log:
        ${vstore("e", "dst", "k")}
% endif
        sv += e;
    }
% if V > 1:
    ${T} s = ${" + ".join("sv.%s" % c for c in lanes)};
% else:
    ${T} s = sv;
% endif
    for (${I} k = nv * ${V}; k < N; ++k) {
        const ${T} e = exp(row[k] - m);
% if not log:
        dst[k] = e;
% endif
        s += e;
    }
% if log:
    const ${T} shift = m + log(s);
    for (${I} k = 0; k < nv; ++k) {
        ${vstore(vload("row", "k") + " - shift", "dst", "k")}
    }
    for (${I} k = nv * ${V}; k < N; ++k)
        dst[k] = row[k] - shift;
% else:
    const ${T} inv = (${T})1 / s;
    for (${I} k = 0; k < nv; ++k) {
        ${vstore(vload("dst", "k") + " * inv", "dst", "k")}
    }
    for (${I} k = nv * ${V}; k < N; ++k)
        dst[k] *= inv;
% endif
}
</%def>

<%def name="softmax_rows_bwd(name, caps, dt, T, log, V, index_t)">\
<%
    I = index_t
    TV = T if V == 1 else "%s%d" % (T, V)
    def vload(ptr, k):
        return "%s[%s]" % (ptr, k) if V == 1 else "vload%d(%s, %s)" % (V, k, ptr)
    def vstore(val, ptr, k):
        return "%s[%s] = %s;" % (ptr, k, val) if V == 1 else "vstore%d(%s, %s, %s);" % (V, val, k, ptr)
    lanes = ["s%x" % u for u in range(V)] if V > 1 else []
%>\
__kernel void ${name}(${signature})
{
    const ${I} r = get_global_id(0);
    if (r >= O) return;
    const __global ${T} *gr = g + g_off + r * N;
    const __global ${T} *yr = y + y_off + r * N;
    __global ${T} *dst = out + r * N;
    const ${I} nv = N / ${V};
    ${TV} sv = (${TV})0;
    for (${I} k = 0; k < nv; ++k)
% if log:
        sv += ${vload("gr", "k")};
% else:
        sv += ${vload("gr", "k")} * ${vload("yr", "k")};
% endif
% if V > 1:
    ${T} s = ${" + ".join("sv.%s" % c for c in lanes)};
% else:
    ${T} s = sv;
% endif
    for (${I} k = nv * ${V}; k < N; ++k)
% if log:
        s += gr[k];
% else:
        s += gr[k] * yr[k];
% endif
    for (${I} k = 0; k < nv; ++k) {
% if log:
        ${vstore(vload("gr", "k") + " - exp(" + vload("yr", "k") + ") * s", "dst", "k")}
% else:
        ${vstore(vload("yr", "k") + " * (" + vload("gr", "k") + " - s)", "dst", "k")}
% endif
    }
    for (${I} k = nv * ${V}; k < N; ++k)
% if log:
        dst[k] = gr[k] - exp(yr[k]) * s;
% else:
        dst[k] = yr[k] * (gr[k] - s);
% endif
}
</%def>
