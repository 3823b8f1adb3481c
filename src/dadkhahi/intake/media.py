"""Media types from content (libmagic), never from the file name."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

#: libmagic's name for the dynamic loader on Linux (its ABI has been 1 since 2009).
LIBMAGIC_SONAME = "libmagic.so.1"


def _import_magic() -> ModuleType:
    """python-magic, loaded without a search for libmagic where the loader finds it.

    python-magic asks ``ctypes.util.find_library("magic")`` first, which on Linux runs
    ``/sbin/ldconfig -p`` (and, finding nothing, a C compiler and ``ld``): processes
    forked on every command that sniffs a file (issue 12 item 17). Its own last
    candidate on Linux is the soname, which the dynamic loader resolves from its cache
    without any of that; tried first here, the search runs only where it fails.
    """
    if sys.platform != "linux" or "magic" in sys.modules:
        import magic

        return magic
    import ctypes
    import ctypes.util

    search = ctypes.util.find_library

    def soname_first(name: str) -> str | None:
        if name == "magic":
            try:
                ctypes.CDLL(LIBMAGIC_SONAME)
            except OSError:
                return search(name)
            return LIBMAGIC_SONAME
        return search(name)

    ctypes.util.find_library = soname_first
    try:
        import magic
    finally:
        ctypes.util.find_library = search
    return magic


_DETECTOR = _import_magic().Magic(mime=True)

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
