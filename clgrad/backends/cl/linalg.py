"""OpenCL GEMM (mixed into ClBackend): C = alpha * A @ B + beta * C over broadcast batches.

The fastest loop on CPUs is "nt" (A's rows and B's columns contiguous along K: VW-wide dot
products). Where the product is large against its operands (gemm_params.should_pack), an
operand not contiguous along K is first copied into that layout by gemm.cl.mako's pack kernel
(an O(n^2) copy against O(n^3) work; 1024 nn ran at 0.17x numpy in place, about 0.7x packed).
Smaller products read operands in place through their strides: "nn" when B's columns are
contiguous, "nt" when A and B are both contiguous along K; when A is stored transposed it
computes C^T = B^T A^T instead (swapping operands and C's strides). Anything else runs the nn
loop with gathered loads. Parameters come from gemm_params (table or cache file), per mode and
nt shape class.
"""
from __future__ import annotations

from ..._strides import coalesce
from . import gemm_params as gemm_table
from .programs import get_kernel
from .runtime import index_t as index_type


def _acc_ctype(dtype) -> str:
    if dtype.name == "float64":
        return "double"
    return "float" if dtype.is_floating_point else "long"


class ClLinalg:
    _gemm_params = None

    def gemm_pack(self, x, R, C, x_sr, x_sc, bsizes=(), x_bs=(), params: dict | None = None):
        """A contiguous (R, C) copy of each matrix of x (element (r, c) of batch entry z at
        x._offset + sum z_d * x_bs[d] + r * x_sr + c * x_sc): (Scratch, batch strides of the
        copy). Batch dims that x broadcasts (stride 0) stay broadcast: copied once."""
        dims = [(n, s) for n, s in zip(bsizes, x_bs) if s != 0]
        y_bs, run = [], R * C
        for n, s in reversed(list(zip(bsizes, x_bs))):
            y_bs.append(run if s != 0 else 0)
            run *= n if s != 0 else 1
        y_bs.reverse()
        out = self.scratch((run,), x.dtype)
        if run == 0:
            return out, y_bs
        p = params if params is not None else self.gemm_params()["pack"]
        itemsize = x.dtype.itemsize
        bits = {1: "uchar", 2: "ushort", 4: "uint", 8: "ulong"}[itemsize]
        trans = x_sr == 1 and C > 1
        tb = p["TB"] if itemsize < 8 else min(p["TB"], p.get("TB8", p["TB"]))
        index_t = index_type(x, out)
        rank = len(dims)
        kernel = get_kernel(self.rt, "gemm.cl.mako", "pack",
                            (bits, tb, trans, rank, index_t),
                            lambda: dict(name="gemm_pack", bits=bits, TB=tb, trans=trans,
                                         batch_rank=rank, index_t=index_t))
        args = dict(R=R, C=C, X=x, x_sr=x_sr, x_sc=x_sc, Y=out)
        sub_bs, z = [], 1
        for n, s in reversed(dims):
            sub_bs.append(z * R * C)
            z *= n
        sub_bs.reverse()
        for d, (n, s) in enumerate(dims):
            args.update({f"x_bs{d}": s, f"y_bs{d}": sub_bs[d], f"bn{d}": n})
        # Work-groups of WGX x WGY blocks: a group's reads and writes stay within a few pages.
        gx, gy = -(-C // tb), -(-R // tb)
        wx, wy = min(p.get("WGX", 1), gx), min(p.get("WGY", 1), gy)
        while wx * wy > self.rt.caps.max_work_group_size:
            wx, wy = max(wx // 2, 1), max(wy // 2, 1)
        self.rt.launch(kernel, (-(-gx // wx) * wx, -(-gy // wy) * wy, z), (wx, wy, 1), args)
        return out, y_bs

    def gemm_params(self) -> dict:
        params = self._gemm_params
        if params is None:
            params = self._gemm_params = gemm_table.load(self.rt.caps)
        return params

    def gemm(self, c, a, b, alpha=1, beta=0, params: dict | None = None) -> None:
        """c = alpha * a @ b + beta * c: c (*batch, M, N), a (*batch, M, K), b (*batch, K, N).

        Batch dims are already broadcast (stride 0 where an operand repeats); c must not
        overlap a or b. beta == 0 never reads c (NaN in c does not propagate, as in PyTorch).
        """
        M, N = c._shape[-2], c._shape[-1]
        K = a._shape[-1]
        batch = c._shape[:-2]
        nbatch = 1
        for s in batch:
            nbatch *= s
        if M == 0 or N == 0 or nbatch == 0:
            return
        # Strides of size-1 dims are irrelevant: normalising them widens the fast layouts.
        a_sm, a_sk = (a._stride[-2] if M > 1 else 1), (a._stride[-1] if K > 1 else 1)
        b_sk, b_sn = (b._stride[-2] if K > 1 else 1), (b._stride[-1] if N > 1 else 1)
        c_sm, c_sn = c._stride[-2], c._stride[-1]
        nb = len(batch)
        bsizes, (a_bs, b_bs, c_bs) = coalesce(batch, [a._stride[:nb], b._stride[:nb],
                                                      c._stride[:nb]])
        table = self.gemm_params()
        # Packing: an operand not contiguous along K is copied into the (rows, K) layout the
        # nt loop reads when the O(n^2) copy is small against the O(n^3) product (the nn and
        # strided loops run at a fraction of nt's speed: 4 KiB row strides thrash the cache).
        # Explicit params (the tuner's and the tests' variants) run the layout as given.
        if params is None and (a_sk != 1 or b_sk != 1) and gemm_table.should_pack(
                M, N, K, nbatch, a_sk != 1, b_sk != 1):
            if a_sk != 1:
                a, a_bs = self.gemm_pack(a, M, K, a_sm, a_sk, bsizes, a_bs)
                a_sm, a_sk = K, 1
            if b_sk != 1:
                b, b_bs = self.gemm_pack(b, N, K, b_sn, b_sk, bsizes, b_bs)
                b_sk, b_sn = 1, K
        # Layout -> mode. nt: both operands contiguous along K. lnt: A's rows contiguous
        # along K, B any layout, staged transposed in local memory (also reached by computing
        # C^T = B^T A^T when B^T's rows are the contiguous ones). nn/gen: no local memory.
        use_lnt = (params if params is not None else table["lnt"]).get("LK", 0) > 0
        swap = False
        if a_sk == 1 and b_sk == 1:
            mode = "nt"
        elif use_lnt and a_sk == 1:
            mode = "lnt"
        elif use_lnt and b_sk == 1:
            mode, swap = "lnt", True
        elif b_sn == 1:
            mode = "nn"
        elif a_sm == 1:
            mode, swap = "nn", True
        else:
            mode = "gen"
        if swap:  # C^T = B^T A^T
            M, N = N, M
            a, b = b, a
            a_sm, a_sk, b_sk, b_sn = b_sn, b_sk, a_sk, a_sm
            c_sm, c_sn = c_sn, c_sm
            a_bs, b_bs = b_bs, a_bs
        if params is None:
            params = table[gemm_table.shape_class(mode, M, N, K, nbatch)]
        p = dict(params)
        p.setdefault("LK", 0)
        dtype = c.dtype
        T = _acc_ctype(dtype)
        if T == "long" or (T == "double" and mode != "nt" and p["VW"] > 4):
            p["VW"] = min(p["VW"], 4 if T == "double" else 1)
        if mode in ("nn", "gen"):
            p["TN"] = max(p["TN"] // p["VW"], 1) * p["VW"]
            if N < p["TN"]:  # thin outputs (matrix-vector): no clamped columns to waste
                p["VW"] = 1
                p["TN"] = max(1, min(N, 4))
            if M < p["TM"]:
                p["TM"] = M
        else:
            if N < p["TN"]:
                p["TN"] = N
            if M < p["TM"]:
                p["TM"] = M
        index_t = index_type(a, b, c)
        has_beta = beta != 0
        rank = len(bsizes)
        if mode != "lnt":
            p["LK"] = 0
        key = (dtype.name, mode, p["TM"], p["TN"], p["VW"], p["LK"], p["WGN"], p["WGM"],
               has_beta, rank, index_t)
        kernel = get_kernel(self.rt, "gemm.cl.mako", "gemm", key,
                            lambda: dict(name="gemm", dt=dtype, T=T, mode=mode, TM=p["TM"],
                                         TN=p["TN"], VW=p["VW"], LK=p["LK"], WGN=p["WGN"],
                                         WGM=p["WGM"], has_beta=has_beta, batch_rank=rank,
                                         index_t=index_t))
        args = dict(M=M, N=N, K=K, alpha=alpha, beta=beta if has_beta else 0, A=a, a_sm=a_sm,
                    a_sk=a_sk, B=b, b_sk=b_sk, b_sn=b_sn, C=c, c_sm=c_sm, c_sn=c_sn)
        for d in range(rank):
            args.update({f"a_bs{d}": a_bs[d], f"b_bs{d}": b_bs[d], f"c_bs{d}": c_bs[d],
                         f"bn{d}": bsizes[d]})
        gx = -(-N // p["TN"])
        gy = -(-M // p["TM"])
        wgn, wgm = p["WGN"], p["WGM"]
        if mode != "lnt" and wgm and wgn:
            wgn = min(wgn, gx)
            wgm = min(wgm, gy)
        if wgm and wgn:
            local = (wgn, wgm, 1)
            gx = -(-gx // wgn) * wgn
            gy = -(-gy // wgm) * wgm
        else:
            local = None
        self.rt.launch(kernel, (gx, gy, nbatch), local, args)
