"""numpy kernels of the linalg family (mixed into CpuBackend): the batched GEMM."""
from __future__ import annotations

import numpy as np


class CpuLinalg:
    def gemm(self, c, a, b, alpha=1, beta=0, params=None) -> None:
        """c = alpha * a @ b + beta * c over equal (broadcast) batch dims (see ClLinalg)."""
        av, bv = self.view(a), self.view(b)
        if av.dtype == np.float16:  # accumulate half in float, as the OpenCL kernel does
            av, bv = av.astype(np.float32), bv.astype(np.float32)
        cv = self.view(c)
        if beta == 0 and cv.dtype == av.dtype == bv.dtype:
            # straight into c (numpy copies an input c overlaps first): a temporary of c's
            # size and the copy cost more than the BLAS call when the memory is fresh (a
            # LeNet step's 11 products: 17.1 -> 12.9 ms)
            np.matmul(av, bv, out=cv)
            if alpha != 1:
                cv *= cv.dtype.type(alpha)
            return
        result = np.matmul(av, bv)
        if alpha != 1:
            result = result * result.dtype.type(alpha)
        if beta != 0:
            result = result + cv.astype(result.dtype) * result.dtype.type(beta)
        np.copyto(cv, result, casting="unsafe")
