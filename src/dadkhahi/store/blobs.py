"""Content-addressed blob store: every file kept once, under its SHA-256.

A blob is written to a temporary file, flushed to disk, then renamed into
place, so a crash leaves either the whole blob or none of it (and at worst an
unreferenced blob, which ``evidence verify`` reports as an orphan).

Files of protected sources are never written in clear, not even to a temporary
file: they are encrypted as they stream in (per-item file key, see
:class:`FileCipher`) and kept under ``sealed/<item id>`` instead of their hash,
so that identical plaintext in a public source never shares their path. The
item still records the SHA-256 of the plaintext, which ``evidence verify``
recomputes by decrypting. Destroying the item's data key erases the file.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from dadkhahi.domain.errors import IntegrityError, UserError
from dadkhahi.domain.files import private_dir

CHUNK = 4 * 1024 * 1024
#: Bytes kept from the start of a file for media-type sniffing.
HEAD_BYTES = 8192
#: Plaintext bytes per encrypted chunk of a sealed blob.
SEAL_CHUNK = 1024 * 1024
SEAL_MAGIC = b"DDKSEAL1"
#: Bytes of a blob written between requests to the kernel to start putting them on disk.
WRITEBACK_EVERY = 16 * 1024 * 1024
_TAG = 16
_SEALED_NAME = re.compile(r"[A-Za-z0-9_]{1,64}", re.ASCII)

Progress = Callable[[int], None]


class BlobTooLargeError(UserError):
    """A blob went over the size limit; nothing of it was kept."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    head: bytes
    new: bool


@dataclass(frozen=True)
class Received:
    """A blob written and synced to a temporary file of the store, not yet in place.

    :meth:`place` moves it in (what ``put_*`` do at once); :meth:`discard` drops it. Until
    it is placed a crash leaves a temporary file (:meth:`BlobStore.clear_incoming`), never
    a blob: a copy made ahead of its ledger transaction (``intake.feed``) is placed only
    when that transaction is about to run.
    """

    tmp: Path
    dest: Path
    sha256: str
    size: int
    head: bytes

    def place(self) -> StoredBlob:
        """Rename into place (or drop, if the same blob is there already)."""
        return BlobStore._place_at(self.tmp, self.dest, self.sha256, self.size, self.head)

    def discard(self) -> None:
        """Remove the temporary file."""
        self.tmp.unlink(missing_ok=True)


def new_file_key() -> bytes:
    """A fresh random AES-256 key for one sealed file."""
    return secrets.token_bytes(32)


class FileCipher:
    """AES-256-GCM over fixed-size chunks, as in the STREAM construction.

    Written by hand because ``cryptography`` offers one-shot AEAD only and a
    file may be larger than memory. Each chunk's nonce is its counter plus a
    last-chunk flag, so chunks cannot be reordered, dropped or the file cut
    short without a tag failing. Counter nonces are safe because every file
    gets its own random key, used for that file only.
    """

    def __init__(self, key: bytes) -> None:
        # Imported here: a plain copy, which evidence add starts before anything else is
        # imported (intake.feed), needs no cryptography.
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    @staticmethod
    def _nonce(index: int, last: bool) -> bytes:
        return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")

    def encrypt(self, index: int, chunk: bytes, last: bool) -> bytes:
        return self._aead.encrypt(self._nonce(index, last), chunk, SEAL_MAGIC)

    def decrypt(self, index: int, chunk: bytes, last: bool) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(self._nonce(index, last), chunk, SEAL_MAGIC)
        except InvalidTag:
            raise IntegrityError(
                f"sealed blob chunk {index} does not authenticate (tampered or truncated)"
            ) from None


