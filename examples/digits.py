"""Train a small CNN on the UCI 8x8 handwritten digits bundled with clgrad (no download).

    python examples/digits.py [--device cl:0 | cpu] [--epochs 20] [--out DIR] [--smoke]

Written as the PyTorch version would be (rename torch to clgrad, torchvision to clgrad.vision
and cuda to cl). Random one-pixel shifts, dropout and a cosine learning-rate schedule keep the
network from memorising the 1437 training digits. On an OpenCL device the kernels are built
first, under a "compiling kernels" bar. Shows tqdm bars for the epochs and batches, prints the
loss and test accuracy of each epoch, then saves into --out digits_loss.png (train and test
loss per epoch) and digits_predictions.png (64 test digits, the misclassified ones among
them, each titled with its predicted and true label, wrong ones in red). tqdm and matplotlib
come with pip install '.[examples]'; without them progress is printed plainly and the figures
are skipped.
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


class Net(nn.Module):
    """Two 3x3 convolutions (1 -> 16 -> 32 channels, padding 1), one 2x2 max pool, and a
    two-layer classifier with dropout: 8x8 -> 4x4 maps -> 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.dropout = nn.Dropout(0.5)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(self.dropout(x.flatten(1))))
        return self.fc2(x)


def evaluate(model, loader, device):
    """Accuracy and mean loss over `loader`, and all its predictions (on the cpu)."""
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    predictions = []
    with clgrad.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            pred = logits.argmax(1)
            correct += (pred == labels).sum().item()
            total += labels.shape[0]
            predictions += pred.tolist()
    return correct / total, loss_sum / total, predictions


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="default: cl when available, else cpu")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".", help="folder for the PNG files (default: .)")
    parser.add_argument("--smoke", action="store_true",
                        help="a quick check: 2 epochs on 320 training images")
    args = parser.parse_args(argv)

    device = pick_device(args.device)
    # ToTensor: uint8 8x8 -> float 1x8x8 in [0, 1]; RandomCrop shifts by up to one pixel.
    augment = transforms.Compose([transforms.RandomCrop(8, padding=1), transforms.ToTensor()])
    train_set = datasets.Digits(train=True, transform=augment)
    test_set = datasets.Digits(train=False, transform=transforms.ToTensor())
    if args.smoke:
        train_set = Subset(train_set, range(320))
        args.epochs = min(args.epochs, 2)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=64)
    print(f"device {device}: {len(train_set)} training and {len(test_set)} test digits")

    # Build the kernels with a throwaway copy of the network, before seeding, so the run
    # itself is the same with or without this step.
    scratch = Net().to(device)
    warm_up(device, training_steps(scratch, clgrad.optim.Adam(scratch.parameters()),
                                   F.cross_entropy, next(iter(train_loader)), device))

    clgrad.manual_seed(args.seed)
    model = Net().to(device)
    optimizer = clgrad.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = clgrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    steps, losses, epoch_means, test_losses = [], [], [], []
    start = time.perf_counter()
    accuracy = 0.0
    epochs = progress(range(1, args.epochs + 1), desc="epochs", unit="epoch")
    for epoch in epochs:
        model.train()
        batches = progress(train_loader, desc=f"epoch {epoch:2d}/{args.epochs}", leave=False,
                           unit="batch")
        epoch_loss = 0.0
        for i, (images, labels) in enumerate(batches, 1):
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = loss.item()
            epoch_loss += value
            losses.append(value)
            steps.append(epoch - 1 + i / len(train_loader))  # in epochs
            batches.set_postfix(loss=f"{value:.3f}", refresh=False)
        scheduler.step()
        epoch_means.append(epoch_loss / len(train_loader))
        accuracy, test_loss, predictions = evaluate(model, test_loader, device)
        test_losses.append(test_loss)
        epochs.set_postfix(loss=f"{epoch_means[-1]:.3f}", test_acc=f"{100 * accuracy:.1f}%",
                           refresh=False)
        write(f"epoch {epoch:2d}: loss {epoch_means[-1]:.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {100 * accuracy:.1f}%, {time.perf_counter() - start:.1f}s")

    print(f"final test accuracy {100 * accuracy:.1f}% in {time.perf_counter() - start:.1f}s")
    title = f"digits CNN on {describe(device)}\nfinal test accuracy {100 * accuracy:.1f}%"
    ends = list(range(1, args.epochs + 1))
    loss_png = plot_curves({"train loss (each batch)": (steps, losses),
                            "train loss (epoch mean)": (ends, epoch_means),
                            "test loss": (ends, test_losses)},
                           os.path.join(args.out, "digits_loss.png"), xlabel="epoch",
                           ylabel="cross-entropy loss", title=title,
                           styles={"train loss (each batch)": {"alpha": 0.3, "lw": 0.8},
                                   "train loss (epoch mean)": {"marker": "o", "ms": 3},
                                   "test loss": {"marker": "s", "ms": 3}})
    # 64 test digits in test-set order: the misclassified ones (up to 32), then the first
    # correct ones, so the grid shows where the network fails as well as where it succeeds.
    truth = test_set.targets.tolist()
    wrong = [k for k, (p, t) in enumerate(zip(predictions, truth)) if p != t][:32]
    shown = sorted(wrong + [k for k in range(len(truth)) if k not in wrong][:64 - len(wrong)])
    grid_png = plot_predictions(test_set.data[shown].float().div(255).numpy(),
                                [predictions[k] for k in shown], [truth[k] for k in shown],
                                os.path.join(args.out, "digits_predictions.png"),
                                title=f"digits CNN on {describe(device)}: 64 test digits "
                                      f"({len(wrong)} of the {len(truth)} misclassified)")
    saved = [p for p in (loss_png, grid_png) if p]
    if saved:
        print(f"saved {' and '.join(saved)}")
    report_skipped()
    return accuracy


if __name__ == "__main__":
    main()
