## Sorting rows by a bitonic network over (key, index) pairs in global memory.
## A row of n elements is padded to P (a power of two); padding (index >= n) always sorts
## last. Ties are broken by the original index, so every order is total: results are stable
## and deterministic, descending too. NaN sorts as the largest value, as in PyTorch.
##
## sort_init(name, caps, in_dt, K, rank, index_t): copies rows of a strided input into the
##   work buffers. Arguments: rows, n, P, src, src_off, in_step, [row strides], keys, idx,
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
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def sort_init(in_dt, K, rank, index_t, **_):
    return [scalar(index_t, "rows", "n", "P"), tensor(in_dt.ctype, "src", index_t),
            scalar(index_t, "in_step", *[f"is{d}" for d in range(rank)]),
            buffer(K, "keys"), buffer("long", "idx"),
            scalar(index_t, *[f"n{d}" for d in range(rank)])]


@declare(SIGNATURES)
def sort_step(K, index_t, **_):
    return [scalar(index_t, "rows", "n", "P", "k", "j"), buffer(K, "keys"), buffer("long", "idx")]


@declare(SIGNATURES)
def sort_select(out_dt, K, has_vals, rank, index_t, **_):
    vals = [tensor(out_dt.ctype, "vals", index_t, const=False)] if has_vals else []
    return [scalar(index_t, "rows", "cnt", "n", "P", "start"), buffer(K, "keys", const=True),
            buffer("long", "idx", const=True), *vals, tensor("long", "oidx", index_t, const=False),
            scalar(index_t, "out_step", *[f"os{d}" for d in range(rank)],
                   *[f"n{d}" for d in range(rank)])]


@declare(SIGNATURES)
def bincount(w_dt, out_dt, has_w, index_t, **_):
    w = [tensor(w_dt.ctype, "w", index_t, strides=["w_step"])] if has_w else []
    return [scalar(index_t, "nbins", "n"), buffer("long", "keys", const=True),
            buffer("long", "idx", const=True), *w, buffer(out_dt.ctype, "out")]
%>

<%def name="row_offset(var, rank, stride_prefix, index_t)">\
% if rank:
    {
        ${index_t} rem = r;
% for d in reversed(range(rank)):
% if d:
        {
            // q rather than % then /=: Oclgrind 21.10 cannot simulate the freeze LLVM emits
            const ${index_t} q = rem / n${d};
            ${var} += (rem - q * n${d}) * ${stride_prefix}${d};
            rem = q;
        }
% else:
        ${var} += rem * ${stride_prefix}0;
% endif
% endfor
    }
% endif
</%def>

<%def name="sort_init(name, caps, in_dt, K, rank, index_t)">\
__kernel void ${name}(${signature})
{
    const ${index_t} gid = get_global_id(0);
    const ${index_t} r = gid / P;
    if (r >= rows) return;
    const ${index_t} i = gid - r * P;
    ${index_t} at = src_off;
${row_offset("at", rank, "is", index_t)}
    keys[gid] = i < n ? ${common.load(in_dt, "src", "at + i * in_step", K)} : (${K})0;
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

__kernel void ${name}(${signature})
{
    const ${index_t} gid = get_global_id(0);
    const ${index_t} half_p = P >> 1;
    const ${index_t} r = gid / half_p;
    if (r >= rows) return;
    const ${index_t} q = gid - r * half_p;
    const ${index_t} qj = q / j;
    const ${index_t} i = qj * 2 * j + (q - qj * j);  // not q % j after q / j (Oclgrind)
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
__kernel void ${name}(${signature})
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

__kernel void ${name}(${signature})
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
