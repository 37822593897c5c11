## Random kernels: Philox4x32-10 (Salmon et al. 2011, Random123) and the transforms of its bits.
## A call owns counter blocks [ctr, ctr + blocks) under the key (seed lo, seed hi); block b is
## philox4x32_10(counter = (lo(ctr + b), hi(ctr + b), 0, 0), key). Element e of a call reads
## lane e % E of block e / E, where E = 4 / words per element (1 word for float, 2 for double
## and for 64-bit integers). clgrad/backends/cpu_random.py computes the same in numpy.
##
## philox_raw(name): n, ctr (uint x4 per item), key (uint x2 per item), out (uint x4 per item).
## fill(name, out, C, kind, bits, consts): n, out, out_off, seed, ctr, p0, p1 (type C); one work
##   item per block. kind: uniform (u * p0 + p1), normal (z * p1 + p0), log_normal,
##   exponential (log(1 - u) * p0), cauchy (p0 + p1 * tan(pi (u - 1/2))), geometric
##   (ceil(log(1 - u) / p0)), bernoulli (u < p0). bits: uniform bits for a float C (11, 24).
## randint(name, out, wide): n, out, out_off, seed, ctr, low (long), range_m1 (ulong).
## bernoulli_tensor(name, out, P, C): n, out, out_off, p, p_off, seed, ctr (p contiguous).
## perm_keys(name): n, npad, keys (ulong), idx (long), seed, ctr.
## bitonic_step(name): npad, keys, idx, j, k (one compare-exchange per work item).
## mn_cdf(name, P, C): rows, ncat, p, p_off, cdf (C), last (int): one work item per row.
## mn_draw(name, C): rows, ncat, k, cdf, last, out (long), seed, ctr.
## mn_draw_noreplace(name, P, C): rows, ncat, k, p, p_off, w (C scratch), out, seed, ctr.
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import buffer, declare, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def philox_raw(**_):
    return [scalar("uint", "n"), buffer("uint", "ctr", const=True),
            buffer("uint", "key", const=True), buffer("uint", "out")]


@declare(SIGNATURES)
def fill(out, C, **_):
    return [scalar("ulong", "n"), tensor(out.ctype, "out", "ulong", const=False),
            scalar("ulong", "seed", "ctr"), scalar(C, "p0", "p1")]


@declare(SIGNATURES)
def randint(out, **_):
    return [scalar("ulong", "n"), tensor(out.ctype, "out", "ulong", const=False),
            scalar("ulong", "seed", "ctr"), scalar("long", "low"), scalar("ulong", "range_m1")]


@declare(SIGNATURES)
def bernoulli_tensor(out, P, **_):
    return [scalar("ulong", "n"), tensor(out.ctype, "out", "ulong", const=False),
            tensor(P.ctype, "p", "ulong"), scalar("ulong", "seed", "ctr")]


@declare(SIGNATURES)
def perm_keys(**_):
    return [scalar("ulong", "n", "npad"), buffer("ulong", "keys"), buffer("long", "idx"),
            scalar("ulong", "seed", "ctr")]


@declare(SIGNATURES)
def bitonic_step(**_):
    return [scalar("ulong", "npad"), buffer("ulong", "keys"), buffer("long", "idx"),
            scalar("ulong", "j", "k")]


@declare(SIGNATURES)
def mn_cdf(P, C, **_):
    return [scalar("ulong", "rows", "ncat"), tensor(P.ctype, "p", "ulong"), buffer(C, "cdf"),
            buffer("long", "last")]


@declare(SIGNATURES)
def mn_draw(C, **_):
    return [scalar("ulong", "rows", "ncat", "k"), buffer(C, "cdf", const=True),
            buffer("long", "last", const=True), buffer("long", "out"),
            scalar("ulong", "seed", "ctr")]


@declare(SIGNATURES)
def mn_draw_noreplace(P, C, **_):
    return [scalar("ulong", "rows", "ncat", "k"), tensor(P.ctype, "p", "ulong"),
            buffer(C, "w"), buffer("long", "out"), scalar("ulong", "seed", "ctr")]
%>

<%def name="philox()">\
#pragma OPENCL FP_CONTRACT OFF
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

