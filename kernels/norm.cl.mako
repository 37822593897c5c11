## Normalisation kernels (batch, layer, group and instance norm) over contiguous inputs.
## A statistics group g holds the elements x_off + a * sa + g * sg + b for a < A, b < B
## (batch norm: A = N, B = H * W, sa = C * H * W, sg = H * W; layer and group norm: A = 1,
## B = the row length, sg = B). Element i of the flat tensor maps to its statistics group by
## (i / st_div) % st_mod and to its affine parameter by (i / af_div) % af_mod.
## T is the accumulator type (float for half and float, double for double); statistics
## buffers (mean, rstd, var, sums) are T.
##
## moments(name, caps, dt, T, index_t): one work-group per statistics group; each work-item
##   runs Welford over a strided share and the shares are merged pairwise (Chan et al.) in
##   local memory: one pass over the data, numerically sound for large means.
##   Arguments: A, B, sa, sg, eps, x, x_off, mean, rstd, var, lcount, lmean, lm2 (local T[L]).
##   chunked (CPU devices): each work-item takes one contiguous share of the group instead,
##   summing x - x0 and its square (x0: the group's first element, so a large mean costs no
##   precision) in 4 independent pairs, no division an element; its count, mean and M2 then
##   merge as above.
## apply(name, caps, dt, T, has_w, has_b, index_t, chunked): y = (x - mean) * rstd * w + b,
##   one work-item per element; chunked (CPU devices): per consecutive elements each, the
##   group and affine indices divided once and then stepped. Arguments: total, [per], x,
##   x_off, mean, rstd, st_div, st_mod, [w, w_off], [bias, bias_off], af_div, af_mod, y.
## bwd_sums(name, caps, dt, T, has_w, index_t): per statistics group, s1 = sum(gy * w) and
##   s2 = sum(gy * w * xhat) with xhat = (x - mean) * rstd; one work-group per group, a tree
##   in local memory. Arguments: A, B, sa, sg, gy, gy_off, x, x_off, mean, rstd, [w, w_off],
##   af_div, af_mod, s1, s2, l1, l2 (local T[L]). chunked (CPU devices): contiguous shares
##   as in moments, the affine index stepped along each run.
## bwd_apply(name, caps, dt, T, has_w, index_t): dx = rstd * (gy * w - (s1 + xhat * s2) / n)
##   with n the group's element count, one work-item per element. Arguments: total, n, gy,
##   gy_off, x, x_off, mean, rstd, s1, s2, st_div, st_mod, [w, w_off], af_div, af_mod, dx.
##   chunked (CPU devices): runs of `per` elements, as apply (total, per, n, ...).
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, local_mem, scalar, tensor

SIGNATURES = {}


def affine(has_w, has_b, dt, I):
    """The optional weight and bias, then their index map af_div, af_mod."""
    args = [tensor(dt.ctype, "w", I)] if has_w else []
    if has_b:
        args.append(tensor(dt.ctype, "bias", I))
    return args + scalar(I, "af_div", "af_mod")


@declare(SIGNATURES)
def moments(dt, T, index_t, **_):
    return [scalar(index_t, "A", "B", "sa", "sg"), scalar(T, "eps"),
            tensor(dt.ctype, "x", index_t), buffer(T, "mean_out"), buffer(T, "rstd_out"),
            buffer(T, "var_out"), local_mem(T, "lcount"), local_mem(T, "lmean"),
            local_mem(T, "lm2")]


@declare(SIGNATURES)
def apply(dt, T, has_w, has_b, index_t, chunked=False, **_):
    return [scalar(index_t, "total", *(["per"] if chunked else [])),
            tensor(dt.ctype, "x", index_t),
            buffer(T, "mean", const=True), buffer(T, "rstd", const=True),
            scalar(index_t, "st_div", "st_mod"), *affine(has_w, has_b, dt, index_t),
            buffer(dt.ctype, "y")]


@declare(SIGNATURES)
def bwd_sums(dt, T, has_w, index_t, **_):
    return [scalar(index_t, "A", "B", "sa", "sg"), tensor(dt.ctype, "gy", index_t),
            tensor(dt.ctype, "x", index_t), buffer(T, "mean", const=True),
            buffer(T, "rstd", const=True), *affine(has_w, False, dt, index_t),
            buffer(T, "s1_out"), buffer(T, "s2_out"), local_mem(T, "l1"), local_mem(T, "l2")]


@declare(SIGNATURES)
def bwd_apply(dt, T, has_w, index_t, chunked=False, **_):
    return [scalar(index_t, "total", *(["per"] if chunked else [])), scalar(T, "n"),
            tensor(dt.ctype, "gy", index_t),
            tensor(dt.ctype, "x", index_t),
            *[buffer(T, b, const=True) for b in ("mean", "rstd", "s1", "s2")],
            scalar(index_t, "st_div", "st_mod"), *affine(has_w, False, dt, index_t),
            buffer(dt.ctype, "dx")]
