"""Confidence you can act on: calibration, error at a rejection rate, non-digits, batch speed.

For each shipped model, on MNIST test and on the real-world renderings of the robustness
benchmark: accuracy, ECE (15 bins) with the raw softmax (temperature 1) and calibrated,
and the error among accepted images when the least confident 0/1/2/5/10 % are rejected.
Then the share of rendered non-digits (letters, symbols, scribbles) and of MNIST test
digits rejected at the default threshold, by the confidence alone and together with the
typicality check (digits.typicality), as digits.predict does; `read` at string level on rendered numbers;
and batch reading through the CLI: files per second and peak memory, 1,000 vs 10,000 files.

    python benchmarks/confidence.py [--count 10000] [--non-digits 2000] [--numbers 300]
                                    [--files 10000 1000] [--skip-batch]
                                    [--models model.pth cnn.pth]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

import digits
from digits.predict import MIN_CONFIDENCE
from digits.preprocess import ImageError
from digits.synth import fonts, render_non_digit, render_number
from robustness import rendered_test_set
from tables import markdown_table

ROOT = Path(__file__).resolve().parent.parent
RATES = (0.0, 0.01, 0.02, 0.05, 0.10)


def probabilities(model, batch: torch.Tensor, temperature: float) -> torch.Tensor:
    """Softmax of the model's logits at a given temperature (1: the raw network)."""
    with torch.no_grad():
        logits = torch.cat([model.logits(batch[i:i + 2000]) for i in range(0, len(batch), 2000)])
    return (logits / temperature).softmax(1)


def preprocessed(samples) -> tuple[torch.Tensor, torch.Tensor]:
    tensors = [digits.preprocess(data) for data, _, _ in tqdm(samples, desc="preprocessing", unit="img")]
    return torch.stack(tensors), torch.tensor([label for _, label, _ in samples])


def rejection_row(name, probs, labels):
    confidence, predicted = probs.max(1)
    correct = predicted == labels
    errors = [digits.error_at_rejection(confidence, correct, r)[0] for r in RATES]
    return [name] + [f"{e:.2%}" for e in errors]


def calibration_rows(models, sets):
    cal_rows, rej_rows = [], []
    for model_name, model in models.items():
        temperature = float(model.temperature)
        for set_name, (batch, labels) in sets.items():
            raw = probabilities(model, batch, 1.0)
            calibrated = probabilities(model, batch, temperature)
            accuracy = float((calibrated.argmax(1) == labels).float().mean())
            cal_rows.append([model_name, set_name, f"{accuracy:.2%}",
                             f"{digits.expected_calibration_error(raw, labels):.2%}",
                             f"{digits.expected_calibration_error(calibrated, labels):.2%}",
                             f"{temperature:.3f}"])
            rej_rows.append(rejection_row(f"{model_name}, {set_name}", calibrated, labels))
    return cal_rows, rej_rows


def non_digit_rows(models, count, seed, mnist_batch, real_batch):
    """Per model: share of non-digits rejected (all, and per kind), of MNIST test digits and of
    the real-world renderings of them (which, like the non-digits, went through preprocessing)."""
    rng = np.random.default_rng(seed)
    kinds, tensors, refused = [], [], []
    for _ in tqdm(range(count), desc="non-digits", unit="img"):
        picture, what = render_non_digit(rng)
        kinds.append(what.split(":")[0])
        try:
            tensors.append(digits.preprocess(picture))
            refused.append(False)
        except ImageError:                     # refused outright (no ink): counts as rejected
            tensors.append(torch.zeros(1, 28, 28))
            refused.append(True)
    batch, refused, kinds = torch.stack(tensors), torch.tensor(refused), np.array(kinds)
    rows = []
    for name, model in models.items():
        for rule, check in (("confidence", False), ("confidence + typicality", True)):
            rejected = unsure(model, batch, check) | refused
            per_kind = [f"{rejected[torch.from_numpy(kinds == k)].float().mean().item():.1%}"
                        for k in ("letter", "symbol", "scribble")]
            digits_rejected = [f"{unsure(model, b, check).float().mean().item():.2%}"
                               for b in (mnist_batch, real_batch)]
            rows.append([name, rule, f"{rejected.float().mean().item():.1%}", *per_kind, *digits_rejected])
    return rows


def unsure(model, images, typicality: bool) -> torch.Tensor:
    """Not accepted at the default threshold: below MIN_CONFIDENCE, or (with the typicality
    check) unlike the training digits."""
    with torch.no_grad():
        logits, atypicality = map(torch.cat, zip(*[model.judge(images[i:i + 2000])
                                                   for i in range(0, len(images), 2000)]))
    below = logits.softmax(1).max(1).values < MIN_CONFIDENCE
    return below | (atypicality > 1) if typicality else below


