## Reductions over the trailing ("inner") axes of a permuted strided view of the input.
## The input is read in place: the kept ("outer") dims and the reduced ("inner") dims each
## come with their own sizes and strides (coalesced), so no copy is made first.
##
## Template parameters shared by both defs:
##   name, caps; in_dt: the input's clgrad dtype; T: the accumulator type (float for half,
##   double, long for ints and bool); map_expr: OpenCL C over x (the element as T), a (aux),
##   p (param) giving the value combined; combine: "sum", "prod", "max", "min", "and", "or";
##   arg: True to track the index of the max/min (combine "max"/"min") beside the value;
##   floating: whether T is a floating type (NaN handling); outer_rank, inner_rank: dims after
##   coalescing; inner_contig: the single inner dim has stride 1; index_t: "int" or "long";
##   has_aux: a per-output T buffer `aux` read as `a`.
##
## reduce(..., out_dt, finalize, has_out, has_idx, idx_in): one work-item per output.
##   finalize: OpenCL C over acc, n (the reduced count as T), a, p; idx_in: element indices
##   come from a long buffer beside the input (the second pass over partials).
##   Arguments: n_out, m, n, p, in, in_off, [in_idx, in_idx_off], outer strides, outer sizes,
##   inner strides, inner sizes, [aux], [out, out_off], [out_idx, out_idx_off].
##
## partial(..., chunked, unroll): the first pass of a two-stage reduction. Each work-group
##   reduces a share of one output's inner range in local memory and writes one partial (and
##   index). Work-items stride through the range (coalesced on GPUs) or, when chunked, each
##   takes `chunk` consecutive elements (CPU devices, unrolled `unroll` times).
##   Arguments: n_out, m, groups, chunk, p, in, in_off, outer strides, outer sizes, inner strides,
##   inner sizes, [aux], part, [part_idx], lacc (local T[group]), [lidx (local long[group])].
##
## chunks(..., out_dt, finalize, lanes, unroll, final): CPU devices, no index tracked. One
##   work-item per (block of outputs, chunk c of the reduced range), no local memory; `groups`
##   chunks of `chunk` reduced elements per block. lanes == 0: a block is one output, its chunk
##   folded in runs of contiguous elements (`run` long: m when the inner range is contiguous,
##   the last inner dim's size when only it has stride 1, else 1) with `unroll` independent
##   accumulators. lanes > 0: the last outer dim has stride 1 and a block is up to `lanes`
##   adjacent outputs of it, each reduced element index reading them side by side (a column
##   sum reads whole cache lines, not one float per line). final: store finalize (n is
##   n_total) to out; else the partial of chunk c of output o goes to part[c * n_out + o]
##   (a second pass reduces part as columns, or as one row when n_out is 1).
##   vec: 0, or a vector width: the map is then safe on vectors (the host's list) and rows
##   take 2 * vec elements per step in two vector accumulators, full blocks of lanes (a
##   multiple of vec) lanes / vec vector accumulators (Oclgrind cannot simulate vectors).
##   Arguments: n_out, m, n_total, groups, chunk, run, p, in, in_off, outer strides, outer
##   sizes, inner strides, inner sizes, [aux], out, out_off | part.
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, local_mem, scalar, tensor

SIGNATURES = {}


def dims(prefix, rank, index_t):
    """Strides then sizes of `rank` coalesced dims: <prefix>s<d>, <prefix>n<d>."""
    return scalar(index_t, *[f"{prefix}s{d}" for d in range(rank)],
                  *[f"{prefix}n{d}" for d in range(rank)])


@declare(SIGNATURES)
def reduce(in_dt, out_dt, T, outer_rank, inner_rank, index_t, has_aux, has_out, has_idx,
           idx_in, **_):
    args = [scalar(index_t, "n_out", "m", "n_total"), scalar(T, "p"),
            tensor(in_dt.ctype, "in", index_t)]
    if idx_in:
        args.append(tensor("long", "in_idx", index_t))
    args += dims("o", outer_rank, index_t) + dims("i", inner_rank, index_t)
    if has_aux:
        args.append(buffer(T, "aux", const=True))
    if has_out:
        args.append(tensor(out_dt.ctype, "out", index_t, const=False))
    if has_idx:
        args.append(tensor("long", "out_idx", index_t, const=False))
    return args


