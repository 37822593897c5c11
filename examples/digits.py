"""Train a small CNN on the UCI 8x8 handwritten digits bundled with clgrad (no download).

    python examples/digits.py [--device cl:0 | cpu] [--epochs 20] [--out DIR] [--smoke]

Written as the PyTorch version would be (rename torch to clgrad, torchvision to clgrad.vision
and cuda to cl). Random one-pixel shifts, dropout and a cosine learning-rate schedule keep the
network from memorising the 1437 training digits. Prints the loss and test accuracy of each epoch, then saves
digits_loss.png (the loss curve) and digits_predictions.png (a grid of test digits whose
predicted labels are printed row by row) into --out.
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
from clgrad.vision.utils import save_image

from _plotting import pick_device, plot_curves, progress


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
    """Accuracy over `loader`, and the predictions of its first batch."""
    model.eval()
    correct = total = 0
    first = None
    with clgrad.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            pred = model(images).argmax(1)
            correct += (pred == labels).sum().item()
            total += labels.shape[0]
            if first is None:
                first = pred.cpu()
    return correct / total, first


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
    clgrad.manual_seed(args.seed)
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

    model = Net().to(device)
    optimizer = clgrad.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = clgrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    steps, losses, epoch_ends, epoch_means = [], [], [], []
    start = time.perf_counter()
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        bar = progress(train_loader, desc=f"epoch {epoch:2d}/{args.epochs}")
        epoch_loss = 0.0
        for images, labels in bar:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = loss.item()
            epoch_loss += value
            steps.append(len(steps) + 1)
            losses.append(value)
            bar.set_postfix(f"loss {value:.3f}")
        scheduler.step()
        epoch_ends.append(len(steps))
        epoch_means.append(epoch_loss / len(train_loader))
        accuracy, predictions = evaluate(model, test_loader, device)
        print(f"epoch {epoch:2d}: loss {epoch_means[-1]:.4f}, "
              f"test accuracy {100 * accuracy:.1f}%, {time.perf_counter() - start:.1f}s")

    print(f"final test accuracy {100 * accuracy:.1f}% in {time.perf_counter() - start:.1f}s")
    os.makedirs(args.out, exist_ok=True)
    loss_png = plot_curves({"loss per step": (steps, losses),
                            "mean loss per epoch": (epoch_ends, epoch_means)},
                           os.path.join(args.out, "digits_loss.png"), xlabel="step")
    # The first 64 test digits, 8 per row, upscaled so they are visible.
    images = test_set.data[:64].float().div(255).unsqueeze(1)
    images = F.interpolate(images, scale_factor=4, mode="nearest")
    grid_png = os.path.join(args.out, "digits_predictions.png")
    save_image(images, grid_png, nrow=8, padding=2, pad_value=1.0)
    print("predicted labels of the grid, row by row:")
    labels = predictions[:64].tolist()
    for row in range(0, len(labels), 8):
        print("  " + " ".join(str(v) for v in labels[row:row + 8]))
    print(f"saved {loss_png} and {grid_png}")
    return accuracy


if __name__ == "__main__":
    main()
