## Creation kernels: values computed from the element index, never uploaded from the host.
## arange(name, caps, out, A): out[i] = start + step * i computed in A (double, float or long).
##   Arguments: n, out, start (A), step (A).
## linspace(name, caps, out, A, log): out[i] = start + step * i for i < halfway, else
##   end - step * (steps - 1 - i), computed in A; with log, base ** that value.
##   Arguments: n, out, start (A), end (A), step (A), halfway (long), base (A).
## eye(name, caps, out): out[i] = (row == col) for a contiguous (rows, cols) matrix.
##   Arguments: n, cols, out.
## tri(name, caps, dt, upper): out = tril/triu(in) over contiguous batches of (rows, cols)
##   matrices; keeps col - row <= diagonal (lower) or col - row >= diagonal (upper).
##   Arguments: n, rows, cols, diagonal, in, in_off, out, out_off.
<%namespace name="common" file="common.cl.mako"/>
## FP_CONTRACT off: a fused multiply-add would round differently from the numpy backend.

<%def name="arange(name, caps, out, A)">\
#pragma OPENCL FP_CONTRACT OFF
__kernel void ${name}(const long n, __global ${out.ctype} *out, const ${A} start,
                      const ${A} step)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    ${common.store(out, "out", "i", "start + step * (%s)i" % A)}
}
</%def>

<%def name="linspace(name, caps, out, A, log)">\
#pragma OPENCL FP_CONTRACT OFF
__kernel void ${name}(const long n, __global ${out.ctype} *out, const ${A} start,
                      const ${A} end, const ${A} step, const long halfway, const ${A} base)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    const ${A} v = i < halfway ? start + step * (${A})i : end - step * (${A})(n - 1 - i);
% if log:
    ${common.store(out, "out", "i", "pow(base, v)")}
% else:
    ${common.store(out, "out", "i", "v")}
% endif
}
</%def>

<%def name="eye(name, caps, out)">\
__kernel void ${name}(const long n, const long cols, __global ${out.ctype} *out)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    ${common.store(out, "out", "i", "(i / cols == i % cols) ? 1 : 0")}
}
</%def>

<%def name="tri(name, caps, dt, upper)">\
<% T = "float" if dt.name in ("float16", "bfloat16") else dt.ctype %>\
__kernel void ${name}(const long n, const long rows, const long cols, const long diagonal,
                      __global const ${dt.ctype} *in, const long in_off,
                      __global ${dt.ctype} *out, const long out_off)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    const long col = i % cols;
    const long row = (i / cols) % rows;
% if upper:
    const int keep = col - row >= diagonal;
% else:
    const int keep = col - row <= diagonal;
% endif
    const ${T} v = keep ? ${common.load(dt, "in", "in_off + i", T)} : (${T})0;
    ${common.store(dt, "out", "out_off + i", "v")}
}
</%def>
