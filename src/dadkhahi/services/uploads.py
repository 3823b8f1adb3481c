"""Uploaded files on a user's behalf: into a source's sealing blob writer, or into a
private folder of the data directory, held to a size limit as they arrive.

A face reads the bytes from its request (the HTTP faces stream them from a multipart
body with :class:`dadkhahi.http.uploads.FormReader`) and hands them here as an async
iterator of chunks; nothing here knows HTTP. The file is hashed as it is written, and a
file of a protected source is encrypted before it touches the disk. A file larger than
the limit raises :class:`~dadkhahi.store.blobs.BlobTooLargeError` (HTTP 413) and leaves
nothing behind.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from anyio import to_thread

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal
from dadkhahi.domain.safe_text import safe_name
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, begin_blob, take_in
from dadkhahi.store.blobs import BlobTooLargeError
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

#: Bytes gathered before a write is handed to a worker thread (a thread hop per network
#: chunk of a few KiB would cost more than the write).
WRITE_BATCH = 1024 * 1024
#: Upload folders older than this are left over from a crash and are removed.
STALE_UPLOAD_SECONDS = 3600
#: The folder of the data directory that holds uploads while they are imported.
UPLOADS = "uploads"


async def store_item(
    store: Store, principal: Principal, source_id: str, sensitivity: Sensitivity,
    chunks: AsyncIterator[bytes], *, name: str | None, receipt: Receipt, limit: int,
) -> tuple[dict[str, Any], bool]:
    """Stream a file into a source as a new item: (the item as ``principal`` sees it,
    whether the source already held these bytes).

    ``sensitivity`` comes from :func:`dadkhahi.services.items.upload_sensitivity`, which
    checked visibility and permission before the first byte was read.
    """
    pending = begin_blob(store, sensitivity, limit)
    buffer = bytearray()
    try:
        async for chunk in chunks:
            buffer += chunk
            if len(buffer) >= WRITE_BATCH:
                await to_thread.run_sync(pending.incoming.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await to_thread.run_sync(pending.incoming.write, bytes(buffer))
        blob = await to_thread.run_sync(pending.incoming.finish)
    except BaseException:
        pending.incoming.abort()
        raise

    def record() -> tuple[dict[str, Any], bool]:
        taken = take_in(store, source_id, sensitivity, safe_name(name), blob, receipt,
                        item_id=pending.item_id, file_key=pending.file_key)
        item = reads.get_object(store, principal, reads.RESOURCES["items"], taken.item_id)
        return item, taken.duplicate

    return await to_thread.run_sync(record)


async def receive_file(chunks: AsyncIterator[bytes], path: Path, limit: int) -> int:
    """Write a file's bytes to ``path``, refusing more than ``limit`` bytes; its size.

    Over the limit, the partial file is left for the caller's folder to be removed with.
    """
    size = 0
    buffer = bytearray()
    with open(path, "wb") as out:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise BlobTooLargeError(f"file is larger than the limit of {limit:,} bytes")
            buffer += chunk
            if len(buffer) >= WRITE_BATCH:
                await to_thread.run_sync(out.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await to_thread.run_sync(out.write, bytes(buffer))
    return size


def uploads_root(home: Home) -> Path:
    """The owner-only folder of the data directory where uploads wait to be imported."""
    root = home.path / UPLOADS
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def private_folder(home: Home, prefix: str) -> Path:
    """A new owner-only folder for one upload (remove it when the import is done)."""
    return Path(tempfile.mkdtemp(dir=uploads_root(home), prefix=prefix))


def clear_stale_uploads(home: Home, max_age: float = STALE_UPLOAD_SECONDS) -> int:
    """Remove upload folders a crash left behind; returns how many.

    An upload is kept in plain form only while it is imported (protected lists are
    sealed by the import), so a leftover may hold witness data: it must not linger.
    Only old folders go, in case another server process shares the home.
    """
    uploads = home.path / UPLOADS
    if not uploads.is_dir():
        return 0
    cutoff = time.time() - max_age
    removed = 0
    for folder in uploads.iterdir():
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


__all__ = ["STALE_UPLOAD_SECONDS", "WRITE_BATCH", "clear_stale_uploads", "private_folder",
           "receive_file", "store_item", "uploads_root"]
