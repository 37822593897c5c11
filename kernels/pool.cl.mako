## 2-d pooling over contiguous planes (n * c, H, W); 1-d pooling runs as H = 1.
##
## pool_fwd(name, caps, dt, T, mode, adaptive, index_t, rows): one work-item per output
##   element, or with rows one per output row (total = planes * oh; CPU devices, where the
##   per-element index arithmetic costs more than the window).
##   mode: "max" (writes the flat index y * W + x of the maximum beside it; NaN wins (the last
##   one, as PyTorch's CPU kernel), else the first maximum) or "avg" (PyTorch's divisor
##   rules: count_include_pad, divisor override);
##   adaptive: windows [floor(o * H / oh), ceil((o + 1) * H / oh)) instead of kernel/stride.
##   Arguments: total, x, x_off, H, W, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw,
##   count_include_pad, divisor, out, [idx] (long, mode max).
## pool_bwd(name, caps, dt, T, mode, adaptive, index_t, rows): grad_in[p, h, w] gathers the
##   output gradients of every window holding (h, w) (max: only where the saved index is
##   (h, w)), one work-item per input element: deterministic, no atomics. rows (windows that do
##   not overlap, not adaptive): one work-item per input row (total = planes * H).
##   Arguments: total, gout, gout_off,
##   H, W, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, count_include_pad, divisor, gin, [idx].
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, scalar, tensor

SIGNATURES = {}
WINDOW = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw")


@declare(SIGNATURES)
def pool_fwd(dt, mode, index_t, **_):
    idx = [buffer("long", "idx")] if mode == "max" else []
    return [scalar(index_t, "total"), tensor(dt.ctype, "x", index_t),
            scalar(index_t, "H", "W", "oh", "ow", *WINDOW), scalar("int", "count_include_pad"),
            scalar(index_t, "divisor"), buffer(dt.ctype, "out"), *idx]


@declare(SIGNATURES)
def pool_bwd(dt, mode, index_t, **_):
    idx = [buffer("long", "idx", const=True)] if mode == "max" else []
    return [scalar(index_t, "total"), tensor(dt.ctype, "gout", index_t),
            scalar(index_t, "H", "W", "oh", "ow", *WINDOW), scalar("int", "count_include_pad"),
            scalar(index_t, "divisor"), buffer(dt.ctype, "gin"), *idx]
%>

## Sets hs, he, ws, we (clipped window) and, for avg, div for output (oy, ox).
<%def name="window(mode, adaptive, I, T)">\
% if adaptive:
        const ${I} hs = (oy * H) / oh;
        const ${I} he = ((oy + 1) * H + oh - 1) / oh;
        const ${I} ws = (ox * W) / ow;
        const ${I} we = ((ox + 1) * W + ow - 1) / ow;
% if mode == "avg":
        const ${T} div = (${T})((he - hs) * (we - ws));
% endif
% elif mode == "avg":
        ${I} hs = oy * sh - ph;
        ${I} ws = ox * sw - pw;
        ${I} he = min(hs + kh, H + ph);
        ${I} we = min(ws + kw, W + pw);
        const ${I} pool_size = (he - hs) * (we - ws);
        hs = max(hs, (${I})0);
        ws = max(ws, (${I})0);
        he = min(he, H);
        we = min(we, W);
        const ${T} div = (${T})(divisor ? divisor
            : (count_include_pad ? pool_size : (he - hs) * (we - ws)));
% endif
</%def>

<%def name="pool_fwd(name, caps, dt, T, mode, adaptive, index_t, rows, inside=None)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} gid = get_global_id(0);
    if (gid >= total) return;
% if rows:
    // One work-item per output row: no index arithmetic per element (CPU devices).
    ${I} q = gid / oh;
    const ${I} oy = gid - q * oh;
    const ${I} base = x_off + q * H * W;
    for (${I} ox = 0; ox < ow; ++ox) {
        const ${I} o = gid * ow + ox;
${one_output(dt, T, mode, adaptive, I, inside)}\
    }