class Incoming:
    """One blob on its way in: hashed (plaintext), optionally encrypted, size-capped.

    Feed it with :meth:`write`, then :meth:`finish` to place it, or :meth:`abort`.
    Going over ``limit`` removes the temporary file at once and raises
    :class:`BlobTooLargeError`, so a hostile upload never fills the disk.
    """

    def __init__(
        self, store: BlobStore, *, seal: tuple[str, bytes] | None = None,
        limit: int | None = None,
    ) -> None:
        self._store = store
        self._tmp = store._tempfile()
        self._out: BinaryIO | None = open(self._tmp, "wb", buffering=0)  # noqa: SIM115
        self._writeback = _Writeback(self._out.fileno())
        self._digest = hashlib.sha256()
        self._limit = limit
        self._seal = seal
        self._cipher = FileCipher(seal[1]) if seal else None
        self._pending = bytearray()
        self._chunks = 0
        self.size = 0
        self.head = b""
        if self._cipher is not None:
            self._raw_write(SEAL_MAGIC)

    def _raw_write(self, data: bytes | memoryview) -> None:
        assert self._out is not None
        self._out.write(data)
        self._writeback.wrote(len(data))

    def write(self, data: bytes | memoryview) -> None:
        """Add bytes to the blob."""
        if self._out is None:
            raise RuntimeError("blob already finished or aborted")
        self.size += len(data)
        if self._limit is not None and self.size > self._limit:
            self.abort()
            raise BlobTooLargeError(f"file is larger than the limit of {self._limit:,} bytes")
        self._digest.update(data)
        if len(self.head) < HEAD_BYTES:
            self.head += bytes(data[: HEAD_BYTES - len(self.head)])
        if self._cipher is None:
            self._raw_write(data)
            return
        self._pending += data
        # Keep at least one byte back: only finish() knows which chunk is the last.
        while len(self._pending) > SEAL_CHUNK:
            chunk = bytes(self._pending[:SEAL_CHUNK])
            del self._pending[:SEAL_CHUNK]
            self._raw_write(self._cipher.encrypt(self._chunks, chunk, last=False))
            self._chunks += 1

    def finish(self) -> StoredBlob:
        """Flush to disk and move into place."""
        return self.complete().place()

    def complete(self) -> Received:
        """Flush to disk; the blob is placed by the caller (:meth:`Received.place`)."""
        if self._out is None:
            raise RuntimeError("blob already finished or aborted")
        if self._cipher is not None:
            self._raw_write(self._cipher.encrypt(self._chunks, bytes(self._pending), last=True))
            self._pending.clear()
        os.fsync(self._out.fileno())
        self._out.close()
        self._out = None
        sha = self._digest.hexdigest()
        dest = (self._store.path(sha) if self._seal is None
                else self._store.sealed_path(self._seal[0]))
        return Received(self._tmp, dest, sha, self.size, self.head)

    def abort(self) -> None:
        """Drop everything written so far."""
        if self._out is not None:
            self._out.close()
            self._out = None
        self._tmp.unlink(missing_ok=True)


