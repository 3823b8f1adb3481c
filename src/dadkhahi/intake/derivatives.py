"""Public derivatives: copies of images without EXIF, GPS or other metadata."""

from __future__ import annotations

import io
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

_SAVE_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WEBP", "GIF": "PNG"}


def strip_image_metadata(original: BinaryIO) -> tuple[bytes, str] | None:
    """Re-encode an image from its pixels alone; returns (bytes, media type) or None.

    Orientation from EXIF is applied to the pixels first, so the public copy
    looks as the original does although its EXIF block is gone. Only pixel data
    is carried over: EXIF, GPS, XMP, IPTC, ICC comments and text chunks are not.
    """
    try:
        with Image.open(original) as img:
            fmt = _SAVE_FORMAT.get(img.format or "")
            if fmt is None:
                return None
            upright = ImageOps.exif_transpose(img)
            # A new image built from raw pixel bytes carries no info dict at all.
            clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
            palette = upright.getpalette() if upright.mode == "P" else None
            if palette:
                clean.putpalette(palette)
            out = io.BytesIO()
            save_kwargs: dict[str, object] = {"quality": 95} if fmt == "JPEG" else {}
            clean.save(out, format=fmt, **save_kwargs)
    except (UnidentifiedImageError, OSError):
        return None
    return out.getvalue(), Image.MIME[fmt]