@declare(SIGNATURES)
def partial(in_dt, T, arg, outer_rank, inner_rank, index_t, has_aux, **_):
    args = [scalar(index_t, "n_out", "m", "groups", "chunk"), scalar(T, "p"),
            tensor(in_dt.ctype, "in", index_t)]
    args += dims("o", outer_rank, index_t) + dims("i", inner_rank, index_t)
    if has_aux:
        args.append(buffer(T, "aux", const=True))
    args.append(buffer(T, "part"))
    if arg:
        args.append(buffer("long", "part_idx"))
    args.append(local_mem(T, "lacc"))
    if arg:
        args.append(local_mem("long", "lidx"))
    return args


@declare(SIGNATURES)
def chunks(in_dt, out_dt, T, outer_rank, inner_rank, index_t, has_aux, final, **_):
    args = [scalar(index_t, "n_out", "m", "n_total", "groups", "chunk", "run"), scalar(T, "p"),
            tensor(in_dt.ctype, "in", index_t)]
    args += dims("o", outer_rank, index_t) + dims("i", inner_rank, index_t)
    if has_aux:
        args.append(buffer(T, "aux", const=True))
    if final:
        args.append(tensor(out_dt.ctype, "out", index_t, const=False))
    else:
        args.append(buffer(T, "part"))
    return args
%>

<%def name="identity(combine, T, floating)">\
% if combine == "sum" or combine == "or":
(${T})0\
% elif combine == "prod" or combine == "and":
(${T})1\
% elif combine == "max":
${"(%s)(-INFINITY)" % T if floating else ("LONG_MIN" if T == "long" else "(%s)0" % T)}\
% else:
${"(%s)INFINITY" % T if floating else ("LONG_MAX" if T == "long" else "(%s)-1" % T)}\
% endif
</%def>

## acc = combine(acc, v)
<%def name="combine_into(combine, floating, acc, v)">\
% if combine == "sum":
${acc} += ${v};\
% elif combine == "prod":
${acc} *= ${v};\
% elif combine == "and":
${acc} = ${acc} && ${v};\
% elif combine == "or":
${acc} = ${acc} || ${v};\
% elif floating:
## selects on one compare each, no branch: the unrolled and lane loops vectorise (one select
## on `isnan(v) | (v > acc)` ran amax(0) of 4096x4096 at 26 ms instead of 13 on PoCL 3.0)
${acc} = ${v} ${">" if combine == "max" else "<"} ${acc} ? ${v} : ${acc}; ${acc} = ${v} != ${v} ? ${v} : ${acc};\
% else:
${acc} = (${v} ${">" if combine == "max" else "<"} ${acc}) ? ${v} : ${acc};\
% endif
</%def>

