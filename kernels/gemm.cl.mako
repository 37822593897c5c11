## Batched GEMM: C = alpha * A @ B (+ beta * C), one register-blocked kernel.
## gemm(name, caps, dt, T, mode, TM, TN, VW, LK, WGN, WGM, has_beta, batch_rank, index_t):
##   dt: the clgrad dtype of A, B and C (float16 is loaded as half and accumulated in float);
##   T: the accumulator type (float, double, long); mode: "nn" when B's columns are
##   contiguous (each work-item loads rows of B as VW-wide vectors and accumulates outer
##   products), "nt" when rows of A and columns of B are contiguous along K (VW-wide dot
##   products, reduced at the end), "lnt" when only A's rows are contiguous along K (the
##   work-group stages its TN*WGN columns of B transposed in local memory, LK rows of K at a
##   time, then runs the nt loop; WGN x WGM is the launch's exact local size), "gen" for any
##   strides (the nn loop with gathered loads);
##   TM x TN: the block of C each work-item computes (TN a multiple of VW in nn/gen);
##   has_beta: read C and add beta * C; batch_rank: coalesced batch dims (0 = one matrix);
##   index_t: "int" or "long".
## Work-item (x, y, z) computes rows y*TM.., columns x*TN.. of batch entry z. Edges: rows and
## columns past M or N are clamped when read (always in bounds) and never stored; K is any.
## Arguments, in order: M, N, K, alpha, beta, A, a_off, a_sm, a_sk, B, b_off, b_sk, b_sn,
## C, c_off, c_sm, c_sn, then per batch dim d: a_bs<d>, b_bs<d>, c_bs<d>, bn<d> (size).
##
## pack(name, caps, bits, TB, trans, batch_rank, index_t): Y = X as a contiguous (R, C)
##   matrix per batch entry (row stride C), X any strides; the GEMM's operand packing (an
##   O(n^2) copy into the layout the fast nt loop reads). bits: the unsigned type of the
##   element's width (a pack copies bits, whatever the dtype). Work-item (x, y, z) copies the
##   TB x TB block at rows y*TB.., columns x*TB.. of entry z through a private tile, with no
##   local memory and no barrier: trans (X's rows contiguous, x_sr == 1, a transposed matrix)
##   reads TB columns of X as contiguous runs, then writes TB rows of Y, so each cache line is
##   read once and written once; otherwise it copies row by row. Edge blocks copy element by
##   element.
## Arguments: R, C, X, x_off, x_sr, x_sc, Y, y_off, then per batch dim d: x_bs<d>, y_bs<d>,
## bn<d>.
<%namespace name="common" file="common.cl.mako"/>
<%!
from clgrad.kernels.signature import declare, scalar, tensor

SIGNATURES = {}


@declare(SIGNATURES)
def gemm(dt, T, batch_rank, index_t, **_):
    I, S = index_t, dt.ctype
    batch = [scalar(I, f"a_bs{d}", f"b_bs{d}", f"c_bs{d}", f"bn{d}") for d in range(batch_rank)]
    return [scalar(I, "M", "N", "K"), scalar(T, "alpha", "beta"),
            tensor(S, "A", I, offset="a_off"), scalar(I, "a_sm", "a_sk"),
            tensor(S, "B", I, offset="b_off"), scalar(I, "b_sk", "b_sn"),
            tensor(S, "C", I, const=False, offset="c_off"), scalar(I, "c_sm", "c_sn"),
            *[a for group in batch for a in group]]


@declare(SIGNATURES)
def pack(bits, batch_rank, index_t, **_):
    I = index_t
    batch = [scalar(I, f"x_bs{d}", f"y_bs{d}", f"bn{d}") for d in range(batch_rank)]
    return [scalar(I, "R", "C"), tensor(bits, "X", I, offset="x_off"), scalar(I, "x_sr", "x_sc"),
            tensor(bits, "Y", I, const=False, offset="y_off"),
            *[a for group in batch for a in group]]
%>

<%def name="gemm(name, caps, dt, T, mode, TM, TN, VW, LK, WGN, WGM, has_beta, batch_rank, index_t)">\
<%
    I = index_t
    S = dt.ctype
    half = dt.name == "float16"
    bf16 = dt.name == "bfloat16"
    floating = T != "long"
    VT = T if VW == 1 else "%s%d" % (T, VW)
    comps = ["s" + "0123456789abcdef"[l] for l in range(VW)]

    def comp(var, l):
        return var if VW == 1 else "%s.%s" % (var, comps[l])

    def load(ptr, idx):
        if half:
            return "vload_half(%s, %s)" % (idx, ptr)
        if bf16:
            return "as_float((uint)%s[%s] << 16)" % (ptr, idx)
        return "(%s)%s[%s]" % (T, ptr, idx)

    def loadv(ptr, idx):
        # VW consecutive elements starting at element idx.
        if VW == 1:
            return load(ptr, idx)
        if half:
            return "vload_half%d(0, %s + %s)" % (VW, ptr, idx)
        # Element by element: compilers fuse it into one unaligned vector load, whereas
        # vloadN() is an out-of-line call on some drivers.
        if bf16:
            return "(%s)(%s)" % (VT, ", ".join(load(ptr, "%s + %d" % (idx, l))
                                               for l in range(VW)))
        return "(%s)(%s)" % (VT, ", ".join("%s[%s + %d]" % (ptr, idx, l) for l in range(VW)))

    def mac(acc, a, b):
        # Plain a * b + c: OpenCL C contracts it to an FMA where the device has one, while
        # fma()/mad() are out-of-line library calls on some drivers (PoCL 3.0 on x86).
        return "%s += %s * %s;" % (acc, a, b)
    NV = TN // VW if mode != "nt" else TN