inline uint4 philox4x32_10(uint4 c, uint2 k)
{
    for (int r = 0; r < 10; ++r) {
        if (r) {
            k.x += PHILOX_W0;
            k.y += PHILOX_W1;
        }
        const uint hi0 = mul_hi(PHILOX_M0, c.x), lo0 = PHILOX_M0 * c.x;
        const uint hi1 = mul_hi(PHILOX_M1, c.z), lo1 = PHILOX_M1 * c.z;
        c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

inline uint4 philox_block(const ulong seed, const ulong ctr, const ulong b)
{
    const ulong c = ctr + b;
    return philox4x32_10((uint4)((uint)c, (uint)(c >> 32), 0u, 0u),
                         (uint2)((uint)seed, (uint)(seed >> 32)));
}

inline uint lane_of(const uint4 w, const uint lane)
{
    return lane == 0 ? w.x : lane == 1 ? w.y : lane == 2 ? w.z : w.w;
}
</%def>

## The uniform in [0, 1) of element e, as the host's uniform_of computes it.
<%def name="uniform_at(C)">\
% if C == "double":
inline double uniform_at(const ulong seed, const ulong ctr, const ulong e)
{
    const uint4 w = philox_block(seed, ctr, e >> 1);
    const ulong x = (e & 1) ? (((ulong)w.z << 32) | w.w) : (((ulong)w.x << 32) | w.y);
    return (double)(x >> 11) * 0x1.0p-53;
}
% else:
inline float uniform_at(const ulong seed, const ulong ctr, const ulong e)
{
    const uint4 w = philox_block(seed, ctr, e >> 2);
    return (float)(lane_of(w, (uint)(e & 3)) >> 8) * 0x1.0p-24f;
}
% endif
</%def>

<%def name="philox_raw(name, **_)">\
${philox()}
__kernel void ${name}(${signature})
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const uint4 r = philox4x32_10(vload4(i, ctr), vload2(i, key));
    vstore4(r, i, out);
}
</%def>

<%def name="fill(name, out, C, kind, bits, consts, **_)">\
${philox()}
<%
    E = 2 if C == "double" else 4
    one = "1.0" if C == "double" else "1.0f"
%>\
__kernel void ${name}(${signature})
{
    const ulong b = get_global_id(0);
    const ulong first = b * ${E};
    if (first >= n) return;
    const uint4 w = philox_block(seed, ctr, b);
    ${C} u[${E}];
% if C == "double":
    u[0] = (double)(((((ulong)w.x) << 32) | w.y) >> 11) * 0x1.0p-53;
    u[1] = (double)(((((ulong)w.z) << 32) | w.w) >> 11) * 0x1.0p-53;
% else:
% for i, lane in enumerate("xyzw"):
    u[${i}] = (float)(w.${lane} >> ${32 - bits}) * 0x1.0p-${bits}f;
% endfor
% endif
    ${C} v[${E}];
% if kind in ("normal", "log_normal"):
    // Box-Muller on pairs of uniforms; 1 - u lies in (0, 1], so log never sees 0.
% for i in range(0, E, 2):
    {
        const ${C} r = sqrt((${C})-2 * log(${one} - u[${i}]));
        const ${C} theta = ${consts["two_pi"]} * u[${i + 1}];
        v[${i}] = r * cos(theta) * p1 + p0;
        v[${i + 1}] = r * sin(theta) * p1 + p0;
% if kind == "log_normal":
        v[${i}] = exp(v[${i}]);
        v[${i + 1}] = exp(v[${i + 1}]);
% endif
    }
% endfor
% endif
% for i in range(E):
% if kind == "uniform":
    v[${i}] = u[${i}] * p0 + p1;
% elif kind == "exponential":
    v[${i}] = log(${one} - u[${i}]) * p0;
% elif kind == "cauchy":
    v[${i}] = p0 + p1 * tan(${consts["pi"]} * (u[${i}] - (${C})0.5));
% elif kind == "geometric":
    v[${i}] = fmax(ceil(log(${one} - u[${i}]) / p0), ${one});
% elif kind == "bernoulli":
    v[${i}] = u[${i}] < p0 ? ${one} : (${C})0;
% endif
% endfor
% for i in range(E):
    if (first + ${i} < n) {
        ${common.store(out, "out", "out_off + first + %d" % i, "v[%d]" % i)}
    }
% endfor
}
</%def>

<%def name="randint(name, out, wide, **_)">\
${philox()}
<% E = 2 if wide else 4 %>\
__kernel void ${name}(${signature})
{
    const ulong b = get_global_id(0);
    const ulong first = b * ${E};
    if (first >= n) return;
    const uint4 w = philox_block(seed, ctr, b);
% if wide:
    ulong x[2] = {((ulong)w.x << 32) | w.y, ((ulong)w.z << 32) | w.w};
% for i in range(2):
    // The two-word modulo is biased by at most range / 2^64.
    x[${i}] = range_m1 == (ulong)-1 ? x[${i}] : x[${i}] % (range_m1 + 1);
% endfor
% else:
    // Multiply-shift (Lemire) maps a 32-bit word onto [0, range) for range <= 2^32.
    const ulong r = range_m1 + 1;
    const ulong x[4] = {((ulong)w.x * r) >> 32, ((ulong)w.y * r) >> 32,
                        ((ulong)w.z * r) >> 32, ((ulong)w.w * r) >> 32};
% endif
% for i in range(E):
    if (first + ${i} < n) {
        const long v = (long)((ulong)low + x[${i}]);
        ${common.store(out, "out", "out_off + first + %d" % i, "v")}
    }
% endfor
}
</%def>

<%def name="bernoulli_tensor(name, out, P, C, **_)">\
${philox()}
<% E = 2 if C == "double" else 4 %>\
__kernel void ${name}(${signature})
{
    const ulong b = get_global_id(0);
    const ulong first = b * ${E};
    if (first >= n) return;
    const uint4 w = philox_block(seed, ctr, b);
    ${C} u[${E}];
% if C == "double":
    u[0] = (double)(((((ulong)w.x) << 32) | w.y) >> 11) * 0x1.0p-53;
    u[1] = (double)(((((ulong)w.z) << 32) | w.w) >> 11) * 0x1.0p-53;
% else:
% for i, lane in enumerate("xyzw"):
    u[${i}] = (float)(w.${lane} >> 8) * 0x1.0p-24f;
% endfor
% endif
% for i in range(E):
    if (first + ${i} < n) {
        const ${C} pi = ${common.load(P, "p", "p_off + first + %d" % i, C)};
        ${common.store(out, "out", "out_off + first + %d" % i, "(u[%d] < pi)" % i)}
    }
% endfor
}
</%def>

<%def name="perm_keys(name, **_)">\
${philox()}
__kernel void ${name}(${signature})
{
    const ulong i = get_global_id(0);
    if (i >= npad) return;
    if (i < n) {
        const uint4 w = philox_block(seed, ctr, i >> 1);
        keys[i] = (i & 1) ? (((ulong)w.z << 32) | w.w) : (((ulong)w.x << 32) | w.y);
    } else {
        keys[i] = (ulong)-1;  // padding sorts last: equal keys fall back to the index
    }
    idx[i] = (long)i;
}
</%def>

<%def name="bitonic_step(name, **_)">\
// One compare-exchange pass of a bitonic sort of (key, index) pairs, ascending.
__kernel void ${name}(${signature})
{
    const ulong i = get_global_id(0);
    if (i >= npad) return;
    const ulong l = i ^ j;
    if (l <= i) return;
    const ulong ki = keys[i], kl = keys[l];
    const long ii = idx[i], il = idx[l];
    const int greater = ki > kl || (ki == kl && ii > il);
    if (((i & k) == 0) == greater) {
        keys[i] = kl;
        keys[l] = ki;
        idx[i] = il;
        idx[l] = ii;
    }
}
</%def>

<%def name="mn_cdf(name, P, C, **_)">\
// Sequential prefix sums per row (numpy's cumsum order) and the last positive category.
__kernel void ${name}(${signature})
{
    const ulong r = get_global_id(0);
    if (r >= rows) return;
    ${C} acc = 0;
    long lastpos = 0;
    for (ulong c = 0; c < ncat; ++c) {
        const ${C} x = ${common.load(P, "p", "p_off + r * ncat + c", C)};
        acc += x;
        cdf[r * ncat + c] = acc;
        if (x > 0) lastpos = (long)c;
    }
    last[r] = lastpos;
}
</%def>

<%def name="mn_draw(name, C, **_)">\
${philox()}
${uniform_at(C)}
// Inverse CDF: the first category whose prefix sum exceeds u * total.
__kernel void ${name}(${signature})
{
    const ulong e = get_global_id(0);
    if (e >= rows * k) return;
    const ulong r = e / k;
    __global const ${C} *row = cdf + r * ncat;
    const ${C} target = uniform_at(seed, ctr, e) * row[ncat - 1];
    ulong lo = 0, hi = ncat;
    while (lo < hi) {
        const ulong mid = lo + (hi - lo) / 2;
        if (row[mid] <= target) lo = mid + 1; else hi = mid;
    }
    out[e] = min((long)lo, last[r]);
}
</%def>

<%def name="mn_draw_noreplace(name, P, C, **_)">\
${philox()}
${uniform_at(C)}
// Sequential draws without replacement: each draw zeroes the chosen weight.
__kernel void ${name}(${signature})
{
    const ulong r = get_global_id(0);
    if (r >= rows) return;
    __global ${C} *row = w + r * ncat;
    for (ulong c = 0; c < ncat; ++c)
        row[c] = ${common.load(P, "p", "p_off + r * ncat + c", C)};
    for (ulong s = 0; s < k; ++s) {
        ${C} total = 0;
        long lastpos = 0;
        for (ulong c = 0; c < ncat; ++c) {
            total += row[c];
            if (row[c] > 0) lastpos = (long)c;
        }
        const ${C} target = uniform_at(seed, ctr, r * k + s) * total;
        ${C} acc = 0;
        ulong c = 0;
        for (; c < ncat; ++c) {
            acc += row[c];
            if (acc > target) break;
        }
        const long chosen = min((long)c, lastpos);
        out[r * k + s] = chosen;
        row[chosen] = 0;
    }
}
</%def>
