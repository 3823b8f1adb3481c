"""Media types from content (libmagic), never from the file name."""

from __future__ import annotations

from pathlib import Path

import magic

_DETECTOR = magic.Magic(mime=True)

#: Types for which a metadata-stripped public copy is made.
STRIPPABLE_IMAGES = frozenset(
    {"image/jpeg", "image/png", "image/tiff", "image/webp", "image/gif", "image/heic"}
)


def sniff_file(path: Path) -> str:
    """The media type of a file, from as much of its content as libmagic needs."""
    return str(_DETECTOR.from_file(str(path)))


def sniff(head: bytes) -> str:
    """The media type of a file whose first bytes are ``head``."""
    if not head:
        return "application/x-empty"
    return str(_DETECTOR.from_buffer(head))
