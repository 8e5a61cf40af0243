"""Training speed: the conventional PyTorch MNIST recipes against ours, in one process.

MLP part: the same 784-128-64-10 network trained the textbook way (torchvision MNIST
with per-sample ToTensor + Normalize, DataLoader batch 64, Adam 1e-3) and with our
recipe (tensors in memory, batches by indexing, batch augmentation, one-cycle).

CNN part: the conventional CNN recipe (two 3x3 convs of 32 and 64 channels, max-pool,
dropout 0.25/0.5, fc 128, Adadelta lr 1.0 with step decay 0.7, DataLoader batch 64,
per-sample transforms) against ours (digits.CNN with the --fast recipe, in float32 and with
bfloat16 mixed precision where the CPU has it natively). Then the
inference speed of both shipped models: images/s at batch 1000 and single-image latency.

    python benchmarks/train_speed.py [--part mlp|cnn|inference|all] [--conventional-epochs N]

Seconds are training time only (evaluation excluded).
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

import digits
from tables import markdown_table

ROOT = Path(__file__).resolve().parent.parent


class ConventionalCNN(nn.Module):
    """The well-known PyTorch MNIST example network."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = self.dropout2(F.relu(self.fc1(torch.flatten(self.dropout1(x), 1))))
        return self.fc2(x)


def conventional(model, optimizer, scheduler, epochs: int, name: str) -> list[dict]:
    """The textbook DataLoader loop, timed per epoch (training only)."""
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((digits.MEAN,), (digits.STD,))])
    root = digits.data_root()
    train = DataLoader(datasets.MNIST(root, train=True, transform=tf), batch_size=64, shuffle=True)
    test = DataLoader(datasets.MNIST(root, train=False, transform=tf), batch_size=1000)
    history, seconds = [], 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        start = time.perf_counter()
        for x, y in train:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        if scheduler:
            scheduler.step()
        seconds += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test)
        history.append({"epoch": epoch, "seconds": seconds, "test_accuracy": correct / 10_000})
        print(f"  {name} epoch {epoch}: {seconds:.1f} s, {correct / 100:.2f} %", flush=True)
    return history


def ours(model, recipe, name) -> list[dict]:
    train, test = digits.load_mnist(True), digits.load_mnist(False)
    return digits.fit(model, train, test, recipe, progress=False,
                      on_epoch=lambda h: print(f"  {name} epoch {h['epoch']}: {h['seconds']:.1f} s, "
                                               f"{h['test_accuracy']:.2%}", flush=True))


def seconds_to(history, target):
    return next((h["seconds"] for h in history if h["test_accuracy"] >= target), None)


def print_table(header, rows):
    print(markdown_table(header, rows))


def compare(runs: dict, targets):
    """Print the table of runs (the first is the baseline) and the speed-up ratios."""
    header = ["recipe", "s/epoch"] + [f"s to {t:.1%}" for t in targets] + ["total s", "final acc", "epochs"]
    rows, per_epoch = [], {}
    for name, history in runs.items():
        per_epoch[name] = history[-1]["seconds"] / len(history)
        cells = [name, f"{per_epoch[name]:.2f}"]
        for target in targets:
            s = seconds_to(history, target)
            cells.append(f"{s:.1f}" if s is not None else f"not within {len(history)} epochs")
        cells += [f"{history[-1]['seconds']:.1f}", f"{history[-1]['test_accuracy']:.2%}", str(len(history))]
        rows.append(cells)
    print()
    print_table(header, rows)
    names = list(runs)
    base = names[0]
    for name in names[1:]:
        print(f"{name}: {per_epoch[base] / per_epoch[name]:.1f}x faster per epoch than {base}")
        for target in targets:
            mine, theirs = seconds_to(runs[name], target), seconds_to(runs[base], target)
            if mine and theirs:
                print(f"  to {target:.1%}: {theirs / mine:.1f}x faster")
    print()


def mlp_part(epochs):
    torch.manual_seed(0)
    model = digits.MLP()
    runs = {"conventional MLP (DataLoader, bs 64, Adam 1e-3)":
            conventional(model, torch.optim.Adam(model.parameters(), lr=1e-3), None, epochs, "conventional")}
    for name, recipe in (("ours, shipped", digits.MLP_RECIPE), ("ours, --fast", digits.MLP_FAST_RECIPE)):
        torch.manual_seed(0)
        runs[f"{name} ({recipe.epochs} epochs)"] = ours(digits.MLP(), recipe, name)
    compare(runs, (0.980, 0.983))


def cnn_part(epochs):
    torch.manual_seed(0)
    model = ConventionalCNN()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    runs = {"conventional CNN (DataLoader, bs 64, Adadelta)":
            conventional(model, optimizer, scheduler, epochs, "conventional CNN")}
    fast = digits.CNN_FAST_RECIPE
    mixed = "bfloat16" if digits.train.native_bf16() else "float32: this CPU has no native bfloat16"
    for name, recipe in ((f"ours, CNN --fast in float32 ({fast.epochs} epochs)", replace(fast, bf16=False)),
                         (f"ours, CNN --fast ({mixed}, {fast.epochs} epochs)", fast)):
        torch.manual_seed(0)
        runs[name] = ours(digits.models.fast_cnn(), recipe, name)
    compare(runs, (0.990, 0.995))


@torch.no_grad()
def inference_part():
    x = digits.normalize(digits.load_mnist(False)[0][:1000])
    rows = []
    for path in ("model.pth", "cnn.pth"):
        if not (ROOT / path).is_file():
            continue
        model = digits.load_model(ROOT / path)
        model(x[:10])
        start, n = time.perf_counter(), 5
        for _ in range(n):
            model(x)
        throughput = n * len(x) / (time.perf_counter() - start)
        one = x[:1]
        for _ in range(20):
            model(one)
        start, n = time.perf_counter(), 300
        for _ in range(n):
            model(one)
        latency = (time.perf_counter() - start) / n * 1000
        params = sum(p.numel() for p in model.parameters())
        size = (ROOT / path).stat().st_size / 1024
        rows.append([path, type(model).__name__, f"{params:,}", f"{size:.0f} KiB",
                     f"{throughput:,.0f}", f"{latency:.3f}"])
    print_table(["checkpoint", "model", "parameters", "file", "images/s (batch 1000)", "ms per image (batch 1)"], rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["mlp", "cnn", "inference", "all"], default="all")
    parser.add_argument("--conventional-epochs", type=int, default=None,
                        help="epochs for the conventional recipes (default: mlp 5, cnn 3)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.part in ("mlp", "all"):
        mlp_part(args.conventional_epochs or 5)
    if args.part in ("cnn", "all"):
        cnn_part(args.conventional_epochs or 3)
    if args.part in ("inference", "all"):
        inference_part()


if __name__ == "__main__":
    main()
