## Convolution helpers: im2col (unfold) and col2im (fold) for 2-d windows; the GEMM is
## gemm.cl.mako's, called through clgrad.matmul.
##
## im2col(name, caps, dt, T, index_t): cols[n, c, ki, kj, oy, ox] (contiguous) =
##   x[n, c, oy*sh - ph + ki*dh, ox*sw - pw + kj*dw], zero outside the input; one work-item per
##   column element. Arguments: total, x, x_off, xs_n, xs_c, xs_h, xs_w, C, H, W, kh, kw, sh,
##   sw, ph, pw, dh, dw, oh, ow, cols.
## col2im(name, caps, dt, T, index_t): x[n, c, h, w] (contiguous) = sum of the column elements
##   that im2col reads from (n, c, h, w); one work-item per output element gathers them, so
##   the result is deterministic (no atomics). T: the accumulator type. Arguments: total,
##   cols, cols_off, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x.
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, scalar, tensor

SIGNATURES = {}
GEOMETRY = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "oh", "ow")


@declare(SIGNATURES)
def im2col(dt, index_t, **_):
    return [scalar(index_t, "total"),
            tensor(dt.ctype, "x", index_t, strides=("xs_n", "xs_c", "xs_h", "xs_w")),
            scalar(index_t, "C", "H", "W", *GEOMETRY), buffer(dt.ctype, "cols")]


@declare(SIGNATURES)
def col2im(dt, index_t, **_):
    return [scalar(index_t, "total"), tensor(dt.ctype, "cols", index_t),
            scalar(index_t, "C", "H", "W", *GEOMETRY), buffer(dt.ctype, "x")]
%>

<%def name="im2col(name, caps, dt, T, index_t)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} gid = get_global_id(0);
    if (gid >= total) return;
    // q/i pairs rather than %: Oclgrind 21.10 cannot simulate the freeze LLVM emits for %.
    ${I} rem = gid;
    ${I} q = rem / ow;
    const ${I} ox = rem - q * ow;
    rem = q; q = rem / oh;
    const ${I} oy = rem - q * oh;
    rem = q; q = rem / kw;
    const ${I} kj = rem - q * kw;
    rem = q; q = rem / kh;
    const ${I} ki = rem - q * kh;
    rem = q; q = rem / C;
    const ${I} c = rem - q * C;
    const ${I} n = q;
    const ${I} y = oy * sh - ph + ki * dh;
    const ${I} xx = ox * sw - pw + kj * dw;
    if (y >= 0 && y < H && xx >= 0 && xx < W) {
<% src = "x_off + n * xs_n + c * xs_c + y * xs_h + xx * xs_w" %>\
        const ${T} v = ${common.load(dt, "x", src, T)};
        ${common.store(dt, "cols", "gid", "v")}
    } else {
        ${common.store(dt, "cols", "gid", "0")}
    }
}
</%def>

<%def name="col2im(name, caps, dt, T, index_t)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} gid = get_global_id(0);
    if (gid >= total) return;
    ${I} rem = gid;
    ${I} q = rem / W;
    const ${I} w = rem - q * W;
    rem = q; q = rem / H;
    const ${I} h = rem - q * H;
    const ${I} plane = q;  // n * C + c
    const ${I} L = oh * ow;
    ${T} acc = (${T})0;
    for (${I} ki = 0; ki < kh; ++ki) {
        const ${I} y = h + ph - ki * dh;
        if (y < 0) break;
        const ${I} oy = y / sh;
        if (oy * sh != y || oy >= oh) continue;
        for (${I} kj = 0; kj < kw; ++kj) {
            const ${I} xx = w + pw - kj * dw;
            if (xx < 0) break;
            const ${I} ox = xx / sw;
            if (ox * sw != xx || ox >= ow) continue;
            const ${I} row = (plane * kh + ki) * kw + kj;
            acc += ${common.load(dt, "cols", "cols_off + row * L + oy * ow + ox", T)};
        }
    }
    ${common.store(dt, "x", "gid", "acc")}
}
</%def>