class BlobStore:
    """Blobs under ``root/ab/cd/<sha256>``; sealed blobs under ``root/sealed/<item id>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        """Where the blob with this hash lives (whether or not it exists)."""
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def sealed_path(self, name: str) -> Path:
        """Where the encrypted file of item ``name`` lives."""
        if not _SEALED_NAME.fullmatch(name):
            raise UserError(f"bad sealed blob name {name!r}")
        return self.root / "sealed" / name

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def incoming(
        self, *, seal: tuple[str, bytes] | None = None, limit: int | None = None
    ) -> Incoming:
        """Start writing a blob piece by piece (``seal`` = (item id, file key))."""
        return Incoming(self, seal=seal, limit=limit)

    def put_file(
        self, src: Path, progress: Progress | None = None,
        *, seal: tuple[str, bytes] | None = None,
    ) -> StoredBlob:
        """Copy a file in, hashing as it streams (and encrypting, if ``seal`` is given)."""
        return self.receive_file(src, progress, seal=seal).place()

    def receive_file(
        self, src: Path, progress: Progress | None = None,
        *, seal: tuple[str, bytes] | None = None,
    ) -> Received:
        """:meth:`put_file` up to the rename: the copy synced, to be placed by the caller.
        An exception from ``progress`` stops the copy and removes it."""
        with open(src, "rb", buffering=0) as f:
            if seal is not None:
                return self._receive_chunks(_chunks(f), progress, seal=seal)
            return self._receive_stream(f, progress)

    def put_chunks(
        self, chunks: Iterable[bytes | memoryview], progress: Progress | None = None,
        *, seal: tuple[str, bytes] | None = None, limit: int | None = None,
    ) -> StoredBlob:
        """Store a blob given as an iterable of byte chunks."""
        return self._receive_chunks(chunks, progress, seal=seal, limit=limit).place()

    def _receive_chunks(
        self, chunks: Iterable[bytes | memoryview], progress: Progress | None = None,
        *, seal: tuple[str, bytes] | None = None, limit: int | None = None,
    ) -> Received:
        incoming = self.incoming(seal=seal, limit=limit)
        try:
            for chunk in chunks:
                incoming.write(chunk)
                if progress is not None:
                    progress(len(chunk))
            return incoming.complete()
        except BaseException:
            incoming.abort()
            raise

    def put_bytes(self, data: bytes, *, seal: tuple[str, bytes] | None = None) -> StoredBlob:
        """Store a small in-memory blob (derivatives, generated files)."""
        if seal is not None:
            return self.put_chunks([data], seal=seal)
        sha = hashlib.sha256(data).hexdigest()
        if self.has(sha):
            return StoredBlob(sha, len(data), data[:HEAD_BYTES], new=False)
        tmp = self._tempfile()
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        return self._place(tmp, sha, len(data), data[:HEAD_BYTES])

    def put_stream(self, stream: BinaryIO, progress: Progress | None = None) -> StoredBlob:
        """Stream into the store with flat memory.

        Hashing runs on this thread and writing on another: both release the GIL,
        so on two cores the copy costs little more than the hash alone. The disk
        writes as the copy goes (:class:`_Writeback`), not all at the final fsync.
        """
        return self._receive_stream(stream, progress).place()

    def _receive_stream(self, stream: BinaryIO, progress: Progress | None = None) -> Received:
        tmp = self._tempfile()
        digest = hashlib.sha256()
        pending: queue.Queue[memoryview | None] = queue.Queue(maxsize=4)
        error: list[BaseException] = []

        def write_all() -> None:
            with open(tmp, "wb", buffering=0) as out:
                writeback = _Writeback(out.fileno())
                while (chunk := pending.get()) is not None:
                    if not error:
                        try:
                            out.write(chunk)
                            writeback.wrote(len(chunk))
                        except BaseException as exc:  # reported on the reading thread
                            error.append(exc)
                if not error:
                    os.fsync(out.fileno())

        writer = threading.Thread(target=write_all, name="blob-writer", daemon=True)
        writer.start()
        size = 0
        head = b""
        read_all = False
        try:
            for chunk in _chunks(stream):
                if error:
                    break
                digest.update(chunk)
                if len(head) < HEAD_BYTES:
                    head += bytes(chunk[: HEAD_BYTES - len(head)])
                pending.put(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(len(chunk))
            read_all = True
        finally:
            pending.put(None)
            writer.join()
            if not read_all:  # the source failed: keep no partial copy
                tmp.unlink(missing_ok=True)
        if error:
            tmp.unlink(missing_ok=True)
            raise error[0]
        sha = digest.hexdigest()
        return Received(tmp, self.path(sha), sha, size, head)

    def _tempfile(self) -> Path:
        tmp_dir = self.root / "tmp"
        private_dir(tmp_dir)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="incoming-")
        os.close(fd)
        return Path(name)

    def _place(self, tmp: Path, sha: str, size: int, head: bytes) -> StoredBlob:
        return self._place_at(tmp, self.path(sha), sha, size, head)

    @staticmethod
    def _place_at(tmp: Path, dest: Path, sha: str, size: int, head: bytes) -> StoredBlob:
        if dest.exists():
            tmp.unlink()
            return StoredBlob(sha, size, head, new=False)
        new_dirs = [p for p in (dest.parent, dest.parent.parent) if not p.exists()]
        private_dir(dest.parent)
        os.chmod(tmp, 0o400)  # read-only, and owner-only like the whole home
        os.replace(tmp, dest)
        # The file's bytes were synced before the rename; the rename itself lives in
        # the folder, which must be synced too, or a power cut can leave the ledger
        # naming a blob whose directory entry was never written (and so for each
        # folder made for it, in its parent).
        for folder in (dest.parent, *(p.parent for p in new_dirs)):
            fsync_dir(folder)
        return StoredBlob(sha, size, head, new=True)

    def open(self, sha256: str) -> BinaryIO:
        """Read a stored blob."""
        return open(self.path(sha256), "rb")

    def iter_plain(self, sha256: str) -> Iterator[bytes]:
        """The bytes of a stored (unsealed) blob, chunk by chunk."""
        with open(self.path(sha256), "rb", buffering=0) as f:
            while chunk := f.read(CHUNK):
                yield chunk

    def iter_sealed(self, name: str, key: bytes) -> Iterator[bytes]:
        """Decrypt a sealed blob chunk by chunk; IntegrityError if it was tampered with."""
        cipher = FileCipher(key)
        size = SEAL_CHUNK + _TAG
        with open(self.sealed_path(name), "rb", buffering=0) as f:
            if f.read(len(SEAL_MAGIC)) != SEAL_MAGIC:
                raise IntegrityError(f"sealed blob {name} has no sealed-blob header")
            index = 0
            current = f.read(size)
            while True:
                following = f.read(size)
                last = not following
                yield cipher.decrypt(index, current, last)
                if last:
                    return
                current, index = following, index + 1

    def has_sealed(self, name: str) -> bool:
        return self.sealed_path(name).is_file()

    def remove_sealed(self, name: str) -> None:
        """Delete an encrypted file (after erasure, or a duplicate that was not kept)."""
        path = self.sealed_path(name)
        if path.exists():
            path.unlink(missing_ok=True)
            fsync_dir(path.parent)  # an erased file stays erased after a power cut

    def rehash(self, sha256: str) -> str | None:
        """The blob's current SHA-256, or None if it is missing."""
        path = self.path(sha256)
        if not path.is_file():
            return None
        with open(path, "rb", buffering=0) as f:
            return hashlib.file_digest(f, "sha256").hexdigest()

    def rehash_sealed(self, name: str, key: bytes) -> str | None:
        """SHA-256 of a sealed blob's plaintext; None if missing, "" if it fails to decrypt."""
        if not self.has_sealed(name):
            return None
        digest = hashlib.sha256()
        try:
            for chunk in self.iter_sealed(name, key):
                digest.update(chunk)
        except IntegrityError:
            return ""
        return digest.hexdigest()

    def iter_hashes(self) -> Iterator[str]:
        """Hashes of every blob on disk (named by their file names)."""
        for path in self.root.glob("??/??/*"):
            if path.is_file():
                yield path.name

    def iter_sealed_names(self) -> Iterator[str]:
        """Item IDs of every sealed blob on disk."""
        folder = self.root / "sealed"
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file():
                    yield path.name

    def clear_incoming(self) -> int:
        """Remove half-written temp files left by a crash; returns how many."""
        tmp_dir = self.root / "tmp"
        removed = 0
        if tmp_dir.is_dir():
            for leftover in tmp_dir.glob("incoming-*"):
                leftover.unlink(missing_ok=True)
                removed += 1
        return removed


