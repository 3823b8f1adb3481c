"""A page typed by a person feeds the same mention finder as extracted text, once the page
is settled (its one transcription, or the resolution of two that differ; never while the
second transcriber must still type blind): the mentions and proposals belong to the
original item and name the transcription as their text, and an accepted claim's locator
points into the transcription."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import PlaceKind, Sensitivity
from dadkhahi.facts.entities import create_place
from dadkhahi.intake import transcriptions as tr
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.mentions.finder import find_mentions, propose_from_transcription
from dadkhahi.mentions.review import accept, mentions_of
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "intake"))
from test_intake_transcriptions import _scan

# SYNTHETIC: an invented letter; Evin is a place of the demo gazetteer.
FIRST = "SYNTHETIC letter. In 1367, 120 prisoners were executed in Evin Prison.\n"
SECOND = "SYNTHETIC letter. In 1367, 170 prisoners were executed in Evin Prison.\n"


def _proposals(store: Store, item: str) -> list[dict[str, object]]:
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(select(s.proposals).where(
            s.proposals.c.item_id == item).order_by(s.proposals.c.ledger_index,
                                                    s.proposals.c.seq)).mappings()]


def test_a_settled_transcription_is_scanned_and_named_as_the_text(
    store: Store, tmp_path: Path,
) -> None:
    with store.transaction("t") as tx:
        evin = create_place(tx, "Evin Prison", PlaceKind.PRISON, name_fa="زندان اوین")
    item = _scan(store, tmp_path)
    tr.request(store, item, [1], "clerk", required=2, reason="exhibit")
    first = tr.record(store, item, 1, FIRST, "alice")
    # One of two: the page waits, and the second transcriber must not see these words.
    assert propose_from_transcription(store, first["id"], "alice") is None
    second = tr.record(store, item, 1, SECOND, "bob")
    assert propose_from_transcription(store, second["id"], "bob") is None  # they differ
    assert _proposals(store, item) == []
    settled = tr.record(store, item, 1, FIRST, "carol", resolution=True)
    run = propose_from_transcription(store, settled["id"], "carol")
    assert run is not None and run.item_id == item and run.proposals >= 1
    [count] = [p for p in _proposals(store, item) if p["property"] == "victim_count"]
    resolved_text = settled["text_item_id"]
    assert count["text_item_id"] == resolved_text
    assert count["value"] == {"approximately": 120, "what": "prisoners"}
    assert count["entity_id"] == evin
    assert str(count["locator"]).startswith(f"transcription {resolved_text}, page 1, ")
    with store.reading() as conn:
        kinds = {m["kind"] for m in mentions_of(store, conn, item)
                 if m["text_item_id"] == resolved_text}
    assert {"count", "date", "place"} <= kinds
    # The same transcription is not scanned twice; the extraction is still its own text.
    assert propose_from_transcription(store, settled["id"], "carol").existing  # type: ignore[union-attr]
    from_ocr = find_mentions(store, item, "carol")
    assert not from_ocr.existing and from_ocr.run_id != run.run_id
    done = accept(store, str(count["id"]), "carol")
    with store.reading() as conn:
        support = conn.execute(select(s.claim_support).where(
            s.claim_support.c.claim_id == done["claim_id"])).mappings().one()
    assert support["item_id"] == item and support["locator"] == count["locator"]


def test_the_command_line_scans_a_page_once_it_is_transcribed(
    store: Store, tmp_path: Path,
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("SYNTHETIC unreadable scan stand-in", "utf-8")
    [(_, item)] = add_evidence(store, [note], Receipt(actor="t"), new_source=SourceSpec(
        title="SYNTHETIC letters", sensitivity=Sensitivity.RESTRICTED)).added
    typed = tmp_path / "typed.txt"
    typed.write_text(FIRST, "utf-8")
    done = CliRunner().invoke(app, ["--home", str(store.home.path), "documents",
                                    "transcribe", item, "--page", "1", "--text-file",
                                    str(typed)])
    assert done.exit_code == 0, done.output
    assert '"proposals": 1' in done.output, done.output
    [count] = _proposals(store, item)
    assert count["value"] == {"approximately": 120, "what": "prisoners"}
