"""One run of the GPU sweep: train a network for as many epochs as fit a time budget.

python .gpu/sweep.py NAME ARCH SEED BUDGET_S OUT_DIR N_RUNS [first step]
ARCH: deep (DeepCNN(first, step)) or cnn (CNN widths 48,96,192).
All runs of the sweep wait for each other before timing a probe, so the probe sees the
GPU shared as it will be; the epochs are then set so the one-cycle schedule ends in time.
Validation accuracy is logged per epoch; test accuracy only once, at the end.
"""
import copy
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

start = time.perf_counter()
from digits import data, models, train  # noqa: E402
from digits.recipes import CNN_RECIPE  # noqa: E402

name, arch, seed, budget, out_dir, n_runs = sys.argv[1:7]
seed, budget, n_runs = int(seed), float(budget), int(n_runs)
extra = [int(a) for a in sys.argv[7:]]
out_dir = Path(out_dir)
torch.backends.cudnn.benchmark = True
device = "cuda" if torch.cuda.is_available() else "cpu"

train_set, validation = data.split_validation(*data.load_mnist(True, download=False))
test_set = data.load_mnist(False, download=False)
if os.environ.get("SUBSET"):   # rehearsal on a CPU
    k = int(os.environ["SUBSET"])
    train_set = (train_set[0][:k], train_set[1][:k])
torch.manual_seed(seed)
model = (models.DeepCNN(*extra) if arch == "deep" else models.CNN()).to(device)
recipe = replace(CNN_RECIPE, seed=seed)

# wait for every run of the sweep to be ready, so that the probe sees the GPU shared
ready = out_dir.parent / "ready"
ready.mkdir(exist_ok=True)
(ready / name).touch()
while len(list(ready.iterdir())) < n_runs and time.perf_counter() - start < 120:
    time.sleep(0.5)

probe_steps = int(os.environ.get("PROBE_STEPS", 120))
probe = copy.deepcopy(model)
n = probe_steps * recipe.batch_size
warm = 30 * recipe.batch_size   # first steps: cuDNN picks its algorithms, CUDA warms up
train.fit(probe, (train_set[0][:warm], train_set[1][:warm]), None, replace(recipe, epochs=1), progress=False)
history = train.fit(probe, (train_set[0][:n], train_set[1][:n]), None,
                    replace(recipe, epochs=1), progress=False)
per_step = history[-1]["seconds"] / probe_steps
del probe
steps_per_epoch = -(-len(train_set[0]) // recipe.batch_size)
left = budget - (time.perf_counter() - start)
epochs = max(1, int(0.85 * left / (per_step * steps_per_epoch * 1.03)))
print(f"{name}: {per_step * 1e3:.1f} ms per step shared, {left:.0f} s left: {epochs} epochs", flush=True)


def log(entry):
    print(f"{name} epoch {entry['epoch']}/{epochs} loss {entry['loss']:.4f} "
          f"validation {entry['test_accuracy']:.4%} at {entry['seconds']:.0f} s", flush=True)


history = train.fit(model, train_set, validation, replace(recipe, epochs=epochs),
                    progress=False, on_epoch=log)
val = train.evaluate(model, *validation)["accuracy"]
test = train.evaluate(model, *test_set)["accuracy"]
state = {k: v.cpu() for k, v in model.state_dict().items() if not k.startswith("typicality.")}
torch.save(state, out_dir / f"{name}.pth")
summary = {"name": name, "arch": arch, "extra": extra, "seed": seed, "epochs": epochs,
           "params": sum(p.numel() for p in model.parameters()),
           "train_seconds": history[-1]["seconds"], "validation": val, "test": test,
           "per_step_ms": per_step * 1e3, "wall": time.perf_counter() - start}
print("SUMMARY " + json.dumps(summary), flush=True)
