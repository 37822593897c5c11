"""Train a small CNN on CIFAR-10 with augmentation, the usage document's data pipeline.

    python examples/cifar10.py [--root DIR] [--device cl:0 | cpu] [--epochs 10] [--out DIR]
                               [--smoke]

--root holds cifar-10-batches-py, the official python batches (cifar-10-python.tar.gz from
https://www.cs.toronto.edu/~kriz/cifar.html, extracted); by default $CLGRAD_DATA/cifar10 when
CLGRAD_DATA is set, else ./data. Training images are randomly cropped (4 pixels of padding)
and flipped, normalised to [-1, 1] and loaded by two worker processes. On an OpenCL device
the kernels are built first, under a "compiling kernels" bar. Shows tqdm bars for the epochs
and batches, prints the loss and test accuracy of each epoch, and saves into --out
cifar10_loss.png (train loss every 10 steps, test loss per epoch) and cifar10_predictions.png
(32 test images titled with their predicted class, wrong ones in red with the true class).
tqdm and matplotlib come with pip install '.[examples]'; without them progress is printed
plainly and the figures are skipped.
On PoCL with two CPU cores an epoch (1563 steps of 32 images) takes about 7 minutes.
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

from _plotting import (describe, pick_device, plot_curves, plot_predictions, progress,
                       report_skipped, training_steps, warm_up, write)


def default_root() -> str:
    data = os.environ.get("CLGRAD_DATA")
    return os.path.join(data, "cifar10") if data else "./data"


class Net(nn.Module):
    """Three 3x3 conv blocks (32, 64, 128 channels, each conv, relu, 2x2 max pool: 32x32 ->
    4x4) and a two-layer classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1)
        self.fc1 = nn.Linear(128 * 4 * 4, 256)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def evaluate(model, loader, device):
    """Accuracy and mean loss over `loader`, and the images, predictions and labels of its
    first batch."""
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    first = None
    with clgrad.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            pred = logits.argmax(1)
            correct += (pred == labels).sum().item()
            total += labels.shape[0]
            if first is None:
                first = (images.cpu(), pred.cpu(), labels.cpu())
    return correct / total, loss_sum / total, first


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None, help=f"default: {default_root()}")
    parser.add_argument("--device", default=None, help="default: cl when available, else cpu")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32, help="4 to 64 work well")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader num_workers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".", help="folder for the PNG files (default: .)")
    parser.add_argument("--smoke", action="store_true",
                        help="a quick check: one epoch on 64 training and 32 test images")
    args = parser.parse_args(argv)
    root = args.root or default_root()

    normalize = transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    train_transform = transforms.Compose([transforms.RandomCrop(32, padding=4),
                                          transforms.RandomHorizontalFlip(),
                                          transforms.ToTensor(), normalize])
    test_transform = transforms.Compose([transforms.ToTensor(), normalize])
    try:
        trainset = datasets.CIFAR10(root=root, train=True, transform=train_transform)
        testset = datasets.CIFAR10(root=root, train=False, transform=test_transform)
    except RuntimeError:
        print(f"CIFAR-10 not found in {root}. Download cifar-10-python.tar.gz from "
              "https://www.cs.toronto.edu/~kriz/cifar.html and extract it there (giving "
              f"{os.path.join(root, 'cifar-10-batches-py')} with data_batch_1..5, test_batch "
              "and batches.meta), or pass --root.", file=sys.stderr)
        sys.exit(2)
    classes = trainset.classes
    if args.smoke:
        trainset, testset = Subset(trainset, range(64)), Subset(testset, range(32))
        args.epochs = 1

    device = pick_device(args.device)
    trainloader = DataLoader(trainset, batch_size=args.batch_size, shuffle=True,
                             num_workers=args.workers)
    testloader = DataLoader(testset, batch_size=64, shuffle=False, num_workers=args.workers)
    print(f"device {device}: {len(trainset)} training and {len(testset)} test images")
    # Build the kernels with a throwaway network before seeding: the run itself is unchanged.
    scratch = Net().to(device)
    warm_up(device, training_steps(scratch, clgrad.optim.SGD(scratch.parameters(), lr=args.lr,
                                                             momentum=0.9),
                                   F.cross_entropy,
                                   next(iter(DataLoader(trainset, args.batch_size))), device))

    clgrad.manual_seed(args.seed)
    model = Net().to(device)
    optimizer = clgrad.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    step, steps, losses, test_losses = 0, [], [], []
    start = time.perf_counter()
    accuracy = 0.0
    epochs = progress(range(1, args.epochs + 1), desc="epochs", unit="epoch")
    for epoch in epochs:
        model.train()
        batches = progress(trainloader, desc=f"epoch {epoch:2d}/{args.epochs}", leave=False,
                           unit="batch")
        for images, labels in batches:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 10 == 1 or args.smoke:  # .item() waits for the device: not every step
                steps.append(step / len(trainloader))  # in epochs
                losses.append(loss.item())
                batches.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
        accuracy, test_loss, (images, predictions, truth) = evaluate(model, testloader, device)
        test_losses.append(test_loss)
        epochs.set_postfix(test_acc=f"{100 * accuracy:.1f}%", refresh=False)
        write(f"epoch {epoch:2d}: loss {losses[-1]:.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {100 * accuracy:.1f}%, {time.perf_counter() - start:.1f}s")

    ends = list(range(1, args.epochs + 1))
    title = f"CIFAR-10 CNN on {describe(device)}"
    loss_png = plot_curves({"train loss (every 10th batch)": (steps, losses),
                            "test loss": (ends, test_losses)},
                           os.path.join(args.out, "cifar10_loss.png"), xlabel="epoch",
                           ylabel="cross-entropy loss",
                           title=f"{title}\nfinal test accuracy {100 * accuracy:.1f}%",
                           styles={"test loss": {"marker": "s"}})
    # The first 32 test images, Normalize undone, channels last for matplotlib.
    shown = (images[:32] * 0.5 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    grid_png = plot_predictions(shown, predictions[:32].tolist(), truth[:32].tolist(),
                                os.path.join(args.out, "cifar10_predictions.png"),
                                classes=classes, title=f"{title}: first 32 test images")
    saved = [p for p in (loss_png, grid_png) if p]
    print(f"final test accuracy {100 * accuracy:.1f}%"
          + (f"; saved {' and '.join(saved)}" if saved else ""))
    report_skipped()
    return accuracy


if __name__ == "__main__":
    main()
