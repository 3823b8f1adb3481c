"""A verification of an item's capture time and place is a ledger event (issue 16); a
protected item's is sealed like the item's own fields and erased with it. Every value
here is SYNTHETIC."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.protected import REDACTED
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import CaptureResult, Sensitivity
from dadkhahi.intake.capture_checks import verify_capture
from dadkhahi.intake.erasure import erase_item
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

#: What a protected item's verification holds: none of it may be readable in clear.
SECRETS = {"time": "MRKTIMEQ 1367", "place": "MRKPLACEQ near the invented village",
           "method": "MRKMETHODQ shadows", "note": "MRKNOTEQ the witness's street"}


def _item(store: Store, tmp: Path, level: Sensitivity, data: bytes = b"SYNTHETIC file",
          name: str = "file.txt") -> str:
    path = tmp / name
    path.write_bytes(data)
    report = add_evidence(store, [path], Receipt(actor="tester"), new_source=SourceSpec(
        title="SYNTHETIC source", sensitivity=level))
    return report.added[0][1]


def _event(store: Store, index: int) -> dict[str, object]:
    with store.reading() as conn:
        e = s.ledger_events.c
        kind, body = conn.execute(select(e.type, e.body).where(e.idx == index)).one()
    assert kind == "item.capture_verified"
    data: dict[str, object] = json.loads(bytes(body))["data"]
    return data


def test_a_verification_is_a_ledger_event_and_its_row_replays(store: Store,
                                                              tmp_path: Path) -> None:
    item = _item(store, tmp_path, Sensitivity.RESTRICTED)
    done = verify_capture(store, "archivist", item, method="SYNTHETIC landmarks",
                          result=CaptureResult.INCONSISTENT, place="SYNTHETIC square",
                          note="SYNTHETIC: not where the source says")
    assert done["result"] == "inconsistent" and done["time"] is None
    data = _event(store, done["event"])
    assert {k: data[k] for k in ("item_id", "method", "result", "time", "place", "note")} == {
        "item_id": item, "method": "SYNTHETIC landmarks", "result": "inconsistent",
        "time": None, "place": "SYNTHETIC square", "note": "SYNTHETIC: not where the source says"}
    assert str(data["actor"]) != "archivist"  # the ledger holds the verifier's pseudonym
    with store.reading() as conn:
        row = conn.execute(select(s.capture_verifications)).mappings().one()
        assert row["place"] == "SYNTHETIC square" and row["ledger_index"] == done["event"]
        report = verify_ledger(conn, store.verifier_key())
    assert report.ok, report.findings  # the table is what a replay of the events makes


def test_a_protected_items_verification_is_sealed_and_erased_with_it(store: Store,
                                                                       tmp_path: Path) -> None:
    item = _item(store, tmp_path, Sensitivity.PROTECTED)
    done = verify_capture(store, "archivist", item, result="consistent", **SECRETS)
    data = _event(store, done["event"])
    assert all(data[k] == REDACTED for k in SECRETS)
    assert data["result"] == "consistent" and data["item_id"] == item
    sealed = data["sealed"]
    assert isinstance(sealed, dict) and set(SECRETS) <= set(sealed["commitments"])
    with store.reading() as conn:
        row = dict(conn.execute(select(s.capture_verifications)).mappings().one())
        assert all(row[k] == REDACTED for k in SECRETS)
        assert store.keys.open_row(conn, dict(row))["place"] == SECRETS["place"]
    if store.engine.dialect.name == "sqlite":
        store.engine.dispose()
        everything = b"".join(p.read_bytes() for p in store.home.path.rglob("*") if p.is_file())
        assert [k for k, v in SECRETS.items() if v.split()[0].encode() in everything] == []
    erase_item(store, item, "SYNTHETIC witness asked", "tester")
    with store.reading() as conn:
        assert store.keys.unseal(conn, row["sealed"], str(row["id"])) is None


def test_what_is_refused(store: Store, tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, format="JPEG")
    photo = _item(store, tmp_path, Sensitivity.RESTRICTED, out.getvalue(), "photo.jpg")
    with store.reading() as conn:
        copy = conn.execute(select(s.items.c.id).where(s.items.c.derived_from == photo)
                            ).scalar_one()
    before = store.size()
    with pytest.raises(ValidationError, match="original"):
        verify_capture(store, "a", copy, method="m", result="consistent", place="p")
    with pytest.raises(ValidationError, match="time, the place or both"):
        verify_capture(store, "a", photo, method="m", result="consistent", note="n")
    with pytest.raises(ValidationError, match="result"):
        verify_capture(store, "a", photo, method="m", result="proven", place="p")
    with pytest.raises(ValidationError, match="how"):
        verify_capture(store, "a", photo, method=" ", result="consistent", place="p")
    with pytest.raises(NotFoundError):
        verify_capture(store, "a", "itm_missing", method="m", result="consistent", place="p")
    assert store.size() == before
