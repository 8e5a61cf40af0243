"""Any real image of one digit -> a 28x28 tensor that looks like MNIST.

What MNIST's makers did, made robust for photos, scans and drawings: read the image
in whatever mode it comes, find which way round the ink is, flatten the paper
(tone, lighting gradients, speckles), crop to the ink, fit it in a 20x20 box keeping
its aspect ratio, and place it in 28x28 by its centre of mass.
"""
from __future__ import annotations

import functools
import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from .lines import FRAME_WALL, box_sides, flat_along_edges, ruling, straight_runs, touches

MAX_PIXELS = 40_000_000      # refuse larger images before decoding them (decompression bombs)
MAX_BYTES = 50_000_000       # refuse larger files before reading them whole
MIN_SIDE = 8                 # smaller images cannot hold a legible digit
WORK_SIDE = 128              # images are shrunk to at most this side before cleaning...
MIN_WORK_SIDE = 64           # ...and small ones enlarged to at least this, so 1-px strokes survive
PAPER = 0.05                 # framed values below this are paper (exactly 0, as in MNIST)
NO_INK = 0.08                # ink maps never stronger than this hold no ink (8 % contrast)
SCARCE = 0.03                # thumbnail tails closer than this to the paper: too little ink to tell
FEW = 4                      # ...and then the ink is told by the picture's FEW darkest and brightest pixels
SEARCH_SIDE = 3 * WORK_SIDE  # where nothing is found at working size, a second look at this side
GRAIN = 4.0                  # ...where the ink found must be this many times the rest's strongest grain
ZOOM = 0.3                   # ink spanning less of the working image than this is looked at closer
THIN = 0.045                 # strokes narrower than this share of the digit's size (MNIST's are 0.05
STROKE = 0.07                # to 0.15) are widened to this share, as MNIST's thinner ones
SOLID = 1.6                  # ink coming in from the edge this many times deeper than the digit's
THICK = 2.5                  # thickest point (or than the middle of all strokes) is a finger, a
                             # desk or a shadow, not writing
WALL_TALL = 1.15             # a printed wall left alone beside the digit: this many times its
WALL_BEYOND = 0.1            # height, reaching this share of it past the digit above and below,
WALL_THIN = 0.75             # at most this share of its strokes' width
RING_HELD = 0.25             # a closed curve round other ink this share of its weight is a ring drawn
                             # round the digit...
RING_GAP = 0.04              # ...whose line may break where it is faint: gaps of up to twice this share
                             # of its size are bridged
CUT_LINE = 0.95              # in a picture cut round the ink, lines this share of it across are printing
EDGE_DEPTH = 0.15            # beyond the edge the paper continues as it lies this share of its window in
EDGE_COVER = 0.5             # flat pieces along an edge (lines.flat_along_edges) running along this share
                             # of it are a line the crop cut along


class ImageError(ValueError):
    """The input is not an image we can read (or is too big or too small)."""


class NoDigitError(ImageError):
    """The image holds no ink: a blank page, a flat colour."""


class TooLargeError(ImageError):
    """The input is over the byte or pixel limit, refused before it is decoded."""


class UnreadableError(ImageError):
    """The bytes decode to no image here: a broken or unknown file, or a format (HEIC, PDF)
    whose library this install lacks."""


# --------------------------------------------------------------------------- reading

def open_image(source, draft: int = WORK_SIDE * 2) -> Image.Image:
    """A decoded PIL image from a path, bytes, file object, PIL image or numpy array. A
    large JPEG is decoded at a reduced scale, still at least ``draft`` px on each side."""
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        return _from_array(source)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        image = _open_bytes(bytes(source), "the image bytes", draft)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"{path}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise TooLargeError(f"{path}: {path.stat().st_size:,} bytes is over the {MAX_BYTES:,}-byte limit")
        image = _open_bytes(path.read_bytes(), str(path), draft)
    elif hasattr(source, "read"):
        image = _open_bytes(source.read(MAX_BYTES + 1), "the image file", draft)
    else:
        raise ImageError(f"cannot read an image from a {type(source).__name__}")
    _check_size(image.size, "the image")
    return image


# The brands an ISO media file of a HEIC/HEIF still image names in its first box (phone photos).
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


