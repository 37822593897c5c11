"""Both work splits of the kernels that have one per device kind (pointwise strided, pooling,
im2col/col2im: a work-item per row on CPU devices, per element on GPUs; the reduced NLL loss:
one work-item on CPUs, a work-group's tree on GPUs). The test device (PoCL,
Oclgrind: CPU devices) runs the row forms by itself; here the backend is told it is a GPU, so
the element forms run too, and both must give the cpu device's results."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F

pytestmark = pytest.mark.kernel

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 3, 7, 6)).astype(np.float32)
W = RNG.standard_normal((4, 3, 3, 2)).astype(np.float32)


def _cases(dev):
    x = clgrad.tensor(X, device=dev, requires_grad=True)
    w = clgrad.tensor(W, device=dev, requires_grad=True)
    outs = {
        "permute_add": x.permute(0, 2, 3, 1) + x.mean((2, 3)).view(2, 1, 1, 3),
        "transpose_copy": x.transpose(1, 3).contiguous(),
        "conv": F.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
        "unfold": F.unfold(x, (2, 3), padding=1, stride=(1, 2)),
        "max_pool": F.max_pool2d(x, 2),
        "max_pool_overlap": F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
        "avg_pool": F.avg_pool2d(x, (2, 3), (3, 3), (1, 1), count_include_pad=False),
    }
    logits = x.flatten(1)[:, :10]
    target = clgrad.tensor([3, 9], device=dev)
    weight = clgrad.arange(1.0, 11.0, device=dev)
    outs["nll_mean"] = F.cross_entropy(logits, target, weight=weight)
    classes = clgrad.tensor([[[0, 2, 1, 1, 0, 2, 2]] * 5] * 2, device=dev).transpose(1, 2)
    outs["nll_sum"] = F.cross_entropy(x[:, :, :, :5], classes, reduction="sum",
                                      ignore_index=1)
    total = sum((o.float() * (i + 1)).sum() for i, o in enumerate(outs.values()))
    total.backward()
    outs["x.grad"], outs["w.grad"] = x.grad, w.grad
    return {k: v.detach().cpu().numpy() for k, v in outs.items()}


@pytest.mark.parametrize("gpu_split", [False, True])
def test_row_and_element_splits_match_the_cpu_device(cl_device, monkeypatch, gpu_split):
    backend = clgrad.ones(1, device=cl_device)._storage.backend
    monkeypatch.setattr(backend, "_cpu_device", not gpu_split and backend._cpu_device)
    want = _cases("cpu")
    got = _cases(cl_device)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5, err_msg=name)
