## Advanced indexing, gather/scatter and their relatives: one strided "index map" kernel.
##
## index_map(name, caps, dt, mode, K, rank, serial): walks an iteration space of `rank` dims
##   (sizes n0..). Each point has an element of `oth` (strided, stride 0 where broadcast) and
##   a position in `tgt`: tgt_off + sum(coord * tst) + sum over the K index tensors of
##   (index value, wrapped once if negative) * ast_k. An index outside [0, size_k) sets
##   flag[0] (atomic_or) and its point is skipped: the kernel never touches memory outside
##   a buffer, and the host raises the error. mode "get": oth = tgt[pos] (0 when skipped);
##   "set": tgt[pos] = oth; "add", "mul", "max", "min": tgt[pos] = op(tgt[pos], oth).
##   serial: one work-item walks S consecutive points (the trailing dims, where repeated
##   indices can meet) in order, so accumulation is deterministic without float atomics.
##   Arguments: P, S, tgt, tgt_off, [tst_d], K x (idx_k, idx_off_k, [ist_k_d], size_k, ast_k),
##   oth, oth_off, [ost_d], [n_d], flag. Global size: P (S = 1 when not serial).
## nonzero(name, caps, rank): writes the coordinates of each set element of a contiguous
##   bool mask to row pos[i] - 1 of out (count, rank); pos is the inclusive cumsum of mask.
##   Arguments: n, mask, pos, out, [n_d]. Global size: n.
<%namespace name="common" file="common.cl.mako"/>

<%def name="index_map(name, caps, dt, mode, K, rank, serial)">\
<% T = "float" if dt.name in ("float16", "bfloat16") else dt.ctype %>\
__kernel void ${name}(const long P, const long S,
    __global ${dt.ctype} *tgt, const long tgt_off\
% for d in range(rank):
, const long tst${d}\
% endfor
% for k in range(K):
,
    __global const long *idx${k}, const long idx_off${k}\
% for d in range(rank):
, const long ist${k}_${d}\
% endfor
, const long size${k}, const long ast${k}\
% endfor
,
    __global ${dt.ctype} *oth, const long oth_off\
% for d in range(rank):
, const long ost${d}\
% endfor
% for d in range(rank):
, const long n${d}\
% endfor
, __global int *flag)
{
    const long p = get_global_id(0);
    if (p >= P) return;
% if serial:
    for (long s = 0; s < S; ++s) {
        long lin = p * S + s;
% else:
    {
        long lin = p;
% endif
        long t = tgt_off, o = oth_off;
% for k in range(K):
        long i${k} = idx_off${k};
% endfor
% for d in reversed(range(rank)):
        {
            // q/c rather than % and /=: Oclgrind cannot simulate the freeze LLVM emits.
            const long q = lin / n${d};
            const long c = lin - q * n${d};
            lin = q;
            t += c * tst${d};
            o += c * ost${d};
% for k in range(K):
            i${k} += c * ist${k}_${d};
% endfor
        }
% endfor
        int ok = 1;
% for k in range(K):
        {
            long v = idx${k}[i${k}];
            if (v < 0) v += size${k};
            if (v < 0 || v >= size${k}) ok = 0;
            else t += v * ast${k};
        }
% endfor
        if (!ok) {
            atomic_or(flag, 1);
% if mode == "get":
            ${common.store(dt, "oth", "o", "0")}
% endif
        } else {
% if mode == "get":
            ${common.store(dt, "oth", "o", capture(common.load, dt, "tgt", "t", T))}
% elif mode == "set":
            ${common.store(dt, "tgt", "t", capture(common.load, dt, "oth", "o", T))}
% else:
            const ${T} a = ${common.load(dt, "tgt", "t", T)};
            const ${T} b = ${common.load(dt, "oth", "o", T)};
% if mode == "add":
            ${common.store(dt, "tgt", "t", "a + b")}
% elif mode == "mul":
            ${common.store(dt, "tgt", "t", "a * b")}
% elif mode == "max":
            ## NaN wins, as in PyTorch's amax.
            ${common.store(dt, "tgt", "t", "(a > b || a != a) ? a : b")}
% else:
            ${common.store(dt, "tgt", "t", "(a < b || a != a) ? a : b")}
% endif
% endif
        }
    }
}
</%def>

<%def name="nonzero(name, caps, rank)">\
__kernel void ${name}(const long n, __global const uchar *mask, __global const long *pos,
    __global long *out\
% for d in range(rank):
, const long n${d}\
% endfor
)
{
    const long gid = get_global_id(0);
    if (gid >= n || !mask[gid]) return;
    const long row = (pos[gid] - 1) * ${rank};
    long lin = gid;
% for d in reversed(range(rank)):
    {
        const long q = lin / n${d};
        out[row + ${d}] = lin - q * n${d};
        lin = q;
    }
% endfor
}
</%def>
