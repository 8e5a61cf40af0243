"""Things that are not digits, for teaching a network to be unsure of them.

Outlier exposure: a recipe with ``outliers`` (``train --outliers SHARE``; off in the
shipped recipes for now) mixes these into its training batches with a flat target
(every digit equally likely), so a letter, a scribble or two digits on top of each
other come back with low confidence instead of a confident wrong digit.

The pool is built for training only, from three sources that differ from the
non-digits the confidence benchmark renders (DejaVu/Liberation letters and symbols,
smooth scribbles, photographed): pairs of MNIST *training* digits drawn over each
other, bundles of straight pen strokes, and letters and symbols in Pillow's own
bundled font. Every picture is framed exactly as a real input is (``frame``).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .preprocess import frame

# Characters that cannot pass for a digit even when written sloppily: no O, I, l, Z, S, b, B, g, q,
# G, T, and none of the bars, brackets and hooks that a hurried 1, 5 or 7 resembles.
GLYPHS = "ACEFHKMNPRUVWXYacefhkmnprtuvwxy+=%&@#*<>~"
KINDS = ("overlay", "strokes", "glyph")


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
    """``count`` framed 28x28 non-digits in [0, 1] (float32), the three kinds in equal shares.

    ``digits`` (N, 28, 28) in [0, 1] and ``labels`` (N,) are training images to overlay.
    """
    rng = np.random.default_rng(seed)
    out = np.empty((count, 28, 28), np.float32)
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        ink = overlay(digits, labels, rng) if kind == "overlay" else strokes(rng) if kind == "strokes" \
            else glyph(rng)
        out[n] = frame(ink)
    return out
