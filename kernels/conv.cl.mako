## Convolution helpers: im2col (unfold) and col2im (fold) for 2-d windows; the GEMM is
## gemm.cl.mako's, called through clgrad.matmul.
##
## The columns are a (N, C*kh*kw, oh*ow) tensor with their own strides cols_s0 (sample),
## cols_s1 (row) and cols_s2 (window position): (N, rows, L) contiguous is unfold's layout,
## (rows, N, L) the convolution's, where one GEMM covers the whole batch.
##
## im2col(name, caps, dt, T, index_t, rows): cols[n, (c, ki, kj), (oy, ox)] =
##   x[n, c, oy*sh - ph + ki*dh, ox*sw - pw + kj*dw], zero outside the input; one work-item per
##   column element, or with rows one per run of ow elements (total = N*C*kh*kw*oh; CPU
##   devices, where the index arithmetic per element costs more than the copy). Arguments:
##   total, x, x_off, xs_n, xs_c, xs_h, xs_w, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow,
##   cols, cols_off, cols_s0, cols_s1, cols_s2.
## col2im(name, caps, dt, T, index_t, rows): x[n, c, h, w] (contiguous) = sum of the column
##   elements that im2col reads from (n, c, h, w), in (ki, kj) order; one work-item per output
##   element gathers them, so the result is deterministic (no atomics); with rows (T the
##   storage type) one work-item per output row (total = N*C*H) adds each (ki, kj)'s
##   contribution along the row, stepping by the stride. T: the accumulator type. Arguments:
##   total, cols, cols_off, cols_s0, cols_s1, cols_s2, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw,
##   oh, ow, x.
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, scalar, tensor

SIGNATURES = {}
GEOMETRY = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "oh", "ow")


@declare(SIGNATURES)
def im2col(dt, index_t, **_):
    return [scalar(index_t, "total"),
            tensor(dt.ctype, "x", index_t, strides=("xs_n", "xs_c", "xs_h", "xs_w")),
            scalar(index_t, "C", "H", "W", *GEOMETRY),
            tensor(dt.ctype, "cols", index_t, const=False, strides=3)]


@declare(SIGNATURES)
def col2im(dt, index_t, **_):
    return [scalar(index_t, "total"), tensor(dt.ctype, "cols", index_t, strides=3),
            scalar(index_t, "C", "H", "W", *GEOMETRY), buffer(dt.ctype, "x")]
%>

<%def name="im2col(name, caps, dt, T, index_t, rows)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} gid = get_global_id(0);
    if (gid >= total) return;
    // q/i pairs rather than %: Oclgrind 21.10 cannot simulate the freeze LLVM emits for %.
    ${I} rem = gid;
    ${I} q;
% if not rows:
    q = rem / ow;
    const ${I} ox = rem - q * ow;
    rem = q;
% endif
    q = rem / oh;
    const ${I} oy = rem - q * oh;
    rem = q; q = rem / kw;
    const ${I} kj = rem - q * kw;
    rem = q; q = rem / kh;
    const ${I} ki = rem - q * kh;
    rem = q; q = rem / C;
    const ${I} c = rem - q * C;
    const ${I} n = q;
    const ${I} y = oy * sh - ph + ki * dh;
    const ${I} src = x_off + n * xs_n + c * xs_c + y * xs_h;
    const ${I} dst = cols_off + n * cols_s0 + ((c * kh + ki) * kw + kj) * cols_s1
                     + oy * ow * cols_s2;
% if rows:
    const int row_in = y >= 0 && y < H;
    for (${I} ox = 0; ox < ow; ++ox) {
% endif
        const ${I} xx = ox * sw - pw + kj * dw;
        ${T} v = (${T})0;
% if rows:
        if (row_in && xx >= 0 && xx < W) {
% else:
        if (y >= 0 && y < H && xx >= 0 && xx < W) {
% endif
            v = ${common.load(dt, "x", "src + xx * xs_w", T)};
        }
        ${common.store(dt, "cols", "dst + ox * cols_s2", "v")}
% if rows:
    }
% endif
}
</%def>

<%def name="col2im(name, caps, dt, T, index_t, rows)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} gid = get_global_id(0);
    if (gid >= total) return;
    ${I} rem = gid;
    ${I} q;
% if not rows:
    q = rem / W;
    const ${I} w = rem - q * W;
    rem = q;
% endif
    q = rem / H;
    const ${I} h = rem - q * H;
    rem = q; q = rem / C;
    const ${I} c = rem - q * C;
    const ${I} base = cols_off + q * cols_s0;  // q: the sample
% if rows:
    __global ${dt.ctype} *out = x + gid * W;
    for (${I} w = 0; w < W; ++w) {
        out[w] = (${T})0;
    }
% else:
    ${T} acc = (${T})0;
% endif
    for (${I} ki = 0; ki < kh; ++ki) {
        const ${I} y = h + ph - ki * dh;
        if (y < 0) break;
        const ${I} oy = y / sh;
        if (oy * sh != y || oy >= oh) continue;
        for (${I} kj = 0; kj < kw; ++kj) {
            const ${I} row = base + ((c * kh + ki) * kw + kj) * cols_s1 + oy * ow * cols_s2;
% if rows:
            // The w this (ki, kj) reaches: w + pw - kj*dw = ox*sw for ox in [0, ow).
            ${I} w = kj * dw - pw;
            ${I} ox = 0;
            if (w < 0) {
                ox = (sw - 1 - w) / sw;
                w += ox * sw;
            }
            for (; ox < ow && w < W; ++ox, w += sw) {
                out[w] += ${common.load(dt, "cols", "row + ox * cols_s2", T)};
            }
% else:
            const ${I} xx = w + pw - kj * dw;
            if (xx < 0) break;
            const ${I} ox = xx / sw;
            if (ox * sw != xx || ox >= ow) continue;
            acc += ${common.load(dt, "cols", "row + ox * cols_s2", T)};
% endif
        }
    }
% if not rows:
    ${common.store(dt, "x", "gid", "acc")}
% endif
}
</%def>
