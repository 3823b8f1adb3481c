"""What a court bundle may carry is the one disclosure rule's answer, consent included.

The bundle had a rule of its own (every protected item withheld, whatever the witness
said); now it asks :func:`dadkhahi.access.disclosure.may_disclose` for the court, and the
testimony package's consent is part of that rule. Every name here is SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dadkhahi.access.disclosure import Audience, AudienceKind, may_disclose
from dadkhahi.cases.bundle import (
    NO_CONSENT,
    Exhibit,
    court_audience,
    direct_or_hearsay,
    withheld_reasons,
)
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake import testimonies as tm
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.testimonies import add_testimony, set_consent
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

COURT, OTHER = "SYNTHETIC Court of Demo", "SYNTHETIC Other Court"


def _item(store: Store, tmp: Path, name: str, *, source_id: str | None = None,
          new_source: SourceSpec | None = None) -> dict[str, object]:
    path = tmp / name
    path.write_text(f"SYNTHETIC statement {name}", "utf-8")
    report = add_evidence(store, [path], Receipt(actor="tester", how="test"),
                          source_id=source_id, new_source=new_source)
    item_id = report.added[0][1]
    with store.reading() as conn:
        row = conn.execute(s.items.select().where(s.items.c.id == item_id)).mappings().one()
    return dict(row)


def test_a_protected_testimony_goes_to_the_court_its_witness_consented_to(
    store: Store, tmp_path: Path,
) -> None:
    made = add_testimony(store, tm.TestimonySpec(title="SYNTHETIC testimony T-9"), "tester")
    statement = _item(store, tmp_path, "t9.txt", source_id=made["source_id"])
    other = _item(store, tmp_path, "list.txt", new_source=SourceSpec(
        title="SYNTHETIC protected list", kind=SourceKind.LIST,
        sensitivity=Sensitivity.PROTECTED))
    restricted = _item(store, tmp_path, "order.txt", new_source=SourceSpec(
        title="SYNTHETIC order", kind=SourceKind.DOCUMENT))
    items = [statement, other, restricted]
    exhibits = [Exhibit(f"{n:03d}", item) for n, item in enumerate(items, start=1)]

    def refused(recipient: str) -> dict[str, str]:
        with store.reading() as conn:
            return withheld_reasons(conn, items, court_audience(recipient, "court", exhibits))

    # No consent recorded: protected material stays home, restricted material goes.
    assert refused(COURT) == {statement["id"]: NO_CONSENT, other["id"]: NO_CONSENT}
    set_consent(store, made["testimony_id"], "court", COURT, "given", "tester",
                how="signed form", date="2026-12-01", informed_defence=True)
    # Consent for this court: the testimony goes to it, and to no other court. Protected
    # material with no witness to consent still goes nowhere outside the team.
    assert refused(COURT) == {other["id"]: NO_CONSENT}
    assert refused(f"  {COURT} ") == {other["id"]: NO_CONSENT}
    assert refused(OTHER) == {statement["id"]: NO_CONSENT, other["id"]: NO_CONSENT}
    with store.reading() as conn:
        court = Audience.outside(AudienceKind.COURT, COURT, [made["source_id"]])
        partner = Audience.outside(AudienceKind.PARTNER, COURT, [made["source_id"]])
        assert may_disclose(conn, ("item", str(statement["id"])), court)
        assert may_disclose(conn, ("source", made["source_id"]), court)
        # The same name as a partner is another recipient: no consent for it.
        assert not may_disclose(conn, ("item", str(statement["id"])), partner)
        # Not shared with the court at all: nothing goes, consent or not.
        unshared = Audience.outside(AudienceKind.COURT, COURT, [])
        assert not may_disclose(conn, ("item", str(statement["id"])), unshared)
    # A withdrawal takes effect at once.
    set_consent(store, made["testimony_id"], "court", COURT, "withdrawn", "tester",
                disclosed=["bnd_synthetic"])
    assert refused(COURT) == {statement["id"]: NO_CONSENT, other["id"]: NO_CONSENT}


def test_an_exhibit_says_what_its_witness_knew_directly_and_by_hearsay(
    store: Store, tmp_path: Path,
) -> None:
    """Counted from the testimony's segments, sealed ones opened (issue 16: per exhibit,
    direct or hearsay); a source with no marked segment is "not assessed"."""
    made = add_testimony(store, tm.TestimonySpec(title="SYNTHETIC testimony T-10"), "tester")
    tm.add_segments(store, made["testimony_id"], [
        tm.SegmentSpec("SYNTHETIC I saw the list.", "direct"),
        tm.SegmentSpec("SYNTHETIC I was there.", "direct"),
        tm.SegmentSpec("SYNTHETIC A guard told me of the order.", "hearsay")], "tester")
    heard = add_testimony(store, tm.TestimonySpec(title="SYNTHETIC testimony T-11",
                                                  sensitivity=Sensitivity.RESTRICTED), "tester")
    tm.add_segments(store, heard["testimony_id"],
                    [tm.SegmentSpec("SYNTHETIC My cousin said so.", "hearsay")], "tester")
    order = _item(store, tmp_path, "order.txt", new_source=SourceSpec(
        title="SYNTHETIC order", kind=SourceKind.DOCUMENT))
    with store.reading() as conn:
        # The protected testimony's marks are sealed in the table: nothing in clear.
        assert set(conn.execute(select(s.testimony_segments.c.knowledge).where(
            s.testimony_segments.c.source_id == made["source_id"])).scalars()) <= {
            None, "[protected]"}
        said = {key: direct_or_hearsay(conn, store.keys, source) for key, source in (
            ("mixed", made["source_id"]), ("hearsay", heard["source_id"]),
            ("none", str(order["source_id"])))}
    assert said == {"mixed": "mixed: 2 segments direct, 1 hearsay",
                    "hearsay": "hearsay (1 segment)",
                    "none": "not assessed (no testimony segment of this source is marked)"}
