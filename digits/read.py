"""digits.read: a line of handwritten digits -> "2026".

Segmentation by connected components (scipy.ndimage): ruled lines and underlines
are removed, specks and separators (. , - /) ignored, pieces of one digit merged
(a 5 whose bar floats free, a broken 4 or 7), and blobs too wide for one digit split
where the classifier is most confident of the pieces. Every piece then goes through
the same framing and model as a single digit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from .data import normalize
from .predict import classify
from .preprocess import _otsu, frame, ink_map, open_image, to_grey

LINE_HEIGHT = 96      # the line is rescaled to about this height before segmenting
MAX_WIDTH = 2400      # ...and at most this width
SURE = 0.8            # a blob read as one digit this confidently is not split
PIECE_SURE = 0.6      # a split is only taken when every piece reads at least this confidently


@dataclass
class Reading:
    """The digits read from one image, left to right."""
    text: str
    digits: list[tuple[int, float, tuple[int, int, int, int]]] = field(default_factory=list)
    # each: (digit, probability, box as (left, top, right, bottom) in input-image pixels)


def _rescale(grey: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = grey.shape
    f = min(LINE_HEIGHT / h, MAX_WIDTH / w)
    if 0.9 < f < 1.1:
        return grey, 1.0
    size = (max(1, round(w * f)), max(1, round(h * f)))
    method = Image.Resampling.BOX if f < 1 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(grey, "F").resize(size, method), np.float32), f


def _without_rules(mask: np.ndarray, digit_height: float) -> np.ndarray:
    """Remove horizontal lines much longer than a digit is tall (ruled paper, underlines)."""
    length = int(max(3 * digit_height, 15))
    if mask.shape[1] <= length:
        return mask
    lines = ndimage.binary_opening(mask, structure=np.ones((1, length), bool))
    return mask & ~ndimage.binary_dilation(lines, structure=np.ones((3, 1), bool))


def _components(mask):
    """Label 8-connected components; return labels and a list of (slice_y, slice_x, area)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    areas = np.bincount(labels.ravel(), minlength=n + 1)
    return labels, [(sy, sx, areas[i + 1]) for i, (sy, sx) in enumerate(ndimage.find_objects(labels))]


def segment(ink: np.ndarray) -> tuple[list[np.ndarray], float]:
    """Masks (one per digit candidate, left to right, before splitting) from an ink map,
    and the typical digit height in pixels."""
    mask = ink > max(_otsu(ink), 0.08 * float(ink.max()))
    labels, comps = _components(mask)
    if not comps:
        return [], 0.0
    big = [c for c in comps if c[2] >= 0.15 * max(c[2] for c in comps)]
    height = float(np.median([c[0].stop - c[0].start for c in big]))
    cleaned = _without_rules(mask, height)
    labels, comps = _components(cleaned)
    if not comps:
        return [], 0.0
    big = [c for c in comps if c[2] >= 0.15 * max(c[2] for c in comps)]
    height = float(np.median([c[0].stop - c[0].start for c in big]))
    pieces = [{"x0": sx.start, "x1": sx.stop, "y0": sy.start, "y1": sy.stop, "labels": [i], "area": area}
              for i, (sy, sx, area) in enumerate(comps, start=1) if area >= max(4, 0.02 * height * height)]
    pieces = _merge_overlapping(sorted(pieces, key=lambda p: p["x0"]), only_short=0.45 * height)
    major = [p for p in pieces if p["y1"] - p["y0"] >= 0.45 * height]
    minor = [p for p in pieces if p["y1"] - p["y0"] < 0.45 * height]
    for p in sorted(minor, key=lambda p: -p["area"]):       # a 5's bar, a broken stroke
        overlaps = [min(q["x1"], p["x1"]) - max(q["x0"], p["x0"]) for q in major]
        if overlaps and max(overlaps) >= 0.5 * (p["x1"] - p["x0"]):
            _absorb(major[int(np.argmax(overlaps))], p)
        # otherwise a dot, comma or dash: not a digit
    groups = _merge_overlapping(sorted(major, key=lambda p: p["x0"]))
    return [np.isin(labels, g["labels"]) for g in groups], height


