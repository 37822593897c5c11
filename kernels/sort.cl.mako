## Sorting rows by a bitonic network over (key, index) pairs in global memory.
## A row of n elements is padded to P (a power of two); padding (index >= n) always sorts
## last. Ties are broken by the original index, so every order is total: results are stable
## and deterministic, descending too. NaN sorts as the largest value, as in PyTorch.
##
## sort_init(name, caps, in_dt, K, rank, index_t): copies rows of a strided input into the
##   work buffers. Arguments: rows, n, P, in, in_off, in_step, [row strides], keys, idx,
##   [row sizes]. Global size: rows * P.
## sort_step(name, caps, K, floating, descending, index_t): one compare-exchange pass of the
##   network for block size k and distance j. Arguments: rows, n, P, k, j, keys, idx.
##   Global size: rows * P / 2.
## sort_select(name, caps, out_dt, K, floating, mode, has_vals, rank, index_t): writes
##   `cnt` sorted positions per row to outputs sharing one layout: mode "range" takes
##   positions start..start+cnt, "median" the lower median (NaN if the row has one), and
##   "nanmedian" the lower median of the non-NaN values. Arguments: rows, cnt, n, P, start,
##   keys, idx, [vals, vals_off], oidx, oidx_off, out_step, [row strides], [row sizes].
## bincount(name, caps, w_dt, out_dt, W, has_w, index_t): one work-item per bin counts (or
##   sums the weights of) its run in the sorted keys by binary search. Arguments: nbins, n,
##   keys, idx, [w, w_off, w_step], out.
## scatter_dim(name, caps, dt, accumulate, index_t): puts the values of src at positions idx
##   along one dim of out (the gradients of index-selecting ops). src and idx are contiguous
##   (O, K, I), out contiguous (O, N, I) and already zero. accumulate=False: one work-item
##   per src element stores it (idx distinct along the dim); accumulate=True: one work-item
##   per (o, i) line adds its K elements in order (repeated indices, deterministic).
##   Arguments: O, K, N, I, src, src_off, idx, idx_off, out.
## gather_dim(name, caps, dt, index_t): out (O, K, I) = src (O, N, I) at positions idx along
##   the middle dim (the backward of scatter_dim).
##   Arguments: O, K, N, I, src, src_off, idx, idx_off, out.
<%namespace name="common" file="common.cl.mako"/>

<%def name="row_offset(var, rank, stride_prefix, index_t)">\
% if rank:
    {
        ${index_t} rem = r;
% for d in reversed(range(rank)):
% if d:
        ${var} += (rem % n${d}) * ${stride_prefix}${d};
        rem /= n${d};
% else:
        ${var} += rem * ${stride_prefix}0;
% endif
% endfor
    }
% endif
</%def>

<%def name="sort_init(name, caps, in_dt, K, rank, index_t)">\
__kernel void ${name}(const ${index_t} rows, const ${index_t} n, const ${index_t} P,
    __global const ${in_dt.ctype} *in, const ${index_t} in_off, const ${index_t} in_step\
% for d in range(rank):
, const ${index_t} is${d}\
% endfor
, __global ${K} *keys, __global long *idx\
% for d in range(rank):
, const ${index_t} n${d}\
% endfor
)
{
    const ${index_t} gid = get_global_id(0);
    const ${index_t} r = gid / P;
    if (r >= rows) return;
    const ${index_t} i = gid - r * P;
    ${index_t} at = in_off;
${row_offset("at", rank, "is", index_t)}
    keys[gid] = i < n ? ${common.load(in_dt, "in", "at + i * in_step", K)} : (${K})0;
    idx[gid] = i;
}
</%def>

<%def name="sort_step(name, caps, K, floating, descending, index_t)">\
inline int lt(const ${K} x, const ${K} y)
{
% if floating:
    return !isnan(x) && (isnan(y) || x < y);
% else:
    return x < y;
% endif
}

// Whether (x, ix) comes before (y, iy) in the requested order.
inline int before(const ${K} x, const long ix, const ${K} y, const long iy, const long n)
{
    if (ix >= n) return 0;
    if (iy >= n) return 1;
% if descending:
    return lt(y, x) || (!lt(x, y) && ix < iy);
% else:
    return lt(x, y) || (!lt(y, x) && ix < iy);
% endif
}

__kernel void ${name}(const ${index_t} rows, const ${index_t} n, const ${index_t} P,
    const ${index_t} k, const ${index_t} j, __global ${K} *keys, __global long *idx)
{
    const ${index_t} gid = get_global_id(0);
    const ${index_t} half_p = P >> 1;
    const ${index_t} r = gid / half_p;
    if (r >= rows) return;
    const ${index_t} q = gid - r * half_p;
    const ${index_t} i = (q / j) * 2 * j + (q % j);
    const ${index_t} a = r * P + i, b = a + j;
    const ${K} ka = keys[a], kb = keys[b];
    const long ia = idx[a], ib = idx[b];
    const int swap = (i & k) == 0 ? before(kb, ib, ka, ia, n) : before(ka, ia, kb, ib, n);
    if (swap) {
        keys[a] = kb; keys[b] = ka;
        idx[a] = ib; idx[b] = ia;
    }
}
</%def>