class _Writeback:
    """Asks the kernel to start writing a blob to disk every ``WRITEBACK_EVERY`` bytes.

    Without it the kernel holds the written pages until its dirty-page threshold
    (10% of memory: a 1 GiB file never reaches it here), so the disk stays idle while
    the file is hashed and copied, and the whole file is written at the final fsync:
    the intake took the hash's time plus the disk's. On Linux ``POSIX_FADV_DONTNEED``
    starts writeback of a range without waiting for it, and drops the pages already
    written back; each call covers the previous window too, so a large intake does
    not push other files out of the page cache. Durability does not rest on this:
    the fsync before the rename does.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._written = 0
        self._started = 0  # bytes handed to the kernel for writeback
        self._previous = 0  # start of the window before, written back by now (or soon)

    def wrote(self, n: int) -> None:
        self._written += n
        if self._written - self._started >= WRITEBACK_EVERY and _FADVISE is not None:
            _FADVISE(self._fd, self._previous, self._written - self._previous,
                     os.POSIX_FADV_DONTNEED)
            self._previous, self._started = self._started, self._written


# Absent on macOS and Windows, where the final fsync does all the writing.
_FADVISE = getattr(os, "posix_fadvise", None)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Readable(Protocol):
    def readinto(self, buffer: bytearray, /) -> int | None: ...


def _chunks(stream: BinaryIO | _Readable) -> Iterator[memoryview]:
    # BinaryIO's stub lacks readinto, which every real binary file object has.
    reader = cast(_Readable, stream)
    # Fresh buffers per chunk: the writer thread may still hold the previous one.
    while True:
        buf = bytearray(CHUNK)
        n = reader.readinto(buf)
        if not n:
            return
        yield memoryview(buf)[:n]
