"""The built memorial as one zip file: what a mirror or a USB stick is given.

A copy is taken only of a signed build, whole: under the folder's shared lock (no build
writes while it is read, :mod:`dadkhahi.publish.lock`), and only after the folder
verifies against its signed manifest under the publication key the ledger announced
(every listed file present with its SHA-256, nothing unlisted). So the zip holds exactly
what a build wrote from what the editorial gate and the one disclosure rule released to
the public, never a file left in the folder by hand or a build half written.

The same build gives the same bytes: entries sorted, under one folder named after the
build, with a fixed time and mode (the build's own time is in its signed manifest).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import IO

from dadkhahi.domain.errors import ConflictError, NotFoundError
from dadkhahi.publish import manifest as mf
from dadkhahi.publish.lock import reading
from dadkhahi.publish.verify import verify
from dadkhahi.store.store import Store

#: Files already compressed: stored as they are (deflating them again costs CPU for
#: nothing).
_STORED = frozenset({".woff2", ".woff", ".png", ".jpg", ".jpeg", ".webp", ".pdf"})
#: The time every entry carries (zip's earliest): a build's files have no time of their
#: own worth more than the same bytes for the same build.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def archive_name(sequence: int) -> str:
    """The zip's file name (and its one top folder, without ``.zip``)."""
    return f"memorial-build-{sequence}.zip"


def last_build(folder: Path) -> int | None:
    """The build in ``folder`` as its manifest names it, None before the first build
    (not verified: enough to offer the download, which verifies)."""
    try:
        with (folder / mf.MANIFEST).open("r", encoding="utf-8") as note:
            head = [note.readline().rstrip("\n") for _ in range(3)]
    except (OSError, UnicodeDecodeError):
        return None
    key, _, value = head[2].partition(" ")
    if head[0] != mf.FORMAT or key != "sequence" or not value.isdigit():
        return None
    return int(value)


def write_archive(store: Store, folder: Path, target: IO[bytes],
                  sequence: int | None = None) -> int:
    """Zip the signed build in ``folder`` into ``target``; returns its sequence.

    ``sequence``: the build the caller expects (a link offered for build N): a folder
    holding another build is "not found". Not built yet: not found; a folder that does
    not verify against its signed manifest: a conflict (build it again)."""
    with reading(folder):
        with store.reading() as conn:
            key = mf.announced_key(conn)
        if key is None or not (folder / mf.MANIFEST).is_file():
            raise NotFoundError("the memorial has not been built yet")
        problems, head = verify(folder, key, store.verifier_key())
        if problems:
            raise ConflictError(
                f"the memorial folder is not the build its signed manifest lists "
                f"({len(problems)} problems; `dadkhahi publish verify` names them): "
                "build it again")
        built = int(head["sequence"])
        if sequence is not None and sequence != built:
            raise NotFoundError(f"build {sequence} is no longer the memorial's last build")
        top = archive_name(built).removesuffix(".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            # verify() has checked every file here is listed in the signed manifest.
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                rel = path.relative_to(folder).as_posix()
                info = zipfile.ZipInfo(f"{top}/{rel}", date_time=_EPOCH)
                info.external_attr = 0o644 << 16
                info.compress_type = (zipfile.ZIP_STORED if path.suffix in _STORED
                                      else zipfile.ZIP_DEFLATED)
                with path.open("rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    return built


__all__ = ["archive_name", "last_build", "write_archive"]
