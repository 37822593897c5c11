"""DataLoader throughput over MNIST (batch 64): clgrad vs PyTorch, num_workers 0 and 2.

Both loaders read the same uint8 arrays and produce (float32 1x28x28 in [0, 1], int64 label)
batches. clgrad uses vision.datasets.MNIST with transforms.ToTensor on the numpy images;
PyTorch (torchvision is not required) uses a torch Dataset doing the same per-sample work.

    python benchmarks/bench_dataloader.py [--root DIR] [--batches N]
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from _common import clgrad, parse_args, parser  # noqa: F401  (puts a checkout on sys.path)

from clgrad.utils.data import DataLoader
from clgrad.vision import datasets, transforms

DEFAULT_ROOT = os.environ.get(
    "CLGRAD_DATA", str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def _rate(loader, batches: int) -> float:
    """Batches per second over `batches` batches after the first (worker start-up excluded)."""
    it = iter(loader)
    next(it)
    start = time.perf_counter()
    n = 0
    for _ in range(batches):
        try:
            next(it)
        except StopIteration:
            break
        n += 1
    elapsed = time.perf_counter() - start
    shutdown = getattr(it, "_shutdown_workers", None)
    if shutdown:
        shutdown()
    return n / elapsed


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--root", default=os.path.join(DEFAULT_ROOT, "mnist"))
    cli.add_argument("--batches", type=int, default=300)
    args = parse_args(cli)  # --torch-device is accepted; the loaders both run on the CPU
    try:
        ds = datasets.MNIST(args.root, train=True, transform=transforms.ToTensor())
    except RuntimeError as error:
        print(f"skipped: MNIST not found under {args.root} ({error})")
        return
    # Numpy images, as the torch side sees them (no Pillow conversion on either side).
    ds_np = datasets.MNIST(args.root, train=True, transform=transforms.ToTensor())
    ds_np.__class__ = type("MNISTArrays", (datasets.MNIST,), {
        "__getitem__": lambda self, i: (self.transform(self._images[i]), int(self._labels[i]))})
    try:
        import torch
        import torch.utils.data as tud

        class TorchMNIST(tud.Dataset):
            def __init__(self, images, labels):
                self.images, self.labels = images, labels

            def __len__(self):
                return len(self.images)

            def __getitem__(self, i):
                img = torch.from_numpy(self.images[i]).float().div(255).unsqueeze(0)
                return img, int(self.labels[i])
        torch_ds = TorchMNIST(ds._images, ds._labels)
    except ImportError:
        torch = None
    print(f"DataLoader over MNIST train, batch 64, {args.batches} batches (batches/s)")
    print(f"{'workers':>8} {'clgrad (PIL)':>13} {'clgrad (np)':>12} {'torch':>9} {'ratio':>7}")
    for workers in (0, 2):
        kw = dict(batch_size=64, shuffle=True, num_workers=workers)
        ours_pil = _rate(DataLoader(ds, **kw), args.batches)
        ours = _rate(DataLoader(ds_np, **kw), args.batches)
        if torch is not None:
            theirs = _rate(tud.DataLoader(torch_ds, **kw), args.batches)
            print(f"{workers:>8} {ours_pil:>13.1f} {ours:>12.1f} {theirs:>9.1f} "
                  f"{ours / theirs:>6.2f}x")
        else:
            print(f"{workers:>8} {ours_pil:>13.1f} {ours:>12.1f} {'-':>9} {'-':>7}")
    print("ratio: clgrad (numpy images) / torch; 'PIL' goes through Pillow images as "
          "torchvision's MNIST does")


if __name__ == "__main__":
    main()
