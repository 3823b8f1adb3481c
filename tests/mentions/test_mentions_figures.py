"""Figures proposed from a document's text (SYNTHETIC articles): what a count counts, a
lower bound, the party a statement comes from when it is an organisation of the store, a
figure repeated within one source accepted as one claim with a support for each place it
is said, and an accepted figure shown among the published figures (the memorial's)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import ActType, Sensitivity, SourceKind
from dadkhahi.facts.entities import create_act, create_organization
from dadkhahi.facts.figures import published_figures
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.mentions.finder import find_mentions
from dadkhahi.mentions.review import accept, get_proposal
from dadkhahi.mentions.text import counts, sentences
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

# Invented parties and numbers. SYNTHETIC.
FIRST = (
    "SYNTHETIC report on the killings\n"
    "Example City, 3 March 2001\n"
    "The Example Truth Commission published a list of 4,321 victims and of 87 officials "
    "who took part; over 9,000 political prisoners were held that year. "
    "Witnesses counted 41 mass graves.\n")
SECOND = (
    "SYNTHETIC follow-up article. The Example Truth Commission published a list of 4,321 "
    "victims. It repeated the figure later.\n")


def _documents(store: Store, tmp: Path, *texts: str) -> list[str]:
    paths = []
    for n, text in enumerate(texts):
        path = tmp / f"article{n}.txt"
        path.write_text(text, "utf-8")
        paths.append(path)
    report = add_evidence(store, paths, Receipt(actor="t"), new_source=SourceSpec(
        title="SYNTHETIC articles of one publisher", kind=SourceKind.DOCUMENT,
        sensitivity=Sensitivity.PUBLIC))
    items = [item for _, item in report.added]
    assert all(done.state == "done" for done in extract_items(store, items, "t"))
    return items


def _proposals(store: Store, item: str) -> list[dict[str, object]]:
    with store.reading() as conn:
        rows = conn.execute(select(s.proposals).where(s.proposals.c.item_id == item)
                            .order_by(s.proposals.c.seq)).mappings().all()
        return [dict(r) for r in rows]


def test_a_count_says_what_it_counts_and_stops_at_punctuation() -> None:
    text = ("In five months, 30 thousand people were killed. Camp 3, Example People's Union. "
            "Over 9,000 political prisoners; 87 decision-makers and 213 officials; "
            "70 mass graves. بیش از سی هزار زندانی")
    found = [(text[c.start:c.end], c.value, c.counted, c.at_least,
              None if c.what is None else text[c.what.start:c.what.end]) for c in counts(text)]
    assert found == [
        ("30 thousand", 30000, "victim_count", False, "people"),
        ("9,000", 9000, "victim_count", True, "political prisoners"),
        ("87", 87, "official_count", False, "decision-makers"),
        ("213", 213, "official_count", False, "officials"),
        ("70", 70, "grave_count", False, "mass graves"),
        ("سی هزار", 30000, "victim_count", True, "زندانی")]


def test_a_heading_or_a_dateline_is_not_part_of_the_sentence_below() -> None:
    spans = [FIRST[a.start:a.end] for a in sentences(FIRST)]
    assert spans[:3] == ["SYNTHETIC report on the killings", "Example City, 3 March 2001",
                         spans[2]]
    assert spans[2].startswith("The Example Truth Commission published")
    # A paragraph wrapped over lines of about one length stays one sentence.
    wrapped = ("The families of the prisoners were told nothing for months, and then\n"
               "Example Person was named among the executed in a list on the prison gate.")
    assert len(sentences(wrapped)) == 1


def test_figures_are_proposed_as_published_figures_by_the_party_that_gave_them(
        store: Store, tmp_path: Path) -> None:
    with store.transaction("t") as tx:
        commission = create_organization(tx, "the Example Truth Commission")
        act = create_act(tx, ActType.EXECUTION, sensitivity=Sensitivity.PUBLIC)
    [first, second] = _documents(store, tmp_path, FIRST, SECOND)
    find_mentions(store, first, "t")
    find_mentions(store, second, "t")
    with store.reading() as conn:
        kinds = {(m.kind, m.text) for m in conn.execute(select(s.mentions.c.kind,
                 s.mentions.c.text).where(s.mentions.c.item_id == first))}
    assert ("organization", "The Example Truth Commission") in kinds
    party = {"attributed_to": "The Example Truth Commission",
             "attributed_party": {"kind": "organization", "id": commission}}
    shown = [(p["property"], p["value"], p["date_text"]) for p in _proposals(store, first)]
    assert shown == [
        ("victim_count", {"approximately": 4321, "what": "victims", **party}, None),
        ("official_count", {"approximately": 87, "what": "officials", **party}, None),
        ("victim_count", {"at_least": 9000, "what": "political prisoners", **party}, None),
        # A party the store does not know is kept in the text's words only.
        ("grave_count", {"approximately": 41, "what": "mass graves",
                         "attributed_to": "Witnesses"}, None)]
    # The same figure by the same party in the other article of the source: one claim,
    # accepted once, with both sentences as its locators.
    [victims] = [p for p in _proposals(store, first)
                 if p["value"].get("approximately") == 4321]  # type: ignore[union-attr]
    [repeat] = _proposals(store, second)
    done = accept(store, str(victims["id"]), "reviewer", entity=("act", act))
    assert done["repeats"] == [repeat["id"]]
    with store.reading() as conn:
        supports = conn.execute(select(s.claim_support.c.item_id, s.claim_support.c.locator)
                                .where(s.claim_support.c.claim_id == done["claim_id"])
                                .order_by(s.claim_support.c.seq)).all()
        assert get_proposal(store, conn, str(repeat["id"]))["claim_id"] == done["claim_id"]
        assert len(conn.execute(select(s.claims.c.id).where(
            s.claims.c.property == "victim_count")).all()) == 1
        figures = published_figures(conn)
    assert [tuple(r) for r in supports] == [(first, victims["locator"]),
                                            (second, repeat["locator"])]
    # The accepted figure is one the memorial shows, with what it counts.
    assert [(f.claim_id, f.act_id, f.text()) for f in figures] == [
        (done["claim_id"], act, "about 4,321 victims")]
