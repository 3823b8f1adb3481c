"""A redacted copy is a derivative in custody (who, why, how much; never the words), the
original untouched, sealed like a protected original; a copy is never made when nothing
was found to remove."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.documents.redact import RedactionError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.redactions import redact_item
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

MARKER = "SYNTHETICREDACTNAMEQX"


def _item(store: Store, tmp: Path, level: Sensitivity) -> tuple[str, Path]:
    path = tmp / "statement.txt"
    path.write_text(f"SYNTHETIC statement: {MARKER} was taken at night.\n", "utf-8")
    report = add_evidence(store, [path], Receipt(actor="tester"), new_source=SourceSpec(
        title="SYNTHETIC statements", sensitivity=level))
    return report.added[0][1], path


@pytest.mark.parametrize("level", [Sensitivity.RESTRICTED, Sensitivity.PROTECTED])
def test_a_redacted_copy_is_a_derivative_in_custody(
    store: Store, tmp_path: Path, level: Sensitivity,
) -> None:
    item, path = _item(store, tmp_path, level)
    before = path.read_bytes()
    done = redact_item(store, item, "alice", reason="SYNTHETIC: the name is a witness's",
                       texts=[MARKER])
    with store.reading() as conn:
        rows = {r["id"]: dict(r) for r in conn.execute(select(s.items)).mappings()}
        custody = conn.execute(select(s.custody).where(
            s.custody.c.item_id == done["redacted_item_id"])).mappings().one()
        events = b"".join(conn.execute(select(s.ledger_events.c.body)).scalars())
    copy = rows[done["redacted_item_id"]]
    assert copy["derived_from"] == item and copy["derivation"] == "redacted"
    assert copy["sensitivity"] == str(level) and done["spans"] == 1
    assert rows[item]["sha256"] == hashlib.sha256(before).hexdigest() == done["parent_sha256"]
    assert custody["action"] == "derived" and custody["actor"].startswith("actor_")
    if level is Sensitivity.RESTRICTED:
        assert "why: SYNTHETIC: the name is a witness's" in custody["notes"]
    # The removed words are nowhere: not in the ledger, not in any stored file.
    assert MARKER.encode() not in events
    copies = [p for p in store.home.blob_dir.rglob("*") if p.is_file()]
    assert sum(MARKER.encode() in p.read_bytes() for p in copies) == (
        0 if level is Sensitivity.PROTECTED else 1)  # the original's clear blob only


def test_nothing_is_stored_when_no_word_was_found(store: Store, tmp_path: Path) -> None:
    item, _ = _item(store, tmp_path, Sensitivity.RESTRICTED)
    size = store.size()
    with pytest.raises(RedactionError, match="none of the words"):
        redact_item(store, item, "alice", reason="SYNTHETIC", texts=["absent words"])
    assert store.size() == size