%>\
__kernel void ${name}(${signature})
{
    const ${I} n0 = (${I})get_global_id(0) * ${TN};
    const ${I} m0 = (${I})get_global_id(1) * ${TM};
% if mode != "lnt":
    if (m0 >= M || n0 >= N) return;
% endif
    ${I} ao = a_off, bo = b_off, co = c_off;
% if batch_rank:
    {
        ${I} z = (${I})get_global_id(2);
% for d in reversed(range(batch_rank)):
        { const ${I} q = z / bn${d}, i = z - q * bn${d}; z = q;  // no % by / (Oclgrind)
          ao += i * a_bs${d}; bo += i * b_bs${d}; co += i * c_bs${d}; }
% endfor
    }
% endif
    // Rows (and in nt mode columns) past the edge are clamped: read in bounds, never stored.
% for i in range(TM):
    const ${I} ar${i} = ao + (m0 + ${i} < M ? m0 + ${i} : M - 1) * a_sm;
% endfor
% if mode == "nt":
% for j in range(TN):
    const ${I} bc${j} = bo + (n0 + ${j} < N ? n0 + ${j} : N - 1) * b_sn;
% endfor
% for i in range(TM):
% for j in range(TN):
    ${VT} acc${i}_${j} = (${VT})0;
% endfor
% endfor
    ${I} k = 0;
    for (; k + ${VW} <= K; k += ${VW}) {
% for i in range(TM):
        const ${VT} a${i} = ${loadv("A", "ar%d + k" % i)};
% endfor
% for j in range(TN):
        const ${VT} b${j} = ${loadv("B", "bc%d + k" % j)};
% endfor
% for i in range(TM):
% for j in range(TN):
        ${mac("acc%d_%d" % (i, j), "a%d" % i, "b%d" % j)}
% endfor
% endfor
    }
% for i in range(TM):
% for j in range(TN):
    ${T} r${i}_${j} = ${" + ".join(comp("acc%d_%d" % (i, j), l) for l in range(VW))};
% endfor
% endfor
    for (; k < K; ++k) {
% for i in range(TM):
        const ${T} a${i} = ${load("A", "ar%d + k" % i)};
% endfor
% for j in range(TN):
        const ${T} b${j} = ${load("B", "bc%d + k" % j)};
% endfor
% for i in range(TM):
% for j in range(TN):
        ${mac("r%d_%d" % (i, j), "a%d" % i, "b%d" % j)}
% endfor
% endfor
    }
<% result = lambda i, j, l: "r%d_%d" % (i, j + l) %>\
% elif mode == "lnt":
<% TW = TN * WGN %>\
    // Rows of A are contiguous along K; the work-group's TW columns of B are staged
    // transposed (K-contiguous, LK at a time) in local memory, whatever B's strides, so the
    // compute loop is the nt dot-product loop on both sides.
    __local ${T} tile[${LK * TW}];
    const int lid = (int)(get_local_id(1) * ${WGN} + get_local_id(0));
    const ${I} gn0 = (${I})get_group_id(0) * ${TW};
    const int tx = (int)get_local_id(0) * ${TN};
% for i in range(TM):
% for j in range(TN):
    ${VT} acc${i}_${j} = (${VT})0;
    ${T} r${i}_${j} = 0;
% endfor
% endfor
    for (${I} k0 = 0; k0 < K; k0 += ${LK}) {
        const int kc = (int)(K - k0 < ${LK} ? K - k0 : ${LK});
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int t = lid; t < ${LK * TW}; t += ${WGN * WGM}) {
            const int c = t / ${LK}, kk = t - c * ${LK};
            const ${I} col = gn0 + c < N ? gn0 + c : N - 1;
            if (kk < kc)
                tile[t] = ${load("B", "bo + (k0 + kk) * b_sk + col * b_sn")};
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        int kk = 0;
        for (; kk + ${VW} <= kc; kk += ${VW}) {
% for i in range(TM):
            const ${VT} a${i} = ${loadv("A", "ar%d + k0 + kk" % i)};
% endfor
% for j in range(TN):
            const ${VT} b${j} = (${VT})(${", ".join("tile[(tx + %d) * %d + kk + %d]" % (j, LK, l) for l in range(VW))});
% endfor
% for i in range(TM):
% for j in range(TN):
            ${mac("acc%d_%d" % (i, j), "a%d" % i, "b%d" % j)}
% endfor
% endfor
        }
        for (; kk < kc; ++kk) {
% for i in range(TM):
            const ${T} a${i} = ${load("A", "ar%d + k0 + kk" % i)};
% endfor
% for j in range(TN):
            const ${T} b${j} = tile[(tx + ${j}) * ${LK} + kk];
% endfor
% for i in range(TM):
% for j in range(TN):
            ${mac("r%d_%d" % (i, j), "a%d" % i, "b%d" % j)}
% endfor
% endfor
        }
    }
% for i in range(TM):
% for j in range(TN):
    r${i}_${j} += ${" + ".join(comp("acc%d_%d" % (i, j), l) for l in range(VW))};
% endfor
% endfor
<% result = lambda i, j, l: "r%d_%d" % (i, j + l) %>\
% else:
% for i in range(TM):
% for j in range(NV):
    ${VT} acc${i}_${j} = (${VT})0;
% endfor
% endfor
<%def name="nn_loop(gather)">\
    for (${I} k = 0; k < K; ++k) {
        const ${I} bk = bo + k * b_sk;
% for j in range(NV):
% if gather:
        const ${VT} b${j} = (${VT})(${", ".join(load("B", "bk + bc%d_%d" % (j, l)) for l in range(VW))});
% else:
        const ${VT} b${j} = ${loadv("B", "bk + n0 + %d" % (j * VW))};
% endif
% endfor
% for i in range(TM):
        const ${VT} a${i} = (${VT})(${load("A", "ar%d + k * a_sk" % i)});
% for j in range(NV):
        ${mac("acc%d_%d" % (i, j), "a%d" % i, "b%d" % j)}
% endfor
% endfor
    }
</%def>\
<%def name="gather_offsets()">\
% for j in range(NV):
% for l in range(VW):
        const ${I} bc${j}_${l} = (n0 + ${j * VW + l} < N ? n0 + ${j * VW + l} : N - 1) * b_sn;
% endfor
% endfor
</%def>\
% if mode == "nn":
    if (n0 + ${TN} <= N) {
${nn_loop(False)}\
    } else {
${gather_offsets()}\
${nn_loop(True)}\
    }
% else:
    {
${gather_offsets()}\
${nn_loop(True)}\
    }
% endif
<% result = lambda i, j, l: comp("acc%d_%d" % (i, (j + l) // VW), (j + l) % VW) %>\
% endif
% for i in range(TM):
    if (m0 + ${i} < M) {
        const ${I} crow = co + (m0 + ${i}) * c_sm;
% for j in range(TN):
        if (n0 + ${j} < N) {
            const ${I} ci = crow + (n0 + ${j}) * c_sn;
% if has_beta:
            ${common.store(dt, "C", "ci", "alpha * %s + beta * %s" % (result(i, j, 0), load("C", "ci")))}
% else:
            ${common.store(dt, "C", "ci", "alpha * %s" % result(i, j, 0))}
% endif
        }
% endfor
    }
% endfor
}
</%def>


<%def name="pack(name, caps, bits, TB, trans, batch_rank, index_t)">\
<% I = index_t %>\
__kernel void ${name}(${signature})
{
    const ${I} c0 = (${I})get_global_id(0) * ${TB};
    const ${I} r0 = (${I})get_global_id(1) * ${TB};
    if (r0 >= R || c0 >= C) return;
    ${I} xo = x_off, yo = y_off;
% if batch_rank:
    {
        ${I} z = (${I})get_global_id(2);
% for d in reversed(range(batch_rank)):
        { const ${I} q = z / bn${d}, i = z - q * bn${d}; z = q;
          xo += i * x_bs${d}; yo += i * y_bs${d}; }
% endfor
    }
% endif
    if (r0 + ${TB} <= R && c0 + ${TB} <= C) {
% if trans:
        // X's rows are contiguous: read TB runs of TB (one column of X each), then write TB
        // rows, through a private tile, so each cache line is read and written once (the
        // lines of a block are a row stride apart and may share one cache set).
        ${bits} t[${TB * TB}];
        for (int j = 0; j < ${TB}; ++j) {
            const ${I} xc = xo + (c0 + j) * x_sc + r0;
            for (int i = 0; i < ${TB}; ++i)
                t[j * ${TB} + i] = X[xc + i];
        }
        for (int i = 0; i < ${TB}; ++i) {
            __global ${bits} *y = Y + yo + (r0 + i) * C + c0;
            for (int j = 0; j < ${TB}; ++j)
                y[j] = t[j * ${TB} + i];
        }
% else:
        for (int i = 0; i < ${TB}; ++i) {
            const ${I} xr = xo + (r0 + i) * x_sr + c0 * x_sc;
            __global ${bits} *y = Y + yo + (r0 + i) * C + c0;
% for j in range(TB):
            y[${j}] = X[xr + ${j} * x_sc];
% endfor
        }
% endif
    } else {
        const int nr = (int)(R - r0 < ${TB} ? R - r0 : ${TB});
        const int nc = (int)(C - c0 < ${TB} ? C - c0 : ${TB});
        for (int i = 0; i < nr; ++i)
            for (int j = 0; j < nc; ++j)
                Y[yo + (r0 + i) * C + c0 + j] = X[xo + (r0 + i) * x_sr + (c0 + j) * x_sc];
    }
}
</%def>