def read_rows(model, per_class, seed):
    images, labels = digits.load_mnist(False)
    rng = np.random.default_rng(seed)
    rows = []
    for gap in ("wide", "narrow", "touching"):
        confidence, correct = [], []
        for _ in tqdm(range(per_class), desc=f"numbers ({gap})", unit="number"):
            picks = rng.integers(0, len(images), rng.integers(2, 11))
            truth = "".join(str(int(labels[i])) for i in picks)
            reading = digits.read(render_number([images[i, 0].numpy() for i in picks], rng, gap), model)
            confidence.append(reading.confidence)
            correct.append(reading.text == truth)
        confidence, correct = torch.tensor(confidence), torch.tensor(correct)
        errors = [digits.error_at_rejection(confidence, correct, r)[0] for r in RATES]
        rows.append([f"read, {gap} ({per_class})"] + [f"{e:.2%}" for e in errors])
    return rows


def write_pngs(folder: Path, count: int):
    images, _ = digits.load_mnist(False)
    for i in range(count):
        Image.fromarray((255 - images[i % len(images), 0].numpy() * 255).astype(np.uint8)) \
            .save(folder / f"{i:05d}.png")


def run_cli(command, folder, out):
    """Seconds and peak resident memory (MiB, VmHWM of the process itself, polled from
    /proc until it exits) of one `python -m digits` batch run."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "digits", command, str(folder), "--csv", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak = max(peak, int(next(line.split()[1] for line in status.splitlines()
                                      if line.startswith("VmHWM"))))
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"digits {command} failed with status {process.returncode}")
    return seconds, peak / 1024


def batch_rows(counts):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in sorted(counts):
            folder = Path(tmp) / f"files{count}"
            folder.mkdir()
            write_pngs(folder, count)
            for command in ("predict", "read"):
                seconds, peak = run_cli(command, folder, Path(tmp) / f"{command}{count}.csv")
                lines = (Path(tmp) / f"{command}{count}.csv").read_text().count("\n") - 1
                assert lines == count, f"{command} wrote {lines} rows for {count} files"
                rows.append([command, f"{count:,}", f"{seconds:.1f}", f"{count / seconds:,.0f}", f"{peak:,.0f}"])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="test digits (clean and rendered)")
    parser.add_argument("--non-digits", type=int, default=2000)
    parser.add_argument("--numbers", type=int, default=300, help="rendered numbers per gap class")
    parser.add_argument("--files", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--only-batch", action="store_true", help="just the batch-reading table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="+", default=["model.pth", "cnn.pth"],
                        help="checkpoints to compare (default: the shipped ones); read uses the last")
    args = parser.parse_args()

    if args.only_batch:
        print(markdown_table(["command", "files", "seconds", "files/s", "peak MiB"], batch_rows(args.files)))
        return
    models = {Path(path).name: digits.load_model(ROOT / path) for path in args.models}
    images, labels = digits.load_mnist(False)
    mnist = (digits.normalize(images[:args.count]), labels[:args.count])
    sets = {"MNIST test": mnist, "real-world": preprocessed(rendered_test_set(args.count, args.seed))}

    cal_rows, rej_rows = calibration_rows(models, sets)
    print("\nCalibration (ECE, 15 bins; temperature fitted on 5,000 held-out training images)\n")
    print(markdown_table(["model", "images", "accuracy", "ECE raw", "ECE calibrated", "temperature"], cal_rows))
    reader = Path(args.models[-1]).name
    rej_rows += read_rows(models[reader], args.numbers, args.seed)
    print("\nError among accepted answers when the least confident share is rejected "
          f"(calibrated; read: whole strings, {reader})\n")
    print(markdown_table(["model, images"] + [f"reject {r:.0%}" for r in RATES], rej_rows))
    font_files = fonts()
    families = sorted({Path(f).parent.name for f in font_files}) or ["Pillow's default font only"]
    print(f"\nRejected at the default threshold (min_confidence {MIN_CONFIDENCE}); letters and symbols "
          f"in {len(font_files)} font files ({', '.join(families)}: the figures depend on which are installed):\n")
    print(markdown_table(["model", "rule", f"non-digits ({args.non_digits})", "letters", "symbols", "scribbles",
                          "MNIST test digits", "real-world digits"],
                         non_digit_rows(models, args.non_digits, args.seed, mnist[0], sets["real-world"][0])))
    if not args.skip_batch:
        print("\nBatch reading of a folder of small PNG files (python -m digits predict|read DIR --csv F), "
              "2 cores\n")
        print(markdown_table(["command", "files", "seconds", "files/s", "peak MiB"], batch_rows(args.files)))


if __name__ == "__main__":
    main()
