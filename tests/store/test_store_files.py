"""Files on disk are owner-only (issue 11 item 13): the attack is a local user reading the home.

The home, every folder in it (700) and every file (600, blobs 400: the database, its WAL,
keys, blobs, linkage spills) and the exports are created owner-only even under the usual
umask 022; an existing home left readable by others is put right at start, with a warning.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems give a user (022): what we create must not depend on it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _everything(root: Path) -> list[Path]:
    return [root, *sorted(root.rglob("*"))]


def _readable_by_others(root: Path) -> list[str]:
    return [f"{p} {stat.filemode(p.lstat().st_mode)}" for p in _everything(root)
            if p.lstat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 200, 10)).save(out, format="JPEG")
    return out.getvalue()


def test_a_new_home_and_everything_in_it_is_owner_only(
    tmp_path: Path, usual_umask: None
) -> None:
    home = Home(tmp_path / "home")
    store = Store.init(home, "files.test/ledger", "tester")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "photo.jpg").write_bytes(_jpeg())
    (tmp_path / "in" / "note.txt").write_text("SYNTHETIC note\n")
    protected = SourceSpec(title="SYNTHETIC testimony", sensitivity=Sensitivity.PROTECTED)
    add_evidence(store, [tmp_path / "in"], Receipt(actor="tester"), new_source=protected)
    add_evidence(store, [tmp_path / "in" / "note.txt"], Receipt(actor="tester"),
                 new_source=SourceSpec(title="SYNTHETIC public", sensitivity=Sensitivity.PUBLIC))
    paths = _everything(home.path)
    names = {p.name for p in paths}
    # What the attack read: the database and its WAL, keys, sealed and plain blobs.
    assert {"dadkhahi.sqlite", "dadkhahi.sqlite-wal", "master.key", "sealed"} <= names
    assert _readable_by_others(home.path) == []
    for p in paths:
        mode = stat.S_IMODE(p.lstat().st_mode)
        if p.is_dir():
            assert mode == 0o700, p
        else:
            assert mode in (0o600, 0o400), (p, oct(mode))
    store.engine.dispose()


def _dk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "dadkhahi", "--home", str(home), *args],
        capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "300"},
        preexec_fn=lambda: os.umask(0o022),
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_exports_are_owner_only_and_an_open_home_is_put_right_with_a_warning(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    _dk(home, "init", "--origin", "files.test/cli")
    export = tmp_path / "ledger.jsonl"
    export.write_text("an older export, once readable by all\n")
    export.chmod(0o644)
    _dk(home, "ledger", "export", "--out", str(export))
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    assert _readable_by_others(home) == []

    # An existing home as an older version (or a careless copy) left it: 755 and 644.
    for p in _everything(home):
        p.chmod(0o755 if p.is_dir() else 0o644)
    proc = _dk(home, "ledger", "verify")
    assert "warning:" in proc.stderr and "owner-only" in proc.stderr
    assert "dadkhahi.sqlite" in proc.stderr and "keys" in proc.stderr
    assert proc.stderr.count("owner-only") == 1
    assert _readable_by_others(home) == []
    assert "warning:" not in _dk(home, "ledger", "verify").stderr  # nothing left to fix
