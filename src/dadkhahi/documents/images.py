"""The one way the project decodes an image with Pillow: whole, or not at all.

Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES`` is one switch for the whole process, and
libraries turn it on for their own ends (importing WeasyPrint does). With it on, a PNG or
JPEG cut short decodes into a picture padded with grey, which text extraction would OCR,
a public copy would keep and a redaction would paint over as if it were the file. So every
reader of ours decodes through :func:`open_whole`, which holds the switch off while it
decodes (under one lock, so two readers never undo each other) and then gives it back as
it found it; what decodes is fully in memory before the caller looks at it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from PIL import Image

_SWITCH = threading.Lock()


class ImageTooLargeError(ValueError):
    """The image has more pixels than the caller allows (found before it is decoded)."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"the image is {width}x{height} pixels")
        self.width, self.height = width, height


@contextmanager
def open_whole(
    source: bytes | BinaryIO, *, max_pixels: int | None = None
) -> Iterator[Image.Image]:
    """An image decoded whole (a file object given is left open, as Pillow leaves it).

    Raises ``OSError`` (Pillow's ``UnidentifiedImageError`` among them) for what is not an
    image or is damaged or cut short, whatever ``ImageFile.LOAD_TRUNCATED_IMAGES`` says;
    Pillow's ``DecompressionBombError`` for a bomb; :class:`ImageTooLargeError` for more than
    ``max_pixels`` pixels (checked from the header, before any decoding).
    """
    from PIL import Image, ImageFile

    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    # Left as Image's context manager leaves it: a caller's file object stays open.
    with Image.open(fp) as img:
        if max_pixels is not None and img.width * img.height > max_pixels:
            raise ImageTooLargeError(img.width, img.height)
        with _SWITCH:
            before = ImageFile.LOAD_TRUNCATED_IMAGES
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            try:
                img.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = before
        yield img


__all__ = ["ImageTooLargeError", "open_whole"]