<%def name="sort_select(name, caps, out_dt, K, floating, mode, has_vals, rank, index_t)">\
__kernel void ${name}(const ${index_t} rows, const ${index_t} cnt, const ${index_t} n,
    const ${index_t} P, const ${index_t} start, __global const ${K} *keys,
    __global const long *idx\
% if has_vals:
, __global ${out_dt.ctype} *vals, const ${index_t} vals_off\
% endif
, __global long *oidx, const ${index_t} oidx_off, const ${index_t} out_step\
% for d in range(rank):
, const ${index_t} os${d}\
% endfor
% for d in range(rank):
, const ${index_t} n${d}\
% endfor
)
{
    const ${index_t} gid = get_global_id(0);
    const ${index_t} r = gid / cnt;
    if (r >= rows) return;
    const ${index_t} t = gid - r * cnt;
    const ${index_t} base = r * P;
% if mode == "range":
    const ${index_t} pos = start + t;
% else:
% if floating:
    // NaNs sort last: binary search for the first one.
    ${index_t} lo = 0, hi = n;
    while (lo < hi) {
        const ${index_t} mid = lo + (hi - lo) / 2;
        if (isnan(keys[base + mid])) hi = mid; else lo = mid + 1;
    }
    const ${index_t} valid = lo;
% else:
    const ${index_t} valid = n;
% endif
% if mode == "median":
    const ${index_t} pos = valid < n ? valid : (n - 1) / 2;
% else:
    const ${index_t} pos = valid > 0 ? (valid - 1) / 2 : 0;
% endif
    (void)start;
% endif
    ${index_t} oa = t * out_step;
${row_offset("oa", rank, "os", index_t)}
% if has_vals:
    ${common.store(out_dt, "vals", "vals_off + oa", "keys[base + pos]")}
% endif
    oidx[oidx_off + oa] = idx[base + pos];
}
</%def>

<%def name="bincount(name, caps, w_dt, out_dt, W, has_w, index_t)">\
inline ${index_t} lower_bound(__global const long *keys, const ${index_t} n, const long v)
{
    ${index_t} lo = 0, hi = n;
    while (lo < hi) {
        const ${index_t} mid = lo + (hi - lo) / 2;
        if (keys[mid] < v) lo = mid + 1; else hi = mid;
    }
    return lo;
}

__kernel void ${name}(const ${index_t} nbins, const ${index_t} n, __global const long *keys,
    __global const long *idx\
% if has_w:
, __global const ${w_dt.ctype} *w, const ${index_t} w_off, const ${index_t} w_step\
% endif
, __global ${out_dt.ctype} *out)
{
    const ${index_t} b = get_global_id(0);
    if (b >= nbins) return;
    const ${index_t} lo = lower_bound(keys, n, b);
    const ${index_t} hi = lower_bound(keys, n, b + 1);
% if has_w:
    // Summed in the original order of the elements (the sort is stable).
    ${W} acc = (${W})0;
    for (${index_t} t = lo; t < hi; ++t)
        acc += ${common.load(w_dt, "w", "w_off + idx[t] * w_step", W)};
    ${common.store(out_dt, "out", "b", "acc")}
% else:
    (void)idx;
    out[b] = (${out_dt.ctype})(hi - lo);
% endif
}
</%def>

<%def name="scatter_dim(name, caps, dt, accumulate, index_t)">\
<% T = "float" if dt.name in ("float16", "bfloat16") else dt.ctype %>\
__kernel void ${name}(const ${index_t} O, const ${index_t} K, const ${index_t} N,
    const ${index_t} I, __global const ${dt.ctype} *src, const ${index_t} src_off,
    __global const long *idx, const ${index_t} idx_off, __global ${dt.ctype} *out)
{
    const ${index_t} gid = get_global_id(0);
% if accumulate:
    if (gid >= O * I) return;
    const ${index_t} o = gid / I, i = gid - o * I;
    const ${index_t} sbase = o * K * I + i, obase = o * N * I + i;
    for (${index_t} j = 0; j < K; ++j) {
        const long t = idx[idx_off + sbase + j * I];
        if (t < 0 || t >= N) continue;
        const ${index_t} at = obase + (${index_t})t * I;
        const ${T} v = ${common.load(dt, "out", "at", T)}
            + ${common.load(dt, "src", "src_off + sbase + j * I", T)};
        ${common.store(dt, "out", "at", "v")}
    }
% else:
    if (gid >= O * K * I) return;
    const ${index_t} o = gid / (K * I), i = gid % I;
    const long t = idx[idx_off + gid];
    if (t < 0 || t >= N) return;
    const ${index_t} at = o * N * I + (${index_t})t * I + i;
    const ${T} v = ${common.load(dt, "src", "src_off + gid", T)};
    ${common.store(dt, "out", "at", "v")}
% endif
}
</%def>

<%def name="gather_dim(name, caps, dt, index_t)">\
<% T = "float" if dt.name in ("float16", "bfloat16") else dt.ctype %>\
__kernel void ${name}(const ${index_t} O, const ${index_t} K, const ${index_t} N,
    const ${index_t} I, __global const ${dt.ctype} *src, const ${index_t} src_off,
    __global const long *idx, const ${index_t} idx_off, __global ${dt.ctype} *out)
{
    const ${index_t} gid = get_global_id(0);
    if (gid >= O * K * I) return;
    const ${index_t} o = gid / (K * I), i = gid % I;
    const long t = idx[idx_off + gid];
    if (t < 0 || t >= N) {
        ${common.store(dt, "out", "gid", "0")}
        return;
    }
    const ${index_t} at = o * N * I + (${index_t})t * I + i;
    const ${T} v = ${common.load(dt, "src", "src_off + at", T)};
    ${common.store(dt, "out", "gid", "v")}
}
</%def>