% else:
    ${I} rem = gid;
    ${I} q = rem / ow;
    const ${I} ox = rem - q * ow;
    rem = q; q = rem / oh;
    const ${I} oy = rem - q * oh;
    const ${I} base = x_off + q * H * W;
    const ${I} o = gid;
${one_output(dt, T, mode, adaptive, I, inside)}\
% endif
}
</%def>

## The pooled value of output o at (oy, ox) of the plane starting at x[base]. inside: (kh, kw)
## when every window lies inside the input, undilated: the window is unrolled, unchecked.
<%def name="one_output(dt, T, mode, adaptive, I, inside)">\
    {
% if inside:
    const ${I} first = (oy * sh) * W + ox * sw;
% if mode == "max":
    // NaN wins (the last one, as in PyTorch), tracked apart: a select on one ordered compare
    // per element stays branch-free, where `v > best || isnan(v)` made PoCL's x86 code
    // branch on the data (LeNet's first pooling 3.3 -> 0.4 ms).
    ${T} best = ${common.load(dt, "x", "base + first", T)};
    ${I} best_i = first;
    ${I} nan_i = best != best ? first : -1;
% else:
    ${T} acc = (${T})0;
% endif
% for ki in range(inside[0]):
% for kj in range(inside[1]):
% if mode == "max" and (ki or kj):
    {
        const ${I} here = first + ${ki} * W + ${kj};
        const ${T} v = ${common.load(dt, "x", "base + here", T)};
        const int take = v > best;
        best = take ? v : best;
        best_i = take ? here : best_i;
        nan_i = v != v ? here : nan_i;
    }
% elif mode != "max":
    acc += ${common.load(dt, "x", "base + first + %d * W + %d" % (ki, kj), T)};
% endif
% endfor
% endfor
% if mode == "max":
    if (nan_i >= 0) {
        best = ${common.load(dt, "x", "base + nan_i", T)};
        best_i = nan_i;
    }
    ${common.store(dt, "out", "o", "best")}
    idx[o] = (long)best_i;
% else:
    ${common.store(dt, "out", "o", "acc / (divisor ? (%s)divisor : (%s)%d)" % (T, T, inside[0] * inside[1]))}
% endif
% elif mode == "max":
% if adaptive:
    ${window(mode, adaptive, I, T)}
    const ${I} kh_ = he - hs, kw_ = we - ws, dh_ = 1, dw_ = 1;
% else:
    const ${I} hs = oy * sh - ph, ws = ox * sw - pw;
    const ${I} kh_ = kh, kw_ = kw, dh_ = dh, dw_ = dw;
% endif
    ${T} best = (${T})(-INFINITY);
    long best_i = -1;
    for (${I} ki = 0; ki < kh_; ++ki) {
        const ${I} y = hs + ki * dh_;
        if (y < 0 || y >= H) continue;
        for (${I} kj = 0; kj < kw_; ++kj) {
            const ${I} xx = ws + kj * dw_;
            if (xx < 0 || xx >= W) continue;
            const ${T} v = ${common.load(dt, "x", "base + y * W + xx", T)};
            if (best_i < 0) best_i = y * W + xx;
            if (v > best || isnan(v)) {
                best = v;
                best_i = y * W + xx;
            }
        }
    }
    ${common.store(dt, "out", "o", "best")}
    idx[o] = best_i;
% else:
    ${window(mode, adaptive, I, T)}
    ${T} acc = (${T})0;
    for (${I} y = hs; y < he; ++y) {
        for (${I} xx = ws; xx < we; ++xx) {
            acc += ${common.load(dt, "x", "base + y * W + xx", T)};
        }
    }
    ${common.store(dt, "out", "o", "(he > hs && we > ws) ? acc / div : (%s)0" % T)}
% endif
    }
</%def>

<%def name="pool_bwd(name, caps, dt, T, mode, adaptive, index_t, rows)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} gid = get_global_id(0);
    if (gid >= total) return;
