"""A tour of clgrad's Tensor API on an OpenCL device, checked against numpy as it goes.

    python examples/tensor_tour.py [--device cl:0 | cpu]

Code written for PyTorch ports by renaming torch to clgrad and cuda to cl. Every result is
compared with numpy, so the tour stops with an error if anything is wrong.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

import clgrad


def show(label: str, value) -> None:
    text = str(value)
    if "\n" in text:
        print(f"{label}:\n    " + text.replace("\n", "\n    "))
    else:
        print(f"{label}: {text}")


def check(t: clgrad.Tensor, expected, dtype: clgrad.dtype | None = None) -> clgrad.Tensor:
    """Fail loudly unless t holds `expected` (and has `dtype`, when given)."""
    got = t.cpu().numpy()
    np.testing.assert_allclose(got, np.asarray(expected, dtype=got.dtype), rtol=1e-5, atol=1e-6)
    if dtype is not None and t.dtype is not dtype:
        raise AssertionError(f"expected {dtype}, got {t.dtype}")
    return t


def pick_device(requested: str | None) -> clgrad.device:
    if requested:
        return clgrad.device(requested)
    if clgrad.cl.is_available():
        return clgrad.device("cl")
    print("No OpenCL device found (see `python -m clgrad info`); touring on cpu instead.\n")
    return clgrad.device("cpu")


def creation(dev) -> None:
    print("== creation ==")
    show("tensor from a nested list", check(
        clgrad.tensor([[1.0, 2.0], [3.0, 4.0]], device=dev), [[1, 2], [3, 4]]))
    show("zeros(2, 3)", check(clgrad.zeros(2, 3, device=dev), np.zeros((2, 3))))
    show("full((2, 2), 7)", check(clgrad.full((2, 2), 7, device=dev), np.full((2, 2), 7),
                                  clgrad.int64))
    show("arange(0, 10, 3)", check(clgrad.arange(0, 10, 3, device=dev), [0, 3, 6, 9]))
    show("linspace(0, 1, 5)", check(clgrad.linspace(0, 1, 5, device=dev),
                                    np.linspace(0, 1, 5)))
    show("eye(3)", check(clgrad.eye(3, device=dev), np.eye(3)))
    clgrad.manual_seed(0)
    first = clgrad.rand(3, device=dev)
    clgrad.manual_seed(0)
    check(clgrad.rand(3, device=dev), first.cpu().numpy())
    show("rand(3) after manual_seed(0) (the same on every device)", first)
    normal = clgrad.randn(1000, device=dev)
    show("randn(1000): mean, std", (round(normal.mean().item(), 3),
                                    round(normal.std().item(), 3)))


def dtypes(dev) -> None:
    print("\n== dtypes and promotion ==")
    ints = clgrad.tensor([1, 2, 3], device=dev)
    show("tensor([1, 2, 3]).dtype", ints.dtype)
    show("int64 + 0.5 promotes to", check(ints + 0.5, [1.5, 2.5, 3.5], clgrad.float32).dtype)
    show("int64 / 2 is true division", check(ints / 2, [0.5, 1.0, 1.5], clgrad.float32))
    show("int64 // 2", check(ints // 2, [0, 1, 1], clgrad.int64))
    half = check(ints.half() * 1.5, [1.5, 3.0, 4.5], clgrad.float16)
    show("half() * 1.5 (stored as half, computed in float)", half)
    show("comparison gives bool", check(ints > 1, [False, True, True], clgrad.bool))
    show("promote_types(uint8, int8)", clgrad.promote_types(clgrad.uint8, clgrad.int8))


def arithmetic(dev) -> None:
    print("\n== arithmetic and broadcasting ==")
    a = clgrad.arange(6.0, device=dev).view(2, 3)
    b = clgrad.tensor([10.0, 20.0, 30.0], device=dev)
    ref_a, ref_b = np.arange(6.0).reshape(2, 3), np.array([10.0, 20.0, 30.0])
    show("a", a)
    show("a + b (b broadcast over rows)", check(a + b, ref_a + ref_b))
    show("a * 2 - 1", check(a * 2 - 1, ref_a * 2 - 1))
    show("a ** 2", check(a ** 2, ref_a ** 2))
    show("sqrt(a)", check(a.sqrt(), np.sqrt(ref_a)))
    show("exp(-a)", check((-a).exp(), np.exp(-ref_a)))
    show("clamp(a, 1, 4)", check(a.clamp(1, 4), np.clip(ref_a, 1, 4)))
    show("where(a > 2, a, 0)", check(clgrad.where(a > 2, a, 0.0), np.where(ref_a > 2, ref_a, 0)))
    c = a.clone()
    c.add_(1)
    show("in place: clone().add_(1)", check(c, ref_a + 1))


def views(dev) -> None:
    print("\n== views (no copy: they share storage) ==")
    ref = np.arange(24.0).reshape(2, 3, 4)
    x = clgrad.arange(24.0, device=dev).view(2, 3, 4)
    show("x.shape, x.stride()", (tuple(x.shape), x.stride()))
    show("x[1, :, ::2]", check(x[1, :, ::2], ref[1, :, ::2]))
    t = x.transpose(0, 2)
    show("transpose(0, 2): shape, contiguous?", (tuple(t.shape), t.is_contiguous()))
    check(t.contiguous(), ref.transpose(2, 1, 0))
    show("permute(2, 0, 1)[0]", check(x.permute(2, 0, 1)[0], ref.transpose(2, 0, 1)[0]))
    show("reshape(6, 4)[::3]", check(x.reshape(6, 4)[::3], ref.reshape(6, 4)[::3]))
    show("unsqueeze(0).shape", tuple(x.unsqueeze(0).shape))
    column = clgrad.arange(3.0, device=dev).view(3, 1)
    show("expand a column to (3, 4)", check(column.expand(3, 4),
                                            np.broadcast_to(np.arange(3.0)[:, None], (3, 4))))
    row = x[0, 0]
    row.fill_(-1)  # writes through the view into x
    show("x[0, 0].fill_(-1) changes x", check(x[0, :2], [[-1, -1, -1, -1], ref[0, 1]]))
    ones, zeros = clgrad.ones(2, device=dev), clgrad.zeros(2, device=dev)
    show("cat([ones(2), zeros(2)])", check(clgrad.cat([ones, zeros]), [1, 1, 0, 0]))
    show("stack([ones(2), zeros(2)])", check(clgrad.stack([ones, zeros]), [[1, 1], [0, 0]]))


def reductions(dev) -> None:
    print("\n== reductions ==")
    ref = np.array([[3.0, 1.0, 4.0], [1.0, 5.0, 9.0]])
    x = clgrad.tensor(ref, dtype=clgrad.float32, device=dev)
    show("sum()", check(x.sum(), ref.sum()))
    show("sum(dim=1)", check(x.sum(dim=1), ref.sum(axis=1)))
    show("mean(dim=0, keepdim=True)", check(x.mean(dim=0, keepdim=True),
                                            ref.mean(axis=0, keepdims=True)))
    values, indices = x.max(dim=1)
    check(values, ref.max(axis=1))
    check(indices, ref.argmax(axis=1))
    show("max(dim=1) values, indices", (values.tolist(), indices.tolist()))
    show("std() (Bessel-corrected)", check(x.std(), ref.std(ddof=1)))
    show("argmin()", check(x.argmin(), ref.argmin()))
    show("cumsum(dim=1)", check(x.cumsum(dim=1), ref.cumsum(axis=1)))
    show("(x > 2).any(), .all()", ((x > 2).any().item(), (x > 2).all().item()))


def moving(dev) -> None:
    print("\n== moving between devices and dtypes ==")
    cpu = clgrad.arange(4.0)
    there = cpu.to(dev)
    show("cpu tensor .to(device)", there)
    back = (there * 3).cpu()
    show("(t * 3).cpu()", check(back, [0, 3, 6, 9]))
    show(".to(dtype=int32)", check(there.to(dtype=clgrad.int32), [0, 1, 2, 3], clgrad.int32))
    show(".item() of a sum", there.sum().item())
    show(".tolist()", there.tolist())


def numpy_interop(dev) -> None:
    print("\n== numpy interop ==")
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    shared = clgrad.from_numpy(array)
    array[0, 0] = 100.0  # from_numpy shares memory on cpu, as in PyTorch
    show("from_numpy shares memory", check(shared[0, 0], 100.0))
    t = clgrad.tensor(array, device=dev)
    show("tensor(array, device=...).numpy() after .cpu()", t.cpu().numpy())
    if t.device.type == "cl":
        try:
            t.numpy()
        except TypeError as exc:
            show("numpy() on a cl tensor (like a cuda tensor)", f"TypeError: {exc}")
        else:
            raise AssertionError("numpy() of a cl tensor should raise TypeError")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", help="cpu, cl or cl:N (default: cl when available)")
    args = parser.parse_args(argv)
    dev = pick_device(args.device)
    if dev.type == "cl" and dev.index is None:
        dev = clgrad.device("cl", clgrad.cl.current_device())
    name = clgrad.cl.get_device_name(dev) if dev.type == "cl" else "numpy"
    print(f"Touring clgrad {clgrad.__version__} on {dev} ({name})\n")
    for section in (creation, dtypes, arithmetic, views, reductions, moving, numpy_interop):
        section(dev)
    fallbacks = clgrad.cl.fallback_stats()
    if fallbacks:
        raise AssertionError(f"ops ran through the numpy fallback: {fallbacks}")
    print("\nAll results matched numpy.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