def _absorb(q, p):
    q.update(x0=min(q["x0"], p["x0"]), x1=max(q["x1"], p["x1"]), y0=min(q["y0"], p["y0"]),
             y1=max(q["y1"], p["y1"]), labels=q["labels"] + p["labels"], area=q["area"] + p["area"])


def _merge_overlapping(pieces, only_short=None):
    """Merge pieces that overlap horizontally by half of the narrower one (with
    ``only_short``: only pieces both shorter than that, e.g. the two halves of a broken 5)."""
    merged = []
    for p in pieces:
        short = only_short is None or (merged and max(merged[-1]["y1"] - merged[-1]["y0"],
                                                       p["y1"] - p["y0"]) < only_short)
        if merged and short:
            q = merged[-1]
            overlap = min(q["x1"], p["x1"]) - max(q["x0"], p["x0"])
            if overlap >= 0.5 * min(q["x1"] - q["x0"], p["x1"] - p["x0"]):
                _absorb(q, p)
                continue
        merged.append(dict(p))
    return merged


def _glyph(ink, mask):
    """The ink of one piece, framed like an MNIST digit."""
    piece = np.where(ndimage.binary_dilation(mask, iterations=1), ink, 0)
    return frame(np.clip(piece / max(float(np.percentile(piece[mask], 90)), 1e-6), 0, 1).astype(np.float32))


def _classify(ink, masks, model):
    batch = normalize(torch.from_numpy(np.stack([_glyph(ink, m) for m in masks]))[:, None])
    return classify(batch, model)


def _splits(mask, height, max_pieces):
    """Candidate ways to cut a blob into 2 (or 3) digits at columns of little ink."""
    cols = np.nonzero(mask.any(0))[0]
    x0, x1 = cols[0], cols[-1] + 1
    width = x1 - x0
    profile = mask[:, x0:x1].sum(0).astype(float)
    options = []
    for n in range(2, max_pieces + 1):
        if width < 0.5 * height * n:
            break
        guesses = []
        for k in range(1, n):
            centre = k * width / n
            lo, hi = int(centre - 0.2 * width / n), int(centre + 0.2 * width / n) + 1
            window = profile[max(lo, 1):min(hi, width - 1)]
            best = np.argsort(window, kind="stable")[:3] + max(lo, 1)
            guesses.append(best)
        for combo in zip(*guesses):
            cuts = [x0] + [x0 + int(c) for c in combo] + [x1]
            if all(b - a >= 3 for a, b in zip(cuts, cuts[1:])):
                parts = []
                for a, b in zip(cuts, cuts[1:]):
                    m = np.zeros_like(mask)
                    m[:, a:b] = mask[:, a:b]
                    parts.append(m)
                options.append(parts)
    return options


def read(image, model=None) -> Reading:
    """Read the digits written on one line of ``image`` (path, bytes, PIL or numpy).

    Returns a Reading with ``.text`` and, per digit, (digit, probability, box).
    An image without digits gives an empty reading; unreadable input raises ImageError.
    """
    grey, scale = _rescale(to_grey(open_image(image)))
    ink = ink_map(grey)
    if float(ink.max()) < 0.08:
        return Reading("")
    masks, height = segment(ink)
    if not masks:
        return Reading("")
    widths = [np.ptp(np.nonzero(m.any(0))[0]) + 1 for m in masks]
    typical = float(np.median(widths)) if len(widths) > 2 else 0.6 * height
    result = []
    for mask, width, single in zip(masks, widths, _classify(ink, masks, model)):
        best_parts, best = [mask], [single]
        too_wide = width > 1.5 * max(typical, 0.4 * height)
        if too_wide or (width > 0.9 * height and single.probability < SURE):
            best_score = np.log(single.probability)
            max_pieces = 3 if width > 1.6 * height else 2
            for parts in _splits(mask, height, max_pieces):
                preds = _classify(ink, parts, model)
                if min(p.probability for p in preds) < PIECE_SURE:
                    continue
                score = float(np.mean([np.log(p.probability) for p in preds]))
                if score > best_score:
                    best_score, best_parts, best = score, parts, preds
        for part, p in zip(best_parts, best):
            ys, xs = np.nonzero(part)
            box = tuple(int(round(v / scale)) for v in (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
            result.append((p.digit, p.probability, box))
    return Reading("".join(str(d) for d, _, _ in result), result)
