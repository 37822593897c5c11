## Inclusive scans along one dim, one work-item per row (every other dim).
## scan(name, caps, in_dt, out_dt, T, kind, floating, rank, index_t):
##   in_dt/out_dt: clgrad dtypes; T: the accumulator type; kind: "sum", "prod", "max", "min"
##   (max/min also write the index of the running extreme: PyTorch's >= / <= rule, NaN sticks);
##   rank: the row dims after coalescing.
## Arguments: n_rows, m, in, in_off, in_step, [in row strides], out, out_off, out_step,
##   [out row strides], [idx, idx_off (same strides as out)], [row sizes].
<%namespace name="common" file="common.cl.mako"/>

<%def name="scan(name, caps, in_dt, out_dt, T, kind, floating, rank, index_t)">\
<% with_idx = kind in ("max", "min") %>\
__kernel void ${name}(const ${index_t} n_rows, const ${index_t} m,
    __global const ${in_dt.ctype} *in, const ${index_t} in_off, const ${index_t} in_step\
% for d in range(rank):
, const ${index_t} is${d}\
% endfor
,
    __global ${out_dt.ctype} *out, const ${index_t} out_off, const ${index_t} out_step\
% for d in range(rank):
, const ${index_t} os${d}\
% endfor
% if with_idx:
,
    __global long *idx, const ${index_t} idx_off\
% endif
% for d in range(rank):
, const ${index_t} n${d}\
% endfor
)
{
    const ${index_t} gid = get_global_id(0);
    if (gid >= n_rows) return;
    ${index_t} ia = in_off, oa = 0;
% if rank:
    {
        ${index_t} rem = gid;
% for d in reversed(range(rank)):
% if d:
        const ${index_t} i${d} = rem % n${d};
        rem /= n${d};
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
