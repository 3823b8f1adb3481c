"""One build of a memorial at a time; no copy taken of a folder half written.

Two builds at once (two workers each running a queued ``memorial.publish``, or
``dadkhahi publish`` while the server's worker runs one) would each take the same next
sequence number from the ledger, write their files over each other's and record two
builds under one number, leaving a folder whose signed manifest is not the one
recorded. So a build holds two exclusive locks from before it reads the store until
its build is recorded:

* the home's (``.publish.lock`` in the data directory): a build's sequence, previous
  manifest and first-published addresses are read from the ledger and recorded at its
  end, so two builds of one home follow each other whatever folders they write;
* the folder's (``.NAME.lock`` beside the folder ``NAME``, in its parent: a file inside
  would be one the signed manifest does not list), so two homes never write one folder
  at once either, and no copy of the folder (:func:`reading`, the workspace's download)
  is taken while a build writes it.

The locks are ``flock(2)`` locks on those files: the kernel releases them when the
process holding them ends, however it ends, so a build that crashed leaves nothing
locked. A second build either fails at once with :class:`BuildBusyError` (the command
line: its user sees why and runs it again), or waits its turn (a queued job: nobody is
there to run it again), hearing ``waiting`` about once a second, which may raise to
stop waiting (a job's cancel).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from dadkhahi.domain.errors import ConflictError
from dadkhahi.domain.files import FILE_MODE
from dadkhahi.store.store import Store

#: Called while a build waits for another to end (it may raise to stop waiting).
Waiting = Callable[[], None]
#: How often a waiting build tries the lock again, in seconds.
POLL = 0.5
_BUSY = ("another build of {what} memorial is running: run this one again when it has "
         "ended (a queued build waits its turn)")


class BuildBusyError(ConflictError):
    """Another build of this home or into this folder is running (HTTP 409)."""


def folder_lock_path(out: Path) -> Path:
    """The lock file of the memorial folder ``out`` (beside it, in its parent)."""
    out = out.absolute()
    return out.parent / f".{out.name}.lock"


def home_lock_path(store: Store) -> Path:
    """The lock file that lets one build of the home's memorial run at a time."""
    return store.home.path / ".publish.lock"


@contextmanager
def _flock(path: Path, busy: str, *, shared: bool, waiting: Waiting | None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waiting is None:
                    raise BuildBusyError(busy) from None
                waiting()
                time.sleep(POLL)
        yield  # closing the descriptor releases the lock
    finally:
        os.close(fd)


@contextmanager
def building(store: Store, out: Path, waiting: Waiting | None = None) -> Iterator[None]:
    """Hold the home's and the folder's build locks (in that order, so two builds
    never hold one each); :class:`BuildBusyError` at once unless ``waiting`` is given."""
    with ExitStack() as held:
        held.enter_context(_flock(home_lock_path(store), _BUSY.format(what="this home's"),
                                  shared=False, waiting=waiting))
        held.enter_context(_flock(folder_lock_path(out), _BUSY.format(what="this folder's"),
                                  shared=False, waiting=waiting))
        yield


@contextmanager
def reading(out: Path) -> Iterator[None]:
    """Hold the folder's lock shared while a copy of it is taken: a build waits for the
    copy to end; a copy asked for during a build is refused at once (a build with the
    book runs for long: no request waits for it)."""
    with _flock(folder_lock_path(out), "the memorial is being built: take a copy when "
                "the build has ended", shared=True, waiting=None):
        yield


__all__ = ["POLL", "BuildBusyError", "Waiting", "building", "folder_lock_path",
           "home_lock_path", "reading"]
