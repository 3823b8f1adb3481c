"""Public derivatives: copies of images without EXIF, GPS or other metadata."""

from __future__ import annotations

import io
from typing import BinaryIO

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from dadkhahi.documents.images import open_whole

_SAVE_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WEBP", "GIF": "PNG"}


def strip_image_metadata(original: BinaryIO) -> tuple[bytes, str] | None:
    """Re-encode an image from its pixels alone; returns (bytes, media type) or None.

    Orientation from EXIF is applied to the pixels first, so the public copy
    looks as the original does although its EXIF block is gone. Only pixel data
    is carried over: EXIF, GPS, XMP, IPTC, ICC comments and text chunks are not.
    """
    try:
        # Decoded whole: a cut-short file gets no copy (whatever Pillow's global switch says).
        with open_whole(original) as img:
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
    except (OSError, Image.DecompressionBombError):
        return None
    return out.getvalue(), Image.MIME[fmt]


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return None  # maker notes and thumbnails: opaque, often large
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)[:300]
    return str(value)[:300]


def _degrees(value: object, ref: object) -> float | None:
    try:
        d, m, sec = (float(x) for x in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    sign = -1.0 if str(ref).upper() in ("S", "W") else 1.0
    return round(sign * (d + m / 60 + sec / 3600), 7)


def image_metadata(original: BinaryIO) -> dict[str, str]:
    """What a public copy leaves out of an image: its EXIF tags (camera, software,
    times), GPS tags with the position in decimal degrees, and text chunks; {} if none.

    Kept sealed with the original (camera, time and place can identify who took it).
    """
    try:
        with Image.open(original) as img:
            exif = img.getexif()
            found: dict[str, str] = {}
            tables = ((exif, ExifTags.TAGS), (exif.get_ifd(ExifTags.IFD.Exif), ExifTags.TAGS),
                      (exif.get_ifd(ExifTags.IFD.GPSInfo), ExifTags.GPSTAGS))
            for tags, names in tables:
                for tag, value in tags.items():
                    if tag in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
                        continue
                    text = _text(value)
                    if text is not None:
                        found[str(names.get(tag, f"tag {tag}"))] = text
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
            lat = _degrees(gps.get(2), gps.get(1))
            lon = _degrees(gps.get(4), gps.get(3))
            if lat is not None and lon is not None:
                found["GPS position"] = f"{lat}, {lon}"
            for key, value in img.info.items():
                if isinstance(value, str) and key not in ("exif", "icc_profile"):
                    found[f"text {key}"] = value[:300]
    except (UnidentifiedImageError, OSError):
        return {}
    return found
