"""Deduplication and blob writes of evidence intake (cases mutants of ``intake/evidence.py``
survived, and the one issue 18 names: duplicate detection widened to all sources).

A file is a duplicate only of an original item of the same source: the same bytes in
another source, or equal to a derived copy, make a new item. SQLite only: the rule is one
SQL condition, and the intake tests run both backends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence, verify_blobs
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

RECEIPT = Receipt(actor="tester", from_party="SYNTHETIC archive", how="USB stick")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    opened = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "tester")
    yield opened
    opened.engine.dispose()


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _items(store: Store) -> list[dict[str, object]]:
    with store.reading() as conn:
        rows = conn.execute(select(s.items).order_by(s.items.c.ledger_index)).mappings()
        return [dict(r) for r in rows]


@pytest.mark.parametrize("sensitivity", [Sensitivity.PUBLIC, Sensitivity.PROTECTED])
def test_the_same_file_in_two_sources_is_two_items(
    store: Store, tmp_path: Path, sensitivity: Sensitivity
) -> None:
    f = _file(tmp_path, "statement.txt", "SYNTHETIC statement\n")
    first = add_evidence(store, [f], RECEIPT, new_source=SourceSpec(
        title="SYNTHETIC box A", sensitivity=sensitivity))
    second = add_evidence(store, [f], RECEIPT, new_source=SourceSpec(
        title="SYNTHETIC box B", sensitivity=sensitivity))
    assert (len(first.added), len(second.added), second.duplicates) == (1, 1, [])
    items = _items(store)
    assert [i["source_id"] for i in items] == [first.source_id, second.source_id]
    assert items[0]["sha256"] == items[1]["sha256"]
    assert verify_blobs(store).ok


@pytest.mark.parametrize("sensitivity", [Sensitivity.PUBLIC, Sensitivity.PROTECTED])
def test_a_repeat_in_the_same_source_is_the_first_item_and_writes_nothing(
    store: Store, tmp_path: Path, sensitivity: Sensitivity
) -> None:
    f = _file(tmp_path, "statement.txt", "SYNTHETIC statement\n")
    first = add_evidence(store, [f], RECEIPT, new_source=SourceSpec(
        title="SYNTHETIC box", sensitivity=sensitivity))
    size, checkpoints = store.size(), _checkpoints(store)
    on_disk = _files(store)
    again = add_evidence(store, [f, _file(tmp_path, "copy.txt", "SYNTHETIC statement\n")],
                         RECEIPT, source_id=first.source_id)
    assert again.added == []
    assert again.duplicates == [(f, first.added[0][1]), (tmp_path / "copy.txt",
                                                         first.added[0][1])]
    assert again.bytes == 2 * len("SYNTHETIC statement\n")
    assert (store.size(), _checkpoints(store)) == (size, checkpoints)  # no event, no checkpoint
    assert _files(store) == on_disk  # the duplicate's sealed copy was removed again
    check = verify_blobs(store)
    assert check.ok and check.orphans == [] and check.incomplete == 0


def test_a_file_equal_to_a_derived_copy_is_a_new_original(store: Store, tmp_path: Path) -> None:
    from test_intake_evidence import _jpeg_with_gps

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(_jpeg_with_gps())
    report = add_evidence(store, [photo], RECEIPT, new_source=SourceSpec(title="SYNTHETIC"))
    derived = [i for i in _items(store) if i["derived_from"]]
    assert report.derivatives == 1 and len(derived) == 1
    stripped = tmp_path / "stripped.jpg"
    with store.blobs.open(str(derived[0]["sha256"])) as f:
        stripped.write_bytes(f.read())
    again = add_evidence(store, [stripped], RECEIPT, source_id=report.source_id)
    assert len(again.added) == 1 and again.duplicates == []
    new = [i for i in _items(store) if i["id"] == again.added[0][1]]
    assert new[0]["derived_from"] is None
    assert new[0]["sha256"] == hashlib.sha256(stripped.read_bytes()).hexdigest()


def _checkpoints(store: Store) -> int:
    with store.reading() as conn:
        return len(conn.execute(select(s.ledger_checkpoints.c.size)).all())


def _files(store: Store) -> list[str]:
    root = store.blobs.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
