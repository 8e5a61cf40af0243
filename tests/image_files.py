"""Image files for tests, made in memory: PNG, HEIC and PDF bytes of a picture, a PNG that lies
about its size, a picture lit by a flash, a photographed page with a small digit on it, a broken
line along an edge, and digits drawn as pen strokes."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw


def png(image) -> bytes:
    """PNG bytes of a PIL image or a uint8 array."""
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))).save(buffer, "PNG")
    return buffer.getvalue()


def heic(picture: Image.Image) -> bytes:
    """HEIC bytes of a PIL image, as many phones save their photos (skips without pillow-heif)."""
    pillow_heif = pytest.importorskip("pillow_heif")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(picture).save(buffer, quality=85)
    return buffer.getvalue()


def pdf(picture: Image.Image, resolution: int = 150) -> bytes:
    """A one-page PDF holding a PIL image, as a scanner saves a page."""
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "PDF", resolution=resolution)
    return buffer.getvalue()


def png_claiming(width, height):
    """A PNG whose header claims a size (the pixel data is a token few bytes)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def lit_by_a_flash(picture: Image.Image, strength: float) -> Image.Image:
    """``picture`` with light falling off from its middle: the corners get 1 - strength of it."""
    lit = np.asarray(picture, np.float32)
    h, w = lit.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    falloff = 1 - strength * ((yy - h / 2) ** 2 + (xx - w / 2) ** 2) / ((h / 2) ** 2 + (w / 2) ** 2)
    return Image.fromarray((lit * falloff[..., None]).astype(np.uint8))


def on_a_photographed_page(digit: np.ndarray, rng: np.random.Generator, height: float) -> bytes:
    """JPEG bytes of a phone-sized photo of a page (1,200-2,400 px, 4:3) with an MNIST digit
    (bright ink, 28x28) written on it in dark ink ``height`` of the page's longer side tall,
    light falling across the page and sensor noise."""
    w = int(rng.integers(1200, 2400))
    h = w * 3 // 4
    side = int(height * w / 0.75)                        # MNIST's 28 px box is 20 px of digit
    glyph = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC), np.float32) / 255
    coverage = np.zeros((h, w), np.float32)
    top, left = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
    coverage[top:top + side, left:left + side] = glyph.clip(0, 1)
    light = 1 - rng.uniform(0.05, 0.3) * np.linspace(0, 1, w)[None, :]
    paper, ink = rng.uniform(200, 245), rng.uniform(20, 70)
    page = (paper * (1 - coverage) + ink * coverage) * light + rng.normal(0, rng.uniform(2, 8), (h, w))
    buffer = io.BytesIO()
    Image.fromarray(page.clip(0, 255).astype(np.uint8)).convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def with_a_broken_line(picture: Image.Image, edge: str, rng: np.random.Generator) -> Image.Image:
    """The picture with a 2-px printed line along one edge (top, bottom, left or right), in
    stretches of 10-60 px with gaps of 2-4 px, as a faint ruled line breaks up."""
    along, at = ((picture.width, 0 if edge == "top" else picture.height - 1) if edge in ("top", "bottom")
                 else (picture.height, 0 if edge == "left" else picture.width - 1))
    start = 0
    while start < along:
        run = int(rng.integers(10, 60))
        ends = [(start, at), (start + run, at)] if edge in ("top", "bottom") else [(at, start), (at, start + run)]
        ImageDraw.Draw(picture).line(ends, fill=(90, 90, 110), width=2)
        start += run + int(rng.integers(2, 5))
    return picture


def drawn(strokes, rng: np.random.Generator, side: int = 200) -> Image.Image:
    """A digit drawn as pen strokes on white: ``strokes`` are polylines in a 100x100 box, drawn
    with a 5-15 px pen, shaken by 2 px, stretched to the picture's height and slanted at random."""
    picture = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(picture)
    width, slant = int(rng.integers(5, 16)), rng.uniform(-0.3, 0.3)
    for stroke in strokes:
        points = [(x + rng.normal(0, 2), y + rng.normal(0, 2)) for x, y in stroke]
        pen.line([(40 + x * 1.2 + slant * (100 - y), 20 + y * 1.6) for x, y in points], fill=0, width=width,
                 joint="curve")
    return picture


def flagged_one(rng: np.random.Generator) -> list:
    """The strokes of a 1 with a flag: 15-45 % of its height long, 20-70 degrees below the horizontal."""
    length, fall = rng.uniform(15, 45), np.radians(rng.uniform(20, 70))
    return [[(55 - length * np.cos(fall), 5 + length * np.sin(fall)), (55, 5), (55 + rng.uniform(-5, 5), 100)]]


def seven(rng: np.random.Generator) -> list:
    """The strokes of a 7 whose bar is 45-80 % of its height long and at most 20 degrees off level."""
    length, fall = rng.uniform(45, 80), np.radians(rng.uniform(0, 20))
    return [[(85 - length * np.cos(fall), 5 + length * np.sin(fall)), (85, 5), (rng.uniform(25, 60), 100)]]
