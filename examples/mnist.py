"""Train a LeNet-style CNN on MNIST with Adam (the official IDX files, no download).

    python examples/mnist.py [--root DIR] [--device cl:0 | cpu] [--epochs 3] [--out DIR]
                             [--smoke]

--root is a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz), directly or under
MNIST/raw as torchvision lays them out; by default $CLGRAD_DATA/mnist, else
../shared/data/mnist beside this checkout. On an OpenCL device the kernels are built first,
under a "compiling kernels" bar. Shows tqdm bars for the epochs and batches, prints the loss
and test accuracy of each epoch and when the test accuracy first reaches 98.5%, and saves
mnist_loss.png (train loss every 10 steps and test loss per epoch) in --out. tqdm and
matplotlib come with pip install '.[examples]'; without them progress is printed plainly.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

try:
    import clgrad
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import clgrad
import clgrad.nn as nn
import clgrad.nn.functional as F
from clgrad.utils.data import DataLoader, Subset
from clgrad.vision import datasets, transforms

from _plotting import (describe, pick_device, plot_curves, progress, report_skipped,
                       training_steps, warm_up, write)

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")
TARGET = 0.985


def default_root() -> str:
    data = os.environ.get("CLGRAD_DATA")
    if data:
        return os.path.join(data, "mnist")
    return str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")


class LeNet(nn.Module):
    """conv 1-32-3, relu, maxpool 2, conv 32-64-3, relu, maxpool 2, linear 1600-128-10."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 28 -> 26 -> 13
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # 13 -> 11 -> 5
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def evaluate(model, loader, device):
    """Accuracy and mean loss over `loader`."""
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    with clgrad.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(1) == labels).sum().item()
            total += labels.shape[0]
    return correct / total, loss_sum / total


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None, help=f"default: {default_root()}")
    parser.add_argument("--device", default=None, help="default: cl when available, else cpu")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader num_workers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".", help="folder for mnist_loss.png (default: .)")
    parser.add_argument("--smoke", action="store_true",
                        help="a quick check: one epoch on 512 training and 512 test images")
    args = parser.parse_args(argv)
    root = args.root or default_root()

    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    try:
        train_set = datasets.MNIST(root, train=True, transform=transform)
        test_set = datasets.MNIST(root, train=False, transform=transform)
    except RuntimeError:
        print(f"MNIST not found in {root}. Place the official "
              f"files {', '.join(FILES)} (each may be .gz) there or in {root}/MNIST/raw, or "
              "pass --root.", file=sys.stderr)
        sys.exit(2)
    if args.smoke:
        train_set, test_set = Subset(train_set, range(512)), Subset(test_set, range(512))
        args.epochs = 1

    device = pick_device(args.device)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=1000, num_workers=args.workers)
    print(f"device {device}: {len(train_set)} training and {len(test_set)} test images")
    # Build the kernels with a throwaway network before seeding: the run itself is unchanged.
    scratch = LeNet().to(device)
    warm_up(device, training_steps(scratch, clgrad.optim.Adam(scratch.parameters()),
                                   F.cross_entropy,
                                   next(iter(DataLoader(train_set, args.batch_size))), device))

    clgrad.manual_seed(args.seed)
    model = LeNet().to(device)
    optimizer = clgrad.optim.Adam(model.parameters(), lr=args.lr)
    step, steps, losses, test_losses = 0, [], [], []
    start = time.perf_counter()
    accuracy, reached = 0.0, None
    epochs = progress(range(1, args.epochs + 1), desc="epochs", unit="epoch")
    for epoch in epochs:
        model.train()
        epoch_start = time.perf_counter()
        batches = progress(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False,
                           unit="batch")
        for images, labels in batches:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 10 == 1:  # .item() waits for the device: not every step
                steps.append(step / len(train_loader))  # in epochs
                losses.append(loss.item())
                batches.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
        train_time = time.perf_counter() - epoch_start
        accuracy, test_loss = evaluate(model, test_loader, device)
        test_losses.append(test_loss)
        total = time.perf_counter() - start
        epochs.set_postfix(test_acc=f"{100 * accuracy:.2f}%", refresh=False)
        write(f"epoch {epoch}: loss {losses[-1]:.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {100 * accuracy:.2f}%, "
              f"epoch {train_time:.1f}s training, {total:.1f}s in all")
        if reached is None and accuracy >= TARGET:
            reached = total
            write(f"reached {100 * TARGET:.1f}% test accuracy after {epoch} epochs, "
                  f"{total:.1f}s")

    ends = list(range(1, args.epochs + 1))
    path = plot_curves({"train loss (every 10th batch)": (steps, losses),
                        "test loss": (ends, test_losses)},
                       os.path.join(args.out, "mnist_loss.png"), xlabel="epoch",
                       ylabel="cross-entropy loss",
                       title=f"LeNet on MNIST, {describe(device)}\n"
                             f"final test accuracy {100 * accuracy:.2f}%",
                       styles={"test loss": {"marker": "s"}})
    print(f"final test accuracy {100 * accuracy:.2f}%" + (f"; saved {path}" if path else ""))
    report_skipped()
    return accuracy


if __name__ == "__main__":
    main()
