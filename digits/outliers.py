"""Things that are not digits, for teaching a network to be unsure of them.

Outlier exposure: a recipe with ``outliers`` (``train --outliers SHARE``; off in the
shipped recipes for now) mixes these into its training batches with a flat target
(every digit equally likely), so a letter, a scribble or two digits on top of each
other come back with low confidence instead of a confident wrong digit.

The same pictures teach the typicality check's learnt part (``digits.typicality``) what
is not one digit. The pool is built for training only, from sources that differ from
the non-digits the confidence benchmark renders (DejaVu/Liberation letters and symbols,
scribbles through random points, photographed): pairs of MNIST *training* digits drawn
over each other or side by side touching (two digits that segmentation left joined),
bundles of straight pen strokes, letters and symbols in Pillow's own bundled font, and
smooth curves made of a few harmonics. Every picture is framed exactly as a real input
is (``frame``).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .preprocess import frame

# Characters that cannot pass for a digit even when written sloppily: no O, I, l, Z, S, b, B, g, q,
# G, T, nor the hooks that a hurried 5 or 7 resembles, nor ( and ), which a 1 written slanted or
# bowed is. Square brackets, braces and "!" are in: their hooks and dot are not a 1's.
GLYPHS = "ACEFHKMNPRUVWXYacefhkmnprtuvwxy+=%&@#*<>~![]{}"
KINDS = ("overlay", "strokes", "glyph", "touching", "curve")


def overlay(digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two training digits of different classes, the second shifted, drawn over each other."""
    i = rng.integers(len(digits))
    j = rng.integers(len(digits))
    while labels[j] == labels[i]:
        j = rng.integers(len(digits))
    canvas = np.zeros((56, 56), np.float32)
    canvas[14:42, 14:42] = digits[i]
    dy, dx = rng.integers(-5, 6), rng.choice([-1, 1]) * rng.integers(4, 11)
    canvas[14 + dy:42 + dy, 14 + dx:42 + dx] = np.maximum(canvas[14 + dy:42 + dy, 14 + dx:42 + dx], digits[j])
    return canvas


def touching(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two training digits side by side, the second's ink starting 0-4 px before the first's ends."""
    first, second = digits[rng.integers(len(digits))], digits[rng.integers(len(digits))]
    end = np.nonzero((first > 0.3).any(0))[0]
    start = np.nonzero((second > 0.3).any(0))[0]
    canvas = np.zeros((36, 120), np.float32)
    canvas[4:32, 32:60] = first
    x = 32 + (end[-1] if end.size else 20) + 1 - int(rng.integers(0, 5)) - (start[0] if start.size else 4)
    y = 4 + int(rng.integers(-3, 4))
    canvas[y:y + 28, x:x + 28] = np.maximum(canvas[y:y + 28, x:x + 28], second)
    return canvas


def curve(rng: np.random.Generator, side: int = 64) -> np.ndarray:
    """A smooth pen curve from three random harmonics: loops, waves and spirals."""
    t = np.linspace(0, 2 * np.pi * rng.uniform(0.6, 1.6), 120)
    path = np.zeros((len(t), 2))
    for k in (1, 2, 3):
        path += np.outer(np.sin(k * t), rng.normal(0, 1 / k, 2)) + np.outer(np.cos(k * t), rng.normal(0, 1 / k, 2))
    path = (path - path.min(0)) / max(np.ptp(path, 0).max(), 1e-6) * side * 0.7 + side * 0.15
    canvas = Image.new("L", (side, side), 0)
    ImageDraw.Draw(canvas).line([tuple(p) for p in path], fill=255, width=int(rng.integers(3, 8)), joint="curve")
    return np.asarray(canvas, np.float32) / 255


def strokes(rng: np.random.Generator, side: int = 64) -> np.ndarray:
    """Three to five straight pen strokes at random: hatching, crosses, stars, zigzags."""
    canvas = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(canvas)
    width = int(rng.integers(3, 8))
    for _ in range(int(rng.integers(3, 6))):
        a, b = rng.uniform(side * 0.1, side * 0.9, (2, 2))
        draw.line([tuple(a), tuple(b)], fill=255, width=width)
    return np.asarray(canvas, np.float32) / 255


def glyph(rng: np.random.Generator, side: int = 64) -> np.ndarray:
    """A letter or symbol in Pillow's bundled font, at a random weight and slant."""
    canvas = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(int(side * rng.uniform(0.5, 0.75)))
    draw.text((side / 2, side / 2), str(rng.choice(list(GLYPHS))), fill=255, font=font, anchor="mm",
              stroke_width=int(rng.integers(0, 4)), stroke_fill=255)
    shear = rng.uniform(-0.3, 0.3)
    canvas = canvas.transform(canvas.size, Image.Transform.AFFINE, (1, shear, -shear * side / 2, 0, 1, 0),
                              resample=Image.Resampling.BILINEAR)
    return np.asarray(canvas.filter(ImageFilter.GaussianBlur(0.7)), np.float32) / 255


def non_digits(count: int, digits: np.ndarray, labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """``count`` framed 28x28 non-digits in [0, 1] (float32), the KINDS in turn (equal shares).

    ``digits`` (N, 28, 28) in [0, 1] and ``labels`` (N,) are training images to overlay.
    """
    rng = np.random.default_rng(seed)
    draw = {"overlay": lambda: overlay(digits, labels, rng), "strokes": lambda: strokes(rng),
            "glyph": lambda: glyph(rng), "touching": lambda: touching(digits, rng), "curve": lambda: curve(rng)}
    out = np.empty((count, 28, 28), np.float32)
    for n in range(count):
        out[n] = frame(draw[KINDS[n % len(KINDS)]]())
    return out
