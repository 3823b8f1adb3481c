"""The public memorial on a user's behalf: a copy of its last build, as a zip.

Access rule: the ``publish`` permission (admins), the one a build needs
(:func:`dadkhahi.services.jobs.enqueue_publication`); anyone else is refused (403) before
the folder is looked at. The folder holds what the editorial gate and the one disclosure
rule released to the public *when it was built*: a victim withdrawn or a record erased
since stays in it until the next build, so the copy goes only to who may build, and so
replace, it, never to less; each copy is audited (``memorial.download``, naming the
build). The zip is written under the folder's lock into an unnamed temporary file in the
data directory, so a slow client never holds the lock, and a build waits for no download.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO

from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Permission, Principal, require
from dadkhahi.store.store import Store


@dataclass
class MemorialArchive:
    """A zip of the memorial's last build, ready to stream (the caller closes ``file``)."""

    file: IO[bytes]
    name: str
    size: int
    sequence: int


def last_build(store: Store, principal: Principal) -> int | None:
    """The build a copy would be taken of, for who may take one (None for anyone else,
    and before the first build)."""
    from dadkhahi.publish.archive import last_build as built
    from dadkhahi.publish.jobs import memorial_folder

    return built(memorial_folder(store)) if principal.can(Permission.PUBLISH) else None


def memorial_archive(store: Store, principal: Principal,
                     sequence: int | None = None) -> MemorialArchive:
    """The memorial's last build as a zip (``publish``; audited). ``sequence``: the build
    the caller expects (404 if the folder now holds another)."""
    from dadkhahi.publish.archive import archive_name, write_archive
    from dadkhahi.publish.jobs import memorial_folder

    require(principal, Permission.PUBLISH)
    # Closed by the caller once sent (or here on failure): not a with block.
    handle = tempfile.TemporaryFile(dir=store.home.path, prefix=".memorial-zip-")  # noqa: SIM115
    try:
        built = write_archive(store, memorial_folder(store), handle, sequence)
        record_reads(store, principal, "memorial.download", [("publication", str(built))])
        size = handle.tell()
        handle.seek(0)
        return MemorialArchive(handle, archive_name(built), size, built)
    except BaseException:
        handle.close()
        raise


__all__ = ["MemorialArchive", "last_build", "memorial_archive"]
