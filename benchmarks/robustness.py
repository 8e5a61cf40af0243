"""Real-world robustness: MNIST *test* digits rendered as photos, scans and drawings.

Each test digit is rendered by digits.synth.render (paper tones, lighting gradients,
sensor noise, blur, JPEG, 30-300 px pictures with random margins, thick and thin pens,
small rotations, both polarities, coloured ink) and read back through the full
pipeline: decode -> digits.preprocess -> model. Prints, for each shipped model, the
clean MNIST-test accuracy beside the real-world one, per condition, and the seconds
per image for a single image on one core.

Then harder conditions (digits.synth.render_condition: a sharp-edged shadow, faint pencil,
ruled and squared paper, a printed box around the digit, a small digit in a large photo),
``--per-condition`` test digits each, as accuracy per model.

    python benchmarks/robustness.py [--count 10000] [--per-condition 1000] [--seed 0]
                                    [--only-conditions] [--models model.pth cnn.onnx ...]
"""
from __future__ import annotations

import argparse
import io
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

import digits
from digits.predict import resolve_model
from digits.synth import CONDITIONS, render, render_condition
from tables import markdown_table

ROOT = Path(__file__).resolve().parent.parent


def rendered_test_set(count: int, seed: int):
    """(JPEG bytes, label, condition) for the first ``count`` MNIST test digits."""
    images, labels = digits.load_mnist(False)
    rng = np.random.default_rng(seed)
    out = []
    for i in tqdm(range(count), desc="rendering", unit="img"):
        polarity = "dark" if rng.random() < 0.75 else "light"
        picture = render(images[i, 0].numpy(), rng, polarity=polarity)
        buffer = io.BytesIO()
        picture.save(buffer, "PNG")
        side = max(picture.size)
        size = "small (<80 px)" if side < 80 else "medium (80-180 px)" if side < 180 else "large (>180 px)"
        out.append((buffer.getvalue(), int(labels[i]), {"polarity": f"{polarity} ink", "size": size}))
    return out


def real_world_accuracy(model, samples, batch=256):
    correct, by_condition = [], defaultdict(list)
    for start in tqdm(range(0, len(samples), batch), desc="predicting", unit="batch"):
        chunk = samples[start:start + batch]
        predictions = digits.predict([s[0] for s in chunk], model=model)
        for (_, label, conditions), p in zip(chunk, predictions):
            correct.append(p.digit == label)
            for value in conditions.values():
                by_condition[value].append(p.digit == label)
    return float(np.mean(correct)), {k: float(np.mean(v)) for k, v in by_condition.items()}


def seconds_per_image(model, samples, n=300):
    """Median seconds for decode + preprocess + predict of one image, one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    digits.predict(samples[0][0], model=model)
    times = []
    for data, _, _ in samples[:n]:
        start = time.perf_counter()
        digits.predict(data, model=model)
        times.append(time.perf_counter() - start)
    torch.set_num_threads(threads)
    return float(np.median(times))


def condition_accuracy(models: dict, per_condition: int, seed: int, conditions=CONDITIONS) -> list[list[str]]:
    """One row per hard condition: accuracy of each model on the same rendered test digits
    (a picture refused as holding no digit counts as wrong)."""
    images, labels = digits.load_mnist(False)
    rows = []
    for condition in conditions:
        rng = np.random.default_rng(seed)
        pictures = [render_condition(images[i, 0].numpy(), rng, condition)
                    for i in tqdm(range(per_condition), desc=condition, unit="img")]
        row = [condition]
        for model in models.values():
            correct = 0
            for picture, label in zip(pictures, labels[:per_condition].tolist()):
                try:
                    correct += digits.predict(picture, model=model)[0].digit == label
                except digits.ImageError:
                    pass
            row.append(f"{correct / per_condition:.2%}")
        rows.append(row)
    return rows


MODELS = ("model.pth", "cnn.pth", "cnn.onnx", "cnn.int8.onnx")


def clean_accuracy(model, images, labels) -> float:
    """Accuracy on MNIST digits as they are (no preprocessing), whatever runs the model."""
    probabilities = model.probabilities(images[:, 0].numpy())
    return float((probabilities.argmax(1) == labels.numpy()).mean())


def print_conditions(per_condition: int, seed: int, conditions=CONDITIONS, names=("model.pth", "cnn.onnx")):
    models = {name: resolve_model(ROOT / name) for name in names if (ROOT / name).is_file()}
    print(f"\nHarder conditions, {per_condition:,} MNIST test digits each (seed {seed})\n")
    print(markdown_table(["condition"] + list(models), condition_accuracy(models, per_condition, seed, conditions)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="test digits to render (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-condition", type=int, default=1000, help="test digits per hard condition")
    parser.add_argument("--only-conditions", action="store_true", help="just the hard-conditions table")
    parser.add_argument("--conditions", nargs="+", choices=CONDITIONS, default=CONDITIONS, metavar="NAME",
                        help=f"which hard conditions (default: all: {', '.join(CONDITIONS)})")
    parser.add_argument("--models", nargs="+", default=list(MODELS), metavar="FILE",
                        help=f"model files at the repository root (default: {' '.join(MODELS)}; the hard "
                             "conditions take those of them that are not .pth but model.pth)")
    args = parser.parse_args()
    hard = [n for n in args.models if n == "model.pth" or not n.endswith(".pth")]
    if args.only_conditions:
        print_conditions(args.per_condition, args.seed, args.conditions, hard)
        return
    samples = rendered_test_set(args.count, args.seed)
    clean_images, clean_labels = digits.load_mnist(False)
    rows, conditions = [], {}
    for name in args.models:
        if not (ROOT / name).is_file():
            continue
        model = resolve_model(ROOT / name)
        clean = clean_accuracy(model, clean_images[:args.count], clean_labels[:args.count])
        real, conditions[name] = real_world_accuracy(model, samples)
        ms = seconds_per_image(model, samples) * 1000
        rows.append([name, f"{clean:.2%}", f"{real:.2%}", f"{(clean - real) * 100:+.2f}", f"{ms:.2f}"])
    header = ["model", "clean MNIST test", "real-world renderings", "gap (points)", "ms/image (1 core)"]
    print(f"\n{args.count:,} MNIST test digits, rendered with seed {args.seed}\n")
    print(markdown_table(header, rows))
    print()
    names = list(conditions)
    keys = sorted({k for c in conditions.values() for k in c})
    print(markdown_table(["condition"] + names, [[k] + [f"{conditions[n][k]:.2%}" for n in names] for k in keys]))
    print_conditions(args.per_condition, args.seed, args.conditions, hard)


if __name__ == "__main__":
    main()
