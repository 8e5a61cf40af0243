"""digits.read: a line of handwritten digits -> "2026".

Segmentation by connected components (scipy.ndimage): a photo tilted a few degrees is turned
level by its ruled lines or boxes, or else by the slope of the writing; ruled lines, underlines and
the boxes of a form are removed, specks and small separators (. , - :) ignored,
pieces of one digit merged (a 5 whose bar floats free, a broken 4 or 7), and blobs
too wide for one digit split where the classifier is most confident of the pieces
(cut straight down, along a path winding round the strokes, or leaning with the writing
when slanted digits overlap).
Every piece then goes through the same framing and model as a single digit. A slash
as tall as the digits (a date's 12/05) reads as a 1: it is one, slanted, to the model.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from .predict import Prediction, classify, threshold_of
from .lines import FRAME_WALL, count_runs, crossed, flat_along_edges, straight_runs, without_frames
from .runtime import runner
from .preprocess import (NO_INK, _box_of, _otsu, dark_ink, frame, ink_map, open_image, page_of, percentiles, resized,
                         to_grey, working_size)

LINE_HEIGHT = 128     # the line is rescaled to about this height before segmenting
MAX_WIDTH = 2400      # ...and at most this width
LOOK_SIDE = 512       # the writing is first looked for in the picture shrunk to this side,
WRITING_PEAK = 0.5    # ...in pieces whose ink somewhere reaches this share of the strongest piece's
FINE_WRITING = 16     # ...and looked for again at twice that side where it is under this many px tall there
SURE = 0.8            # a blob read as one digit this confidently is not split
SPLIT_COST = 0.15     # log-probability a split must gain over reading the blob whole
PIECE_COST = 0.1      # ...and each piece beyond two this much more (a digit cut in two can read as two sure ones)
PIECE_SURE = 0.6      # a split is only taken when every piece reads at least this confidently...
PIECE_HEIGHT = 0.5    # ...and is at least this share of the digit height tall (not a stroke's tail)
PIECE_REACH = 0.6     # ...and reaches this far down the blob (not the top of a digit: a 5's flag read as a 7)
ATYPICAL_WIDE = 0.6   # an atypical blob wider than this share of the digit height is tried as several
                      # even when no wider than the line's digits (a 1 touching a 6), into sure, typical pieces only
WIDE = 1.3            # a blob this many times as wide as the line's sure digits is tried as several...
APART = 0.08          # ...but in a line whose digits stand this share of the digit height apart (median gap),
APART_WIDE = 1.6      # ...only when this many times as wide
ATYPICAL_COST = 2.0   # log-probability charged to a piece unlike any training digit (two merged ones)
# The shape of each digit in MNIST's training set: mean and spread of log(width / height) of its ink.
ASPECT = np.array([(-0.11, 0.20), (-0.95, 0.46), (-0.07, 0.22), (-0.24, 0.21), (-0.25, 0.22),
                   (-0.08, 0.26), (-0.34, 0.22), (-0.27, 0.22), (-0.29, 0.22), (-0.40, 0.21)])
ASPECT_SLACK = 1.5    # shapes within this many spreads of their digit's usual cost nothing
TOO_WIDE = 2.5        # a blob this many spreads wider than the digit it reads as is tried as several
PATH_BAND = 0.15      # a cut may also wind round the strokes, straying this share of the digit height from
PATH_CUTS = 3         # ...one of the (at most) this many columns where a straight cut crosses the least ink,
PATH_TURN = 0.05      # ...each step sideways costing as much as this much ink crossed,
PATH_DRIFT = 0.02     # ...and each row this much for each column it has strayed;
PATH_GAIN = 0.05      # ...taken when that reads into sure, typical digits this much more probably than straight cuts
SLANT = 0.3           # a wide, atypical blob is also cut leaning like a / (columns per row), as slanted
SLANT_GAIN = 0.1      # ...writing needs: taken into sure, typical digits only, this much more probable
BAR_GAP = 0.1         # a bar above a digit may end this far (share of the digit height) from its columns
FRAGMENT = 0.6       # a piece under this share of its neighbour's height may be part of the same digit
JOIN_GAP = 0.12       # neighbouring pieces this close (share of the digit height) may be one broken digit...
JOIN_RELATIVE = 0.5   # ...and much closer than the digits of the line usually are,
JOIN_WIDTH = 0.95     # ...if together they are no wider than this share of the height...
JOIN_SLACK = 0.1      # ...and read as one digit, surely and typically, about as well as apart
WALL_TALL = 1.15      # straight vertical lines this much taller than the digits, three or more evenly spaced
COMB_EVEN = 0.2       # (gaps within this share of their median) with ink between, are a comb's walls,
COMB_CELL = 0.5       # ...at least this share of their height apart,
WALL_ALONE = 1.5      # ...and so is one this much taller than the digits (measured with it) on any line
WALL_BEYOND = 0.1     # ...reaching this share of the digit height past the digits' tops and bottoms
SKEW_MAX = 5.0        # a photo of ruled or boxed writing tilted up to this many degrees is levelled
SKEW_LINE = 0.5       # ...by the tilt of a straight line spanning at least this share of the ink's width
SKEW_GAIN = 1.3       # ...that gathers this many times more ink into one row than when read level
LEVEL_SIDE = 1024     # (a large picture is turned at this longer side, not in full)
TILT_MIN = 2.0        # writing that climbs or falls this many degrees along the line (no printed lines to
TILT_MAX = 15.0       # ...go by), up to this many, is turned level first and read at a digit's full height,
TILT_RISE = 0.3       # ...when its ends lie at least this share of the digit height apart (more than
                      # handwriting's baseline wanders)
RULE_SPAN = 0.9       # two or more lines this share of the picture wide are a ruled page's
COLUMN_TALL = 1.5     # where a line crosses the picture, straight vertical lines this many digit heights
COLUMN_SPAN = 0.8     # ...and this share of the picture's are the columns of squared paper
CROSS_REACH = 8       # a stroke with ink this close (px) above and below a ruled line crosses it
DOT = 0.3             # pieces smaller than this share of the digit height each way, stacked, are a colon
SMALL = 0.3           # a short piece at least this share of the digit height each way may be a small digit
SMALL_SURE = 0.9      # ...kept when read as one surely and typically, or this surely if atypical (flat)
FAINT = 0.5           # ink this share of the ink threshold, within FAINT_REACH px of the ink, is ink too
FAINT_REACH = 2       # ...(a thin stroke drawn lightly breaks at the threshold: a 2's tail, a 3's top)
RIM_TONE = 0.03       # a piece at the edge with a quarter of its surroundings this close to its own
                      # tone is the rim of something solid (a finger, the desk), not a stroke


@dataclass
class Reading:
    """The digits read from one image, left to right.

    ``confidence`` is the probability that the whole string is right (the product of
    the digits' calibrated probabilities); ``doubtful`` lists the positions of digits
    below ``min_confidence`` or unlike any training digit; ``accepted`` is True when
    something was read and no digit is doubtful.
    """
    text: str
    digits: list[tuple[int, float, tuple[int, int, int, int]]] = field(default_factory=list)
    # each: (digit, probability, box as (left, top, right, bottom) in input-image pixels)
    confidence: float = 0.0
    doubtful: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return bool(self.text) and not self.doubtful


def _rescale(grey: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = grey.shape
    f = min(LINE_HEIGHT / h, MAX_WIDTH / w)
    if 0.9 < f < 1.1:
        return grey, 1.0
    return resized(grey, f), f


def _ink_threshold(ink: np.ndarray) -> float:
    """The ink strength above which a line's ink map is ink: Otsu's, but not under 8 % of the peak."""
    return max(_otsu(ink), 0.08 * float(ink.max()))


def _ink_mask(ink: np.ndarray) -> np.ndarray:
    """The pixels of a line's ink map that are ink."""
    return ink > _ink_threshold(ink)


def _with_faint_ink(ink: np.ndarray, threshold: float) -> np.ndarray:
    """The ink above ``threshold`` and the faint ink beside it: pixels of at least FAINT of the
    threshold within FAINT_REACH px of the ink (a threshold with hysteresis). A thin stroke drawn
    lightly breaks where it thins, and its parts then read as digits of their own (a 2's tail as a
    1, a 3's top as a 6). Faint ink that would join two pieces each at least FRAGMENT as tall as the taller is
    not taken: two digits side by side, touching only through a blur, stay apart."""
    eight = np.ones((3, 3), bool)
    mask = ink > threshold
    near = ndimage.binary_dilation(mask, iterations=FAINT_REACH)
    grown = mask | (near & (ink > FAINT * threshold))
    labels, n = ndimage.label(mask, structure=eight)
    if n < 2:
        return grown
    grown_labels, m = ndimage.label(grown, structure=eight)
    group = np.asarray(ndimage.maximum(grown_labels, labels, index=np.arange(1, n + 1)), dtype=np.int64)
    heights = np.array([sy.stop - sy.start for sy, _ in ndimage.find_objects(labels)])
    tallest = np.zeros(m + 1)
    np.maximum.at(tallest, group, heights)
    tall = np.bincount(group, weights=heights >= FRAGMENT * tallest[group], minlength=m + 1)
    return np.where(tall[grown_labels] >= 2, mask, grown)


def _around_writing(full: np.ndarray) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The part of the picture holding the writing, with a margin of 3/4 of its height, and
    that part's (top, left), when the writing spans under a quarter of the picture's height (a
    number in the middle of a photographed page, which rescaling the whole picture to a line's
    height would shrink to a few pixels); None otherwise. The writing is looked for in the
    picture shrunk to LOOK_SIDE and, where it seems under FINE_WRITING px tall there (a number
    written small on a large photo of a ruled page, its digits crossed by lines a few pixels
    apart), again round what was found at twice that scale. Specks and a page's printed lines
    (_without_printed_lines) do not count as writing, nor do pieces whose ink nowhere reaches
    half the strongest's (the faint stretches of a ruled line, cut apart at the ink threshold)."""
    h, w = full.shape
    box = _writing_box(full, LOOK_SIDE / max(h, w))
    if box is not None and box[1] - box[0] < FINE_WRITING * max(h, w) / LOOK_SIDE and max(h, w) > LOOK_SIDE:
        reach = max(2 * (box[1] - box[0]), 0.05 * max(h, w))
        top, left = int(max(0, box[0] - reach)), int(max(0, box[2] - reach))
        closer = _writing_box(full[top:int(box[1] + reach), left:int(box[3] + reach)], 2 * LOOK_SIDE / max(h, w))
        if closer is not None:
            box = (closer[0] + top, closer[1] + top, closer[2] + left, closer[3] + left)
    if box is None or box[1] - box[0] >= 0.25 * h:
        return None
    top, bottom, left, right = box
    margin = 0.75 * (bottom - top)
    top, bottom = int(max(0, top - margin)), int(min(h, bottom + margin))
    left, right = int(max(0, left - margin)), int(min(w, right + margin))
    return full[top:bottom, left:right], (top, left)


def _writing_box(grey: np.ndarray, f: float) -> tuple[float, float, float, float] | None:
    """(top, bottom, left, right) in ``grey``'s pixels of the writing found in it scaled by ``f``
    (at most 1); None when there is none."""
    f = min(1.0, f)
    small = grey if f == 1 else resized(grey, f)
    ink = ink_map(small)
    if float(ink.max()) < NO_INK:
        return None
    labels, n = ndimage.label(_without_printed_lines(ink))
    if n == 0:
        return None
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    sizes[0] = 0
    peaks = np.zeros(n + 1)
    peaks[1:] = ndimage.maximum(ink, labels, np.arange(1, n + 1))
    writing = (sizes >= 0.05 * sizes.max()) & (peaks >= WRITING_PEAK * peaks.max())
    rows, cols = np.nonzero(writing[labels] & (labels > 0))
    if rows.size == 0:
        return None
    return rows.min() / f, (rows.max() + 1) / f, cols.min() / f, (cols.max() + 1) / f


def _without_printed_lines(ink: np.ndarray) -> np.ndarray:
    """The ink of a page (its ink map) less the straight lines across a third of it or more, or
    down a third of it (a ruled or squared page's), strokes that cross them kept whole. The lines
    are looked for in the ink at FAINT of the threshold: a faint printed line breaks up at the
    threshold itself, and its pieces would pass for writing. Writing tall enough to hold a stroke
    down a third of the picture fills it anyway."""
    threshold = _ink_threshold(ink)
    mask, faint = ink > threshold, ink > FAINT * threshold
    h, w = mask.shape
    across = mask & ndimage.binary_dilation(ndimage.binary_opening(faint, structure=np.ones((1, max(3, w // 3)), bool)),
                                            structure=np.ones((3, 1), bool))
    down = mask & ndimage.binary_dilation(ndimage.binary_opening(faint, structure=np.ones((max(3, h // 3), 1), bool)),
                                          structure=np.ones((1, 3), bool))
    rest = mask & ~across & ~down
    return rest | crossed(across, rest, CROSS_REACH) | crossed(down, rest, CROSS_REACH, vertical=True)


def _without_rules(mask: np.ndarray, digit_height: float, across: np.ndarray) -> np.ndarray:
    """Remove horizontal lines much longer than a digit is tall (ruled paper, underlines), or,
    where two rows or more hold lines across the picture (``across``: _across's), those however
    tall the digits seem (lines touching them make their pieces look taller)."""
    length = int(max(3 * digit_height, 15))
    span = int(RULE_SPAN * mask.shape[1])
    if span < length and count_runs(across.any(1)) >= 2:
        length = span
    return _without_lines(mask, length)


def _runs(mask: np.ndarray, length: int, vertical: bool = False) -> np.ndarray:
    """The pixels of ``mask`` on exactly straight horizontal (vertical) runs at least ``length``
    long; quick when no row (column) holds that much ink."""
    if mask.sum(0 if vertical else 1).max(initial=0) < length:
        return np.zeros_like(mask)
    return straight_runs(mask, length, vertical, wobble=1)


def _across(mask: np.ndarray) -> np.ndarray:
    """Straight lines across the whole picture (RULE_SPAN of its width): a ruled page's."""
    return _runs(mask, int(RULE_SPAN * mask.shape[1]))


def _edge_to_edge(mask: np.ndarray, across: np.ndarray) -> np.ndarray:
    """The lines across the whole picture (``across``) and, where there are any, down it (of its
    height): the lines of a ruled or squared page, which joined to the digits they touch would
    make them look taller."""
    return across | _runs(mask, int(RULE_SPAN * mask.shape[0]), vertical=True) if across.any() else across


def _without_columns(cleaned: np.ndarray, mask: np.ndarray, digit_height: float, across: np.ndarray) -> np.ndarray:
    """``cleaned`` (``mask`` less its ruled lines) less the columns of squared paper: where a
    ruled line crosses the whole picture (``across``), straight vertical lines (in ``mask``,
    whole through the rows) COLUMN_TALL times the digit height and COLUMN_SPAN of the
    picture's height."""
    if not across.any():
        return cleaned
    columns = straight_runs(mask, int(max(COLUMN_TALL * digit_height, COLUMN_SPAN * mask.shape[0])), vertical=True)
    band = cleaned & ndimage.binary_dilation(columns, structure=np.ones((1, 3), bool))
    return (cleaned & ~band) | crossed(band, cleaned & ~band, CROSS_REACH, vertical=True)


def _without_lines(mask: np.ndarray, length: int) -> np.ndarray:
    """``mask`` less its horizontal runs at least ``length`` long (and the rows just beside them)."""
    if mask.shape[1] <= length:
        return mask
    lines = ndimage.binary_opening(mask, structure=np.ones((1, length), bool))
    if not lines.any():
        return mask.copy()
    band = mask & ndimage.binary_dilation(lines, structure=np.ones((3, 1), bool))
    cleaned = mask & ~band
    return cleaned | crossed(band, cleaned, CROSS_REACH)


def _skew(mask: np.ndarray) -> float:
    """The tilt in degrees (positive: falling to the right) of the longest straight, nearly level
    line in a line's ink mask (a ruled line, an underline, a form's boxes), when it spans at least
    SKEW_LINE of the ink's width, gathers clearly more ink into one row than level, and is thin
    (rows a few pixels off it hold a third of it at most: the strokes of digits lined up are not);
    else 0. Digits alone give no such line, and are read as they come."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return 0.0
    xs = xs - xs.min()

    profiles = {}

    def peak(angle: float) -> int:
        """The most ink any one row gathers with the line sheared by ``angle``."""
        if angle not in profiles:
            rows = np.round(ys - xs * np.tan(np.radians(angle))).astype(int)
            profiles[angle] = np.bincount(rows - rows.min())
        return int(profiles[angle].max())

    coarse = max(np.arange(-SKEW_MAX, SKEW_MAX + 0.5, 1.0), key=peak)
    best = float(max(np.clip(np.arange(coarse - 0.75, coarse + 0.8, 0.25), -SKEW_MAX, SKEW_MAX), key=peak))
    longest, rows = peak(best), profiles[best]
    at = int(rows.argmax())
    beside = np.concatenate([rows[max(0, at - 8):max(0, at - 3)], rows[at + 4:at + 9]])
    if abs(best) < 0.5 or longest < SKEW_LINE * (xs.max() + 1) or longest < SKEW_GAIN * peak(0.0) \
            or (beside.size and beside.max() > longest / 3):
        return 0.0
    return best


class _Leveller:
    """A picture turned level by ``angle`` degrees (0: left as it is; a large one shrunk first to
    LEVEL_SIDE, still far more than a line's height), which of its pixels come from the picture
    (not the corners turned in), and boxes in it mapped back to the picture."""

    def __init__(self, full: np.ndarray, angle: float):
        self.angle, self.top = angle, 0
        if angle:
            self.f = min(1.0, LEVEL_SIDE / max(full.shape))
            small = full if self.f == 1 else resized(full, self.f)
            self.shape = small.shape
            self.image = ndimage.rotate(small, angle, reshape=True, order=3, cval=float(np.median(small))).clip(0, 1)
            self.inside = ndimage.rotate(np.ones_like(small), angle, reshape=True, order=0, cval=0)
            self.turned_rows = self.image.shape[0]       # (before keep_rows)

    def keep_rows(self, top: int, bottom: int):
        """Keep only the level picture's rows [top, bottom) (the band the writing lies in)."""
        self.image, self.inside = self.image[top:bottom], self.inside[top:bottom]
        self.top += top

    def box(self, left, top, right, bottom) -> tuple[float, float, float, float]:
        """A box in the level picture's pixels -> the box round it in the picture's own."""
        if not self.angle:
            return left, top, right, bottom
        top, bottom = top + self.top, bottom + self.top
        t = np.radians(self.angle)
        (h, w), wr, hr = self.shape, self.image.shape[1], self.turned_rows
        x, y = np.meshgrid(np.array([left, right]) - wr / 2, np.array([top, bottom]) - hr / 2)
        ox, oy = x * np.cos(t) - y * np.sin(t) + w / 2, x * np.sin(t) + y * np.cos(t) + h / 2
        return ox.min() / self.f, oy.min() / self.f, ox.max() / self.f, oy.max() / self.f


def _writing_tilt(masks, height: float, mask: np.ndarray) -> float:
    """The tilt in degrees (positive: falling to the right) of a line of three or more digit
    candidates written across the picture at a slant: the median slope between the middles of
    each two at least a digit height apart. 0 when it is under TILT_MIN or over TILT_MAX degrees,
    when the line's ends rise or fall less than TILT_RISE of the digit height, or when ``mask``
    (the line's ink) holds printed lines (a ruled line, a form's walls), which the picture is
    levelled by instead (_skew) or which are level."""
    if len(masks) < 3:
        return 0.0
    boxes = [_box_of(m) for m in masks]
    x = np.array([(cols.start + cols.stop) / 2 for _, cols in boxes])
    y = np.array([(rows.start + rows.stop) / 2 for rows, _ in boxes])
    i, j = np.triu_indices(len(x), 1)
    far = np.abs(x[j] - x[i]) >= height
    if not far.any():
        return 0.0
    slope = float(np.median((y[j] - y[i])[far] / (x[j] - x[i])[far]))
    angle = float(np.degrees(np.arctan(slope)))
    if not TILT_MIN <= abs(angle) <= TILT_MAX or abs(slope) * (x.max() - x.min()) < TILT_RISE * height:
        return 0.0
    if _runs(mask, int(2 * height)).any() or _runs(mask, int(WALL_TALL * height), vertical=True).any():
        return 0.0
    return angle


def _levelled_ink(level: _Leveller, dark: bool) -> tuple[np.ndarray, float, np.ndarray]:
    """The level picture at a line's working size, its scale, and its ink map (none in the
    corners turned in, nor at the edges of the picture turned)."""
    grey, scale = _rescale(level.image)
    inside = ndimage.binary_erosion(_rescale(level.inside)[0] > 0.99, iterations=2)
    return grey, scale, ink_map(grey, dark) * inside


def _without_walls(mask: np.ndarray) -> np.ndarray:
    """``mask`` less the walls of a comb of boxes whose thin top and bottom the speckle filter
    lost (or that has none): straight vertical lines nearly as tall as all the line's ink,
    clearly taller than its digits (those clear of the lines: a digit whose straight stroke is one,
    cut off, would look short) and reaching past them above and below, three or more evenly
    spaced with ink between each two, or any far taller than the line's digits; they go whatever
    digit they touch. A 1 drawn straight and taller than its neighbours stands on their baseline,
    and stays."""
    rows = np.nonzero(mask.any(1))[0]
    if rows.size == 0:
        return mask
    lines = straight_runs(mask, int(FRAME_WALL * (rows[-1] - rows[0] + 1)), vertical=True)
    if not lines.any():
        return mask
    thick = ndimage.binary_dilation(lines, structure=np.ones((1, 3), bool))
    rest = mask & ~thick
    comps = _components(rest)[1]
    if not comps:
        return mask
    labels, pieces = _components(mask)
    on_lines = set(np.unique(labels[lines]).tolist())
    clear = [c for i, c in enumerate(pieces, start=1) if i not in on_lines]
    height = _digit_height(clear or comps)     # digits clear of the lines: not shortened by their removal
    tall = [sy for sy, _, _ in comps if sy.stop - sy.start >= 0.45 * height]
    found = sorted((((sx.start, sx.stop), sy) for sy, sx, _ in _components(lines)[1]), key=lambda f: f[0])
    walls = []
    if tall:     # (none when the height joins pieces stacked in the same columns: no comb then)
        top, bottom = np.median([sy.start for sy in tall]), np.median([sy.stop for sy in tall])
        walls = [(span, sy) for span, sy in found if sy.stop - sy.start >= WALL_TALL * height
                 and sy.start <= top - WALL_BEYOND * height and sy.stop >= bottom + WALL_BEYOND * height]
    if not _comb(walls, rest):                                    # no comb: only lines far too tall
        whole = _digit_height(_components(mask)[1])
        walls = [(span, sy) for span, sy in found if sy.stop - sy.start >= WALL_ALONE * whole]
    out = mask.copy() if walls else mask
    for (x0, x1), _ in walls:
        out[:, max(0, x0 - 1):x1 + 1] &= ~thick[:, max(0, x0 - 1):x1 + 1]
    return out


def _comb(walls: list, rest: np.ndarray) -> bool:
    """Whether vertical lines ((first column, last + 1), rows), left to right, are a comb's
    walls: three or more, evenly spaced (each gap within a fifth of their median), far enough
    apart for a digit between (half their height or more; the strokes of digits run together
    are closer), with ink of ``rest`` between each two."""
    if len(walls) < 3:
        return False
    gaps = np.diff([(x0 + x1) / 2 for (x0, x1), _ in walls])
    tall = float(np.median([sy.stop - sy.start for _, sy in walls]))
    return bool(np.all(np.abs(gaps - np.median(gaps)) <= COMB_EVEN * np.median(gaps))) \
        and float(np.min(gaps)) >= COMB_CELL * tall \
        and all(rest[:, a[1]:b[0]].any() for (a, _), (b, _) in zip(walls, walls[1:]))


def _components(mask):
    """Label 8-connected components; return labels and a list of (slice_y, slice_x, area)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    areas = np.bincount(labels.ravel(), minlength=n + 1)
    return labels, [(sy, sx, areas[i + 1]) for i, (sy, sx) in enumerate(ndimage.find_objects(labels))]


def _rims(mask: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """The pieces of ``mask`` at the picture's edge that are the rim of something solid the
    ink map took for paper (a finger, the desk in a corner): right beside them lies tone as
    dark as they are (``tone``: the picture, darker meaning more like ink). A stroke has paper
    on both sides."""
    labels, comps = _components(mask)
    h, w = mask.shape
    rim = np.zeros_like(mask)
    for i, (sy, sx, _) in enumerate(comps, start=1):
        if sy.start > 0 and sx.start > 0 and sy.stop < h and sx.stop < w:
            continue
        window = (slice(max(0, sy.start - 4), sy.stop + 4), slice(max(0, sx.start - 4), sx.stop + 4))
        piece = labels[window] == i
        beside = ndimage.binary_dilation(piece, iterations=3) & ~ndimage.binary_dilation(mask[window], iterations=1)
        near = tone[window]
        if beside.any() and percentiles(near[beside], [25])[0] <= float(np.median(near[piece])) + RIM_TONE:
            rim[window] |= piece
    return rim


def segment(ink: np.ndarray, tone: np.ndarray | None = None) -> tuple[list[np.ndarray], float, list[np.ndarray]]:
    """Masks (one per digit candidate, left to right, before splitting) from an ink map,
    the typical digit height in pixels, and the masks of short pieces standing alone that may
    be small or flat digits or may be dashes and commas (for the classifier to tell). ``tone``:
    the picture, darker meaning more like ink, to tell the rims of solid things at the edge
    from strokes."""
    mask = _with_faint_ink(ink, _ink_threshold(ink))
    if tone is not None:
        mask &= ~_rims(mask, tone)
    mask = _without_walls(without_frames(mask))
    mask &= ~_lines_along_the_edge(mask)
    labels, comps = _components(mask)
    if not comps:
        return [], 0.0, []
    across = _across(mask)
    height = _digit_height(_components(mask & ~_edge_to_edge(mask, across))[1] or comps)
    cleaned = _without_columns(_without_rules(mask, height, across), mask, height, across)
    labels, comps = _components(cleaned)
    if not comps:
        return [], 0.0, []
    height = _digit_height(comps)
    pieces = [{"x0": sx.start, "x1": sx.stop, "y0": sy.start, "y1": sy.stop, "labels": [i], "area": area}
              for i, (sy, sx, area) in enumerate(comps, start=1) if area >= max(4, 0.02 * height * height)]
    pieces = _merge_overlapping(sorted(pieces, key=lambda p: p["x0"]), only_short=0.45 * height)
    dot = [max(sy.stop - sy.start, sx.stop - sx.start) < DOT * height for sy, sx, _ in comps]
    pieces = [p for p in pieces if len(p["labels"]) < 2 or not all(dot[i - 1] for i in p["labels"])]  # a colon
    major = [p for p in pieces if p["y1"] - p["y0"] >= 0.45 * height]
    minor = [p for p in pieces if p["y1"] - p["y0"] < 0.45 * height]
    small = []
    for p in sorted(minor, key=lambda p: -p["area"]):       # a 5's bar, a broken stroke
        overlaps = [min(q["x1"], p["x1"]) - max(q["x0"], p["x0"]) for q in major]
        if overlaps and max(overlaps) >= 0.5 * (p["x1"] - p["x0"]):
            _absorb(major[int(np.argmax(overlaps))], p)
        elif (capped := _capped(p, major, height)) is not None:
            _absorb(capped, p)
        elif min(p["y1"] - p["y0"], p["x1"] - p["x0"]) >= SMALL * height:
            small.append(p)                                  # a flat 2 or a small 8, or a thick dash
        # otherwise a dot, comma or dash: not a digit
    groups = _merge_overlapping(sorted(major, key=lambda p: p["x0"]))
    if groups:   # measured again on the candidates, now that the pieces of a digit are together
        height = float(np.median([g["y1"] - g["y0"] for g in groups]))
    return [np.isin(labels, g["labels"]) for g in groups], height, [np.isin(labels, p["labels"]) for p in small]


def _lines_along_the_edge(mask: np.ndarray) -> np.ndarray:
    """Pieces lying flat along an edge of the picture (flat_along_edges): a ruled line, a margin
    or a form's wall that the crop round the writing cut along. Broken into stretches, none long
    enough to be taken for a line, they would be counted with the digits beside them (which then
    seem as tall as the picture) or read as 1s. Along the left or right edge it takes two such
    stretches: one alone may be a thin 1 cropped tight."""
    labels, n = ndimage.label(mask)
    flat = flat_along_edges(ndimage.find_objects(labels), range(1, n + 1), mask.shape)
    lines = flat["top"] + flat["bottom"] + [label for edge in ("left", "right") if len(flat[edge]) >= 2
                                            for label in flat[edge]]
    return np.isin(labels, lines)


def _digit_height(comps) -> float:
    """The typical height of the line's digits: the median height of its big pieces, a piece much
    shorter than its neighbour and overlapping or touching its columns counted with it (a digit
    drawn in two pieces: a 5 and its bar), while two digits side by side stay two."""
    largest = max(c[2] for c in comps)
    big = sorted((c for c in comps if c[2] >= 0.15 * largest), key=lambda c: c[1].start)
    groups = []                                   # [first column, last column, top row, bottom row]
    for sy, sx, _ in big:
        if groups and sx.start <= groups[-1][1]:
            g = groups[-1]
            shorter, taller = sorted((sy.stop - sy.start, g[3] - g[2]))
            if shorter < FRAGMENT * taller:
                g[1], g[2], g[3] = max(g[1], sx.stop), min(g[2], sy.start), max(g[3], sy.stop)
                continue
        groups.append([sx.start, sx.stop, sy.start, sy.stop])
    return float(np.median([bottom - top for _, _, top, bottom in groups]))


def _capped(p, major, height):
    """The digit that a small piece floats on top of, as a 5's or a 7's bar drawn apart does (the
    piece lies in the upper half of that digit, touching or nearly touching its columns); None
    for a piece at mid-height or below (a dash, a dot, a comma) or far from any digit."""
    near = [(max(p["x0"] - q["x1"], q["x0"] - p["x1"]), i) for i, q in enumerate(major)
            if p["y1"] <= q["y0"] + 0.5 * (q["y1"] - q["y0"])]
    near = [(gap, i) for gap, i in near if gap <= BAR_GAP * height]
    return major[min(near)[1]] if near else None


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
    return frame(np.clip(piece / max(float(percentiles(piece[mask], [90])[0]), 1e-6), 0, 1).astype(np.float32))


def _classify(ink, masks, model, raw=True):
    """Predictions for pieces. Segmentation decides on the network's raw (temperature 1)
    probabilities, on which its thresholds were set; what is reported is calibrated."""
    images = np.stack([_glyph(ink, m) for m in masks])
    if not raw:
        return classify(images, model)
    network = runner(model)
    p, atypicality = network.judge(images, reading=True)      # by read's own limits
    p = p.astype(np.float64) ** network.temperature
    p /= p.sum(1, keepdims=True)
    return [Prediction(int(q.argmax()), float(q.max()), q.tolist(), typical=bool(a <= 1))
            for q, a in zip(p, atypicality)]


def _log_score(prediction, mask) -> float:
    """How good a piece's reading is, for choosing between splits: its log-probability, less a
    charge when it is atypical or shaped unlike the digit it is read as (two digits read as one
    are far too wide for it)."""
    z = _aspect_z(prediction.digit, mask)
    shape = 0.5 * max(0.0, abs(z) - ASPECT_SLACK) ** 2
    return float(np.log(prediction.probability)) - (0.0 if prediction.typical else ATYPICAL_COST) - shape


def _doubtful(prediction, mask) -> bool:
    """Whether a blob read as one digit may be several: unsure, atypical, or far too wide."""
    return prediction.probability < SURE or not prediction.typical or _aspect_z(prediction.digit, mask) > TOO_WIDE


def _aspect_z(digit, mask) -> float:
    """How many spreads wider (positive) or narrower than that digit usually is a piece is."""
    tall = _rows(mask)
    if not tall:
        return 0.0
    first, last = _span(mask)
    ratio = (last - first) / tall
    mean, spread = ASPECT[digit]
    return float((np.log(ratio) - mean) / spread)


def _slanted_columns(mask, slant: float) -> np.ndarray:
    """Each pixel's column in the picture sheared by ``slant`` (columns per row, about the
    middle row of the ink): a cut down one of these columns is a straight cut leaning like a
    / (slant > 0) or a \\ (slant < 0), as slanted digits that touch need."""
    first, stop = _row_span(mask)
    middle = 0.5 * (first + stop - 1)
    ys, xs = np.indices(mask.shape)
    return xs + np.round(slant * (ys - middle)).astype(int)


def _cut_candidates(ink_columns, x0, x1, height, most=6):
    """Columns inside [x0, x1) where a cut crosses the least ink (local minima of the projection
    of the ink's pixels, ``ink_columns`` their columns), keeping pieces at least a narrow digit wide."""
    margin = max(3, int(0.2 * height))
    if x1 - x0 < 2 * margin:
        return []
    inside = ink_columns[(ink_columns >= x0) & (ink_columns < x1)] - x0
    profile = ndimage.uniform_filter1d(np.bincount(inside, minlength=x1 - x0).astype(float), 3)
    inner = np.arange(margin, x1 - x0 - margin)
    minima = [i for i in inner if profile[i] <= profile[max(i - 2, 0):i + 3].min()]
    minima.sort(key=lambda i: profile[i])
    chosen = []
    for i in minima:
        if all(abs(i - j) > 2 for j in chosen):
            chosen.append(i)
        if len(chosen) == most:
            break
    return [x0 + i for i in chosen]


def _least_ink_path(cost, x, band) -> np.ndarray:
    """Per row, the column of the path from the top row to the bottom one that crosses the least
    ``cost`` (ink) within ``band`` columns of column ``x``, moving at most one column a row (each
    move costing PATH_TURN) and paying PATH_DRIFT a row for each column it keeps from ``x``: a cut
    between two touching digits that goes round a stroke instead of through it."""
    h, w = cost.shape
    lo, hi = max(1, x - band), min(w - 1, x + band + 1)
    offsets = np.abs(np.arange(lo, hi) - x)
    row_cost = cost[:, lo:hi] + PATH_DRIFT * offsets
    total = row_cost[0].copy()
    moves = np.zeros(row_cost.shape, np.int8)
    for y in range(1, h):
        options = np.stack([np.concatenate([[np.inf], total[:-1]]) + PATH_TURN, total,
                            np.concatenate([total[1:], [np.inf]]) + PATH_TURN])
        moves[y] = options.argmin(0) - 1
        total = options.min(0) + row_cost[y]
    path = np.empty(h, np.int64)
    path[-1] = int(np.argmin(total + 1e-3 * offsets))              # ties: the end nearest x
    for y in range(h - 1, 0, -1):
        path[y - 1] = path[y] + moves[y, path[y]]
    return path + lo


class _Cuts:
    """The readings of one blob cut down its (slanted) ``columns`` into pieces, or with
    ``winding`` along least-ink paths from them: each piece is read once, and the pieces either
    side of all of a span's candidate cuts in one batch."""

    def __init__(self, ink, mask, columns, height, model, strict=False, winding=False, known=None):
        self.ink, self.mask, self.columns, self.height, self.model = ink, mask, columns, height, model
        self.strict = strict      # split only into typical digits read at least SURE (an atypical blob)
        self.winding = winding    # each cut winds round the strokes near its column (_least_ink_path)
        self.most = PATH_CUTS if winding else 6                        # candidate cuts per span
        self.ink_columns = columns[mask]
        self.extent = int(self.ink_columns.min()), int(self.ink_columns.max()) + 1   # the whole blob
        self.top, bottom = _row_span(mask)
        self.rows = bottom - self.top
        self.readings, self.best_of, self.paths = {}, {}, {}
        self.cost = np.where(mask, ink, 0.0) if winding else None     # what a winding cut crosses
        self.known = {} if known is None else known                     # readings by piece

    def piece(self, x0, x1) -> np.ndarray:
        """The blob's ink between the cuts at columns x0 and x1."""
        if not self.winding:
            return self.mask & (self.columns >= x0) & (self.columns < x1)
        left, right = self.path(x0)[:, None], self.path(x1)[:, None]
        columns = np.arange(self.mask.shape[1])
        return self.mask & (columns >= left) & (columns < np.maximum(left, right))

    def path(self, x) -> np.ndarray:
        """Per row, the first column right of the cut at column ``x``: the least-ink path near it
        when winding, else (and at the blob's own ends) straight down."""
        if x not in self.paths:
            if self.winding and self.extent[0] < x < self.extent[1]:
                self.paths[x] = _least_ink_path(self.cost, x, max(2, int(round(PATH_BAND * self.height))))
            else:
                self.paths[x] = np.full(self.mask.shape[0], x)
        return self.paths[x]

    def reach(self, piece) -> float:
        """How far down the blob a piece's ink reaches, as a share of the blob's height."""
        return (_row_span(piece)[1] - self.top) / self.rows

    def read(self, spans):
        """Read the pieces between these pairs of columns that are not read yet (None: no ink);
        a piece already read by another cutting of the blob (``known``) is not read again."""
        new = {}
        for x0, x1 in dict.fromkeys(spans):
            if (x0, x1) not in self.readings:
                piece = self.piece(x0, x1)
                if piece.sum() < 4:
                    self.readings[x0, x1] = None
                elif (key := np.packbits(piece).tobytes()) in self.known:
                    self.readings[x0, x1] = (self.known[key], piece)
                else:
                    new[x0, x1] = piece, key
        if new:
            for span, p in zip(new, _classify(self.ink, [piece for piece, _ in new.values()], self.model)):
                piece, key = new[span]
                self.readings[span] = (p, piece)
                self.known[key] = p

    def best(self, x0, x1, depth):
        """The most probable reading of the columns [x0, x1) as 1 or more digits, cut at most
        ``depth`` times: (mean log-probability less what the cuts cost, [(prediction, piece mask)])."""
        if (x0, x1) in self.best_of:
            return self.best_of[x0, x1]
        self.read([(x0, x1)])
        if self.readings[x0, x1] is None:
            self.best_of[x0, x1] = (-np.inf, [])
            return self.best_of[x0, x1]
        whole, piece = self.readings[x0, x1]
        best = (_log_score(whole, piece), [(whole, piece)])
        if depth > 0 and _doubtful(whole, piece):
            cuts = _cut_candidates(self.ink_columns, x0, x1, self.height, self.most)
            self.read([span for cut in cuts for span in ((x0, cut), (cut, x1))])
            for cut in cuts:
                left, right = self.best(x0, cut, depth - 1), self.best(cut, x1, depth - 1)
                parts = left[1] + right[1]
                if not left[1] or not right[1] or min(p.probability for p, _ in parts) < PIECE_SURE \
                        or min(_rows(m) for _, m in parts) < PIECE_HEIGHT * self.height \
                        or min(self.reach(m) for _, m in parts) < PIECE_REACH \
                        or (self.strict and not all(p.typical and p.probability >= SURE for p, _ in parts)):
                    continue
                score = float(np.mean([_log_score(p, m) for p, m in parts])) - SPLIT_COST \
                    - PIECE_COST * (len(parts) - 2)
                if score > best[0]:
                    best = (score, parts)
        self.best_of[x0, x1] = best
        return best


def _apart(spans, height) -> bool:
    """Whether the line's digits stand apart: the median gap between neighbouring blobs (at least
    two gaps) is APART of the digit height or more. Where they do, a blob unlike any digit but not
    much wider than the others is one odd digit (a flat 6, a 7 with its own bar), which cutting
    would read as two sure ones (1 and 0, 1 and 2)."""
    order = sorted(spans)
    gaps = [right[0] - left[1] for left, right in zip(order, order[1:])]
    return len(gaps) >= 2 and float(np.median(gaps)) >= APART * height


def _sure_split(parts) -> bool:
    """Whether a blob was split into digits each read surely and typically."""
    return len(parts) > 1 and all(p.typical and p.probability >= SURE for p, _ in parts)


def _split(ink, mask, height, depth, model, strict, slanted):
    """The most probable reading of a blob as one or more digits, [(prediction, piece mask)],
    cut straight down; also cut along paths that wind round the strokes (two digits that touch
    often reach under or over each other, and a straight cut leaves each a stub of the other) and,
    with ``slanted``, cut leaning like slanted writing (whose digits overlap where they touch):
    either taken when it reads into sure, typical digits clearly more probably."""
    straight = _Cuts(ink, mask, _slanted_columns(mask, 0.0), height, model, strict)
    best = straight.best(*straight.extent, depth)
    if not _sure_split(best[1]):
        winding = _Cuts(ink, mask, straight.columns, height, model, strict=True, winding=True, known=straight.known)
        around = winding.best(*winding.extent, depth)
        if around[0] > best[0] + PATH_GAIN:
            best = around
    if slanted and best[0] + SLANT_GAIN < -SPLIT_COST:    # (no split scores above -SPLIT_COST)
        cuts = _Cuts(ink, mask, _slanted_columns(mask, SLANT), height, model, strict=True)
        leaning = cuts.best(*cuts.extent, depth)
        if leaning[0] > best[0] + SLANT_GAIN:
            best = leaning
    return best[1]


def _around(mask) -> tuple[slice, slice]:
    """The rows and columns of a piece's ink and one pixel round it (a glyph takes in that pixel)."""
    rows, columns = _box_of(mask)
    return (slice(max(rows.start - 1, 0), rows.stop + 1), slice(max(columns.start - 1, 0), columns.stop + 1))


def _placed(part, window, shape) -> np.ndarray:
    """A mask found inside ``window`` put back in the whole picture."""
    whole = np.zeros(shape, bool)
    whole[window] = part
    return whole


def _rows(mask) -> int:
    """How many rows a piece's ink spans, top to bottom (0 without ink)."""
    if not mask.any():
        return 0
    first, stop = _row_span(mask)
    return stop - first


def _row_span(mask) -> tuple[int, int]:
    """The rows [first, last + 1) that a piece's ink covers."""
    rows = np.nonzero(mask.any(1))[0]
    return int(rows[0]), int(rows[-1]) + 1


def _span(mask) -> tuple[int, int]:
    """The columns [first, last + 1) that a piece's ink covers."""
    columns = np.nonzero(mask.any(0))[0]
    return int(columns[0]), int(columns[-1]) + 1


def _with_small_digits(ink, masks, small, model):
    """The line's digit candidates and their readings, with those of the short pieces that read
    as a digit surely and typically (a small 8), or very surely (a flat 2 written small, which
    framed 20 px wide is unlike most 2s), put in their place; the others (a dash, a comma, a
    stray stroke) are left out."""
    readings = _classify(ink, masks + small, model)
    small_digits = [(m, p) for m, p in zip(small, readings[len(masks):])
                    if p.probability >= (SURE if p.typical else SMALL_SURE)]
    kept = sorted(list(zip(masks, readings)) + small_digits, key=lambda piece: _span(piece[0])[0])
    return [m for m, _ in kept], [p for _, p in kept]


def _join_broken(ink, masks, singles, height, model):
    """Join neighbouring pieces that are one digit whose strokes do not meet (a 4 drawn in two
    strokes, a 2 or a 6 with a gap): much closer together than the line's digits usually are, no
    wider than one digit, and read as one digit surely, typically and about as well as apart."""
    masks, singles = list(masks), list(singles)
    spans = [_span(m) for m in masks]
    usual = float(np.median([b[0] - a[1] for a, b in zip(spans, spans[1:])])) if len(spans) > 1 else 0.0
    i = 0
    while i < len(masks) - 1:
        (a0, a1), (b0, b1) = spans[i], spans[i + 1]
        close = b0 - a1 <= min(JOIN_GAP * height, JOIN_RELATIVE * usual)
        if close and max(a1, b1) - min(a0, b0) <= JOIN_WIDTH * height:
            joined = masks[i] | masks[i + 1]
            whole = _classify(ink, [joined], model)[0]
            apart = np.mean([_log_score(singles[i], masks[i]), _log_score(singles[i + 1], masks[i + 1])])
            if whole.typical and whole.probability >= SURE and _log_score(whole, joined) >= apart - JOIN_SLACK:
                masks[i:i + 2], singles[i:i + 2] = [joined], [whole]
                spans[i:i + 2] = [(min(a0, b0), max(a1, b1))]
                continue                      # the joined piece may take in the next one too
        i += 1
    return masks, singles


def read(image, model=None, min_confidence=None) -> Reading:
    """Read the digits written on one line of ``image`` (path, bytes, PIL or numpy).

    Returns a Reading with ``.text`` and, per digit, (digit, probability, box), the
    string's confidence and the digits below ``min_confidence`` (default MIN_CONFIDENCE).
    An image without digits gives an empty reading; unreadable input raises ImageError.
    """
    threshold = threshold_of(min_confidence)
    full = to_grey(open_image(image))
    page = page_of(full, working_size(full))           # a note lying on a darker desk: the note
    full, (top, left) = page if page is not None else (full, (0, 0))
    line = _around_writing(full)                       # a number written across a small part of a page
    if line is not None:
        full, (dy, dx) = line
        top, left = top + dy, left + dx
    grey, scale = _rescale(full)
    dark = dark_ink(grey)
    ink = ink_map(grey, dark)
    if float(ink.max()) < NO_INK:
        return Reading("")
    line_ink = _ink_mask(ink)
    level = _Leveller(full, _skew(line_ink))                # a tilted photo of ruled or boxed writing
    if level.angle:
        grey, scale, ink = _levelled_ink(level, dark)
    masks, height, small = segment(ink, grey if dark else 1 - grey)
    if not masks:
        return Reading("")
    if not level.angle and (tilt := _writing_tilt(masks, height, line_ink)):
        level = _Leveller(full, tilt)                       # writing across the picture at a slant
        grey, scale, ink = _levelled_ink(level, dark)
        found = segment(ink, grey if dark else 1 - grey)[0]
        if found:                                           # read in the band it now lies in
            rows, _ = _box_of(np.logical_or.reduce(found))
            margin = 0.75 * (rows.stop - rows.start)
            level.keep_rows(int(max(0, (rows.start - margin) / scale)), int((rows.stop + margin) / scale))
            grey, scale, ink = _levelled_ink(level, dark)
        masks, height, small = segment(ink, grey if dark else 1 - grey)
        if not masks:
            return Reading("")
    masks, singles = _with_small_digits(ink, masks, small, model)
    masks, singles = _join_broken(ink, masks, singles, height, model)
    spans = [_span(m) for m in masks]
    confident = [b - a for (a, b), p in zip(spans, singles) if p.probability >= SURE and p.typical]
    typical = float(np.median(confident)) if len(confident) >= 2 else 0.75 * height
    apart = _apart(spans, height)                  # an odd digit there is one digit, not two touching
    pieces = []
    for mask, (x0, x1), single in zip(masks, spans, singles):
        parts = [(single, mask)]
        wide = x1 - x0 > max((APART_WIDE if apart else WIDE) * typical, 0.6 * height)
        strict = not apart and not wide and not single.typical and x1 - x0 > ATYPICAL_WIDE * height
        if (wide or strict) and _doubtful(single, mask):
            depth = 3 if x1 - x0 > 2.2 * height else 2 if x1 - x0 > 1.2 * height else 1
            window = _around(mask)                     # the split works on the blob's own rows and columns
            found = _split(ink[window], mask[window], height, depth, model, strict,
                           slanted=wide and not single.typical)
            parts = [(p, _placed(m, window, mask.shape)) for p, m in found] or parts
        pieces += [part for _, part in parts]
    result, doubtful = [], []
    for i, (p, part) in enumerate(zip(_classify(ink, pieces, model, raw=False), pieces)):
        ys, xs = np.nonzero(part)
        x0, y0, x1, y1 = (int(round(v)) for v in level.box(xs.min() / scale, ys.min() / scale,
                                                            (xs.max() + 1) / scale, (ys.max() + 1) / scale))
        box = (x0 + left, y0 + top, x1 + left, y1 + top)     # in the input image's pixels
        result.append((p.digit, p.probability, box))
        if p.probability < threshold or not p.typical:
            doubtful.append(i)
    return Reading("".join(str(d) for d, _, _ in result), result,
                   confidence=float(np.prod([p for _, p, _ in result])), doubtful=doubtful)