% if rows and mode == "max":
    // Windows that do not overlap (not adaptive; kernel span <= stride both ways), one
    // work-item per window row oy: it owns the input rows of its stride band (the last band
    // runs to H), which hold its windows and no other's, zeroes them and stores each window's
    // gradient at its argmax. No compare per input element: comparing each with the
    // window's index made the code branch on the data (LeNet's first pooling 3.5 -> 0.4 ms).
    ${I} q = gid / oh;
    const ${I} oy = gid - q * oh;
    const ${I} plane = q * H * W;
    const ${I} r0 = min(max(oy * sh - ph, (${I})0), H);
    const ${I} r1 = oy == oh - 1 ? H : min((oy + 1) * sh - ph, H);
    for (${I} i = r0 * W; i < r1 * W; ++i) {
        ${common.store(dt, "gin", "plane + i", "(%s)0" % T)}
    }
    const ${I} o0 = gid * ow;
    for (${I} ox = 0; ox < ow; ++ox) {
        const long j = idx[o0 + ox];
        const ${T} g = ${common.load(dt, "gout", "gout_off + o0 + ox", T)};
        if (j >= 0) {
            ${common.store(dt, "gin", "plane + (%s)j" % I, "g")}
        }
    }
% elif rows:
    // Windows that do not overlap (not adaptive; kernel span <= stride both ways), one
    // work-item per input row: the row lies in at most one window row, oy, and each element
    // in at most one window, found by stepping along the row (no division per element).
    ${I} q = gid / H;
    const ${I} h = gid - q * H;
    const ${I} obase = q * oh * ow;
    const ${I} t = h + ph;
    const ${I} oy = t / sh;
    const ${I} koff = t - oy * sh;
    const ${I} ki = koff / dh;
    const int in_h = oy < oh && ki < kh && ki * dh == koff;
    ${I} ox = pw / sw;
    ${I} joff = pw - ox * sw;
    for (${I} w = 0; w < W; ++w) {
        ${T} acc = (${T})0;
        const ${I} kj = joff / dw;
        if (in_h && ox < ow && kj < kw && kj * dw == joff) {
            const ${I} o = obase + oy * ow + ox;
% if mode == "max":
            if (idx[o] == (long)(h * W + w)) {
                acc = ${common.load(dt, "gout", "gout_off + o", T)};
            }
% else:
            ${window(mode, adaptive, I, T)}
            acc = ${common.load(dt, "gout", "gout_off + o", T)} / div;
% endif
        }
        ${common.store(dt, "gin", "gid * W + w", "acc")}
        if (++joff == sw) {
            joff = 0;
            ++ox;
        }
    }
% else:
    ${I} rem = gid;
    ${I} q = rem / W;
    const ${I} w = rem - q * W;
    rem = q; q = rem / H;
    const ${I} h = rem - q * H;
    const ${I} obase = q * oh * ow;
    const long self_i = (long)(h * W + w);
    ${T} acc = (${T})0;
% if adaptive:
    // The windows holding h are those of a few consecutive outputs around h * oh / H.
    const ${I} oy_lo = max((h * oh) / H - 1, (${I})0);
    const ${I} oy_hi = min(((h + 1) * oh) / H + 1, oh - 1);
    const ${I} ox_lo = max((w * ow) / W - 1, (${I})0);
    const ${I} ox_hi = min(((w + 1) * ow) / W + 1, ow - 1);
    for (${I} oy = oy_lo; oy <= oy_hi; ++oy) {
        if ((oy * H) / oh > h || ((oy + 1) * H + oh - 1) / oh <= h) continue;
        for (${I} ox = ox_lo; ox <= ox_hi; ++ox) {
            if ((ox * W) / ow > w || ((ox + 1) * W + ow - 1) / ow <= w) continue;
% else:
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
% endif
            const ${I} o = obase + oy * ow + ox;
% if mode == "max":
            if (idx[o] == self_i) {
                acc += ${common.load(dt, "gout", "gout_off + o", T)};
            }
% else:
            ${window(mode, adaptive, I, T)}
            acc += ${common.load(dt, "gout", "gout_off + o", T)} / div;
% endif
        }
    }
    ${common.store(dt, "gin", "gid", "acc")}
% endif
}
</%def>
