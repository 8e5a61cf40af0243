"""Image files for tests, made in memory: PNG bytes of an array, a PNG that lies about its size,
and a picture lit by a flash."""
import io
import struct
import zlib

import numpy as np
from PIL import Image


def png(image) -> bytes:
    """PNG bytes of a PIL image or a uint8 array."""
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))).save(buffer, "PNG")
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
