## Pointwise kernels: out[i] = expr(a, b, c) over tensors of one broadcast shape.
## pointwise(name, caps, out, operands, rank, T, expr, index_t, helpers):
##   out: the output's clgrad dtype; operands: (kind, dtype) pairs with kind "c" (contiguous,
##   indexed by the flat id), "s" (strided: one stride argument per dim) or "k" (a scalar
##   argument of type T); rank: dims after coalescing (0 when every operand is contiguous);
##   T: the compute type; expr: OpenCL C over a, b, c of type T; helpers: names of
##   math.cl.mako defs the expression calls.
## Arguments, in order: n, out, out_off, [out strides], per operand (ptr, off, [strides]) or
## (value), then the sizes of the rank dims.
<%namespace name="common" file="common.cl.mako"/>
<%namespace name="math" file="math.cl.mako"/>
<%def name="pointwise(name, caps, out, out_kind, operands, rank, T, expr, index_t, helpers)">\
% for helper in helpers:
${getattr(math, helper)(T)}
% endfor
<% names = "abcdefgh" %>\
__kernel void ${name}(const ${index_t} n,
    __global ${out.ctype} *out, const ${index_t} out_off\
% if out_kind == "s":
% for d in range(rank):
, const ${index_t} out_s${d}\
% endfor
% endif
% for i, (kind, dt) in enumerate(operands):
% if kind == "k":
,
    const ${T} ${names[i]}_value\
% else:
,
    __global const ${dt.ctype} *in${i}, const ${index_t} in${i}_off\
% if kind == "s":
% for d in range(rank):
, const ${index_t} in${i}_s${d}\
% endfor
% endif
% endif
% endfor
% for d in range(rank):
, const ${index_t} size${d}\
% endfor
)
{
    const ${index_t} gid = get_global_id(0);
    if (gid >= n) return;
% if rank:
    ${index_t} rem = gid;
    ${index_t} out_idx = out_off\
% if out_kind != "s":
 + gid\
% endif
;
% for i, (kind, dt) in enumerate(operands):
% if kind == "s":
    ${index_t} idx${i} = in${i}_off;
% endif
% endfor
% for d in reversed(range(rank)):
    {
% if d:
        // q/i rather than %= and /=: Oclgrind 21.10 cannot simulate the freeze LLVM emits
        const ${index_t} q = rem / size${d};
        const ${index_t} i = rem - q * size${d};
        rem = q;
% else:
        const ${index_t} i = rem;
% endif
% if out_kind == "s":
        out_idx += i * out_s${d};
% endif
% for i, (kind, dt) in enumerate(operands):
% if kind == "s":
        idx${i} += i * in${i}_s${d};
% endif
% endfor
    }
% endfor
% else:
    const ${index_t} out_idx = out_off + gid;
% endif
% for i, (kind, dt) in enumerate(operands):
% if kind == "k":
    const ${T} ${names[i]} = ${names[i]}_value;
% elif kind == "c":
    const ${T} ${names[i]} = ${common.load(dt, "in%d" % i, "in%d_off + gid" % i, T)};
% else:
    const ${T} ${names[i]} = ${common.load(dt, "in%d" % i, "idx%d" % i, T)};
% endif
% endfor
    ${common.store(out, "out", "out_idx", expr)}
}
</%def>
