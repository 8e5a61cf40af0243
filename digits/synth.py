"""Render MNIST digits as real-world images: photos, scans and drawings of one digit.

Used by the robustness benchmark and the tests to check what the classic
"99 % on MNIST" hides: the paper has a tone, the light is uneven, the pen is thick
or thin, the picture is any size, noisy, blurred and JPEG-compressed.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

INKS = [(20, 20, 25), (25, 35, 120), (30, 30, 90), (150, 25, 30), (60, 60, 60)]


def _glyph(digit: np.ndarray, height: int) -> np.ndarray:
    """An MNIST digit's 20x20 box scaled to ``height`` px, ink bright in [0, 1]."""
    ink = np.asarray(digit, dtype=np.float32)
    ink = ink / 255 if ink.max() > 1 else ink
    box = ink[4:24, 4:24] if ink[:4].max() == 0 else ink
    return np.asarray(Image.fromarray(box, "F").resize((height, height), Image.Resampling.BICUBIC)).clip(0, 1)


def render(digit: np.ndarray, rng: np.random.Generator, polarity: str | None = None) -> Image.Image:
    """One MNIST digit (28x28, ink bright, values 0-1 or 0-255) as a random real-world RGB image."""
    return photograph(_pen_on_paper(digit, rng), rng, polarity)