## (acc, ai) = better of (acc, ai) and (v, vi): NaN wins, then the value, then the lower index.
<%def name="arg_into(combine, floating, acc, ai, v, vi)">\
<% op = ">" if combine == "max" else "<" %>\
% if floating:
if (isnan(${v}) ? (!isnan(${acc}) || ${vi} < ${ai})
        : (!isnan(${acc}) && (${v} ${op} ${acc} || (${v} == ${acc} && ${vi} < ${ai})))) {
% else:
if (${v} ${op} ${acc} || (${v} == ${acc} && ${vi} < ${ai})) {
% endif
            ${acc} = ${v}; ${ai} = ${vi};
        }\
</%def>

## Adds to `var` the offset of flat index `flat` over dims prefix{n,s}{d} (row-major).
<%def name="offset_of(var, flat, prefix, rank, index_t)">\
% if rank == 1:
${var} += ${flat} * ${prefix}s0;
% elif rank > 1:
{
        ${index_t} rem = ${flat};
% for d in reversed(range(rank)):
% if d:
        {
            // q rather than % then /=: Oclgrind 21.10 cannot simulate the freeze LLVM emits
            const ${index_t} q = rem / ${prefix}n${d};
            ${var} += (rem - q * ${prefix}n${d}) * ${prefix}s${d};
            rem = q;
        }
% else:
        ${var} += rem * ${prefix}s0;
% endif
% endfor
    }
% endif
</%def>

<%def name="element_offset(j, inner_rank, inner_contig, index_t)">\
% if inner_contig:
base + ${j}\
% else:
elem_off(base, ${j}\
% for d in range(inner_rank):
, is${d}, in${d}\
% endfor
)\
% endif
</%def>

<%def name="elem_off_fn(inner_rank, inner_contig, index_t)">\
% if not inner_contig:
inline ${index_t} elem_off(${index_t} base, ${index_t} j\
% for d in range(inner_rank):
, ${index_t} is${d}, ${index_t} in${d}\
% endfor
)
{
    ${index_t} off = base;
    ${offset_of("off", "j", "i", inner_rank, index_t)}
    return off;
}
% endif
</%def>

<%def name="reduce(name, caps, in_dt, out_dt, T, map_expr, combine, arg, floating, finalize, outer_rank, inner_rank, inner_contig, index_t, has_aux, has_out, has_idx, idx_in)">\
${elem_off_fn(inner_rank, inner_contig, index_t)}
__kernel void ${name}(${signature})
{
    const ${index_t} gid = get_global_id(0);
    if (gid >= n_out) return;
    ${index_t} base = in_off;
    ${offset_of("base", "gid", "o", outer_rank, index_t)}
% if has_aux:
    const ${T} a = aux[gid];
% else:
    const ${T} a = (${T})0;
% endif
    const ${T} n = (${T})n_total;
    ${T} acc = ${identity(combine, T, floating)};
% if arg:
    long ai = LONG_MAX;
% endif
% if idx_in:
    const ${index_t} idx_base = in_idx_off + (base - in_off);
% endif
    for (${index_t} j = 0; j < m; ++j) {
        const ${index_t} at = ${element_offset("j", inner_rank, inner_contig, index_t)};
        const ${T} x = ${common.load(in_dt, "in", "at", T)};
        const ${T} v = ${map_expr};
% if arg:
% if idx_in:
        const long vi = in_idx[idx_base + (at - base)];
% else:
        const long vi = j;
% endif
        ${arg_into(combine, floating, "acc", "ai", "v", "vi")}
% else:
        ${combine_into(combine, floating, "acc", "v")}
% endif
    }
    (void)a; (void)n;
% if has_out:
    ${common.store(out_dt, "out", "out_off + gid", finalize)}
% endif
% if has_idx:
    out_idx[out_idx_off + gid] = ai;
% endif
}
</%def>

<%def name="partial(name, caps, in_dt, T, map_expr, combine, arg, floating, outer_rank, inner_rank, inner_contig, index_t, has_aux, chunked, unroll)">\
${elem_off_fn(inner_rank, inner_contig, index_t)}
__kernel void ${name}(${signature})
{
    const ${index_t} g = get_group_id(0);
    const ${index_t} o = g / groups;
    const ${index_t} c = g - o * groups;
    const ${index_t} l = get_local_id(0);
    const ${index_t} L = get_local_size(0);
    ${index_t} base = in_off;
    ${offset_of("base", "o", "o", outer_rank, index_t)}
% if has_aux:
    const ${T} a = aux[o];
% else:
    const ${T} a = (${T})0;
% endif
    (void)a;
    ${T} acc = ${identity(combine, T, floating)};
% if arg:
    long ai = LONG_MAX;
% endif
% if chunked:
    // CPU devices: each work-item folds one contiguous chunk with `unroll` independent
    // accumulators (cache-friendly, and the compiler can vectorise the unrolled body).
    ${index_t} j = (c * L + l) * chunk;
    const ${index_t} stop = min(j + chunk, m);
% for u in range(1, unroll):
    ${T} acc${u} = ${identity(combine, T, floating)};
% if arg:
    long ai${u} = LONG_MAX;
% endif
% endfor
    for (; j + ${unroll} <= stop; j += ${unroll}) {
% for u in range(unroll):
<% a_name = "acc" if u == 0 else "acc%d" % u %>\
<% i_name = "ai" if u == 0 else "ai%d" % u %>\
        {
            const ${index_t} at = ${element_offset("j + %d" % u, inner_rank, inner_contig, index_t)};
            const ${T} x = ${common.load(in_dt, "in", "at", T)};
            const ${T} v = ${map_expr};
% if arg:
            const long vi = j + ${u};
            ${arg_into(combine, floating, a_name, i_name, "v", "vi")}
% else:
            ${combine_into(combine, floating, a_name, "v")}
% endif
        }
% endfor
    }
% for u in range(1, unroll):
% if arg:
    ${arg_into(combine, floating, "acc", "ai", "acc%d" % u, "ai%d" % u)}
% else:
    ${combine_into(combine, floating, "acc", "acc%d" % u)}
% endif
% endfor
    for (; j < stop; ++j) {
% else:
    const ${index_t} step = groups * L;
    for (${index_t} j = c * L + l; j < m; j += step) {
% endif
        const ${index_t} at = ${element_offset("j", inner_rank, inner_contig, index_t)};
        const ${T} x = ${common.load(in_dt, "in", "at", T)};
        const ${T} v = ${map_expr};
% if arg:
        const long vi = j;
        ${arg_into(combine, floating, "acc", "ai", "v", "vi")}
% else:
        ${combine_into(combine, floating, "acc", "v")}
% endif
    }
    lacc[l] = acc;
% if arg:
    lidx[l] = ai;
% endif
    barrier(CLK_LOCAL_MEM_FENCE);
    // L is a power of two (the host picks it), so the tree halves exactly.
    for (${index_t} s = L >> 1; s > 0; s >>= 1) {
        if (l < s) {
            ${T} cur = lacc[l];
            const ${T} v = lacc[l + s];
% if arg:
            long ai2 = lidx[l];
            const long vi = lidx[l + s];
            ${arg_into(combine, floating, "cur", "ai2", "v", "vi")}
            lidx[l] = ai2;
% else:
            ${combine_into(combine, floating, "cur", "v")}
% endif
            lacc[l] = cur;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        part[g] = lacc[0];
% if arg:
        part_idx[g] = lidx[0];
% endif
    }
}
</%def>

## vec elements from in + at as a vector of T (float32, float64 and float16 inputs).
<%def name="vload(in_dt, vec, ptr, at)">\
% if in_dt.name == "float16":
vload_half${vec}(0, ${ptr} + (${at}))\
% else:
vload${vec}(0, ${ptr} + (${at}))\
% endif
</%def>

## acc = combine(acc, v) over vectors (sum, prod, max, min of floating types).
<%def name="combine_vec(combine, acc, v)">\
% if combine == "sum":
${acc} += ${v};\
% elif combine == "prod":
${acc} *= ${v};\
% else:
${acc} = select(${acc}, ${v}, (${v} != ${v}) | (${v} ${">" if combine == "max" else "<"} ${acc}));\
% endif
</%def>

<%def name="chunks(name, caps, in_dt, out_dt, T, map_expr, combine, floating, finalize, outer_rank, inner_rank, inner_contig, index_t, has_aux, lanes, unroll, final, vec)">\
<%
    I = index_t
    TV = "%s%d" % (T, vec) if vec else None
    comps = ["s%x" % c for c in range(vec)]
    vector_lanes = bool(vec) and lanes and lanes % vec == 0
%>\
${elem_off_fn(inner_rank, inner_contig, index_t)}
__kernel void ${name}(${signature})
{
    const ${I} w = get_global_id(0);
% if lanes:
    // Blocks of up to ${lanes} adjacent outputs along the last outer dim (stride 1).
    const ${I} nl = on${outer_rank - 1};
    const ${I} nb = (nl + ${lanes - 1}) / ${lanes};
    if (w >= (n_out / nl) * nb * groups) return;
    const ${I} blk = w / groups;
    const ${I} c = w - blk * groups;
    const ${I} row = blk / nb;
    const ${I} k0 = (blk - row * nb) * ${lanes};
    const ${I} nv = min((${I})${lanes}, nl - k0);
    const ${I} o0 = row * nl + k0;
    ${I} base = in_off + k0;
    ${offset_of("base", "row", "o", outer_rank - 1, index_t)}
    ${I} j = c * chunk;
    const ${I} stop = min(j + chunk, m);
% if vector_lanes:
<% nq = lanes // vec %>\
    if (nv == ${lanes}) {
% for q in range(nq):
        ${TV} vacc${q} = (${TV})(${identity(combine, T, floating)});
% if has_aux:
        const ${TV} vaux${q} = vload${vec}(0, aux + o0 + ${q * vec});
% else:
        const ${TV} vaux${q} = (${TV})0;
% endif
% endfor
        for (; j < stop; ++j) {
            const ${I} at = ${element_offset("j", inner_rank, inner_contig, index_t)};
% for q in range(nq):
            {
                const ${TV} a = vaux${q};
                const ${TV} x = ${vload(in_dt, vec, "in", "at + %d" % (q * vec))};
                const ${TV} v = ${map_expr};
                (void)a;
                ${combine_vec(combine, "vacc%d" % q, "v")}
            }
% endfor
        }
% for q in range(nq):
% for ci, cname in enumerate(comps):
        {
            const ${T} acc = vacc${q}.${cname};
% if final:
            const ${T} a = vaux${q}.${cname};
            const ${T} n = (${T})n_total;
            (void)a; (void)n;
            ${common.store(out_dt, "out", "out_off + o0 + %d" % (q * vec + ci), finalize)}
% else:
            part[c * n_out + o0 + ${q * vec + ci}] = acc;
% endif
        }
% endfor
% endfor
        return;
    }
% endif
    ${T} lacc[${lanes}];
    ${T} laux[${lanes}];
    for (${I} u = 0; u < nv; ++u) {
        lacc[u] = ${identity(combine, T, floating)};
% if has_aux:
        laux[u] = aux[o0 + u];
% else:
        laux[u] = (${T})0;
% endif
    }
% for bound in (lanes, "nv"):
% if bound == lanes:
    // full blocks: a loop of a known count the compiler unrolls
    if (nv == ${lanes}) {
% else:
    else {
% endif
        for (; j < stop; ++j) {
            const ${I} at = ${element_offset("j", inner_rank, inner_contig, index_t)};
            for (${I} u = 0; u < ${bound}; ++u) {
                const ${T} a = laux[u];
                const ${T} x = ${common.load(in_dt, "in", "at + u", T)};
                const ${T} v = ${map_expr};
                (void)a;
                ${combine_into(combine, floating, "lacc[u]", "v")}
            }
        }
    }
% endfor
    for (${I} u = 0; u < nv; ++u) {
        const ${T} acc = lacc[u];
% if final:
        const ${T} a = laux[u];
        const ${T} n = (${T})n_total;
        (void)a; (void)n;
        ${common.store(out_dt, "out", "out_off + o0 + u", finalize)}
% else:
        part[c * n_out + o0 + u] = acc;
% endif
    }
% else:
    if (w >= n_out * groups) return;
    const ${I} o = w / groups;
    const ${I} c = w - o * groups;
    ${I} base = in_off;
    ${offset_of("base", "o", "o", outer_rank, index_t)}
% if has_aux:
    const ${T} a = aux[o];
% else:
    const ${T} a = (${T})0;
% endif
    (void)a;
% for u in range(unroll):
    ${T} acc${u} = ${identity(combine, T, floating)};
% endfor
% if vec:
    ${TV} vacc0 = (${TV})(${identity(combine, T, floating)});
    ${TV} vacc1 = vacc0;
% endif
    ${I} j = c * chunk;
    const ${I} stop = min(j + chunk, m);
    while (j < stop) {
% if inner_contig:
        const ${I} end = stop;
        const ${I} at = base + j;
% else:
        const ${I} q = j / run;
        const ${I} end = min(stop, (q + 1) * run);
        const ${I} at = ${element_offset("j", inner_rank, inner_contig, index_t)};
% endif
        const ${I} len = end - j;
        ${I} k = 0;
% if vec:
        for (; k + ${2 * vec} <= len; k += ${2 * vec}) {
% for q in range(2):
            {
                const ${TV} x = ${vload(in_dt, vec, "in", "at + k + %d" % (q * vec))};
                const ${TV} v = ${map_expr};
                ${combine_vec(combine, "vacc%d" % q, "v")}
            }
% endfor
        }
% endif
        for (; k + ${unroll} <= len; k += ${unroll}) {
% for u in range(unroll):
            {
                const ${T} x = ${common.load(in_dt, "in", "at + k + %d" % u, T)};
                const ${T} v = ${map_expr};
                ${combine_into(combine, floating, "acc%d" % u, "v")}
            }
% endfor
        }
        for (; k < len; ++k) {
            const ${T} x = ${common.load(in_dt, "in", "at + k", T)};
            const ${T} v = ${map_expr};
            ${combine_into(combine, floating, "acc0", "v")}
        }
        j = end;
    }
% for u in range(1, unroll):
    ${combine_into(combine, floating, "acc0", "acc%d" % u)}
% endfor
% if vec:
    ${combine_vec(combine, "vacc0", "vacc1")}
% for cname in comps:
    ${combine_into(combine, floating, "acc0", "vacc0.%s" % cname)}
% endfor
% endif
    const ${T} acc = acc0;
% if final:
    const ${T} n = (${T})n_total;
    (void)n;
    ${common.store(out_dt, "out", "out_off + o", finalize)}
% else:
    part[c * n_out + o] = acc;
% endif
% endif
}
</%def>