@functools.cache
def _heif_opener() -> bool:
    """Teach Pillow HEIC/HEIF (the format many phones save photos in) where pillow-heif is
    installed; False where it is not. Imported only when such a file comes."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


PDF_SIDE = 2400      # a scan saved as PDF: its first page is drawn this many px along its longer side


def _pdf_page(data: bytes, name: str) -> Image.Image:
    """The first page of a PDF (a scanner's usual output) drawn as an image, where pypdfium2
    is installed."""
    try:
        import pypdfium2
    except ImportError:
        raise UnreadableError(f"{name}: a PDF document, which needs pypdfium2 to be read (pip install "
                              f"pypdfium2), or save the page as PNG or JPEG") from None
    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as e:  # PdfiumError for bad data, a password, ...
        raise UnreadableError(f"{name}: not a readable PDF ({e})") from None
    try:
        if len(document) == 0:
            raise ImageError(f"{name}: a PDF without pages")
        page = document[0]
        width, height = page.get_size()
        if not min(width, height) > 0:
            raise ImageError(f"{name}: its first page has no size")
        return page.render(scale=PDF_SIDE / max(width, height)).to_pil().convert("RGB")
    finally:
        document.close()


def _open_bytes(data: bytes, name: str, draft: int = WORK_SIDE * 2) -> Image.Image:
    if not data:
        raise ImageError(f"{name}: empty, no image data")
    if len(data) > MAX_BYTES:
        raise TooLargeError(f"{name}: over the {MAX_BYTES:,}-byte limit")
    if data.startswith(b"%PDF-"):
        return _pdf_page(data, name)
    if _is_heif(data) and not _heif_opener():
        raise UnreadableError(f"{name}: a HEIC/HEIF photo, which needs pillow-heif to be read "
                              f"(pip install pillow-heif), or save it as JPEG or PNG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            _check_size(image.size, name)          # before any pixel is decoded
            image.draft("RGB", (draft, draft))                 # JPEG: decode at reduced scale
            ImageOps.exif_transpose(image, in_place=True)   # photos: honour the camera's orientation
                                                            # (in place: a copy of 12 MP costs 35 ms)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise TooLargeError(f"{name}: too many pixels, over the {MAX_PIXELS:,}-pixel limit ({e})") from None
    except Exception as e:  # Pillow raises many kinds on bad data
        raise UnreadableError(f"{name}: not a readable image ({type(e).__name__}: {e})") from None
    return image


def _check_size(size, name):
    w, h = size
    if w * h > MAX_PIXELS:
        raise TooLargeError(f"{name}: {w}x{h} is over the {MAX_PIXELS:,}-pixel limit")
    if min(w, h) < MIN_SIDE:
        raise ImageError(f"{name}: {w}x{h} is too small to hold a digit (at least {MIN_SIDE}x{MIN_SIDE})")


def _from_array(array: np.ndarray) -> Image.Image:
    """A 2-D grey or 3-D (H, W, 1|3|4) array of any numeric type -> PIL image."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ImageError(f"an image array must be (H, W), (H, W, 3) or (H, W, 4), not {a.shape}")
    _check_size((a.shape[1], a.shape[0]), "the image array")
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        a = a.astype(np.float64)
        if not np.isfinite(a).all():
            raise ImageError("the image array holds NaN or infinite values")
        lo, hi = (0.0, 1.0) if a.min() >= 0 and a.max() <= 1 else (a.min(), a.max())
        a = np.round((a - lo) / max(hi - lo, 1e-12) * 255).astype(np.uint8)
    return Image.fromarray(a, "L" if a.ndim == 2 else ("RGB" if a.shape[2] == 3 else "RGBA"))


def to_grey(image: Image.Image) -> np.ndarray:
    """Luminance in [0, 1] (float32) from any mode; transparency composited sensibly.

    A transparent background (a drawing exported from a canvas) is replaced by
    paper that contrasts with the ink, whatever colour the transparent pixels hold.
    """
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(image, dtype=np.float64)
        lo, hi = (0.0, 65535.0) if image.mode.startswith("I;16") else (a.min(), a.max())
        return ((a - lo) / max(hi - lo, 1e-12)).clip(0, 1).astype(np.float32)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if not has_alpha:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255
    rgba = image.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
    grey = np.asarray(rgba.convert("L"), dtype=np.float32) / 255
    if alpha.min() > 0.98:
        return grey
    opaque = alpha > 0.5
    ink_is_dark = not opaque.any() or grey[opaque].mean() < 0.5
    paper = 1.0 if ink_is_dark else 0.0
    return grey * alpha + paper * (1 - alpha)


# --------------------------------------------------------------------------- cleaning

def working_size(grey: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """Rescale so the longer side lies between MIN_WORK_SIDE and ``side``: large pictures
    are area-averaged down (speed), tiny ones enlarged (the cleaning filters are 3 px wide)."""
    h, w = grey.shape
    longer = max(h, w)
    if MIN_WORK_SIDE <= longer <= side:
        return grey
    return resized(grey, (side if longer > side else MIN_WORK_SIDE) / longer)


def resized(grey: np.ndarray, f: float) -> np.ndarray:
    """``grey`` scaled by ``f`` (area-averaged when shrinking)."""
    h, w = grey.shape
    size = (max(1, round(w * f)), max(1, round(h * f)))
    method = Image.Resampling.BOX if f < 1 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(grey, "F").resize(size, method), np.float32)


def working_image(full: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """``full`` at working size (``side``), keeping strokes that shrinking would fade away.

    Averaging a large picture down (working_size) turns a pen line much thinner than the
    shrink factor (a drawing in a paint program, a fine pen scanned at high resolution) into
    a faint haze. Where the darkest (for light ink: brightest) pixel of each block shows ink
    at least twice as deep as the average does, the blocks' extremes are used instead: each
    stroke then keeps its full contrast, about a working pixel wide, and is widened to three.
    """
    grey = working_size(full, side)
    block = int(max(full.shape) / max(grey.shape))
    if block < 3:                          # halving leaves a 1-px line half its contrast: ink_map copes
        return grey
    dark = dark_ink(grey)
    pick = np.minimum if dark else np.maximum
    rows = functools.reduce(pick, [full[i::block][:full.shape[0] // block] for i in range(block)])
    extreme = functools.reduce(pick, [rows[:, i::block][:, :full.shape[1] // block] for i in range(block)])
    extreme = np.asarray(Image.fromarray(extreme, "F").resize(grey.shape[::-1], Image.Resampling.BOX), np.float32)
    return _thicken(extreme, dark, 3) if _depth(grey, dark) < 0.5 * _depth(extreme, dark) else grey


def _depth(grey: np.ndarray, dark: bool) -> float:
    """How far the most extreme 1 % of the pixels lie from the median (paper), towards the ink."""
    lo, mid, hi = percentiles(_sample(grey), [1, 50, 99])
    return float(mid - lo if dark else hi - mid)


def _mostly_erased(grey: np.ndarray, smooth: np.ndarray, dark: bool) -> bool:
    """Whether a filter turned ``grey`` into ``smooth`` by erasing most of the clear ink
    (pixels past halfway from the paper to the most extreme 0.2 %)."""
    lo, mid, hi = percentiles(_sample(grey), [0.2, 50, 99.8])
    if dark:
        cut = (lo + mid) / 2
        return np.count_nonzero(smooth < cut) < 0.5 * np.count_nonzero(grey < cut)
    cut = (hi + mid) / 2
    return np.count_nonzero(smooth > cut) < 0.5 * np.count_nonzero(grey > cut)


def _thicken(grey: np.ndarray, dark: bool, size: int) -> np.ndarray:
    """Strokes widened by ``size`` - 1 px: a grey erosion for dark ink, a dilation for light."""
    return (ndimage.grey_erosion if dark else ndimage.grey_dilation)(grey, size=(size, size))


def ink_map(grey: np.ndarray, dark: bool | None = None) -> np.ndarray:
    """Ink strength in [0, 1] (bright ink on black, as MNIST) from a grey image.

    Polarity: the ink is the minority, so whichever tail lies farther from the paper is
    ink (``dark_ink``). The paper's tone, lighting gradients and shadows, sharp-edged
    ones too, are then removed by estimating the paper under the strokes with a grey
    closing (dark ink) or opening (light ink) wider than any stroke. Dark ink on paper
    is measured against that paper (a ratio: a shadow dims ink and paper alike), light
    ink on a board by its difference from it. ``dark``: the polarity, when already known.
    """
    dark = dark_ink(grey) if dark is None else dark
    smooth = _median3(grey)                                      # salt-and-pepper speckle, dither
    if _mostly_erased(grey, smooth, dark):                       # 1-px strokes, which it would erase
        smooth = _median3(_thicken(grey, dark, 3))
    grey = smooth
    k = max(3, min(grey.shape) // 3)
    if dark:
        paper = _beyond_the_edge(ndimage.grey_closing, grey, k)
        flash = _flash_light(grey)
        if flash is not None:
            paper = np.minimum(paper, 1.05 * flash)
        return np.clip(1.0 - grey / np.maximum(paper, 0.02), 0, 1).astype(np.float32)
    board = _beyond_the_edge(ndimage.grey_opening, grey, k)
    return np.clip(grey - board, 0, 1).astype(np.float32)


def _beyond_the_edge(operation, grey: np.ndarray, k: int) -> np.ndarray:
    """A k x k grey closing (opening) of ``grey`` seeing beyond the picture's edge the paper
    just inside it (as it lies EDGE_DEPTH of the window in, so that a ruled line or a stroke
    along the edge stays ink), rather than the picture mirrored: light that falls off towards
    an edge is then followed to the edge, where the window would otherwise carry brighter
    paper from further in over the last k/2 pixels (a dim band along the edge, taken for ink)."""
    depth = min(max(1, int(EDGE_DEPTH * k)), (min(grey.shape) - 1) // 2)
    pad = k // 2 + 1            # then "nearest" carries that paper on outwards, as it lies
    padded = np.pad(grey[depth:grey.shape[0] - depth, depth:grey.shape[1] - depth], pad + depth, mode="edge")
    padded[pad:-pad, pad:-pad] = grey
    return operation(padded, size=(k, k), mode="nearest")[pad:-pad, pad:-pad]


def dark_ink(grey: np.ndarray) -> bool:
    """Whether the ink is darker than the paper.

    The image's edge is paper (people frame a digit with a margin), lit or in shadow:
    the ink is whichever extreme of the image lies beyond every tone of the edge.
    Where the ink touches the edge (a picture cropped tight round the digit), most of the
    edge is still paper: the ink is the extreme far farther from the edge's median tone.
    Where neither decides (faint pencil, uneven light), the ink is the tail of the
    histogram farther from the paper on a thumbnail flattened by a median filter wider
    than a stroke, so that a shadow's edge or a lighting gradient leaves no step. Light ink
    is double-checked against light that falls off towards the edge (a flash, a lamp).
    """
    edge = _edge(grey)
    edge_lo, paper, edge_hi = percentiles(edge, [5, 50, 95])
    lo, hi = percentiles(_sample(grey), [1, 99])
    below, above = edge_lo - lo, hi - edge_hi
    if max(below, above) >= 0.08 and max(below, above) >= 2 * min(below, above):
        return below > above or _dark_under_uneven_light(grey)
    below, above = paper - lo, hi - paper
    if max(below, above) >= 0.08 and max(below, above) >= 2 * min(below, above):
        return below > above or _dark_under_uneven_light(grey)
    thumb = _thumbnail(grey)
    light = ndimage.median_filter(thumb, size=max(3, min(thumb.shape) // 3), mode="nearest")
    lo, hi = percentiles(thumb - light, [1, 99])
    if max(-lo, hi) < SCARCE:                  # too little ink to show in a tail: a small digit
        few = _dark_among_few(grey, light)
        if few is not None:
            return few
    return -lo >= hi or _dark_under_uneven_light(grey)


def _dark_among_few(grey: np.ndarray, light: np.ndarray) -> bool | None:
    """Polarity of a digit that fills too little of the picture to reach its tones' outer
    hundredth (a digit written at its usual size on a photographed or scanned page): its
    tails of FEW pixels (a thousandth at most), once the light (``light``, the thumbnail's
    median) is taken out at working size, when one reaches over twice as far as the other;
    None when neither stands out (a bare board's grain)."""
    h, w = grey.shape
    lit = np.asarray(Image.fromarray(light, "F").resize((w, h), Image.Resampling.BILINEAR), np.float32)
    tail = min(0.1, 100 * FEW / grey.size)                       # percent of the pixels
    lo, hi = percentiles((grey - lit).ravel(), [tail, 100 - tail])
    if max(-lo, hi) < 2 * min(-lo, hi):
        return None
    return -lo > hi


def _edge(grey: np.ndarray, width: int = 2) -> np.ndarray:
    """The pixels of the picture's outer ``width`` rows and columns (corners twice)."""
    k = width
    return np.concatenate([grey[:k].ravel(), grey[-k:].ravel(), grey[:, :k].ravel(), grey[:, -k:].ravel()])


def _thumbnail(grey: np.ndarray, side: int = 32) -> np.ndarray:
    """``grey`` block-averaged to about ``side`` px on its longer side."""
    step = max(1, max(grey.shape) // side)
    thumb = grey[:grey.shape[0] // step * step, :grey.shape[1] // step * step]
    return thumb.reshape(thumb.shape[0] // step, step, -1, step).mean((1, 3))


def _dark_under_uneven_light(grey: np.ndarray) -> bool:
    """A second look before calling the ink light: whether, once the light is taken out
    (``_light``), the dark tail is at least twice the bright one. A flash or a lamp lights
    the middle of a page and leaves its edge dim, so the edge tells the paper wrongly and
    the bright middle looks like light ink."""
    thumb = _thumbnail(grey)
    lo, hi = percentiles(thumb.ravel() - _quadratic_terms(thumb.shape) @ _light(thumb), [1, 99])
    return -lo >= max(2 * hi, 0.05)


def _quadratic_terms(shape) -> np.ndarray:
    """1, x, y, x², y², xy at each pixel's centre (x, y from -0.5 to 0.5 across the picture), (h*w, 6)."""
    h, w = shape
    y, x = np.meshgrid((np.arange(h) + 0.5) / h - 0.5, (np.arange(w) + 0.5) / w - 0.5, indexing="ij")
    x, y = x.ravel(), y.ravel()
    return np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], 1)


def _light(thumb: np.ndarray) -> np.ndarray:
    """The light falling on the paper of a thumbnail, as the coefficients of a quadratic
    surface (``_quadratic_terms``): fitted three times, each time to the 40 % of pixels it
    fitted best (paper, not ink, whichever the ink's polarity)."""
    terms, values = _quadratic_terms(thumb.shape), thumb.ravel()
    fitted = np.ones(values.size, bool)
    for _ in range(3):
        coefficients = np.linalg.lstsq(terms[fitted], values[fitted], rcond=None)[0]
        misfit = np.abs(values - terms @ coefficients)
        fitted = misfit <= percentiles(misfit, [40])[0]
    return coefficients


def _flash_light(grey: np.ndarray) -> np.ndarray | None:
    """The light on the paper at each pixel when a flash or a lamp lights the middle of the
    picture and its edge is dim (the edge's brightest paper under 95 % of the picture's, and
    the fitted light a dome whose curvature alone dims the middle of the sides by a tenth or
    more); None otherwise. A filter wider than a stroke over-estimates the paper where such
    light falls off steeply: the dim corners came out as faint ink."""
    edge = _edge(grey)
    if percentiles(edge, [95])[0] >= 0.95 * percentiles(_sample(grey), [99])[0]:
        return None
    coefficients = _light(_thumbnail(grey))
    light = (_quadratic_terms(grey.shape) @ coefficients).reshape(grey.shape)
    curved, peak = coefficients[3:5], light.max()
    if (curved >= 0).any() or -curved.sum() / 4 < 0.1 * peak:
        return None
    return light


def _median3(a: np.ndarray) -> np.ndarray:
    """Separable 3x3 median (median of 3 along rows, then columns): removes isolated
    specks like a true median filter at a tenth of scipy's rank-filter cost."""
    p = np.pad(a, 1, mode="edge")
    a, b, c = p[:-2], p[1:-1], p[2:]                             # rows above, at, below
    rows = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    a, b, c = rows[:, :-2], rows[:, 1:-1], rows[:, 2:]           # then columns
    return np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))


def percentiles(values: np.ndarray, qs) -> np.ndarray:
    """np.percentile's default (linear) percentiles, by one partial sort at just the ranks
    needed: several times faster than np.percentile (or a full sort) on the few thousand
    values we ask about."""
    v = np.ravel(values)
    position = np.asarray(qs, np.float64) / 100 * (v.size - 1)
    lo = np.floor(position).astype(np.intp)
    hi = np.minimum(lo + 1, v.size - 1)
    v = np.partition(v, np.unique(np.concatenate([lo, hi])))
    return v[lo] + (v[hi] - v[lo]) * (position - lo)


def _dilate3(mask: np.ndarray) -> np.ndarray:
    """3x3 binary dilation by shifted ORs (rows, then columns): what maximum_filter(size=3)
    gives on a boolean image, at a tenth of its cost."""
    rows = mask.copy()
    rows[1:] |= mask[:-1]
    rows[:-1] |= mask[1:]
    out = rows.copy()
    out[:, 1:] |= rows[:, :-1]
    out[:, :-1] |= rows[:, 1:]
    return out


def _centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    total = float(a.sum())
    return (float(a.sum(1) @ np.arange(a.shape[0])) / total, float(a.sum(0) @ np.arange(a.shape[1])) / total)


def _sample(values: np.ndarray, most: int = 4096) -> np.ndarray:
    """A strided subsample of at most about ``most`` values, for quick percentiles."""
    step = max(1, int(np.sqrt(values.size / most)))
    return values[::step, ::step] if values.ndim == 2 else values[::step * step]


def clean(ink: np.ndarray, cut_round: bool = False) -> np.ndarray:
    """Scale ink so strokes reach 1, drop faint haze and specks; returns float32 [0, 1].
    ``cut_round``: the picture was cut round the ink with a margin (_around_ink), so straight
    lines from edge to edge are printing."""
    peak = float(ink.max())
    if peak < NO_INK:                    # less than 8 % contrast anywhere: no ink
        raise NoDigitError("no digit found: the image holds no ink (blank or flat)")
    mask = ink > _otsu(ink)
    labels, sizes, keep = _pieces(mask)
    boxes, pieces = ndimage.find_objects(labels), np.flatnonzero(keep)
    frames = _box_frames(labels, boxes, pieces)                    # a printed box apart from the digit
    if not frames:
        kept = keep[labels]
        printed = ruling(kept, *((CUT_LINE, 0, 1) if cut_round else ()))   # a ruled or squared page,
        if printed is None:                                        # or a form's box round the
            printed = box_sides(kept)                              # digit, touching it
        if printed is not None:
            mask &= ~printed
            labels, sizes, keep = _pieces(mask)
            boxes, pieces = ndimage.find_objects(labels), np.flatnonzero(keep)
            frames = _box_frames(labels, boxes, pieces)
    frames += _rules(boxes, pieces)                                # a form's line
    frames += _along_the_edge(boxes, pieces, mask.shape)             # a line the crop cut along
    frames += _lone_walls(labels, boxes, [p for p in pieces if p not in frames], sizes)
    if frames:
        keep[frames] = False                                       # specks are judged against the
        keep &= _not_specks(sizes, sizes[keep].max())              # digit now, not against the box
    kept = keep[labels]
    intruder = _from_the_edge(mask, labels, sizes, keep, boxes)
    if intruder is not None:
        kept &= ~intruder
        rest, n = ndimage.label(kept)                              # what is left of it is specks
        left = np.bincount(rest.ravel(), minlength=n + 1)
        kept &= _not_specks(left, left[1:].max())[rest] & (rest > 0)
    if np.count_nonzero(keep) > 1:
        kept &= ~_stray_dots(kept)                                 # dust, flecks of ink
    kept = _dilate3(kept)                                          # keep the strokes' soft edges
    strong = percentiles(_sample(ink[mask]), [90])[0]
    out = np.where(kept, ink / max(strong, 1e-6), 0.0)
    if (out > 0.5).sum() < 3:
        raise NoDigitError("no digit found: only specks of ink")
    return np.clip(out, 0, 1).astype(np.float32)


def _pieces(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pieces of ``mask``: labels, sizes in pixels and which are more than specks."""
    labels, n = ndimage.label(mask)
    if n == 0:
        raise NoDigitError("no digit found: the image holds no ink (blank or flat)")
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    keep = _not_specks(sizes, sizes[1:].max())                    # specks are tiny beside strokes
    keep[0] = False
    return labels, sizes, keep


def _not_specks(sizes: np.ndarray, largest) -> np.ndarray:
    """Which pieces (by their sizes in pixels) are more than specks beside the largest."""
    return sizes >= max(2, 0.02 * largest)


def _stray_dots(kept: np.ndarray) -> np.ndarray:
    """Dots apart from the digit (dust, a fleck of ink): pieces smaller than a square of the
    digit's stroke width, farther from the digit's box than a stroke is wide."""
    labels, n = ndimage.label(kept)
    if n < 2:
        return np.zeros_like(kept)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    sizes[0] = 0
    main = int(np.argmax(sizes))
    boxes = ndimage.find_objects(labels)
    width = 2 * sizes[main] / max(_outline(labels[boxes[main - 1]] == main), 1)   # of its strokes
    rows, cols = boxes[main - 1]
    dots = []
    for label in range(1, n + 1):
        if label == main or sizes[label] >= width ** 2:
            continue
        r, c = boxes[label - 1]
        gap = max(rows.start - r.stop, r.start - rows.stop, cols.start - c.stop, c.start - cols.stop, 0)
        if gap > width:
            dots.append(label)
    return np.isin(labels, dots)


def _touching_edge(labels: np.ndarray, near: int = 0) -> set[int]:
    """Labels of the pieces within ``near`` pixels of the picture's edge."""
    return set(np.unique(_edge(labels, near + 1)).tolist()) - {0}


def _from_the_edge(mask, labels, sizes, keep, boxes) -> np.ndarray | None:
    """Pixels of things that come in from the picture's edge and are no part of the digit:
    a finger holding the page, the desk in a corner, a shadow's dark wedge (solid: deeper
    than any stroke of the digit, reaching the edge), or a pen lying along a side (a straight
    bar across most of the picture, taken only when a piece of ink clear of the edge, at
    least a quarter as heavy as the largest piece at the edge, is there to be the digit).
    How deep a stroke may be is measured on that piece when there is one (its thickest
    point), else on all the ink (the middle of its strokes). Without such a piece, never more
    than 70 % of the ink: a bold digit cropped tight touches the edge itself (with one, the
    thing taken may outweigh a thin digit). None when nothing is taken."""
    kept = np.flatnonzero(keep)
    at_edge = _touching_edge(labels, near=2)
    outer = [label for label in kept if label in at_edge]
    if not outer:
        return None
    inner = [label for label in kept if label not in at_edge]
    digit = max(inner, key=lambda label: sizes[label]) if inner else None
    if digit is not None and sizes[digit] < 0.25 * max(sizes[label] for label in outer):
        digit = None
    h, w = mask.shape
    intruder = np.zeros(mask.shape, bool)
    depth = ndimage.distance_transform_edt(mask)                   # the picture's edge is not paper
    ink = np.isin(labels, kept)
    if digit is not None:
        for label in outer:
            rows, cols = boxes[label - 1]
            tall, wide = rows.stop - rows.start, cols.stop - cols.start
            if (wide >= 0.6 * w and tall <= 0.2 * wide) or (tall >= 0.6 * h and wide <= 0.2 * tall):
                intruder |= labels == label                        # a bar across the picture
        reach = SOLID * float(depth[labels == digit].max())
    else:
        ridge = ink & (depth >= ndimage.grey_dilation(depth, size=3)) & (depth >= 1)   # strokes' middles
        reach = THICK * float(np.median(depth[ridge]))
    from_outer = np.isin(labels, outer)
    core = from_outer & ~intruder & (depth > reach)
    if core.any():
        pieces, _ = ndimage.label(core)
        core = np.isin(pieces, list(_touching_edge(pieces)))
        if core.any():                                             # the solid part, grown back to its outline
            intruder |= (ndimage.distance_transform_edt(~core) <= reach + 1) & from_outer
    if not intruder.any() or (digit is None and np.count_nonzero(ink & ~intruder) < 0.3 * np.count_nonzero(ink)):
        return None
    return intruder


def _without_tips_of_shade(grey: np.ndarray, cleaned: np.ndarray, dark: bool) -> np.ndarray:
    """``cleaned`` without the pieces of ink that are only the tip of something coming in
    from the edge, a finger holding the page: wider than the paper filter's window, such a
    thing is taken for paper near the edge (beyond which the filter sees it continue) and
    for ink only at its tip, clear of the edge, where _from_the_edge cannot see it. A piece
    goes when the part of the picture as dark as its ink (within a quarter of the ink's
    contrast with the paper) reaches the edge through pixels that are not its ink, and does
    not hold the heaviest piece's ink, which always stays."""
    labels, n = ndimage.label(cleaned > 0)
    if n < 2:
        return cleaned
    weights = ndimage.sum(cleaned, labels, np.arange(1, n + 1))
    heaviest = labels == int(np.argmax(weights)) + 1
    tone = _median3(grey) if dark else 1 - _median3(grey)               # low = towards the ink
    paper = float(percentiles(_sample(tone), [50])[0])
    strong = cleaned > 0.5
    tips = []
    for label in np.flatnonzero(weights < weights.max()) + 1:
        ink = (labels == label) & strong
        if not ink.any():
            continue
        own = float(np.median(tone[ink]))
        if paper - own < 0.08:
            continue
        alike, _ = ndimage.label(tone <= own + 0.25 * (paper - own))
        region = np.isin(alike, np.unique(alike[ink])) & (alike > 0)
        if _edge(region & ~ink, 2).any() and not (region & heaviest & strong).any():
            tips.append(label)
    return np.where(np.isin(labels, tips), 0, cleaned).astype(np.float32) if tips else cleaned


def _box_frames(labels: np.ndarray, boxes: list, kept: np.ndarray) -> list[int]:
    """Labels of kept pieces that are a frame drawn around other kept ink: a form's printed
    box (nearly all its pixels in a band along its own bounding box's sides, that box
    enclosing another kept piece) or a ring drawn round the digit (a closed curve whose hole
    holds other kept ink at least a third as tall and RING_HELD as heavy: a score circled on
    a test; a small break where its faint line fell below the threshold is bridged). A 0 or
    an O has its pixels on a curve, not on the box, and nothing of weight inside.
    ``boxes`` are the pieces' slices (ndimage.find_objects), ``kept`` the kept labels."""
    frames = []
    for label in kept:
        rows, cols = boxes[label - 1]
        h, w = rows.stop - rows.start, cols.stop - cols.start
        if min(h, w) < 12:
            continue
        inside = [other for other in kept if other != label
                  and boxes[other - 1][0].start >= rows.start and boxes[other - 1][0].stop <= rows.stop
                  and boxes[other - 1][1].start >= cols.start and boxes[other - 1][1].stop <= cols.stop]
        if not inside:
            continue
        piece = labels[rows, cols] == label
        band = max(2, round(0.1 * min(h, w)))
        corners = [piece[:band, :band], piece[:band, -band:], piece[-band:, :band], piece[-band:, -band:]]
        if piece[band:-band, band:-band].sum() <= 0.1 * piece.sum() and all(c.any() for c in corners):
            frames.append(int(label))
            continue
        held = np.isin(labels[rows, cols], inside)
        tall = max(boxes[other - 1][0].stop - boxes[other - 1][0].start for other in inside)
        if np.count_nonzero(held) < RING_HELD * np.count_nonzero(piece) or tall < 0.3 * h:
            continue
        gap = max(1, round(RING_GAP * min(h, w)))    # a ring's line may break where it is faint
        ring = ndimage.binary_dilation(np.pad(piece, gap), iterations=gap)
        if np.count_nonzero(np.pad(held, gap) & ndimage.binary_fill_holes(ring)) >= 0.9 * np.count_nonzero(held):
            frames.append(int(label))
    return frames


def _rules(boxes: list, kept: np.ndarray) -> list[int]:
    """Labels of kept pieces that are a horizontal line to write on (a form's field, an
    underline): thin and straight (at most a tenth as tall as long) and longer than one and
    a half times the rest of the ink is wide. A 5's loose bar is no longer than the 5."""
    rules = []
    for label in kept:
        rows, cols = boxes[label - 1]
        if rows.stop - rows.start > 0.1 * (cols.stop - cols.start):
            continue
        rest = [boxes[other - 1][1] for other in kept if other != label]
        if rest and cols.stop - cols.start > 1.5 * (max(c.stop for c in rest) - min(c.start for c in rest)):
            rules.append(int(label))
    return rules


def _along_the_edge(boxes: list, kept: np.ndarray, shape: tuple[int, int]) -> list[int]:
    """Labels of kept pieces lying flat along an edge of the picture (flat_along_edges),
    together along EDGE_COVER of the edge or more, where the rest of the ink keeps clear of that
    edge: a ruled or printed line (a notebook's margin, a form's wall) that the crop cut along,
    broken up at the threshold into stretches too short to be taken for a line (and read as a
    bar beside the digit). A stroke of the digit that reaches the edge is joined to the rest of
    it, so not flat; a digit cropped tight reaches the edge itself (a fat marker's strokes,
    hollowed by the paper filter, leave short thin shells there)."""
    flat = flat_along_edges(boxes, kept, shape)
    for edge, pieces in flat.items():                       # a line runs along most of the edge
        axis = 1 if edge in ("top", "bottom") else 0        # the pieces' extent along the edge
        covered = sum(boxes[label - 1][axis].stop - boxes[label - 1][axis].start for label in pieces)
        if covered < EDGE_COVER * shape[axis]:
            flat[edge] = []
    lines = {label for pieces in flat.values() for label in pieces}
    rest = [boxes[label - 1] for label in kept if label not in lines]
    return [label for edge, pieces in flat.items() for label in pieces
            if rest and not any(touches(box, edge, shape) for box in rest)]


def _lone_walls(labels: np.ndarray, boxes: list, kept: list, sizes: np.ndarray) -> list[int]:
    """Labels of kept pieces that are what is left of a printed box whose faint lines broke
    up: a straight vertical line (FRAME_WALL of its height), alone beside the rest of the ink,
    WALL_TALL times as tall as the rest and reaching past it above and below by WALL_BEYOND of
    its height, and thinner than the digit's strokes; a line along its top or bottom may
    hang from it. A 4's stem, a 1, is part of the digit's strokes, not that thin beside them."""
    walls = []
    for label in kept:
        rest = [boxes[other - 1] for other in kept if other != label]
        if not rest:
            return walls
        rows, cols = boxes[label - 1]
        top, bottom = min(r.start for r, _ in rest), max(r.stop for r, _ in rest)
        left, right = min(c.start for _, c in rest), max(c.stop for _, c in rest)
        h, beyond = rows.stop - rows.start, WALL_BEYOND * (bottom - top)
        if h < WALL_TALL * (bottom - top) or rows.start > top - beyond or rows.stop < bottom + beyond:
            continue
        piece = labels[rows, cols] == label
        down = straight_runs(piece, int(FRAME_WALL * h), vertical=True)
        at = cols.start + np.flatnonzero(down.any(0))
        if at.size == 0 or not (at.max() < left or at.min() >= right):
            continue
        band = max(2, h // 8)
        if np.count_nonzero((piece & ~ndimage.binary_dilation(down))[band:-band]) > 0.05 * np.count_nonzero(piece):
            continue                                              # more than straight lines
        digit = max((other for other in kept if other != label), key=lambda other: sizes[other])
        stroke = 2 * sizes[digit] / max(_outline(labels[boxes[digit - 1]] == digit), 1)
        if np.count_nonzero(down) / h <= WALL_THIN * stroke:
            walls.append(int(label))
    return walls


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold between background and ink, on a 64-bin histogram."""
    top = float(values.max())
    hist = np.bincount(np.minimum((values * (64 / top)).astype(np.int32), 63).ravel(), minlength=64)
    centres = (np.arange(64) + 0.5) * (top / 64)
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(centres[np.argmax(between[:-1])])


# --------------------------------------------------------------------------- framing

def frame(ink: np.ndarray, box: int = 20, size: int = 28) -> np.ndarray:
    """Crop to the ink, fit it in ``box`` x ``box`` keeping the aspect ratio, and place it
    in ``size`` x ``size`` so its centre of mass is at the centre (as MNIST was made)."""
    rows, cols = np.nonzero(ink > 0.05)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    f = box / max(h, w)
    nh, nw = max(1, round(h * f)), max(1, round(w * f))
    glyph = np.asarray(Image.fromarray(crop, "F").resize((nw, nh), Image.Resampling.LANCZOS if f < 1
                                                         else Image.Resampling.BILINEAR))
    glyph = glyph.clip(0, 1)
    canvas = np.zeros((size, size), dtype=np.float32)
    cy, cx = _centre_of_mass(glyph)
    top = int(np.clip(round(size / 2 - 0.5 - cy), 0, size - nh))
    left = int(np.clip(round(size / 2 - 0.5 - cx), 0, size - nw))
    canvas[top:top + nh, left:left + nw] = glyph
    canvas[canvas < PAPER] = 0.0          # MNIST's paper is exactly black: no faint haze or ringing
    return canvas


def stroke_share(ink: np.ndarray, whole: bool = False, piece=None) -> tuple[float, int]:
    """(the strokes' width as a share of the size of the largest piece of ink, that size).

    The width is twice the ink's mass over the length of its outline (a long stroke of
    width w and length L: 2wL / 2L); the size is the piece's larger side. The largest
    piece, not all the ink, so that a stray mark far from the digit (the wedge of a
    shadow's edge) does not make the digit look thin; ``whole``: the size of all the ink
    instead (quicker, and never a larger share); ``piece``: the largest piece's box, when
    already known (_largest_piece)."""
    mask = ink > 0.5
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return 1.0, 0
    outline = _outline(mask)
    if whole:
        size = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    else:
        rows, cols = piece or _largest_piece(mask)
        size = max(rows.stop - rows.start, cols.stop - cols.start)
    return 2 * float(ink.sum()) / max(outline, 1) / size, size


def _outline(mask: np.ndarray) -> int:
    """How many pixel sides a mask's outline has (the picture's edge counting as outline)."""
    return int(np.count_nonzero(mask[1:] != mask[:-1]) + np.count_nonzero(mask[:, 1:] != mask[:, :-1])
               + mask[[0, -1]].sum() + mask[:, [0, -1]].sum())


def _largest_piece(mask: np.ndarray) -> tuple[slice, slice]:
    """The bounding box (row and column slices) of the largest piece of a mask holding some."""
    labels, _ = ndimage.label(mask)
    return ndimage.find_objects(labels)[int(np.argmax(np.bincount(labels.ravel())[1:]))]


def even_strokes(ink: np.ndarray) -> np.ndarray:
    """Strokes far thinner for the digit's size than any in MNIST (a fine pen on a large
    digit) widened to a thin MNIST stroke, by a grey dilation with a disc: the network has
    never seen hairlines."""
    if stroke_share(ink, whole=True)[0] >= THIN:                    # the usual case, told quickly
        return ink
    rows, cols = _largest_piece(ink > 0.5)
    share, size = stroke_share(ink, piece=(rows, cols))
    if share >= THIN or cols.stop - cols.start > 1.5 * (rows.stop - rows.start):   # a line, not a digit
        return ink
    grow = int(round((STROKE - share) * size / (1 - STROKE)))   # the dilation widens the digit too
    if grow < 1:
        return ink
    across = np.arange(grow + 1) - grow / 2                         # a disc grow + 1 px across
    disc = across[:, None] ** 2 + across[None, :] ** 2 <= (grow / 2 + 0.5) ** 2
    return ndimage.grey_dilation(np.pad(ink, grow), footprint=disc)


def stages(source) -> dict:
    """Every step of preprocessing, for pictures: original, grey, ink, cleaned, framed 28x28.

    A sheet of paper photographed on a darker desk is cut out first; a digit that fills
    little of a large picture is found at working size, then cleaned again from the picture's
    own pixels around it ("grey" is then that crop); one too small to find there is looked
    for again at a finer scale (``_small_digit``). Lines of a fine pen survive the shrink to
    working size and are widened to an MNIST stroke ("cleaned" shows them widened).
    """
    original = open_image(source)
    full = to_grey(original)
    try:
        return _stages(original, full)
    except NoDigitError:
        closer = _small_digit(source, original, full)
        if closer is None:
            raise
        return _stages(original, closer)


def _stages(original: Image.Image, full: np.ndarray) -> dict:
    grey = working_image(full)
    page = page_of(full, grey)
    if page is not None:
        full, grey = page[0], working_image(page[0])
    ink, cleaned = _cleaned(grey)
    closer = _around_ink(full, cleaned)
    if closer is not None:
        grey = working_image(closer)
        ink, cleaned = _cleaned(grey, cut_round=True)
    margined = _with_margin(grey, cleaned)
    if margined is not None:
        grey = margined
        ink, cleaned = _cleaned(grey)
    cleaned = even_strokes(cleaned)
    return {"original": original, "grey": grey, "ink": ink, "cleaned": cleaned,
            "framed": frame(cleaned)}


def _cleaned(grey: np.ndarray, cut_round: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The ink map of a working image and its cleaned ink (``clean``, then finger tips gone),
    the polarity judged once for both."""
    dark = dark_ink(grey)
    ink = ink_map(grey, dark)
    return ink, _without_tips_of_shade(grey, clean(ink, cut_round), dark)


def page_of(full: np.ndarray, grey: np.ndarray) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The sheet of paper, when the picture shows one lying on something darker.

    The largest bright region, its holes (the writing) filled, is taken for a sheet when it
    covers over a third of the picture, is nearly rectangular (tilted a little: straight
    sides), is nearly all bright within (the paper inside a 0 or an 8 counts: not a bold chalk
    digit with its holes filled), leaves
    the desk showing on at least two sides and meets it at a sharp edge (not the soft border
    of uneven light). ``grey`` is ``full`` at working size. Returns the full-resolution pixels
    of its bounding box, with the desk and the sheet's rim painted in the paper's tone, and
    where that box starts in ``full`` (top, left); None otherwise.
    """
    if float(grey.max()) - float(grey.min()) < 0.08:                # flat: no sheet, no ink
        return None
    bright = grey > _otsu(grey)
    if sum(edge.mean() < 0.5 for edge in (bright[0], bright[-1], bright[:, 0], bright[:, -1])) < 2:
        return None                                                # quick: paper all round the edge
    labels, n = ndimage.label(bright)
    if n == 0:
        return None
    largest = labels == np.argmax(np.bincount(labels.ravel())[1:]) + 1
    sheet = ndimage.binary_fill_holes(largest)
    rows, cols = _box_of(sheet)
    area, box = sheet.sum(), (rows.stop - rows.start) * (cols.stop - cols.start)
    h, w = grey.shape
    margin = 0.02 * max(h, w)
    sides = sum([rows.start > margin, cols.start > margin, rows.stop < h - margin, cols.stop < w - margin])
    if sides < 2 or area < grey.size / 3 or area < 0.75 * box or np.count_nonzero(bright & sheet) < 0.8 * area:
        return None
    if not (_straight_sided(sheet[rows, cols]) and _straight_sided(sheet[rows, cols].T)):
        return None
    rim = sheet & ~ndimage.binary_erosion(sheet, iterations=2)
    around = ndimage.binary_dilation(sheet, iterations=2) & ~sheet
    if np.median(grey[rim]) - np.median(grey[around]) < 0.15:
        return None
    inner = ndimage.binary_erosion(sheet, iterations=max(1, round(0.03 * max(h, w))))
    mask = np.asarray(Image.fromarray(inner.astype(np.uint8) * 255).resize(full.shape[::-1], Image.Resampling.NEAREST)) > 0
    if not mask.any():
        return None
    paper = np.float32(percentiles(_sample(full[mask]), [50])[0])
    rows, cols = _box_of(mask)
    page = np.where(mask[rows, cols], full[rows, cols], paper).astype(np.float32)
    return (page, (rows.start, cols.start)) if min(page.shape) >= MIN_SIDE else None


def _box_of(mask: np.ndarray) -> tuple[slice, slice]:
    """The bounding box (row and column slices) of a mask holding some pixels."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _straight_sided(region: np.ndarray) -> bool:
    """Whether a region's rows, over the middle 60 % of its height, are all about as wide:
    true of a (slightly tilted) rectangle, not of an oval or a digit."""
    h = region.shape[0]
    widths = region[int(0.2 * h):max(int(0.8 * h), int(0.2 * h) + 1)].sum(1)
    return widths.min() >= 0.9 * widths.max()


def _with_margin(grey: np.ndarray, cleaned: np.ndarray) -> np.ndarray | None:
    """A picture cropped tight round the digit (its ink, all pieces together, reaches three
    sides or four) with a margin of paper added all round, a quarter of its longer side: the
    paper is estimated by a filter wider than a stroke, which needs paper round every stroke.
    (Bold strokes cropped tight come out of that filter hollow, in several pieces of which
    none need reach three sides.) The
    paper's tone is the brightest tenth of the picture's edge (darkest for light ink), where
    the ink does not reach. None when the digit keeps clear of the edge."""
    if not (cleaned > 0.2).any():
        return None
    rows, cols = _box_of(cleaned > 0.2)
    h, w = cleaned.shape
    if sum([rows.start <= 2, cols.start <= 2, rows.stop >= h - 2, cols.stop >= w - 2]) < 3 \
            or cols.stop - cols.start > 1.5 * (rows.stop - rows.start):       # a digit, not a form's line
        return None
    edge = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = percentiles(edge, [90 if dark_ink(grey) else 10])[0]
    return np.pad(grey, max(h, w) // 4, constant_values=paper)


def _small_digit(source, original: Image.Image, full: np.ndarray) -> np.ndarray | None:
    """A second, finer look for a digit too small to find at working size (one written at
    its usual size on a photographed or scanned page, a few hundredths of the picture's
    side): a large JPEG decoded at a larger scale than at first, a search at SEARCH_SIDE for
    the largest piece of ink over a quarter of the strongest that reaches half of it, and
    the picture's pixels around that piece (as _around_ink). None when the picture has no
    more pixels to offer, or when that ink is under GRAIN times the strongest grain of the
    rest (a bare board's noise)."""
    if original.format == "JPEG" and isinstance(source, (bytes, bytearray, memoryview, str, Path)):
        finer = open_image(source, draft=SEARCH_SIDE * 2)       # bytes and files can be read again
        if finer.size != original.size:
            full = to_grey(finer)
    if max(full.shape) < 1.5 * WORK_SIDE:
        return None
    ink = ink_map(working_image(full, SEARCH_SIDE))
    peak = float(ink.max())
    if peak < NO_INK:
        return None
    pieces, n = ndimage.label(ink > 0.25 * peak)
    sizes = np.bincount(pieces.ravel(), minlength=n + 1)
    sizes[1:][np.asarray(ndimage.maximum(ink, pieces, np.arange(1, n + 1))) < 0.5 * peak] = 0
    largest = pieces == np.argmax(sizes[1:]) + 1
    around = ndimage.binary_dilation(largest, iterations=3)
    if around.all() or np.median(ink[largest]) < GRAIN * percentiles(_sample(ink[~around]), [99.5])[0]:
        return None
    return _around_ink(full, largest.astype(np.float32))


def _around_ink(full: np.ndarray, cleaned: np.ndarray) -> np.ndarray | None:
    """The full-resolution pixels around the ink, with a margin of half the ink's size,
    when the ink spans under ZOOM of the working image and the picture has more pixels
    than the working image to offer; None otherwise."""
    rows, cols = np.nonzero(cleaned > PAPER)
    extent = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    scale = max(full.shape) / max(cleaned.shape)
    if extent >= ZOOM * max(cleaned.shape) or scale < 1.5:
        return None
    margin = extent / 2
    top, bottom = (max(0, int((rows.min() - margin) * scale)), int((rows.max() + 1 + margin) * scale))
    left, right = (max(0, int((cols.min() - margin) * scale)), int((cols.max() + 1 + margin) * scale))
    crop = full[top:bottom, left:right]
    return crop if min(crop.shape) >= MIN_SIDE else None


def to_mnist(source) -> np.ndarray:
    """Any image of one digit -> 28x28 float32 in [0, 1], bright ink on black, like MNIST."""
    return stages(source)["framed"]


def preprocess(source):
    """Any image of one digit -> a (1, 28, 28) torch tensor normalised like the training
    data (needs PyTorch; ``to_mnist`` gives the same image as numpy, unnormalised).

    Raises ImageError for input that is not a readable image of sensible size, and
    NoDigitError (a kind of ImageError) when it holds no ink.
    """
    import torch

    from .data import normalize
    return normalize(torch.from_numpy(to_mnist(source)).unsqueeze(0))
