"""Transcriptions: a page Tesseract cannot read is routed to a person; what they type is a
derivative in custody and the ledger; an exhibit's page needs two independent ones, and
where they differ a resolution; a protected page's text is sealed."""

from __future__ import annotations

import hashlib
import io
import json
import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import transcriptions as tr
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

TEXT = "SYNTHETIC handwritten note\nزندان اوین ۱۳۶۷\n"


def scribble(path: Path) -> Path:
    """A page of pen strokes that are no letters (what Tesseract makes of handwriting)."""
    rng = random.Random(7)
    img = Image.new("L", (900, 300), 255)
    draw = ImageDraw.Draw(img)
    for row in range(3):
        x, y = 40, 60 + row * 80
        points = []
        while x < 860:
            x += rng.randint(6, 14)
            points.append((x, y + rng.randint(-18, 18)))
        draw.line(points, fill=0, width=3)
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(300, 300))
    path.write_bytes(buf.getvalue())
    return path


def _scan(store: Store, tmp: Path, level: Sensitivity = Sensitivity.RESTRICTED) -> str:
    report = add_evidence(store, [scribble(tmp / "page.png")], Receipt(actor="tester"),
                          new_source=SourceSpec(title="SYNTHETIC letters", sensitivity=level))
    [(_, item)] = report.added
    [outcome] = extract_items(store, [item], "tester")
    assert outcome.state == "done", outcome.error
    return item


def test_a_page_ocr_cannot_read_is_routed_and_its_transcription_is_a_derivative(
    store: Store, tmp_path: Path,
) -> None:
    item = _scan(store, tmp_path)
    with store.reading() as conn:
        [waiting] = tr.page_states(conn)
    assert (waiting.item_id, waiting.page, waiting.state, waiting.routed) == (
        item, 1, "open", "low_confidence")
    done = tr.record(store, item, 1, TEXT.replace("\n", "  \r\n"), "alice")
    with store.reading() as conn:
        assert tr.page_states(conn) == []  # nothing left to type
        derived = conn.execute(select(s.items).where(
            s.items.c.id == done["text_item_id"])).mappings().one()
        original = conn.execute(select(s.items).where(s.items.c.id == item)).mappings().one()
        custody = conn.execute(select(s.custody).where(
            s.custody.c.item_id == derived["id"])).mappings().one()
        body = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "transcription.recorded")).scalar_one()
        [typed] = tr.transcriptions_of(store, conn, item, 1)
    event = json.loads(body)
    # Line ends made \n and trailing blanks dropped; every other character kept.
    assert typed["text"] == TEXT
    assert derived["sha256"] == hashlib.sha256(TEXT.encode()).hexdigest() == event["data"][
        "sha256"]
    assert derived["derived_from"] == item and derived["derivation"] == "transcription"
    assert event["data"]["parent_sha256"] == original["sha256"]
    assert custody["action"] == "derived" and original["sha256"] in custody["notes"]
    # Who typed it is the ledger's pseudonym, never the name.
    assert event["data"]["transcriber"] == event["actor"]
    assert event["actor"].startswith("actor_") and b"alice" not in body
    with pytest.raises(ValidationError, match="already has"):
        tr.record(store, item, 1, "another text", "bob")


def test_an_exhibit_page_takes_two_independent_transcriptions_and_a_resolution(
    store: Store, tmp_path: Path,
) -> None:
    item = _scan(store, tmp_path)
    tr.request(store, item, [1], "lead", required=2, reason="exhibit")
    first = tr.record(store, item, 1, "SYNTHETIC Evin 1367 ten names", "alice")
    with pytest.raises(ValidationError, match="someone else"):
        tr.record(store, item, 1, "SYNTHETIC Evin 1367 ten names", "alice")
    with pytest.raises(ValidationError, match="differ"):
        tr.record(store, item, 1, "SYNTHETIC early", "carol", resolution=True)
    second = tr.record(store, item, 1, "SYNTHETIC Evin 1367 two names", "bob")
    with store.reading() as conn:
        assert tr.page_state(conn, item, 1).state == "differ"
    changed = [d for d in tr.differences("SYNTHETIC Evin 1367 ten names",
                                         "SYNTHETIC Evin 1367 two names") if d["op"] != "equal"]
    assert changed == [{"op": "replace", "first": "ten", "second": "two"}]
    settled = tr.record(store, item, 1, "SYNTHETIC Evin 1367 ten names", "carol",
                        resolution=True)
    assert settled["resolves"] == [first["id"], second["id"]]
    with store.reading() as conn:
        assert tr.page_state(conn, item, 1).state == "done"
        assert tr.page_states(conn) == []


def test_two_that_agree_need_no_resolution(store: Store, tmp_path: Path) -> None:
    item = _scan(store, tmp_path)
    tr.request(store, item, [1], "lead", required=2)
    tr.record(store, item, 1, "SYNTHETIC same\n", "alice")
    tr.record(store, item, 1, "SYNTHETIC same", "bob")
    with store.reading() as conn:
        assert tr.page_state(conn, item, 1).state == "done"


def test_a_protected_page_transcription_is_sealed(store: Store, tmp_path: Path) -> None:
    item = _scan(store, tmp_path, Sensitivity.PROTECTED)
    marker = "SYNTHETICSEALEDWORDQX"
    done = tr.record(store, item, 1, f"{marker} written by hand", "alice")
    with store.reading() as conn:
        derived = conn.execute(select(s.items).where(
            s.items.c.id == done["text_item_id"])).mappings().one()
        [typed] = tr.transcriptions_of(store, conn, item, 1)
    assert derived["sensitivity"] == "protected" and typed["text"].startswith(marker)
    for path in store.home.path.rglob("*"):
        if path.is_file():
            assert marker.encode() not in path.read_bytes(), path


def test_a_transcription_is_found_by_full_text_search(store: Store, tmp_path: Path) -> None:
    from dadkhahi.search.engine import search

    item = _scan(store, tmp_path)
    tr.record(store, item, 1, "SYNTHETIC نامه‌ی دست‌نویس SYNTHETICTYPEDWORDQX", "alice")
    hits = search(store, None, "SYNTHETICTYPEDWORDQX").hits
    assert [(h.item_id, h.page) for h in hits] == [(item, 1)]
