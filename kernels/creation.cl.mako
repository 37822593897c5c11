## Creation kernels: values computed from the element index, never uploaded from the host.
## Each kernel's arguments are declared in SIGNATURES (kernels/signature.py) above its def.
## arange(name, caps, out, A): out[i] = start + step * i computed in A (double, float or long).
##   Arguments: n, out, start (A), step (A).
## linspace(name, caps, out, A, log): out[i] = start + step * i for i < halfway, else
##   end - step * (steps - 1 - i), computed in A; with log, base ** that value.
##   Arguments: n, out, start (A), end (A), step (A), halfway (long), base (A).
## eye(name, caps, out): out[i] = (row == col) for a contiguous (rows, cols) matrix.
##   Arguments: n, cols, out.
## tri(name, caps, dt, upper): out = tril/triu(in) over contiguous batches of (rows, cols)
##   matrices; keeps col - row <= diagonal (lower) or col - row >= diagonal (upper).
##   Arguments: n, rows, cols, diagonal, src, src_off, out, out_off.
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def arange(out, A, **_):
    return [scalar("long", "n"), buffer(out.ctype, "out"), scalar(A, "start", "step")]


@declare(SIGNATURES)
def linspace(out, A, **_):
    return [scalar("long", "n"), buffer(out.ctype, "out"), scalar(A, "start", "end", "step"),
            scalar("long", "halfway"), scalar(A, "base")]


@declare(SIGNATURES)
def eye(out, **_):
    return [scalar("long", "n", "cols"), buffer(out.ctype, "out")]


@declare(SIGNATURES)
def tri(dt, **_):
    return [scalar("long", "n", "rows", "cols", "diagonal"), tensor(dt.ctype, "src", "long"),
            tensor(dt.ctype, "out", "long", const=False)]
%>
## FP_CONTRACT off: a fused multiply-add would round differently from the numpy backend.

<%def name="arange(name, caps, out, A)">\
#pragma OPENCL FP_CONTRACT OFF
__kernel void ${name}(${signature})
{
    const long i = get_global_id(0);
    if (i >= n) return;
    ${common.store(out, "out", "i", "start + step * (%s)i" % A)}
}
</%def>

<%def name="linspace(name, caps, out, A, log)">\
#pragma OPENCL FP_CONTRACT OFF
__kernel void ${name}(${signature})
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
__kernel void ${name}(${signature})
{
    const long i = get_global_id(0);
    if (i >= n) return;
    const long row = i / cols;  // not i % cols beside i / cols: Oclgrind 21.10 (freeze)
    ${common.store(out, "out", "i", "(row == i - row * cols) ? 1 : 0")}
}
</%def>

<%def name="tri(name, caps, dt, upper)">\
<% T = "float" if dt.name in ("float16", "bfloat16") else dt.ctype %>\
__kernel void ${name}(${signature})
{
    const long i = get_global_id(0);
    if (i >= n) return;
    // Quotients and differences, not % beside /: Oclgrind 21.10 cannot simulate the freeze.
    const long q = i / cols;
    const long col = i - q * cols;
    const long row = q - (q / rows) * rows;
% if upper:
    const int keep = col - row >= diagonal;
% else:
    const int keep = col - row <= diagonal;
% endif
    const ${T} v = keep ? ${common.load(dt, "src", "src_off + i", T)} : (${T})0;
    ${common.store(dt, "out", "out_off + i", "v")}
}
</%def>
