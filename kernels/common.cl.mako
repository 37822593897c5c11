## The prelude every clgrad program starts with, and the load/store helpers kernels use.
## prelude(caps): caps is the device's Capabilities; other keywords are ignored.
## load(dt, ptr, idx, T): an expression reading element idx of ptr (a clgrad dtype dt) as T.
## store(dt, ptr, idx, value): a statement writing value to element idx of ptr.
## reporter(): the clgrad_report function of kernels that declare signature.error_word():
##   clgrad_report(err, err_id, code, value) keeps the FIRST error of the queue: err is
##   int[4] = {code, launch id, value low word, value high word}; the host reads it at its
##   next synchronisation (backends/cl/checks.py) and raises PyTorch's error.
<%def name="prelude(caps, **_)">\
% if caps.fp64:
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
% endif
// half is a storage type here: vload_half/vstore_half need no extension.
// bfloat16 is stored as its bits (ushort): float32's top half, rounded to nearest even.
inline ushort clgrad_to_bf16(float f)
{
    const uint u = as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)0x7fc0;
    return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
</%def>

<%def name="load(dt, ptr, idx, T)">\
% if dt.name == "float16":
(${T})vload_half(${idx}, ${ptr})\
% elif dt.name == "bfloat16":
(${T})as_float((uint)${ptr}[${idx}] << 16)\
% else:
(${T})${ptr}[${idx}]\
% endif
</%def>

<%def name="store(dt, ptr, idx, value)">\
% if dt.name == "float16":
vstore_half_rte((float)(${value}), ${idx}, ${ptr});\
% elif dt.name == "bfloat16":
${ptr}[${idx}] = clgrad_to_bf16((float)(${value}));\
% elif dt.name == "bool":
${ptr}[${idx}] = (uchar)((${value}) != 0);\
% else:
${ptr}[${idx}] = (${dt.ctype})(${value});\
% endif
</%def>

<%def name="reporter()">\
inline void clgrad_report(__global int *err, const int err_id, const int code, const long v)
{
    if (atomic_cmpxchg(err, 0, code) == 0) {
        err[1] = err_id;
        err[2] = (int)(v & 0xffffffffL);
        err[3] = (int)(v >> 32);
    }
}
</%def>
