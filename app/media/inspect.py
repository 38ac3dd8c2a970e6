"""What an uploaded file is, read from its bytes (never from its name or the client's header):
an image's format and size (Pillow), a video's container and duration (the MP4/MOV `mvhd` box)
and its first frame (PyAV) for the thumbnail.
Instagram takes JPEG only, so PNG and WebP uploads are converted to JPEG here."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from app.errors import AppError, PayloadTooLarge

THUMBNAIL_PX = 320
_MOOV_MAX_BYTES = 64 * 1024 * 1024  # a movie header is kilobytes to a few megabytes
_CONVERTIBLE = {"PNG", "WEBP", "MPO"}


class UnsupportedMedia(AppError):
    status_code = 415
    error_code = "media_type_unsupported"


@dataclass(frozen=True)
class Inspected:
    kind: str  # image | video
    content_type: str
    extension: str
    data: bytes | None  # None: a video, stored from the uploaded file itself
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    thumbnail: bytes | None = None


def inspect_media(source: BinaryIO, *, max_image_bytes: int) -> Inspected:
    """`source` is the upload, seekable (on disk past a megabyte). A video is read where it is,
    never whole into memory: its header for the length, its first frame for the thumbnail;
    `data` is then None and the file itself is stored. Anything else is an image, read only when
    it is within `max_image_bytes` (its JPEG must be too)."""
    source.seek(0)
    head = source.read(12)
    source.seek(0)
    if _is_iso_video(head):
        frame = _first_frame(source)
        source.seek(0)
        return Inspected(
            kind="video",
            content_type="video/quicktime" if head[8:12] == b"qt  " else "video/mp4",
            extension="mov" if head[8:12] == b"qt  " else "mp4",
            data=None,
            width=frame.width if frame else None,
            height=frame.height if frame else None,
            duration_s=mp4_file_duration(source),
            thumbnail=_thumbnail(frame) if frame else None,
        )
    source.seek(0, 2)
    if source.tell() > max_image_bytes:
        raise _image_too_large(max_image_bytes)
    source.seek(0)
    data = source.read()
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UnsupportedMedia(
            "the file is neither an image (JPEG, PNG, WebP) nor an MP4/MOV video",
        ) from exc
    if image.format not in {"JPEG", *_CONVERTIBLE}:
        raise UnsupportedMedia(f"{image.format} images are not supported: use JPEG or PNG")
    if image.format != "JPEG":
        data = _to_jpeg(image)
        if len(data) > max_image_bytes:
            raise _image_too_large(max_image_bytes)
    return Inspected(
        kind="image",
        content_type="image/jpeg",
        extension="jpg",
        data=data,
        width=image.width,
        height=image.height,
        thumbnail=_thumbnail(image),
    )


def _first_frame(source: BinaryIO) -> Image.Image | None:
    """The video's first picture (FFmpeg, shipped inside PyAV's wheel), for its thumbnail and
    size; None when it cannot be decoded (Meta then judges the file)."""
    import av

    try:
        with av.open(source, mode="r") as container:
            if not container.streams.video:
                return None
            for frame in container.decode(video=0):
                return frame.to_image()
    except Exception:  # a hostile or broken file, however FFmpeg fails on it: no thumbnail
        return None
    return None


def _image_too_large(cap: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"images can be at most {cap // (1024 * 1024)} MB", error_code="media_too_large"
    )


def _to_jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    copy = image.convert("RGB")
    copy.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _is_iso_video(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp"


def mp4_duration(data: bytes) -> float | None:
    """Seconds, from the movie header (`moov/mvhd`), or None when it cannot be read."""
    moov = _box(data, 0, len(data), b"moov")
    if moov is None:
        return None
    mvhd = _box(data, moov[0], moov[1], b"mvhd")
    if mvhd is None:
        return None
    start = mvhd[0]
    version = data[start]
    try:
        if version == 1:
            timescale, duration = struct.unpack(">IQ", data[start + 20 : start + 32])
        else:
            timescale, duration = struct.unpack(">II", data[start + 12 : start + 20])
    except struct.error:
        return None
    return duration / timescale if timescale else None


def mp4_file_duration(source: BinaryIO) -> float | None:
    """As mp4_duration, for a file: the top-level boxes are walked by seeking (the media data
    is never read), and only the movie header box is read."""
    source.seek(0, 2)
    end = source.tell()
    at = 0
    while at + 8 <= end:
        source.seek(at)
        header = source.read(16)
        size, kind = struct.unpack(">I4s", header[:8])
        if size == 1 and len(header) == 16:
            size = struct.unpack(">Q", header[8:16])[0]
        elif size == 0:
            size = end - at
        if size < 8:
            return None
        if kind == b"moov":
            source.seek(at)
            return mp4_duration(source.read(min(size, _MOOV_MAX_BYTES)))
        at += size
    return None


def _box(data: bytes, start: int, end: int, name: bytes) -> tuple[int, int] | None:
    """(content start, end) of the first box called `name` between start and end."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        header = 8
        if size == 1 and at + 16 <= end:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
            header = 16
        elif size == 0:
            size = end - at
        if size < header:
            return None
        if kind == name:
            return at + header, min(at + size, end)
        at += size
    return None
