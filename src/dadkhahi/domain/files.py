"""Files on disk are owner-only: directories 700, files 600 (blobs 400).

The home holds restricted rows, users and the audit trail; an export or a
linkage spill holds names. Any local user who can read them defeats every
access rule above, so everything Dadkhahi writes is created owner-only:
explicitly here, and, as a catch-all for files written by libraries (SQLite's
WAL, DuckDB and Spark spill files), through the process umask set by
:func:`owner_only_umask` when a command or the server starts.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

#: Modes for what Dadkhahi creates.
DIR_MODE = 0o700
FILE_MODE = 0o600
#: Permission bits nobody but the owner may hold.
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def owner_only_umask() -> None:
    """Make every file this process creates from now on owner-only (umask 077)."""
    os.umask(0o077)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as owner-only directories; returns it."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for writing, the file created (or truncated) owner-only.

    An existing file keeps nothing of its old mode: it is made 600 before a byte is written.
    """
    flags = os.O_WRONLY | os.O_CREAT
    flags |= os.O_APPEND if "a" in mode else os.O_TRUNC
    if "x" in mode:
        flags |= os.O_EXCL
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return open(fd, mode.replace("x", "w"), **kwargs)  # the caller closes it
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write a text file owner-only (an export, a settings file …)."""
    with open_private(path, "w", encoding=encoding) as f:
        f.write(text)


def make_owner_only(root: Path) -> list[str]:
    """Take group and other permissions off ``root`` and everything under it.

    Returns the paths (relative to ``root``, ``.`` for itself) whose modes were
    wrong, so the caller can warn; symbolic links are not followed.
    """
    fixed: list[str] = []

    def fix(path: Path, st: os.stat_result) -> None:
        if stat.S_ISLNK(st.st_mode) or not st.st_mode & _OTHERS:
            return
        os.chmod(path, stat.S_IMODE(st.st_mode) & ~_OTHERS)
        fixed.append(str(path.relative_to(root)) if path != root else ".")

    if not root.is_dir():
        return fixed
    fix(root, root.lstat())
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in (*dirs, *files):
            entry = base / name
            try:
                fix(entry, entry.lstat())
            except FileNotFoundError:
                continue  # removed while we walked (a temp file)
    return sorted(fixed)
