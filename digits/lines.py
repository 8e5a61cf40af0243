"""Printed straight lines round handwriting: the frames and walls of a form's boxes, the lines
of ruled or squared paper.

A frame is a piece of ink made of straight lines round empty space. Its lines go, whatever
digit they touch, so that a digit written in a box (or a comb of boxes, one per digit) is read
without them. A notebook's lines run across the whole picture, far longer than a digit is big;
where a stroke crosses one, the stroke keeps its pixels.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

FRAME_FILL = 0.3      # a frame's lines cover at most this share of its bounding box
FRAME_WALL = 0.85     # a frame's straight vertical runs this share of its height or longer are walls
WOBBLE = 3            # straight runs may wander this many pixels across (a slightly tilted photo)


def without_frames(mask: np.ndarray) -> np.ndarray:
    """``mask`` less the straight lines of any rectangular frame in it: a box printed round a
    number, or a form's comb of boxes, one per digit (whose walls would read as 1s). A frame is a
    piece with two or more straight vertical walls nearly its height joined by a straight line
    along its top or bottom (a thin side may be lost to the speckle filter), not reaching both
    sides of the picture (a ruled line touching the digits' straight strokes does); its
    horizontal runs at least as long as it is tall and its vertical runs nearly as long go,
    whatever they touch."""
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3), bool))
    out = mask
    for i, (sy, sx) in enumerate(ndimage.find_objects(labels), start=1):
        h, w = sy.stop - sy.start, sx.stop - sx.start
        piece = labels[sy, sx] == i
        if min(h, w) < 12 or np.count_nonzero(piece) > FRAME_FILL * h * w:   # lines round empty space,
            continue                                                          # not a bold blob
        across = straight_runs(piece, h, vertical=False)
        down = straight_runs(piece, int(FRAME_WALL * h), vertical=True)
        band = max(2, h // 8)
        walls, n = ndimage.label(down.any(0))
        if (across[:band].any() or across[-band:].any()) and n >= 2 \
                and (sx.start > 1 or sx.stop < mask.shape[1] - 1):       # a ruled line crosses the picture
            if out is mask:
                out = mask.copy()
            out[sy, sx] &= ~(ndimage.binary_dilation(across | down) & piece)
            _without_lost_walls(out, sy, sx, [float(np.mean(np.nonzero(walls == j)[0])) for j in range(1, n + 1)])
    return out


def _without_lost_walls(mask: np.ndarray, sy: slice, sx: slice, walls: list[float]) -> None:
    """Remove, in place, the walls of a comb frame (rows ``sy``, columns ``sx``) that came apart
    from it or broke into dashes (a faint line) and so touch a digit or pass for 1s: straight
    vertical strokes an eighth of the frame's height or longer, where the evenly spaced walls
    found (their columns, ``walls``, from ``sx.start``) say one should be."""
    step = float(np.median(np.diff(walls)))
    if step < 8:
        return
    h = sy.stop - sy.start
    for k in range(int((sx.stop - sx.start) / step) + 2):
        x = sx.start + walls[0] + (k - int(walls[0] / step)) * step
        if not sx.start <= x < sx.stop or min(abs(x - sx.start - w) for w in walls) < step / 4:
            continue
        cols = slice(max(0, int(x) - 3), int(x) + 4)
        lost = straight_runs(mask[sy, cols], max(3, h // 8), vertical=True)
        mask[sy, cols] &= ~ndimage.binary_dilation(lost, structure=np.ones((1, 3), bool))


def straight_runs(piece: np.ndarray, length: int, vertical: bool, wobble: int = WOBBLE,
                  gap: int = 0) -> np.ndarray:
    """The pixels of ``piece`` on straight horizontal (or vertical) lines at least ``length``
    long, a line drawn a pixel off straight (a slightly tilted photo) included; ``wobble`` 1:
    exactly straight (an opening by a line); ``gap``: a line broken by gaps up to this many
    pixels long counts as whole (a faint printed line breaks where the threshold cuts it)."""
    axis = 0 if vertical else 1
    if length < 2 or length > piece.shape[axis]:
        return np.zeros_like(piece)
    length |= 1                                               # an odd window: min then max is an opening
    widened = piece if wobble < 2 else ndimage.binary_dilation(
        piece, structure=np.ones((1, wobble) if vertical else (wobble, 1), bool))
    if gap > 0:                                               # a closing along the line bridges its gaps
        bridged = ndimage.maximum_filter1d(widened.view(np.uint8), gap + 1, axis=axis, mode="constant")
        widened = ndimage.minimum_filter1d(bridged, gap + 1, axis=axis, mode="nearest").astype(bool)
    core = ndimage.minimum_filter1d(widened.view(np.uint8), length, axis=axis, mode="constant")
    return ndimage.maximum_filter1d(core, length, axis=axis, mode="constant").astype(bool) & piece


BOX_APART = 0.4       # a box's walls stand at least this share of its height apart...
BOX_WIDE = 1.5        # ...and at most this many times its height


def box_sides(mask: np.ndarray) -> np.ndarray | None:
    """The printed lines round one digit cropped from a form: the walls of its box (and the box's
    top and bottom, where printed), when they may touch the digit. The ink's leftmost and
    rightmost columns must each hold a thin straight vertical line nearly the ink's full height
    (FRAME_WALL), and at most one other column such a line (a 1 in the box; a grid has more),
    BOX_APART to BOX_WIDE times that height apart, with ink between them that is not theirs;
    straight horizontal lines nearly as long as the walls are apart, along the top or bottom,
    go with them. No digit has two such walls. None when there are none."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    sy, sx = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    h, w = sy.stop - sy.start, sx.stop - sx.start
    band = max(2, w // 8)
    piece = mask[sy, sx]
    if min(h, w) < 12 or not BOX_APART * h <= w <= BOX_WIDE * h or \
            min(piece[:, :band].any(1).sum(), piece[:, -band:].any(1).sum()) < FRAME_WALL * h:
        return None                                            # quick: no ink down both sides
    down = straight_runs(piece, int(FRAME_WALL * h), vertical=True)
    walls, n = ndimage.label(down.any(0))
    left, right = set(walls[:band].tolist()) - {0}, set(walls[-band:].tolist()) - {0}
    if not 2 <= n <= 3 or not left or not right or left & right or \
            max(np.count_nonzero(walls == j) for j in left | right) > band:
        return None                                            # thin lines, not a solid block
    lines = down
    across = straight_runs(piece, int(FRAME_WALL * (w - 2 * band)), vertical=False)
    edge = max(2, h // 8)
    lines[:edge] |= across[:edge]
    lines[-edge:] |= across[-edge:]
    lines = ndimage.binary_dilation(lines) & piece
    if np.count_nonzero(piece[:, band:-band] & ~lines[:, band:-band]) < 0.02 * h * w:
        return None                                            # nothing between the walls
    out = np.zeros_like(mask)
    out[sy, sx] = lines
    return out


RULE_SIDE = 0.5       # a ruled page's lines run at least this share of the picture across...
RULE_LONG = 3.0       # ...and this many times as long as the ink off them is big
RULE_GAP = 4          # ...broken, perhaps, by gaps up to this many pixels (a faint line under the threshold)


def ruling(mask: np.ndarray, side: float = RULE_SIDE, long: float = RULE_LONG,
           rows: int = 2) -> np.ndarray | None:
    """The printed lines of ruled or squared paper under one digit: straight horizontal runs,
    in two rows or more, RULE_SIDE of the picture wide or longer and RULE_LONG times as long as
    the ink off them is tall or wide, and, where there are such rows, vertical runs alike
    (squared paper); with the pixels just beside them. A 7's bar is no longer than three times its stem is tall, and a 1
    alone is no line: without rows there are no columns. In a picture cut round the ink with a
    margin, one line from edge to edge is printing whatever its length (``side`` near 1, ``long``
    0, ``rows`` 1). None when there are none, or when too little ink is left off them to be a digit."""
    h, w = mask.shape
    if count_runs(np.count_nonzero(mask, axis=1) >= side * w - 2 * RULE_GAP) < rows:
        return None                                            # quick: too few rows hold a long line
    lines = _long_runs(mask, int(side * w), int(side * h), rows)
    if lines is None:
        return None
    size = _size_off(mask, _with_dashes(mask, lines))
    if size is None:
        return None
    lines = _long_runs(mask, max(int(side * w), int(long * size)),
                       max(int(side * h), int(long * size)), rows)
    if lines is None:
        return None
    lines = _with_dashes(mask, lines)
    return None if _size_off(mask, lines) is None else lines


def _with_dashes(mask: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """``lines`` and the dashes left of them where a line broke for longer than a gap: pieces of
    ``mask`` off the lines lying wholly in the rows of a horizontal line (columns of a vertical
    one) and longer along it than twice their width. They are no part of a digit, nor of its size."""
    h, w = mask.shape
    line_rows = ndimage.binary_dilation(np.count_nonzero(lines, axis=1) >= 0.25 * w)
    line_cols = ndimage.binary_dilation(np.count_nonzero(lines, axis=0) >= 0.25 * h)
    labels, _ = ndimage.label(mask & ~lines)
    dashes = [i for i, (sy, sx) in enumerate(ndimage.find_objects(labels), start=1)
              if (line_rows[sy].all() and sx.stop - sx.start >= 2 * (sy.stop - sy.start))
              or (line_cols[sx].all() and sy.stop - sy.start >= 2 * (sx.stop - sx.start))]
    return lines | np.isin(labels, dashes) if dashes else lines


def _long_runs(mask: np.ndarray, across: int, down: int, rows: int) -> np.ndarray | None:
    """Horizontal runs at least ``across`` long and vertical runs at least ``down`` long, widened
    by a pixel; None unless the horizontal ones lie in ``rows`` rows or more apart."""
    lines = straight_runs(mask, across, vertical=False, gap=RULE_GAP)
    if count_runs(lines.any(1)) < rows:
        return None                                            # a ruling has lines, not one bar
    if mask.sum(0).max() >= down - 2 * RULE_GAP:
        lines |= straight_runs(mask, down, vertical=True, gap=RULE_GAP)
    return ndimage.binary_dilation(lines) & mask


def count_runs(flags: np.ndarray) -> int:
    """How many runs of consecutive True values a 1-d boolean array holds."""
    return int(flags[0]) + int(np.count_nonzero(flags[1:] & ~flags[:-1])) if flags.size else 0


def _size_off(mask: np.ndarray, lines: np.ndarray) -> int | None:
    """The larger side of the box round the ink off ``lines`` (pieces at least a tenth of the
    largest, so the lines' frayed edges do not count); None when that ink is under 0.2 % of
    all the ink or a handful of pixels."""
    off = mask & ~lines
    if np.count_nonzero(off) < max(20, 0.002 * np.count_nonzero(mask)):
        return None
    labels, n = ndimage.label(off)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    sizes[0] = 0
    ys, xs = np.nonzero(np.isin(labels, np.flatnonzero(sizes >= 0.1 * sizes.max())))
    return int(max(ys.max() - ys.min(), xs.max() - xs.min())) + 1


def crossed(removed: np.ndarray, rest: np.ndarray, reach: int, vertical: bool = False) -> np.ndarray:
    """The pixels of ``removed`` horizontal (or vertical) lines where a stroke of ``rest`` crosses
    them: ink of ``rest`` within ``reach`` px on both sides of the line, in about the same
    column (row): a digit written across a ruled line keeps its stroke whole. A stroke that only
    ends on the line (a digit sitting on it) does not cross it."""
    axis = 1 if vertical else 0
    near = ndimage.maximum_filter1d(rest.view(np.uint8), 3, axis=1 - axis)      # a slanted stroke
    count = np.cumsum(near, axis=axis, dtype=np.int32)
    count = np.concatenate([np.zeros_like(count.take([0], axis)), count], axis)  # count[i]: ink before i
    n = rest.shape[axis]
    at = np.arange(n)
    lo, hi = np.maximum(at - reach, 0), np.minimum(at + 1 + reach, n)
    before = count.take(at, axis) - count.take(lo, axis) > 0
    after = count.take(hi, axis) - count.take(at + 1, axis) > 0
    return removed & before & after


EDGE_LINE = 3         # a flat piece along an edge this many px thick or less may be a line the crop cut along
EDGES = ("top", "bottom", "left", "right")


def touches(box: tuple[slice, slice], edge: str, shape: tuple[int, int]) -> bool:
    """Whether ``box`` (rows, columns: find_objects's) reaches ``edge`` of a picture of ``shape``."""
    rows, cols = box
    return {"top": rows.start == 0, "bottom": rows.stop == shape[0],
            "left": cols.start == 0, "right": cols.stop == shape[1]}[edge]


def flat_along_edges(boxes: list, labels, shape: tuple[int, int]) -> dict[str, list[int]]:
    """Per edge of a picture of ``shape``, the ``labels`` (their ``boxes``: find_objects's) of
    pieces lying along it, at most EDGE_LINE px thick and three times as long: candidates for a
    printed line that the crop cut along, broken into stretches. A piece along two edges (in a
    corner) counts for the first of EDGES."""
    flat = {edge: [] for edge in EDGES}
    for label in labels:
        rows, cols = box = boxes[label - 1]
        tall, wide = rows.stop - rows.start, cols.stop - cols.start
        for edge in EDGES:
            thin, long = (tall, wide) if edge in ("top", "bottom") else (wide, tall)
            if touches(box, edge, shape) and thin <= EDGE_LINE and long >= 3 * thin:
                flat[edge].append(int(label))
                break
    return flat
