## Advanced indexing, gather/scatter and their relatives: one strided "index map" kernel.
##
## index_map(name, caps, dt, mode, K, rank, serial, wrap): walks an iteration space of `rank`
##   dims (sizes n0..). Each point has an element of `oth` (strided, stride 0 where broadcast)
##   and a position in `tgt`: tgt_off + sum(coord * tst) + sum over the K index tensors of
##   (index value, wrapped once if negative when `wrap`, as x[-1]; not for gather or
##   index_select, where PyTorch refuses negative indices) * ast_k. An index outside
##   [0, size_k) is reported on the queue's error word (checks.INDEX + (k << 8), the value as
##   given) and its point is skipped: the kernel never touches memory outside a buffer, and the
##   host raises the error at its next synchronisation. mode "get": oth = tgt[pos] (0 when
##   skipped);
##   "set": tgt[pos] = oth; "add", "mul", "max", "min": tgt[pos] = op(tgt[pos], oth).
##   serial: one work-item walks S consecutive points (the trailing dims, where repeated
##   indices can meet) in order, so accumulation is deterministic without float atomics.
##   Arguments: P, S, tgt, tgt_off, [tst_d], K x (idx_k, idx_k_off, [ist_k_d], size_k, ast_k),
##   oth, oth_off, [ost_d], [n_d], err, err_id. Global size: P (S = 1 when not serial).
## nonzero(name, caps, rank): writes the coordinates of each set element of a contiguous
##   bool mask to row pos[i] - 1 of out (count, rank); pos is the inclusive cumsum of mask.
##   Arguments: n, mask, pos, out, [n_d]. Global size: n.
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
<%!
from clgrad.kernels.signature import buffer, declare, error_word, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def index_map(dt, K, rank, **_):
    args = [scalar("long", "P", "S"), tensor(dt.ctype, "tgt", "long", const=False),
            scalar("long", *[f"tst{d}" for d in range(rank)])]
    for k in range(K):
        args += [tensor("long", f"idx{k}", "long", strides=[f"ist{k}_{d}" for d in range(rank)]),
                 scalar("long", f"size{k}", f"ast{k}")]
    return args + [tensor(dt.ctype, "oth", "long", const=False, strides=[f"ost{d}" for d in range(rank)]),
                   scalar("long", *[f"n{d}" for d in range(rank)])] + error_word()


@declare(SIGNATURES)
def nonzero(rank, **_):
    return [scalar("long", "n"), buffer("uchar", "mask", const=True),
            buffer("long", "pos", const=True), buffer("long", "out"),
            scalar("long", *[f"n{d}" for d in range(rank)])]


@declare(SIGNATURES)
def scatter_dim(dt, index_t, **_):
    return [scalar(index_t, "O", "K", "N", "I"), tensor(dt.ctype, "src", index_t),
            tensor("long", "idx", index_t), buffer(dt.ctype, "out")]


@declare(SIGNATURES)
def gather_dim(dt, index_t, **_):
    return [scalar(index_t, "O", "K", "N", "I"), tensor(dt.ctype, "src", index_t),
            tensor("long", "idx", index_t), buffer(dt.ctype, "out")]
%>

<%def name="index_map(name, caps, dt, mode, K, rank, serial, wrap=True)">\
<% T = "float" if dt.name in ("float16", "bfloat16") else dt.ctype %>\
${common.reporter()}
__kernel void ${name}(${signature})
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
        long i${k} = idx${k}_off;
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
            const long given = idx${k}[i${k}];
% if wrap:
            const long v = given < 0 ? given + size${k} : given;
% else:
            const long v = given;
% endif
            if (v < 0 || v >= size${k}) {
                // checks.INDEX, tensor k in the high bits: the host's message names its dim.
                if (ok) clgrad_report(err, err_id, ${3 + (k << 8)}, given);
                ok = 0;
            } else {
                t += v * ast${k};
            }
        }
% endfor
        if (!ok) {
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
__kernel void ${name}(${signature})
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

<%def name="scatter_dim(name, caps, dt, accumulate, index_t)">\
<% T = "float" if dt.name in ("float16", "bfloat16") else dt.ctype %>\
__kernel void ${name}(${signature})
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
__kernel void ${name}(${signature})
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
