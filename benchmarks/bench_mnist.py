"""Time to 98.5% MNIST test accuracy: examples/mnist.py on clgrad against PyTorch CPU running
the same network and schedule (LeNet-style CNN, Adam lr 1e-3, batch 64, shuffled, normalised,
test accuracy checked after each epoch, at most --epochs epochs).

Run: python benchmarks/bench_mnist.py [--root DIR] [--which both|torch|clgrad]
Each epoch takes minutes on two CPU cores; the figures go in the issue notes, not in tests.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _common import clgrad, parse_args, parser, torch_device, torch_or_none

HERE = Path(__file__).resolve().parent
TARGET = 0.985


def load_arrays(root: str):
    from clgrad.vision import datasets
    train = datasets.MNIST(root, train=True)
    test = datasets.MNIST(root, train=False)

    def arrays(ds):
        images = ds.data.numpy() if hasattr(ds.data, "numpy") else np.asarray(ds.data)
        labels = ds.targets.numpy() if hasattr(ds.targets, "numpy") else np.asarray(ds.targets)
        images = (images.astype(np.float32) / 255 - 0.1307) / 0.3081
        return images[:, None], labels.astype(np.int64)
    return arrays(train), arrays(test)


def torch_time_to_target(root: str, epochs: int) -> None:
    torch = torch_or_none()
    if torch is None:
        print("PyTorch is not installed: skipping its run")
        return
    nn, F = torch.nn, torch.nn.functional
    (x_train, y_train), (x_test, y_test) = load_arrays(root)
    dev = torch_device()
    x_train, y_train = torch.from_numpy(x_train).to(dev), torch.from_numpy(y_train).to(dev)
    x_test, y_test = torch.from_numpy(x_test).to(dev), torch.from_numpy(y_test).to(dev)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), 64):
            idx = order[i:i + 64]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item()
                          for i in range(0, len(x_test), 1000))
        accuracy = correct / len(x_test)
        total = time.perf_counter() - start
        print(f"torch {torch.__version__} ({dev}, {torch.get_num_threads()} threads): "
              f"epoch {epoch} "
              f"test accuracy {100 * accuracy:.2f}%, {total:.1f}s in all")
        if accuracy >= TARGET:
            print(f"torch reached {100 * TARGET:.1f}% after {total:.1f}s")
            return


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--root", default=str(HERE.parents[1] / "shared" / "data" / "mnist"))
    cli.add_argument("--which", default="both", choices=("both", "torch", "clgrad"))
    cli.add_argument("--epochs", type=int, default=3)
    args = parse_args(cli)
    if not Path(args.root).is_dir():
        raise SystemExit(f"MNIST not found in {args.root}: pass --root")
    if args.which in ("both", "torch"):
        torch_time_to_target(args.root, args.epochs)
    if args.which in ("both", "clgrad"):
        print(f"clgrad {clgrad.__version__}: examples/mnist.py", flush=True)
        subprocess.run([sys.executable, str(HERE.parent / "examples" / "mnist.py"),
                        "--root", args.root, "--epochs", str(args.epochs)], check=True)


if __name__ == "__main__":
    main()