%>

<%def name="moments(name, caps, dt, T, index_t, chunked=False)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} g = get_group_id(0);
    const ${I} l = get_local_id(0);
    const ${I} L = get_local_size(0);
    const ${I} m = A * B;
    const ${I} base = x_off + g * sg;
    ${T} count = (${T})0, mean = (${T})0, m2 = (${T})0;
% if chunked:
    const ${I} per = (m + L - 1) / L;
    ${I} j = min(l * per, m);
    const ${I} stop = min(j + per, m);
    const ${T} x0 = m > 0 ? ${common.load(dt, "x", "base", T)} : (${T})0;
    ${T} s0 = (${T})0, s1 = (${T})0, s2 = (${T})0, s3 = (${T})0;
    ${T} q0 = (${T})0, q1 = (${T})0, q2 = (${T})0, q3 = (${T})0;
    count = (${T})(stop - j);
    while (j < stop) {
        const ${I} a = j / B;
        const ${I} b = j - a * B;
        const ${I} len = min(stop - j, B - b);
        const ${I} at = base + a * sa + b;
        ${I} k = 0;
        for (; k + 4 <= len; k += 4) {
% for u in range(4):
            {
                const ${T} d = ${common.load(dt, "x", "at + k + %d" % u, T)} - x0;
                s${u} += d;
                q${u} += d * d;
            }
% endfor
        }
        for (; k < len; ++k) {
            const ${T} d = ${common.load(dt, "x", "at + k", T)} - x0;
            s0 += d;
            q0 += d * d;
        }
        j += len;
    }
    if (count > (${T})0) {
        const ${T} s = (s0 + s1) + (s2 + s3);
        const ${T} q = (q0 + q1) + (q2 + q3);
        mean = x0 + s / count;
        m2 = fmax(q - s * (s / count), (${T})0);
    }
% else:
    for (${I} j = l; j < m; j += L) {
        const ${I} a = j / B;
        const ${I} b = j - a * B;
        const ${T} v = ${common.load(dt, "x", "base + a * sa + b", T)};
        count += (${T})1;
        const ${T} d = v - mean;
        mean += d / count;
        m2 += d * (v - mean);
    }
% endif
    lcount[l] = count;
    lmean[l] = mean;
    lm2[l] = m2;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (${I} half_ = L / 2; half_ > 0; half_ /= 2) {
        if (l < half_) {
            const ${T} na = lcount[l], nb = lcount[l + half_];
            const ${T} n = na + nb;
            if (nb > (${T})0) {
                const ${T} delta = lmean[l + half_] - lmean[l];
                const ${T} f = nb / n;
                lmean[l] = lmean[l] + delta * f;
                lm2[l] = lm2[l] + lm2[l + half_] + delta * delta * na * f;
                lcount[l] = n;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        const ${T} var = lcount[0] > (${T})0 ? lm2[0] / lcount[0] : (${T})NAN;
        mean_out[g] = lcount[0] > (${T})0 ? lmean[0] : (${T})NAN;
        var_out[g] = var;
        rstd_out[g] = rsqrt(var + eps);
    }
}
</%def>

<%def name="apply(name, caps, dt, T, has_w, has_b, index_t, chunked=False)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
% if chunked:
    ${I} i = get_global_id(0) * per;
    const ${I} stop = min(i + per, total);
    if (i >= stop) return;
    ${I} q = i / st_div;
    ${I} rs = i - q * st_div;
    ${I} s = q - (q / st_mod) * st_mod;
    ${T} mu = mean[s], r = rstd[s];
% if has_w or has_b:
    q = i / af_div;
    ${I} rf = i - q * af_div;
    ${I} f = q - (q / af_mod) * af_mod;
% endif
    for (; i < stop; ++i) {
        ${T} v = (${common.load(dt, "x", "x_off + i", T)} - mu) * r;
% if has_w:
        v *= ${common.load(dt, "w", "w_off + f", T)};
% endif
% if has_b:
        v += ${common.load(dt, "bias", "bias_off + f", T)};
% endif
        ${common.store(dt, "y", "i", "v")}
        if (++rs == st_div) {
            rs = 0;
            if (++s == st_mod) s = 0;
            mu = mean[s];
            r = rstd[s];
        }
% if has_w or has_b:
        if (++rf == af_div) {
            rf = 0;
            if (++f == af_mod) f = 0;
        }
% endif
    }
% else:
    const ${I} i = get_global_id(0);
    if (i >= total) return;
    ${I} q = i / st_div;
    const ${I} s = q - (q / st_mod) * st_mod;
    ${T} v = (${common.load(dt, "x", "x_off + i", T)} - mean[s]) * rstd[s];
% if has_w or has_b:
    q = i / af_div;
    const ${I} f = q - (q / af_mod) * af_mod;
% endif
% if has_w:
    v *= ${common.load(dt, "w", "w_off + f", T)};
% endif
% if has_b:
    v += ${common.load(dt, "bias", "bias_off + f", T)};
% endif
    ${common.store(dt, "y", "i", "v")}
% endif
}
</%def>

