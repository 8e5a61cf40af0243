"""Training speed: the conventional PyTorch MNIST loop against ours, same MLP, one process.

Conventional: torchvision MNIST with per-sample ToTensor + Normalize, DataLoader
batch 64, Adam lr 1e-3, no schedule. Ours: tensors in memory, batches by indexing,
batch augmentation, one-cycle (digits.fit with the shipped recipe, and a short one).

    python benchmarks/train_speed.py [--conventional-epochs 5]

Prints seconds per epoch, seconds of training to reach 98.0 % and 98.3 % test
accuracy (evaluation time excluded), final accuracy, and the ratios.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

import digits

TARGETS = (0.980, 0.983)


def conventional(epochs: int, seed: int = 0) -> list[dict]:
    """The textbook loop, timed per epoch (training only)."""
    torch.manual_seed(seed)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((digits.MEAN,), (digits.STD,))])
    root = digits.data_root()
    train = DataLoader(datasets.MNIST(root, train=True, transform=tf), batch_size=64, shuffle=True)
    test = DataLoader(datasets.MNIST(root, train=False, transform=tf), batch_size=1000)
    model = digits.MLP()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    history, seconds = [], 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        start = time.perf_counter()
        for x, y in train:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        seconds += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test)
        history.append({"epoch": epoch, "seconds": seconds, "test_accuracy": correct / 10_000})
        print(f"  conventional epoch {epoch}: {seconds:.1f} s, {correct / 100:.2f} %", flush=True)
    return history


def ours(recipe) -> list[dict]:
    train, test = digits.load_mnist(True), digits.load_mnist(False)
    return digits.fit(digits.MLP(), train, test, recipe, progress=False,
                      on_epoch=lambda h: print(f"  ours epoch {h['epoch']}: {h['seconds']:.1f} s, "
                                               f"{h['test_accuracy']:.2%}", flush=True))


def seconds_to(history, target):
    return next((h["seconds"] for h in history if h["test_accuracy"] >= target), None)


def row(name, history):
    per_epoch = history[-1]["seconds"] / len(history)
    cells = [name, f"{per_epoch:.2f}"]
    for target in TARGETS:
        s = seconds_to(history, target)
        cells.append(f"{s:.1f}" if s is not None else f"not within {len(history)} epochs")
    cells += [f"{history[-1]['seconds']:.1f}", f"{history[-1]['test_accuracy']:.2%}", str(len(history))]
    return cells, per_epoch


def print_table(rows):
    header = ["recipe", "s/epoch"] + [f"s to {t:.1%}" for t in TARGETS] + ["total s", "final acc", "epochs"]
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths]] + rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conventional-epochs", type=int, default=5)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    runs = {
        "conventional (DataLoader, bs 64, Adam 1e-3)": conventional(args.conventional_epochs),
        f"ours, shipped ({digits.MLP_RECIPE.epochs} epochs)": ours(digits.MLP_RECIPE),
        "ours, short (8 epochs)": ours(replace(digits.MLP_RECIPE, epochs=8)),
    }
    rows, per_epoch = [], {}
    for name, history in runs.items():
        cells, per_epoch[name] = row(name, history)
        rows.append(cells)
    print()
    print_table(rows)
    names = list(runs)
    base = per_epoch[names[0]]
    print()
    for name in names[1:]:
        print(f"per-epoch speed-up of {name!r} over conventional: {base / per_epoch[name]:.1f}x")
        mine, theirs = seconds_to(runs[name], 0.98), seconds_to(runs[names[0]], 0.98)
        if mine and theirs:
            print(f"  time to 98.0 %: {theirs / mine:.1f}x faster")


if __name__ == "__main__":
    main()