def _pen_on_paper(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """render()'s ink coverage: the digit at a random size, slant and pen width, placed
    anywhere in a picture of 30-300 px, blurred a little."""
    side = int(rng.integers(30, 301))                         # the picture: 30 to 300 px
    glyph_h = max(14, int(side * rng.uniform(0.45, 0.85)))    # the digit's share of it
    up = _glyph(digit, glyph_h)
    up = ndimage.rotate(up, rng.uniform(-8, 8), reshape=True, order=1)
    pen = rng.choice(["thin", "normal", "thick"], p=[0.25, 0.5, 0.25])
    radius = max(1, round(glyph_h / 40))
    if pen == "thick":
        up = ndimage.grey_dilation(up, size=(radius * 2 + 1,) * 2)
    elif pen == "thin" and glyph_h > 40:
        up = ndimage.grey_erosion(up, size=(radius + 1,) * 2)
    w = h = side
    h = int(side * rng.uniform(0.8, 1.25))                   # not always square
    canvas = np.zeros((max(h, up.shape[0] + 2), max(w, up.shape[1] + 2)), np.float32)
    top = rng.integers(0, canvas.shape[0] - up.shape[0] + 1)
    left = rng.integers(0, canvas.shape[1] - up.shape[1] + 1)
    canvas[top:top + up.shape[0], left:left + up.shape[1]] = up
    return ndimage.gaussian_filter(canvas, rng.uniform(0.3, 1.2) * side / 150)


def photograph(coverage: np.ndarray, rng: np.random.Generator, polarity: str | None = None) -> Image.Image:
    """Ink coverage in [0, 1] -> an RGB picture of it: paper or board, pen colour, uneven
    light, sensor noise and JPEG compression."""
    dark_ink = (polarity or rng.choice(["dark", "dark", "dark", "light"])) == "dark"
    if dark_ink:                                              # pen on paper
        paper = np.array([rng.uniform(200, 255), rng.uniform(190, 250), rng.uniform(170, 240)])
        pen_rgb = np.array(INKS[rng.integers(len(INKS))], np.float32) * rng.uniform(0.6, 1.3)
    else:                                                     # chalk on a board, a screen
        paper = np.array([rng.uniform(10, 70)] * 3) + rng.uniform(-10, 10, 3)
        pen_rgb = np.array([rng.uniform(190, 255)] * 3)
    coverage = coverage[..., None] * rng.uniform(0.75, 1.0)
    image = paper * (1 - coverage) + pen_rgb * coverage

    yy, xx = np.mgrid[0:image.shape[0], 0:image.shape[1]] / max(image.shape)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 - rng.uniform(0, 0.35) * (np.cos(angle) * xx + np.sin(angle) * yy)   # uneven light
    image = image * light[..., None]
    image = image + rng.normal(0, rng.uniform(2, 12), image.shape)                # sensor noise
    picture = Image.fromarray(image.clip(0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=int(rng.integers(30, 95)))              # compression
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _placed(glyph: np.ndarray, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    canvas = np.zeros((height, width), np.float32)
    top = rng.integers(0, height - glyph.shape[0] + 1)
    left = rng.integers(0, width - glyph.shape[1] + 1)
    canvas[top:top + glyph.shape[0], left:left + glyph.shape[1]] = glyph
    return canvas


def _centred(digit: np.ndarray, side: int, height: int, rng: np.random.Generator, jitter: int) -> np.ndarray:
    """A side x side coverage with the digit ``height`` px tall in its middle, give or take
    ``jitter`` px."""
    coverage = np.zeros((side, side), np.float32)
    top, left = (side - height) // 2 + rng.integers(-jitter, jitter + 1, 2)
    coverage[top:top + height, left:left + height] = _glyph(digit, height)
    return coverage


def _ruling(shape, rng: np.random.Generator, step: int, squared: bool) -> np.ndarray:
    """Faint printed lines every ``step`` px (and columns too on squared paper)."""
    strength, width, offset = rng.uniform(0.15, 0.4), max(1, shape[0] // 150), int(rng.integers(0, step))
    return _lines(shape, step, offset, width, strength, squared)


def _lines(shape, step: int, offset: int, width: int, strength: float, squared: bool) -> np.ndarray:
    """Printed lines ``width`` px wide every ``step`` px from ``offset``, of ink ``strength``
    (and columns too on squared paper)."""
    lines = np.zeros(shape, np.float32)
    for y in range(offset, shape[0], step):
        lines[y:y + width] = strength
    if squared:
        for x in range(offset, shape[1], step):
            lines[:, x:x + width] = strength
    return lines


CONDITIONS = ("shadow", "pencil", "lined paper", "squared paper", "boxed", "form line", "small in a large photo",
              "paper on a desk", "thin pen drawing", "tightly cropped", "flash", "circled", "finger at the edge",
              "desk in a corner", "specks of dust", "cropped from a form's box",
              "notebook page", "written small on a page", "cut along a printed line")


def render_condition(digit: np.ndarray, rng: np.random.Generator, condition: str) -> Image.Image:
    """One MNIST digit photographed in a harder real-world condition than ``render``'s
    (dark ink): a sharp-edged shadow across the picture, faint textured pencil, ruled or
    squared paper, a printed box around the digit or a printed line under it (forms), a
    small digit in a large photo, a sheet of paper lying a little tilted on a darker desk, or
    a thin pen on a large canvas (a drawing in a paint program, a fine pen scanned at high
    resolution: strokes 1 px to a fiftieth of the digit's height), a photo cropped tightly
    round the digit (0-2 px of margin; dark or light ink), a flash photo whose light falls
    off towards the corners (to 30-60 % of the middle's), a digit with a ring drawn round
    it in the same pen (a score circled on a test), a finger holding the page coming in from
    one side, the desk showing dark in one corner, specks of dust or ink around the digit, or
    one box of a form's row of printed boxes cropped round the digit, the box often touching it
    (a third of them with only the walls printed: render_in_boxes), or a photo of a notebook
    page, ruled or squared in lines as dark as 0.15-0.7 of the pen, the digit about one line
    high and an eighth to a third of the photo's side, or a digit written at its usual size
    on a page photographed whole (1,000-2,400 px, the digit 2-6 % of the longer side), or a
    picture cut along a printed line (a ruled page's, a form's) that runs along its top or
    bottom edge, faint and broken into stretches."""
    if condition == "shadow":
        picture = np.asarray(render(digit, rng, "dark"), np.float32)
        h, w = picture.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        angle = rng.uniform(0, np.pi)
        shaded = (np.cos(angle) * (xx - w * rng.uniform(0.3, 0.7))
                  + np.sin(angle) * (yy - h * rng.uniform(0.3, 0.7))) > 0
        picture = picture * np.where(shaded, rng.uniform(0.4, 0.65), 1.0)[..., None]
        return Image.fromarray(picture.clip(0, 255).astype(np.uint8), "RGB")
    if condition == "pencil":
        side = int(rng.integers(60, 300))
        coverage = ndimage.gaussian_filter(_placed(_glyph(digit, int(side * rng.uniform(0.5, 0.8))), side, side, rng), 0.7)
        grain = 0.7 + 0.3 * rng.random(coverage.shape)                 # graphite on paper's tooth
        return photograph((coverage * rng.uniform(0.25, 0.45) * grain).astype(np.float32), rng, "dark")
    if condition in ("lined paper", "squared paper"):
        side = int(rng.integers(80, 300))
        height = int(side * rng.uniform(0.4, 0.7))
        coverage = ndimage.gaussian_filter(_placed(_glyph(digit, height), side, side, rng), 0.7)
        ruling = _ruling(coverage.shape, rng, int(height * rng.uniform(0.3, 0.6)), condition == "squared paper")
        return photograph(np.maximum(coverage, ruling), rng, "dark")
    if condition == "boxed":
        side = int(rng.integers(60, 250))
        coverage = _centred(digit, side, int(side * rng.uniform(0.5, 0.7)), rng, 3)
        m, w = int(side * 0.08), max(1, side // 60)
        coverage[m:m + w, m:-m] = coverage[-m - w:-m, m:-m] = 1
        coverage[m:-m, m:m + w] = coverage[m:-m, -m - w:-m] = 1
        return photograph(ndimage.gaussian_filter(coverage, 0.7), rng, "dark")
    if condition == "form line":
        side = int(rng.integers(80, 250))
        height = int(side * rng.uniform(0.45, 0.65))
        coverage = np.zeros((side, side), np.float32)
        top, left = int(side * 0.12) + rng.integers(0, 5), (side - height) // 2 + rng.integers(-5, 6)
        coverage[top:top + height, left:left + height] = _glyph(digit, height)
        line = top + height + int(rng.integers(2, max(3, side // 10)))
        coverage[line:line + max(1, side // 70), int(side * rng.uniform(0, 0.1)):int(side * rng.uniform(0.9, 1.0))] = 1
        return photograph(ndimage.gaussian_filter(coverage, 0.7), rng, "dark")
    if condition == "small in a large photo":
        side = int(rng.integers(600, 1600))
        height = int(side * rng.uniform(0.08, 0.2))
        glyph = ndimage.grey_dilation(_glyph(digit, height), size=(max(1, height // 25),) * 2)
        return photograph(ndimage.gaussian_filter(_placed(glyph, side, side, rng), 1.0), rng, "dark")
    if condition == "paper on a desk":
        h = int(rng.integers(100, 300))
        w = int(h * rng.uniform(0.8, 1.2))
        sheet = np.zeros((h, w), np.float32)
        sheet[int(h * rng.uniform(0.02, 0.2)):int(h * rng.uniform(0.8, 0.98)),
              int(w * rng.uniform(0.02, 0.2)):int(w * rng.uniform(0.8, 0.98))] = 1
        sheet = ndimage.rotate(sheet, rng.uniform(-6, 6), reshape=False, order=1) > 0.5
        height = int(h * rng.uniform(0.35, 0.55))
        coverage = np.zeros((h, w), np.float32)
        top, left = h // 2 - height // 2 + rng.integers(-5, 6), w // 2 - height // 2 + rng.integers(-5, 6)
        coverage[top:top + height, left:left + height] = _glyph(digit, height)
        paper = np.asarray(photograph(ndimage.gaussian_filter(coverage, 0.7), rng, "dark"), np.float32)
        wood = np.array([rng.uniform(20, 120), rng.uniform(15, 90), rng.uniform(10, 70)])
        desk = wood * (0.8 + 0.4 * rng.random((h, w, 1)))
        return Image.fromarray(np.where(sheet[..., None], paper, desk).clip(0, 255).astype(np.uint8), "RGB")
    if condition == "thin pen drawing":
        from skimage.morphology import skeletonize                 # the full install's; serving lacks it
        side = int(rng.integers(150, 1500))
        height = int(side * rng.uniform(0.5, 0.8))
        glyph = _glyph(digit, height)
        centre = skeletonize(ndimage.gaussian_filter(glyph, height / 60) > 0.5)   # the stroke's centre line
        pen = rng.uniform(1, max(1.5, height / 50))
        coverage = _placed((ndimage.distance_transform_edt(~centre) <= pen / 2).astype(np.float32), side, side, rng)
        if rng.random() < 0.5:                                     # drawn on a screen: clean pixels
            paper, ink = (np.array([255.0] * 3), np.array(INKS[rng.integers(len(INKS))], np.float32))
            picture = paper * (1 - coverage[..., None]) + ink * coverage[..., None]
            return Image.fromarray(picture.astype(np.uint8), "RGB")
        return photograph(coverage, rng, "dark")                   # a fine pen, scanned
    if condition == "tightly cropped":
        coverage = _pen_on_paper(digit, rng)
        rows, cols = np.nonzero(coverage > 0.5 * coverage.max())
        margin = int(rng.integers(0, 3))
        return photograph(coverage, rng).crop((cols.min() - margin, rows.min() - margin,
                                               cols.max() + 1 + margin, rows.max() + 1 + margin))
    if condition == "flash":
        picture = np.asarray(render(digit, rng, "dark"), np.float32)
        h, w = picture.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        cy, cx = h * rng.uniform(0.4, 0.6), w * rng.uniform(0.4, 0.6)
        falloff = ((yy - cy) ** 2 + (xx - cx) ** 2) / max(cy ** 2 + cx ** 2, (h - cy) ** 2 + (w - cx) ** 2,
                                                         cy ** 2 + (w - cx) ** 2, (h - cy) ** 2 + cx ** 2)
        picture = picture * (1 - rng.uniform(0.4, 0.7) * falloff)[..., None]
        return Image.fromarray(picture.clip(0, 255).astype(np.uint8), "RGB")
    if condition == "circled":
        side = int(rng.integers(100, 260))
        coverage = _centred(digit, side, int(side * rng.uniform(0.4, 0.5)), rng, 4)
        ring = Image.new("L", (side, side), 0)
        margins = side * rng.uniform(0.06, 0.18, 4)
        ImageDraw.Draw(ring).ellipse([margins[0], margins[1], side - margins[2], side - margins[3]],
                                     outline=255, width=max(2, side // int(rng.integers(25, 50))))
        coverage = np.maximum(coverage, np.asarray(ring, np.float32) / 255)
        return photograph(ndimage.gaussian_filter(coverage, 0.7), rng, "dark")
    if condition == "finger at the edge":
        picture = render(digit, rng, "dark")
        w, h = picture.size
        r, reach = min(w, h) * rng.uniform(0.08, 0.25), min(w, h) * rng.uniform(0.15, 0.35)
        side = int(rng.integers(4))
        at = rng.uniform(0.2, 0.8) * (w if side < 2 else h)
        box = {0: [at - r, -r, at + r, reach], 1: [at - r, h - reach, at + r, h + r],
               2: [-r, at - r, reach, at + r], 3: [w - reach, at - r, w + r, at + r]}[side]
        skin = tuple(int(v) for v in rng.uniform(120, 200) * np.array([1.0, 0.8, 0.7]))
        ImageDraw.Draw(picture).rounded_rectangle(box, radius=r, fill=skin)
        return picture
    if condition == "desk in a corner":
        picture = render(digit, rng, "dark")
        w, h = picture.size
        legs = min(w, h) * rng.uniform(0.15, 0.3) * rng.uniform(0.8, 1.5, 2)
        x, y = (0, w)[int(rng.integers(2))], (0, h)[int(rng.integers(2))]
        corner = [(x, y), (abs(x - legs[0]), y), (x, abs(y - legs[1]))]
        ImageDraw.Draw(picture).polygon(corner, fill=tuple(int(v) for v in rng.uniform(30, 90, 3)))
        return picture
    if condition == "specks of dust":
        picture = np.asarray(render(digit, rng, "dark"), np.float32).copy()
        h, w = picture.shape[:2]
        for _ in range(int(rng.integers(5, 20))):
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            r = max(1, int(min(h, w) * rng.uniform(0.005, 0.015)))
            picture[max(0, y - r):y + r, max(0, x - r):x + r] *= rng.uniform(0.2, 0.5)
        return Image.fromarray(picture.clip(0, 255).astype(np.uint8), "RGB")
    if condition == "notebook page":
        side = int(rng.integers(200, 900))
        height = int(side * rng.uniform(0.12, 0.3))
        glyph = ndimage.grey_dilation(_glyph(digit, height), size=(max(1, height // 30),) * 2)
        coverage = ndimage.gaussian_filter(_placed(glyph, side, side, rng), 0.8)
        step, width = int(height * rng.uniform(0.7, 1.2)), max(1, int(side * rng.uniform(0.002, 0.006)))
        offset, strength = int(rng.integers(0, step)), rng.uniform(0.15, 0.7)
        lines = _lines(coverage.shape, step, offset, width, strength, squared=rng.random() < 0.5)
        return photograph(np.maximum(coverage, lines), rng, "dark")
    if condition == "cropped from a form's box":
        return render_in_boxes([digit], rng, height=int(rng.integers(30, 90)), walls_only=rng.random() < 1 / 3)
    if condition == "written small on a page":
        long_side = int(rng.integers(1000, 2400))
        short = int(long_side / rng.choice([4 / 3, 2 ** 0.5]))
        h, w = (long_side, short) if rng.random() < 0.5 else (short, long_side)
        height = int(long_side * rng.uniform(0.02, 0.06))
        glyph = _glyph(digit, height)
        grow = int(height * rng.uniform(0, 0.06))                  # pens from fine to bold
        if grow > 1:
            glyph = ndimage.grey_dilation(glyph, size=(grow, grow))
        return photograph(ndimage.gaussian_filter(_placed(glyph, h, w, rng), 1.0), rng, "dark")
    if condition == "cut along a printed line":
        coverage = _pen_on_paper(digit, rng)
        h, w = coverage.shape
        thick = max(1, int(round(max(h, w) * rng.uniform(0.005, 0.015))))
        rows = slice(0, thick) if rng.random() < 0.5 else slice(h - thick, h)
        x, strength = 0, rng.uniform(0.2, 0.7)
        while x < w:                                   # stretches of 5-30 % of the side, gaps of 1-4 px
            run = max(1, int(w * rng.uniform(0.05, 0.3)))
            coverage[rows, x:x + run] = np.maximum(coverage[rows, x:x + run], strength)
            x += run + int(rng.integers(1, 5))
        return photograph(coverage, rng, "dark")
    raise ValueError(f"unknown condition {condition!r}; one of {', '.join(CONDITIONS)}")


GAPS = {"wide": (0.25, 0.6), "narrow": (0.05, 0.2), "touching": (-0.06, 0.0), "overlapping": (-0.25, -0.1)}


def render_number(glyphs, rng: np.random.Generator, gap: str = "wide", height: int = 40,
                  polarity: str | None = "dark", paper: str | None = None, tilt: float = 0.0,
                  page: float | None = None) -> Image.Image:
    """MNIST digits (28x28 each, ink bright) written side by side as one number on paper.

    ``gap`` picks the spacing between the digits' ink, as a share of the digit height:
    wide, narrow, touching (boxes abut) or overlapping. Sizes vary by +-20 % and the
    baseline wanders, as in handwriting. ``paper`` "ruled" or "squared": a notebook's printed
    lines under the writing, 0.7-1.2 digit heights apart, 0.15-0.7 as dark as the pen.
    ``tilt``: the line of writing (and its digits) turned by this many degrees on the paper
    (positive: climbing to the right), as when written or photographed at a slant.
    ``page``: the number spans only this share of the picture's width, anywhere on a page
    photographed round it (half to as tall as wide; with ``paper``, its lines cover it all).
    """
    lo, hi = GAPS[gap]
    pieces = _written(glyphs, rng, height)
    margin = int(height * rng.uniform(0.3, 0.8))
    width = margin * 2 + sum(p.shape[1] for p in pieces) + int(height * hi * len(pieces)) + 4
    canvas = np.zeros((int(height * 1.6) + 2 * margin, max(width, 8)), np.float32)
    x = margin
    for piece in pieces:
        y = margin + int(height * 0.3 + rng.uniform(-0.1, 0.1) * height + (height - piece.shape[0]) / 2)
        y = int(np.clip(y, 0, canvas.shape[0] - piece.shape[0]))
        region = canvas[y:y + piece.shape[0], x:x + piece.shape[1]]
        np.maximum(region, piece[:region.shape[0], :region.shape[1]], out=region)
        x = max(0, x + piece.shape[1] + int(rng.uniform(lo, hi) * height))
    canvas = canvas[:, :x + margin]
    if page is not None:
        width = int(canvas.shape[1] / page)
        canvas = _placed(canvas, max(canvas.shape[0], int(width * rng.uniform(0.5, 1.0))), width, rng)
    if tilt:
        canvas = ndimage.rotate(canvas, tilt, reshape=True, order=1, cval=0.0).clip(0, 1)
    if paper is not None:
        canvas = np.maximum(canvas, _notebook_lines(canvas.shape, rng, int(height * rng.uniform(0.7, 1.2)),
                                                    paper == "squared"))
    return photograph(ndimage.gaussian_filter(canvas, 0.5), rng, polarity)


def _notebook_lines(shape, rng: np.random.Generator, step: int, squared: bool) -> np.ndarray:
    """A notebook's printed lines every ``step`` px (and columns too on squared paper), 1-2 px
    wide and 0.15-0.7 as dark as the pen."""
    width, strength, offset = int(rng.integers(1, 3)), rng.uniform(0.15, 0.7), int(rng.integers(0, step))
    return _lines(shape, step, offset, width, strength, squared)


def _written(glyphs, rng: np.random.Generator, height: int) -> list[np.ndarray]:
    """Each MNIST digit's ink, cropped, at a handwriting size of ``height`` px +-20 %."""
    pieces = []
    for glyph in glyphs:
        g = np.asarray(glyph, np.float32)
        g = g / 255 if g.max() > 1 else g
        size = height * rng.uniform(0.8, 1.2)
        up = np.asarray(Image.fromarray(g, "F").resize((round(28 * size / 20),) * 2,
                                                        Image.Resampling.BICUBIC)).clip(0, 1)
        rows, cols = np.nonzero(up > 0.1)
        pieces.append(up[rows.min():rows.max() + 1, cols.min():cols.max() + 1])
    return pieces


def render_in_boxes(glyphs, rng: np.random.Generator, height: int = 40, walls_only: bool = False,
                    polarity: str | None = "dark") -> Image.Image:
    """MNIST digits written one per box of a form's comb of printed boxes (a postcode, a date,
    an amount), photographed like render_number's numbers. The boxes are 1.3-1.7 times as tall
    as the digits, their lines 1-3 px and fainter than the pen. ``walls_only``: only the
    walls between and beside the digits (a comb whose thin top and bottom a scan lost)."""
    pieces = _written(glyphs, rng, height)
    cell_h, cell_w = int(height * rng.uniform(1.3, 1.7)), int(height * rng.uniform(1.0, 1.4))
    margin, line = int(height * rng.uniform(0.3, 0.8)), int(rng.integers(1, 4))
    canvas = np.zeros((cell_h + 2 * margin, cell_w * len(pieces) + 2 * margin), np.float32)
    for j, piece in enumerate(pieces):
        piece = piece[:cell_h - 2 * line, :cell_w - 2 * line]
        y = margin + (cell_h - piece.shape[0]) // 2 + int(rng.integers(-3, 4))
        x = margin + j * cell_w + (cell_w - piece.shape[1]) // 2 + int(rng.integers(-3, 4))
        y = int(np.clip(y, margin + line, margin + cell_h - line - piece.shape[0]))
        x = int(np.clip(x, margin + j * cell_w + line, margin + (j + 1) * cell_w - line - piece.shape[1]))
        np.maximum(canvas[y:y + piece.shape[0], x:x + piece.shape[1]], piece,
                   out=canvas[y:y + piece.shape[0], x:x + piece.shape[1]])
    frame = Image.new("F", canvas.shape[::-1], 0)
    draw, tone = ImageDraw.Draw(frame), float(rng.uniform(0.35, 0.8))
    right, bottom = margin + cell_w * len(pieces), margin + cell_h
    for j in range(len(pieces) + 1):
        draw.line([(margin + j * cell_w, margin), (margin + j * cell_w, bottom)], fill=tone, width=line)
    if not walls_only:
        for y in (margin, bottom):
            draw.line([(margin, y), (right, y)], fill=tone, width=line)
    canvas = np.maximum(canvas, np.asarray(frame))
    return photograph(ndimage.gaussian_filter(canvas, 0.5), rng, polarity)


# Letters people also write for digits (O/0, l/1, Z/2, S/5, b/6, B/8, g/9, ...) are left out:
# no classifier could tell them from digits without context.
LETTERS = "ACEFHKMNPRUVWXYacefhkmnprtuvwxy"
SYMBOLS = "+=%&@#$?!*<>~{}()[]"
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")


def fonts() -> list[str]:
    """TrueType fonts available here (DejaVu and Liberation on Debian); may be empty."""
    from pathlib import Path
    return sorted(str(p) for d in FONT_DIRS if Path(d).is_dir() for p in Path(d).glob("*.ttf"))


def render_non_digit(rng: np.random.Generator, kind: str | None = None, font_files=None):
    """Something that is not a digit, photographed like render()'s digits:
    a letter or a symbol in a random font and stroke width, or a random scribble.
    Returns (RGB image, what it is)."""
    from PIL import ImageDraw, ImageFont
    kind = kind or rng.choice(["letter", "symbol", "scribble"])
    side = int(rng.integers(40, 201))
    canvas = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(canvas)
    if kind == "scribble":
        points = np.cumsum(rng.normal(0, side / 6, (int(rng.integers(4, 9)), 2)), 0)
        points = (points - points.min(0)) / max(np.ptp(points, 0).max(), 1) * side * 0.6 + side * 0.2
        steps = np.linspace(0, len(points) - 1, 60)            # a smooth pen path through them
        path = np.stack([np.interp(steps, np.arange(len(points)), points[:, i]) for i in (0, 1)], 1)
        draw.line([tuple(p) for p in path], fill=255, width=max(2, int(side * rng.uniform(0.03, 0.08))),
                  joint="curve")
        what = "scribble"
    else:
        what = str(rng.choice(list(LETTERS if kind == "letter" else SYMBOLS)))
        files = fonts() if font_files is None else font_files
        size = int(side * rng.uniform(0.5, 0.8))
        font = ImageFont.truetype(files[rng.integers(len(files))], size) if files \
            else ImageFont.load_default(size)
        stroke = int(rng.integers(0, max(1, size // 12) + 1))
        draw.text((side / 2, side / 2), what, fill=255, font=font, anchor="mm", stroke_width=stroke,
                  stroke_fill=255)
    coverage = ndimage.rotate(np.asarray(canvas, np.float32) / 255, rng.uniform(-10, 10), reshape=False, order=1)
    coverage = ndimage.gaussian_filter(coverage, rng.uniform(0.3, 1.0) * side / 150)
    return photograph(coverage.clip(0, 1), rng), f"{kind}:{what}"
