"""The digits example (examples/digits.py) trained by several processes with
DistributedDataParallel: each rank reads its share of every epoch (DistributedSampler),
gradients are averaged across ranks during backward.
    python -m clgrad.distributed.run -n 2 examples/ddp_digits.py [--device cpu] [--epochs 20]
Rank 0 prints each epoch's loss and test accuracy and the same final accuracy line as
examples/digits.py. The batch size is per rank (the default, 16 on each of 2 ranks, keeps
digits.py's 32 per step).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

try:
    import clgrad
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import clgrad
import clgrad.distributed as dist
import clgrad.nn.functional as F
from clgrad.nn.parallel import DistributedDataParallel
from clgrad.utils.data import DataLoader, DistributedSampler, Subset
from clgrad.vision import datasets, transforms

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _plotting import pick_device  # noqa: E402
from digits import Net, evaluate  # noqa: E402


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="default: cl when available, else cpu")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16, help="per rank")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true",
                        help="a quick check: 2 epochs on 320 training images")
    args = parser.parse_args(argv)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = pick_device(args.device)
    augment = transforms.Compose([transforms.RandomCrop(8, padding=1), transforms.ToTensor()])
    train_set = datasets.Digits(train=True, transform=augment)
    test_set = datasets.Digits(train=False, transform=transforms.ToTensor())
    if args.smoke:
        train_set = Subset(train_set, range(320))
        args.epochs = min(args.epochs, 2)
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    test_loader = DataLoader(test_set, batch_size=64)
    if rank == 0:
        print(f"device {device}, {world} processes: {len(train_set)} training and "
              f"{len(test_set)} test digits")
    clgrad.manual_seed(args.seed + rank)  # dropout differs per rank; DDP syncs the weights
    model = DistributedDataParallel(Net().to(device))
    optimizer = clgrad.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = clgrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    start = time.perf_counter()
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        epoch_loss = 0.0
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        scheduler.step()
        if rank == 0:
            accuracy, test_loss, _ = evaluate(model.module, test_loader, device)
            print(f"epoch {epoch:2d}: loss {epoch_loss / len(train_loader):.4f}, test loss "
                  f"{test_loss:.4f}, test accuracy {100 * accuracy:.1f}%, "
                  f"{time.perf_counter() - start:.1f}s", flush=True)
    if rank == 0:
        print(f"final test accuracy {100 * accuracy:.1f}% in {time.perf_counter() - start:.1f}s")
    dist.destroy_process_group()
    return accuracy


if __name__ == "__main__":
    main()
