"""What stop 29's mutation run of ``intake.feed`` and ``intake.evidence`` found unchecked.

Every refusal and skip reason is compared in full: it is what the person adding the
files reads. All files are SYNTHETIC.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.domain.errors import NotFoundError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.intake.evidence import Receipt, add_evidence, item_content
from dadkhahi.intake.feed import FileOutcome, ProgressHooks, not_regular, unreadable
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

RECEIPT = Receipt(actor="tester", from_party="SYNTHETIC archive", how="USB stick")


def test_special_files_are_named_for_what_they_are(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    sock = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(sock))
        assert not_regular(pipe) == "not a regular file (a named pipe)"
        assert not_regular(sock) == "not a regular file (a socket)"
    finally:
        server.close()
    assert not_regular(Path("/dev/null")) == "not a regular file (a device)"
    assert not_regular(tmp_path) == "not a regular file (not a file)"
    (tmp_path / "plain.txt").write_text("SYNTHETIC\n")
    assert not_regular(tmp_path / "plain.txt") is None


def test_a_read_error_without_words_is_named_by_its_error_code() -> None:
    where = Path("SYNTHETIC.txt")
    assert unreadable(where, OSError(errno.EIO, "Input/output error")) == \
        "could not be read (Input/output error)"
    assert unreadable(where, OSError(errno.EIO, None)) == "could not be read (EIO)"
    assert unreadable(where, OSError()) == "could not be read (OSError)"


def test_each_file_added_or_held_is_reported_with_its_item(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("SYNTHETIC one\n")
    (folder / "b.txt").write_text("SYNTHETIC two\n")
    heard: list[FileOutcome] = []
    report = add_evidence(store, [folder], RECEIPT, new_source=SourceSpec(title="SYNTHETIC"),
                          hooks=ProgressHooks(outcome=heard.append))
    with store.reading() as conn:
        by_name = dict(conn.execute(select(s.items.c.original_name, s.items.c.id)).all())
    expected = [("a.txt", "added", by_name["a.txt"]), ("b.txt", "added", by_name["b.txt"])]
    assert [(o.path.name, o.status, o.item_id) for o in report.outcomes] == expected
    assert [(o.path.name, o.status, o.item_id) for o in heard] == expected
    again = add_evidence(store, [folder], RECEIPT, source_id=report.source_id)
    assert [(o.path.name, o.status, o.item_id) for o in again.outcomes] == \
        [(name, "held", item) for name, _, item in expected]


def test_a_file_missing_from_the_blob_store_is_named_by_its_item(
    store: Store, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("SYNTHETIC gone\n")
    add_evidence(store, [tmp_path / "a.txt"], RECEIPT, new_source=SourceSpec(title="SYNTHETIC"))
    with store.reading() as conn:
        item = dict(conn.execute(select(s.items)).mappings().one())
    store.blobs.path(str(item["sha256"])).unlink()
    with store.reading() as conn, pytest.raises(NotFoundError) as refused:
        item_content(store, conn, item)
    assert str(refused.value) == f"the file of item {item['id']} is missing from the blob store"
