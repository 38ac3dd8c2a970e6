"""Sample media for publishing offline, made on demand: JPEGs of several shapes, a PNG, and a
minimal MP4 whose movie header says it lasts 12 seconds."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from functools import cache

from PIL import Image


def _image(width: int, height: int, fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (214, 140, 69)).save(out, format=fmt)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


@cache
def mp4(seconds: int = 12) -> bytes:
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    # mvhd version 0: flags, created, modified, timescale, duration, then the rest zeroed
    mvhd = _box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, seconds * 1000) + bytes(80))
    return ftyp + _box(b"moov", mvhd) + _box(b"mdat", bytes(2048))


SAMPLES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "square.jpg": ("image/jpeg", cache(lambda: _image(1080, 1080, "JPEG"))),
    "portrait.jpg": ("image/jpeg", cache(lambda: _image(1080, 1350, "JPEG"))),
    "banner.jpg": ("image/jpeg", cache(lambda: _image(1500, 400, "JPEG"))),
    "logo.png": ("image/png", cache(lambda: _image(800, 800, "PNG"))),
    "clip.mp4": ("video/mp4", mp4),
    "short.mp4": ("video/mp4", cache(lambda: mp4(2))),
}
