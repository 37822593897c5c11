## Inclusive scans along one dim, one work-item per row (every other dim).
## scan(name, caps, in_dt, out_dt, T, kind, floating, rank, index_t):
##   in_dt/out_dt: clgrad dtypes; T: the accumulator type; kind: "sum", "prod", "max", "min"
##   (max/min also write the index of the running extreme: PyTorch's >= / <= rule, NaN sticks);
##   rank: the row dims after coalescing.
## Arguments: n_rows, m, in, in_off, in_step, [in row strides], out, out_off, out_step,
##   [out row strides], [idx, idx_off (same strides as out)], [row sizes].
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import declare, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def scan(in_dt, out_dt, kind, rank, index_t, **_):
    idx = [tensor("long", "idx", index_t, const=False)] if kind in ("max", "min") else []
    return [scalar(index_t, "n_rows", "m"), tensor(in_dt.ctype, "in", index_t),
            scalar(index_t, "in_step", *[f"is{d}" for d in range(rank)]),
            tensor(out_dt.ctype, "out", index_t, const=False),
            scalar(index_t, "out_step", *[f"os{d}" for d in range(rank)]), *idx,
            scalar(index_t, *[f"n{d}" for d in range(rank)])]
%>

<%def name="scan(name, caps, in_dt, out_dt, T, kind, floating, rank, index_t)">\
<% with_idx = kind in ("max", "min") %>\
__kernel void ${name}(${signature})
{
    const ${index_t} gid = get_global_id(0);
    if (gid >= n_rows) return;
    ${index_t} ia = in_off, oa = 0;
% if rank:
    {
        ${index_t} rem = gid;
% for d in reversed(range(rank)):
% if d:
        // q rather than % then /=: Oclgrind 21.10 cannot simulate the freeze LLVM emits
        const ${index_t} q${d} = rem / n${d};
        const ${index_t} i${d} = rem - q${d} * n${d};
        rem = q${d};
% else:
        const ${index_t} i${d} = rem;
% endif
        ia += i${d} * is${d};
        oa += i${d} * os${d};
% endfor
    }
% endif
% if kind in ("sum", "prod"):
    ${T} acc = (${T})${0 if kind == "sum" else 1};
    for (${index_t} j = 0; j < m; ++j) {
        const ${T} x = ${common.load(in_dt, "in", "ia + j * in_step", T)};
        acc ${"+" if kind == "sum" else "*"}= x;
        ${common.store(out_dt, "out", "out_off + oa + j * out_step", "acc")}
    }
% else:
<% op = ">=" if kind == "max" else "<=" %>\
    ${T} acc = (${T})0;
    long ai = 0;
    for (${index_t} j = 0; j < m; ++j) {
        const ${T} x = ${common.load(in_dt, "in", "ia + j * in_step", T)};
% if floating:
        if (j == 0 || isnan(x) || (!isnan(acc) && x ${op} acc)) {
% else:
        if (j == 0 || x ${op} acc) {
% endif
            acc = x;
            ai = j;
        }
        ${common.store(out_dt, "out", "out_off + oa + j * out_step", "acc")}
        idx[idx_off + oa + j * out_step] = ai;
    }
% endif
}
</%def>
