"""Printed straight lines round handwriting: the frames and walls of a form's boxes.

A frame is a piece of ink made of straight lines round empty space. Its lines go, whatever
digit they touch, so that a digit written in a box (or a comb of boxes, one per digit) is read
without them.
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
    along its top or bottom (a thin side may be lost to the speckle filter); its horizontal runs
    at least as long as it is tall and its vertical runs nearly as long go, whatever they touch."""
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
        if (across[:band].any() or across[-band:].any()) and n >= 2:
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


def straight_runs(piece: np.ndarray, length: int, vertical: bool) -> np.ndarray:
    """The pixels of ``piece`` on straight horizontal (or vertical) lines at least ``length``
    long, a line drawn a pixel off straight (a slightly tilted photo) included."""
    axis = 0 if vertical else 1
    if length < 2 or length > piece.shape[axis]:
        return np.zeros_like(piece)
    length |= 1                                               # an odd window: min then max is an opening
    wobble = ndimage.binary_dilation(piece, structure=np.ones((1, WOBBLE) if vertical else (WOBBLE, 1), bool))
    core = ndimage.minimum_filter1d(wobble.view(np.uint8), length, axis=axis, mode="constant")
    return ndimage.maximum_filter1d(core, length, axis=axis, mode="constant").astype(bool) & piece


BOX_APART = 0.4       # a box's walls stand at least this share of its height apart...
BOX_WIDE = 1.5        # ...and at most this many times its height


def box_sides(mask: np.ndarray) -> np.ndarray | None:
    """The printed lines round one digit cropped from a form: the walls of its box (and the box's
    top and bottom, where printed), when they may touch the digit. The ink's leftmost and
    rightmost columns must each hold a thin straight vertical line nearly the ink's full height
    (FRAME_WALL), BOX_APART to BOX_WIDE times that height apart, with ink between them that is
    not theirs; straight horizontal lines nearly as long as the walls are apart, along the top
    or bottom, go with them. No digit has two such walls. None when there are none."""
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
    if not left or not right or left & right or \
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
