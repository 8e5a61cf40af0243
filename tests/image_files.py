"""Image files for tests, made in memory: PNG bytes of an array, and a PNG that lies about its size."""
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
