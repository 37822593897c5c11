"""GEMM throughput: clgrad's OpenCL kernel against numpy and PyTorch CPU, in one run.

Prints GFLOPS at 256/1024/2048, every transposition at 1024 (nn, nt: B stored transposed, tn,
tt), the two-layer net's linear layers, a batched 64 x 128x128 matmul, and the unpacked nn
kernel with the built-in default parameters (`python -m clgrad tune` tunes the rest).
"""
from __future__ import annotations

import numpy as np

from _common import best_time, cl_device_or_exit, parse_args, parser, torch_device, torch_or_none

import clgrad
from clgrad.backends import backend_for
from clgrad.backends.cl import gemm_params as gemm_tuning


def gflops(flops: float, seconds: float) -> float:
    return flops / seconds / 1e9


def main() -> None:
    parse_args(parser(__doc__.splitlines()[0]))
    dev = cl_device_or_exit()
    torch = torch_or_none()
    sync = clgrad.cl.synchronize
    x = clgrad.empty(1, device=dev)
    backend = backend_for(x.device)
    print("GEMM parameters in use:", backend.gemm_params())
    rows = []

    def case(name, x, y, flops, rep, number=1):
        """x @ y on cl (x, y: host arrays, possibly transposed views, copied in the same
        layout), numpy and torch."""
        cx, cy = (clgrad.tensor(np.ascontiguousarray(m.T), device=dev).t()
                  if not m.flags.c_contiguous else clgrad.tensor(m, device=dev)
                  for m in (x, y))
        ours = gflops(flops, best_time(lambda: cx @ cy, repeat=rep, number=number, sync=sync))
        ref = gflops(flops, best_time(lambda: x @ y, repeat=rep, number=number))
        tor = None
        if torch is not None:
            tx, ty = (torch.from_numpy(m).to(torch_device()) for m in (x, y))
            tor = gflops(flops, best_time(lambda: tx @ ty, repeat=rep, number=number))
        rows.append((name, ours, ref, tor))

    for n in (256, 1024, 2048):
        a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
        flops = 2.0 * n ** 3
        rep = 5 if n < 2048 else 3
        # Layouts: nt = B stored transposed (B^T contiguous), tn = A stored transposed.
        for layout in ("nn", "nt", "tn", "tt") if n == 1024 else ("nn",):
            x = np.ascontiguousarray(a.T).T if layout[0] == "t" else a
            y = np.ascontiguousarray(b.T).T if layout[1] == "t" else b
            case(f"sgemm {n} {layout}", x, y, flops, rep)
        if n == 1024:
            ca, cb = clgrad.tensor(a, device=dev), clgrad.tensor(b, device=dev)
            default = gemm_tuning.fit(gemm_tuning.DEFAULTS[gemm_tuning.family(
                backend.rt.caps)]["nn"], backend.rt.caps)
            out = clgrad.empty(n, n, device=dev)
            rows.append(("sgemm 1024 nn unpacked, default params",
                         gflops(flops, best_time(lambda: backend.gemm(out, ca, cb,
                                                                      params=default),
                                                 repeat=rep, sync=sync)), rows[1][2], rows[1][3]))
    # The two-layer net's linear layers (batch 64, 1000 -> 100): forward x @ W^T, weight
    # gradient grad^T @ x, input gradient grad @ W; 10 calls per synchronisation, as in a step.
    x = np.random.rand(64, 1000).astype(np.float32)
    w = np.random.rand(100, 1000).astype(np.float32)
    g = np.random.rand(64, 100).astype(np.float32)
    flops = 2.0 * 64 * 1000 * 100
    case("linear fwd 64x1000 @ (100x1000)^T", x, w.T, flops, 5, number=10)
    case("linear wgrad (64x100)^T @ 64x1000", g.T, x, flops, 5, number=10)
    case("linear igrad 64x100 @ 100x1000", g, w, flops, 5, number=10)
    a = np.random.rand(64, 128, 128).astype(np.float32)
    b = np.random.rand(64, 128, 128).astype(np.float32)
    ca, cb = clgrad.tensor(a, device=dev), clgrad.tensor(b, device=dev)
    flops = 2.0 * 64 * 128 ** 3
    ours = gflops(flops, best_time(lambda: ca @ cb, repeat=5, sync=sync))
    ref = gflops(flops, best_time(lambda: a @ b, repeat=5))
    tor = None
    if torch is not None:
        ta, tb = (torch.from_numpy(m).to(torch_device()) for m in (a, b))
        tor = gflops(flops, best_time(lambda: ta @ tb, repeat=5))
    rows.append(("batched 64 x 128x128", ours, ref, tor))
    print(f"{'case':<36} {'clgrad':>8} {'numpy':>8} {'torch':>8}  clgrad/numpy clgrad/torch")
    for name, ours, ref, tor in rows:
        tor_s = f"{tor:8.1f}" if tor else "       -"
        ratio_t = f"{ours / tor:12.2f}" if tor else "           -"
        print(f"{name:<36} {ours:8.1f} {ref:8.1f} {tor_s}  {ours / ref:12.2f} {ratio_t}")
    print("(GFLOPS; best of several runs; same process)")


if __name__ == "__main__":
    main()