<%def name="bwd_sums(name, caps, dt, T, has_w, index_t, chunked=False)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} g = get_group_id(0);
    const ${I} l = get_local_id(0);
    const ${I} L = get_local_size(0);
    const ${I} m = A * B;
    const ${T} mu = mean[g], r = rstd[g];
    ${T} s1 = (${T})0, s2 = (${T})0;
% if chunked:
    // CPU devices: one contiguous share per work-item, in runs along b (affine index stepped)
    const ${I} per = (m + L - 1) / L;
    ${I} j = min(l * per, m);
    const ${I} stop = min(j + per, m);
    while (j < stop) {
        const ${I} a = j / B;
        const ${I} b = j - a * B;
        const ${I} len = min(stop - j, B - b);
        const ${I} i0 = a * sa + g * sg + b;
% if has_w:
        ${I} q = i0 / af_div;
        ${I} rf = i0 - q * af_div;
        ${I} f = q - (q / af_mod) * af_mod;
% endif
        for (${I} k = 0; k < len; ++k) {
            ${T} d = ${common.load(dt, "gy", "gy_off + i0 + k", T)};
% if has_w:
            d *= ${common.load(dt, "w", "w_off + f", T)};
            if (++rf == af_div) {
                rf = 0;
                if (++f == af_mod) f = 0;
            }
% endif
            s1 += d;
            s2 += d * (${common.load(dt, "x", "x_off + i0 + k", T)} - mu) * r;
        }
        j += len;
    }
% else:
    for (${I} j = l; j < m; j += L) {
        const ${I} a = j / B;
        const ${I} b = j - a * B;
        const ${I} i = a * sa + g * sg + b;
        ${T} d = ${common.load(dt, "gy", "gy_off + i", T)};
% if has_w:
        const ${I} q = i / af_div;
        d *= ${common.load(dt, "w", "w_off + q - (q / af_mod) * af_mod", T)};
% endif
        s1 += d;
        s2 += d * (${common.load(dt, "x", "x_off + i", T)} - mu) * r;
    }
% endif
    l1[l] = s1;
    l2[l] = s2;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (${I} half_ = L / 2; half_ > 0; half_ /= 2) {
        if (l < half_) {
            l1[l] += l1[l + half_];
            l2[l] += l2[l + half_];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        s1_out[g] = l1[0];
        s2_out[g] = l2[0];
    }
}
</%def>

<%def name="bwd_apply(name, caps, dt, T, has_w, index_t, chunked=False)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
% if chunked:
    ${I} i = get_global_id(0) * per;
    const ${I} stop = min(i + per, total);
    if (i >= stop) return;
    ${I} q = i / st_div;
    ${I} rs = i - q * st_div;
    ${I} s = q - (q / st_mod) * st_mod;
    ${T} mu = mean[s], r = rstd[s], t1 = s1[s], t2 = s2[s];
% if has_w:
    q = i / af_div;
    ${I} rf = i - q * af_div;
    ${I} f = q - (q / af_mod) * af_mod;
% endif
    for (; i < stop; ++i) {
        const ${T} xhat = (${common.load(dt, "x", "x_off + i", T)} - mu) * r;
        ${T} d = ${common.load(dt, "gy", "gy_off + i", T)};
% if has_w:
        d *= ${common.load(dt, "w", "w_off + f", T)};
% endif
        ${common.store(dt, "dx", "i", "r * (d - (t1 + xhat * t2) / n)")}
        if (++rs == st_div) {
            rs = 0;
            if (++s == st_mod) s = 0;
            mu = mean[s];
            r = rstd[s];
            t1 = s1[s];
            t2 = s2[s];
        }
% if has_w:
        if (++rf == af_div) {
            rf = 0;
            if (++f == af_mod) f = 0;
        }
% endif
    }
% else:
    const ${I} i = get_global_id(0);
    if (i >= total) return;
    ${I} q = i / st_div;
    const ${I} s = q - (q / st_mod) * st_mod;
    const ${T} r = rstd[s];
    const ${T} xhat = (${common.load(dt, "x", "x_off + i", T)} - mean[s]) * r;
    ${T} d = ${common.load(dt, "gy", "gy_off + i", T)};
% if has_w:
    q = i / af_div;
    d *= ${common.load(dt, "w", "w_off + q - (q / af_mod) * af_mod", T)};
% endif
    ${common.store(dt, "dx", "i", "r * (d - (s1[s] + xhat * s2[s]) / n)")}
% endif
}
</%def>
