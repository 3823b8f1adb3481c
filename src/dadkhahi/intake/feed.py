"""Files on their way into the blob store, copied ahead of the ledger on a thread.

An evidence add does two kinds of work per file: the copy (read, SHA-256, write, fsync:
bound by the disk and the hash) and the record (one ledger transaction: bound by the
database). :class:`FileFeed` does the copies one after another on a thread of its own,
each into a temporary file of the blob store, and hands them over in order, so a file's
copy runs while the file before it is recorded; and the command line can start the
first copy before the store and its libraries are even imported (issue 12 item 17:
start-up would otherwise come before the copy, not beside it).

Nothing here touches the database, so it imports no SQLAlchemy. A copy handed over is
still a temporary file (:class:`~dadkhahi.store.blobs.Received`): whoever takes it places
it in the store, then records it; the feed discards every copy it made that was not
taken. A crash leaves only temporary files (``BlobStore.clear_incoming``), never a blob
the ledger does not name.
"""

from __future__ import annotations

import errno
import os
import queue
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store.blobs import BlobStore, Received, new_file_key


@dataclass(frozen=True)
class ProgressHooks:
    """Callbacks for a progress display; all optional. ``file`` and ``advance`` are
    called on the feed's thread, as each file is copied."""

    total: Callable[[int, int], None] | None = None  # (files, bytes)
    file: Callable[[Path], None] | None = None
    advance: Callable[[int], None] | None = None
    outcome: Callable[[FileOutcome], None] | None = None


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file: ``added``, ``held`` (already held) or ``skipped``."""

    path: Path
    status: str
    item_id: str | None = None
    reason: str | None = None


def walk(paths: Sequence[Path]) -> list[Path]:
    """Files under the given paths (folders recursively, sorted, no symlink loops).

    Symbolic links inside folders are listed as they are (a broken one is then
    skipped with its reason); a path given that names nothing is refused.
    """
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                found.extend(Path(root) / f for f in sorted(files))
        elif p.is_file():
            found.append(p)
        else:
            raise UserError(f"{p}: no such file or folder")
    return found


def files_to_add(paths: Sequence[Path]) -> list[Path]:
    """:func:`walk`, refusing paths that hold no file at all (nothing would be stored)."""
    files = walk(paths)
    if not files:
        shown = ", ".join(str(p) for p in paths)
        raise UserError(f"{shown}: no files to add; nothing was stored")
    return files


def unreadable(path: Path, exc: OSError) -> str:
    """Why a file could not be taken in, in words (never the file's content)."""
    if isinstance(exc, FileNotFoundError):
        if path.is_symlink():
            return "a broken symbolic link (what it points to does not exist)"
        return "no longer there (deleted or moved during the add?)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    reason = exc.strerror or errno.errorcode.get(exc.errno or 0) or type(exc).__name__
    return f"could not be read ({reason})"


def not_regular(path: Path) -> str | None:
    """None if ``path`` is a regular file (after links); else why it is skipped."""
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return None
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
    return f"not a regular file ({kind})"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported when its turn comes


@dataclass(frozen=True)
class Arrival:
    """One file as the feed hands it over: copied (``received``, and for a protected
    source the item ID and file key it was sealed under), or ``skipped`` with the reason,
    or ``error``: what a hook or the copy raised, to be raised again by the taker."""

    path: Path
    received: Received | None = None
    item_id: str | None = None
    file_key: bytes | None = None
    skipped: str | None = None
    error: BaseException | None = None


class _StoppedError(Exception):
    """The feed was closed while a file was being copied."""


_END = object()


class FileFeed:
    """Copies ``files`` into ``blobs`` on a thread, in order, at most one file ahead of
    the taker; iterate to take each :class:`Arrival`, and close (or use as a context
    manager) to stop the copying and discard whatever was not taken.

    Files of a protected source are sealed as they are copied (a new item ID and file key
    per file), as :meth:`BlobStore.put_file` does. ``hooks.total`` is called at once.
    """

    def __init__(self, blobs: BlobStore, files: Sequence[Path], sensitivity: Sensitivity,
                 hooks: ProgressHooks | None = None) -> None:
        self.blobs = blobs
        self.files = list(files)
        self.sensitivity = sensitivity
        self._hooks = hooks or ProgressHooks()
        if self._hooks.total:
            self._hooks.total(len(self.files), sum(_size(f) for f in self.files))
        # One copy waits in the queue while the next is made: the taker finds the next
        # file ready, and at most two copies are ever made ahead of it.
        self._queue: queue.Queue[Arrival | object] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, name="intake-feed", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[Arrival]:
        while not self._done:
            arrival = self._queue.get()
            if arrival is _END:
                self._done = True
                return
            assert isinstance(arrival, Arrival)
            yield arrival

    def close(self) -> None:
        """Stop copying; discard every copy made and not taken. Safe to call twice."""
        self._stop.set()
        while not self._done:
            arrival = self._queue.get()
            if arrival is _END:
                self._done = True
            elif isinstance(arrival, Arrival) and arrival.received is not None:
                arrival.received.discard()
        self._thread.join()

    def __enter__(self) -> FileFeed:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _run(self) -> None:
        try:
            for path in self.files:
                if self._stop.is_set():
                    return
                arrival = self._copy(path)
                if arrival is None:
                    return
                self._queue.put(arrival)
                if arrival.error is not None:
                    return
        finally:
            self._queue.put(_END)

    def _advance(self, n: int) -> None:
        if self._stop.is_set():
            raise _StoppedError
        if self._hooks.advance:
            self._hooks.advance(n)

    def _copy(self, path: Path) -> Arrival | None:
        item_id = file_key = None
        try:
            if self._hooks.file:
                self._hooks.file(path)
            reason = not_regular(path)
            if reason is not None:
                return Arrival(path, skipped=reason)
            if self.sensitivity is Sensitivity.PROTECTED:
                item_id, file_key = new_id("item"), new_file_key()
                received = self.blobs.receive_file(path, self._advance,
                                                   seal=(item_id, file_key))
            else:
                received = self.blobs.receive_file(path, self._advance)
        except _StoppedError:
            return None
        except OSError as exc:
            return Arrival(path, skipped=unreadable(path, exc))
        except BaseException as exc:  # a hook's or the copy's: raised again by the taker
            return Arrival(path, error=exc)
        return Arrival(path, received, item_id, file_key)
