"""Reading whole numbers: digits.read against Tesseract on the same images.

Numbers of 2-10 MNIST *test* digits are written side by side on paper-like
backgrounds (digits.synth.render_number: sizes +-20 %, wandering baseline, paper
tone, uneven light, noise, JPEG) with gaps from wide to narrow to touching to
overlapping, and written one digit per box of a form's comb of printed boxes
(digits.synth.render_in_boxes; also with only the boxes' walls printed), and with wide
gaps on a notebook page's ruled or squared lines (render_number's ``paper``), and with wide gaps
along a line turned 3-10 degrees either way ("tilted", render_number's ``tilt``), and with wide
gaps on a ruled or squared notebook page photographed round the number, which spans 15-50 % of
the picture's width ("page photo", render_number's ``page``). For each
class: exact-string accuracy and per-digit accuracy (1 - edit distance / length),
for digits.read and for Tesseract (`tesseract --psm 7`, digits whitelisted) when it
is installed. Beside digits.read's rows, "digits alone": the share of numbers whose every digit
the same model reads right when given it alone (each 28x28 MNIST digit through digits.predict),
the most an exact string could reach with a perfect cut, so a row shows how much of what is lost
is the cutting and how much the classifier.

    python benchmarks/read_numbers.py [--per-class 200] [--seed 0] [--classes wide,boxes]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import digits
from digits.synth import GAPS, render_in_boxes, render_number
from tables import markdown_table


BOXES = {"boxes": False, "walls only": True}     # class name -> only the walls printed
PAPERS = {"ruled page": "ruled", "squared page": "squared"}
TILTED = (3.0, 10.0)      # "tilted": wide gaps, the line turned this many degrees either way
PAGE = (0.15, 0.5)        # "page photo": the number spans this share of the picture's width
CLASSES = list(GAPS) + list(BOXES) + list(PAPERS) + ["tilted", "page photo"]


def picture_of(glyphs, rng, kind: str):
    """A number of these digits in one of the CLASSES: spaced by a gap class, in boxes, with
    wide gaps on a notebook page (cut round the line, or photographed round it), or with wide
    gaps along a line written at a slant."""
    if kind in BOXES:
        return render_in_boxes(glyphs, rng, walls_only=BOXES[kind])
    if kind in PAPERS:
        return render_number(glyphs, rng, "wide", paper=PAPERS[kind])
    if kind == "tilted":
        return render_number(glyphs, rng, "wide", tilt=rng.uniform(*TILTED) * rng.choice([-1, 1]))
    if kind == "page photo":
        return render_number(glyphs, rng, "wide", paper=str(rng.choice(list(PAPERS.values()))),
                             page=rng.uniform(*PAGE))
    return render_number(glyphs, rng, kind)


def digits_read_alone(images, labels, batch: int = 1000) -> np.ndarray:
    """(N,) bool: whether the default model reads each MNIST digit right on its own."""
    right = []
    for start in tqdm(range(0, len(images), batch), desc="digits alone", unit="batch"):
        chunk = images[start:start + batch, 0].numpy()
        right += [p.digit == int(label) for p, label in zip(digits.predict(list(chunk)), labels[start:start + batch])]
    return np.asarray(right)


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def tesseract(picture, folder: Path) -> str:
    path = folder / "number.png"
    picture.save(path)
    out = subprocess.run(["tesseract", str(path), "stdout", "--psm", "7",
                          "-c", "tessedit_char_whitelist=0123456789"],
                         capture_output=True, text=True, timeout=60)
    return "".join(ch for ch in out.stdout if ch.isdigit())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-class", type=int, default=200, help="numbers per class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classes", default=",".join(CLASSES),
                        help=f"comma-separated, of: {', '.join(CLASSES)}")
    args = parser.parse_args()
    classes = [c.strip() for c in args.classes.split(",") if c.strip()]
    if unknown := [c for c in classes if c not in CLASSES]:
        parser.error(f"unknown class {unknown[0]!r}: choose from {', '.join(CLASSES)}")
    images, labels = digits.load_mnist(False)
    alone_right = digits_read_alone(images, labels)
    rng = np.random.default_rng(args.seed)
    has_tesseract = shutil.which("tesseract") is not None
    rows = []
    seconds = {"digits.read": 0.0, "tesseract": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in classes:
            scores = {"digits.read": [], "tesseract": []}
            bound = []
            for _ in tqdm(range(args.per_class), desc=kind, unit="number"):
                picks = rng.integers(0, len(images), rng.integers(2, 11))
                truth = "".join(str(int(labels[i])) for i in picks)
                bound.append(bool(alone_right[picks].all()))
                picture = picture_of([images[i, 0].numpy() for i in picks], rng, kind)
                readers = {"digits.read": lambda p: digits.read(p).text}
                if has_tesseract:
                    readers["tesseract"] = lambda p: tesseract(p, Path(tmp))
                for name, reader in readers.items():
                    start = time.perf_counter()
                    text = reader(picture)
                    seconds[name] += time.perf_counter() - start
                    scores[name].append((text == truth, 1 - edit_distance(text, truth) / len(truth)))
            for name, s in scores.items():
                if s:
                    exact, per_digit = np.mean(s, axis=0)
                    alone = f"{np.mean(bound):.1%}" if name == "digits.read" else ""
                    rows.append([kind, name, f"{exact:.1%}", f"{per_digit:.1%}", alone, str(len(s))])
    n = args.per_class * len(classes)
    print(f"\nnumbers of 2-10 MNIST test digits, {args.per_class} per class, seed {args.seed}\n")
    header = ["class", "reader", "exact string", "per digit", "digits alone", "numbers"]
    print(markdown_table(header, rows))
    print()
    for name, s in seconds.items():
        if s:
            print(f"{name}: {s / n * 1000:.0f} ms per number")
    if not has_tesseract:
        print("tesseract not installed (apt-get install tesseract-ocr): its rows are missing")


if __name__ == "__main__":
    main()
