## Pointwise kernels: out[i] = expr(a, b, c) over tensors of one broadcast shape.
## pointwise(name, caps, out, operands, rank, T, expr, index_t, helpers):
##   out: the output's clgrad dtype; operands: (kind, dtype) pairs with kind "c" (contiguous,
##   indexed by the flat id), "s" (strided: one stride argument per dim) or "k" (a scalar
##   argument of type T); rank: dims after coalescing (0 when every operand is contiguous);
##   T: the compute type; expr: OpenCL C over a, b, c of type T; rows (rank >= 2): one
##   work-item per run along the innermost dim, n then counting runs (CPU devices: the
##   divisions of the index arithmetic are paid once per run); helpers: names of
##   math.cl.mako defs the expression calls. divisor_check: b is an integer divisor, and
##   b == 0 reports checks.ZERO_DIVISOR in the error word (the host raises PyTorch's
##   RuntimeError("ZeroDivisionError") at its next wait).
## Arguments (declared in SIGNATURES below): n, out (+ out_off, [out_s<d>]), per operand
## in<i> (+ in<i>_off, [in<i>_s<d>]) or <letter>_value, then size<d> of the rank dims, then
## (divisor_check) err, err_id.
<%namespace name="common" file="common.cl.mako"/>
<%namespace name="math" file="math.cl.mako"/>
<%!
from clgrad.kernels.signature import declare, error_word, scalar, tensor

SIGNATURES = {}
OPERAND_NAMES = "abcdefgh"


@declare(SIGNATURES)
def pointwise(out, out_kind, operands, rank, T, index_t, divisor_check=False, **_):
    args = [scalar(index_t, "n"),
            tensor(out.ctype, "out", index_t, const=False, strides=rank * (out_kind == "s"))]
    for i, (kind, dt) in enumerate(operands):
        if kind == "k":
            args.append(scalar(T, f"{OPERAND_NAMES[i]}_value"))
        else:
            args.append(tensor(dt.ctype, f"in{i}", index_t, strides=rank * (kind == "s")))
    args += scalar(index_t, *[f"size{d}" for d in range(rank)])
    return args + error_word() if divisor_check else args
%>
<%def name="pointwise(name, caps, out, out_kind, operands, rank, T, expr, index_t, helpers, divisor_check=False, rows=False)">\
% for helper in helpers:
${getattr(math, helper)(T)}
% endfor
% if divisor_check:
${common.reporter()}
% endif
// No implicit a * b + c contraction in pointwise expressions: results equal the cpu backend's
// (an fma's unrounded product can turn an overflowing inf - inf into -inf). Memory-bound
// kernels lose nothing by it; GEMM and the reductions keep the driver's contraction.
#pragma OPENCL FP_CONTRACT OFF
<%
    names = OPERAND_NAMES
    I = index_t
    # rows: each work-item runs along the innermost dim (rank - 1), so only the outer dims
    # cost a division, once per row; `flat` is then the element's position in out's order.
    inner = rank - 1
    outer = range(inner) if rows else range(rank)
    flat = "gid * size%d + j" % inner if rows else "gid"
%>\
__kernel void ${name}(${signature})
{
    const ${I} gid = get_global_id(0);
    if (gid >= n) return;
% if rank:
    ${I} rem = gid;
    ${I} out_idx = out_off\
% if out_kind != "s" and not rows:
 + gid\
% endif
;
% for i, (kind, dt) in enumerate(operands):
% if kind == "s":
    ${I} idx${i} = in${i}_off;
% endif
% endfor
% for d in reversed(outer):
    {
% if d:
        // q/i rather than %= and /=: Oclgrind 21.10 cannot simulate the freeze LLVM emits
        const ${I} q = rem / size${d};
        const ${I} i = rem - q * size${d};
        rem = q;
% else:
        const ${I} i = rem;
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
    const ${I} out_idx = out_off + gid;
% endif
% if rows:
    for (${I} j = 0; j < size${inner}; ++j) {
% endif
% for i, (kind, dt) in enumerate(operands):
% if kind == "k":
    const ${T} ${names[i]} = ${names[i]}_value;
% elif kind == "c":
    const ${T} ${names[i]} = ${common.load(dt, "in%d" % i, "in%d_off + %s" % (i, flat), T)};
% elif rows:
    const ${T} ${names[i]} = ${common.load(dt, "in%d" % i, "idx%d + j * in%d_s%d" % (i, i, inner), T)};
% else:
    const ${T} ${names[i]} = ${common.load(dt, "in%d" % i, "idx%d" % i, T)};
% endif
% endfor
% if divisor_check:
    if (b == (${T})0) clgrad_report(err, err_id, 2, 0);  // checks.ZERO_DIVISOR
% endif
% if not rows:
    ${common.store(out, "out", "out_idx", expr)}
% elif out_kind == "s":
    ${common.store(out, "out", "out_idx + j * out_s%d" % inner, expr)}
    }
% else:
    ${common.store(out, "out", "out_off + " + flat, expr)}
    }
% endif
}
</%def>
