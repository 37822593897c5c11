"""GEMM throughput: clgrad's OpenCL kernel against numpy and PyTorch CPU, in one run.

Prints GFLOPS at 256/1024/2048, a batched 64 x 128x128 matmul, a transposed operand, and the
kernel with the built-in default parameters against the tuned ones (`python -m clgrad tune`).
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
    for n in (256, 1024, 2048):
        a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
        ca, cb = clgrad.tensor(a, device=dev), clgrad.tensor(b, device=dev)
        flops = 2.0 * n ** 3
        rep = 5 if n < 2048 else 3
        ours = gflops(flops, best_time(lambda: ca @ cb, repeat=rep, sync=sync))
        ref = gflops(flops, best_time(lambda: a @ b, repeat=rep))
        tor = None
        if torch is not None:
            ta, tb = (torch.from_numpy(m).to(torch_device()) for m in (a, b))
            tor = gflops(flops, best_time(lambda: ta @ tb, repeat=rep))
        rows.append((f"sgemm {n}", ours, ref, tor))
        if n == 1024:
            cbt = clgrad.tensor(np.ascontiguousarray(b.T), device=dev).t()
            cat = clgrad.tensor(np.ascontiguousarray(a.T), device=dev).t()
            rows.append(("sgemm 1024 B transposed",
                         gflops(flops, best_time(lambda: ca @ cbt, repeat=rep, sync=sync)),
                         ref, tor))
            rows.append(("sgemm 1024 A transposed",
                         gflops(flops, best_time(lambda: cat @ cb, repeat=rep, sync=sync)),
                         ref, tor))
            default = gemm_tuning.fit(gemm_tuning.DEFAULTS[gemm_tuning.family(
                backend.rt.caps)]["nn"], backend.rt.caps)
            out = clgrad.empty(n, n, device=dev)
            rows.append(("sgemm 1024 built-in default params",
                         gflops(flops, best_time(lambda: backend.gemm(out, ca, cb,
                                                                      params=default),
                                                 repeat=rep, sync=sync)), ref, tor))
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
