"""The demo's case for court: INVENTED suspects only, deliberate gaps, one exculpatory
exhibit, one item withheld for lack of consent, one exhibit whose capture time and place
were verified.

Nothing here is about a real person: the two suspects, the sources, the files and the
act are SYNTHETIC and say so; the only public fact reused is a place (Evin Prison). No
person from the demo's public facts (the named commission members) is a suspect, a
linked party or an exhibit (``tests/demo`` checks it).

The gap report of this case at the default threshold (2 independent sources) is
written out by hand in ``tests/cases/test_cases_demo.py``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    CaptureResult,
    Credibility,
    Direction,
    EntityKind,
    InvolvementRole,
    Reliability,
    Sensitivity,
    SourceKind,
    SourceLinkKind,
)
from dadkhahi.facts.entities import (
    Position,
    Support,
    add_claim,
    add_involvement,
    add_position,
    create_act,
    create_person,
)
from dadkhahi.intake.capture_checks import verify_capture
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.provenance import link_sources
from dadkhahi.store.store import Store

MORDAD_1367 = DateRange(date(1988, 7, 23), date(1988, 8, 22), "Mordad 1367")
SUSPECT_A = "SYNTHETIC Official Alef (invented prison prosecutor)"
SUSPECT_B = "SYNTHETIC Official Be (invented chief of guards)"

#: When and where each source says it was collected (the claim a verification checks).
_CLAIMED = {
    "order": ("2019-05-14", "SYNTHETIC archive room, invented town"),
    "testimony": ("2020-04-29", "SYNTHETIC interview room (invented)"),
}
#: A verification of the order register's capture: what an invented archivist found.
_VERIFIED = {"method": "SYNTHETIC: the archive's accession stamp compared with the "
                       "register's binding and paper", "time": "2019-05-14",
             "place": "SYNTHETIC archive room, invented town",
             "note": "SYNTHETIC verification for the demo"}

#: (key, title, kind, sensitivity, file name, text)
_SOURCES = (
    ("order", "SYNTHETIC order register (invented document)", SourceKind.DOCUMENT,
     Sensitivity.RESTRICTED, "order-register.txt",
     "SYNTHETIC. Invented order register for the demo: an order dated Mordad 1367, "
     "signed by the invented prosecutor Alef.\n"),
    ("testimony", "SYNTHETIC testimony T-2 (invented survivor)", SourceKind.TESTIMONY,
     Sensitivity.PROTECTED, "testimony-t2.txt",
     "SYNTHETIC. An invented survivor describes the invented commission on which "
     "Alef sat, and the executions that followed.\n"),
    ("article", "SYNTHETIC press article citing the order register", SourceKind.ARTICLE,
     Sensitivity.RESTRICTED, "article.txt",
     "SYNTHETIC. An invented article quoting the invented order register.\n"),
    ("roster", "SYNTHETIC guard roster (invented document)", SourceKind.DOCUMENT,
     Sensitivity.RESTRICTED, "guard-roster.txt",
     "SYNTHETIC. Invented roster naming the invented chief of guards Be on duty.\n"),
    ("leave", "SYNTHETIC leave record (invented document)", SourceKind.DOCUMENT,
     Sensitivity.RESTRICTED, "leave-record.txt",
     "SYNTHETIC. Invented leave record: Be on leave for part of Mordad 1367.\n"),
)


@dataclass(frozen=True)
class DemoCase:
    case_id: str
    suspects: tuple[str, str]
    charges: tuple[str, str, str]


def build_demo_case(store: Store, actor: str, evin_id: str,
                    members: tuple[str, ...] = ()) -> DemoCase:
    """Build the synthetic case (sources, files, facts, charges, links) in ``store``."""
    sources: dict[str, str] = {}
    items: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="dadkhahi-demo-case-") as tmp:
        for key, title, kind, level, name, text in _SOURCES:
            path = Path(tmp) / name
            path.write_text(text, "utf-8")
            report = add_evidence(
                store, [path], Receipt(actor=actor, from_party=f"SYNTHETIC custodian of {key}",
                                       how="hand delivery"),
                new_source=SourceSpec(title=title, kind=kind, sensitivity=level,
                                      reliability=Reliability.C,
                                      credibility=Credibility.POSSIBLY_TRUE,
                                      collected_at=_CLAIMED.get(key, (None, None))[0],
                                      location=_CLAIMED.get(key, (None, None))[1]))
            assert report.source_id is not None  # one file was stored
            sources[key], items[key] = report.source_id, report.added[0][1]
    verify_capture(store, actor, items["order"], result=CaptureResult.CONSISTENT, **_VERIFIED)

    def sup(key: str, where: str) -> Support:
        return Support(sources[key], item_id=items[key], locator=where)

    with store.transaction(actor) as tx:
        # The article only repeats the register: one voice, not two.
        link_sources(tx, sources["article"], sources["order"], SourceLinkKind.CITES)
        alef = create_person(tx, SUSPECT_A, synthetic=True)
        be = create_person(tx, SUSPECT_B, synthetic=True)
        act = create_act(tx, ActType.EXECUTION, place_id=evin_id, date=MORDAD_1367,
                         description="SYNTHETIC executions for the demo case")
        add_claim(tx, EntityKind.ACT, act, "victim_count", {"approximately": 12},
                  [sup("order", "p. 1"), sup("testimony", "segment 3")],
                  sensitivity=Sensitivity.PROTECTED)
        signed = add_involvement(tx, act, InvolvementRole.SIGNED, person_id=alef,
                                 support=[sup("order", "p. 1"), sup("article", "para. 2")])
        add_involvement(tx, act, InvolvementRole.SAT_ON_COMMISSION, person_id=alef,
                        support=[sup("testimony", "segment 2")],
                        sensitivity=Sensitivity.PROTECTED)
        guarded = add_involvement(tx, act, InvolvementRole.GUARDED, person_id=be,
                                  support=[sup("roster", "line 4")])
        add_position(tx, alef, Position("prison prosecutor", period=MORDAD_1367),
                     [sup("order", "p. 1")])
        add_position(tx, be, Position("chief of guards", period=MORDAD_1367),
                     [sup("roster", "header")])
        on_leave = add_claim(tx, EntityKind.PERSON, be, "on_leave",
                             {"from": "1988-07-23", "to": "1988-08-05"},
                             [sup("leave", "entry 7")], date=MORDAD_1367)
    # Persian beside English, as in a real case file: the report is then bilingual.
    case_id = create_case(store, actor, "SYNTHETIC demo case: invented officials, Mordad 1367"
                          " · پرونده نمایشی ساختگی: مقامات ساختگی، مرداد ۱۳۶۷",
                          Scope((alef, be), (act,), (evin_id,), "1988-07-23", "1988-08-22"),
                          members=members)
    c1 = add_charge(store, actor, case_id, alef, "rome-statute-art7", "7(1)(a)", "25(3)(b)")
    c2 = add_charge(store, actor, case_id, alef, "national-murder", "murder", "instigator")
    c3 = add_charge(store, actor, case_id, be, "war-crimes-art8-2-c-i", "8(2)(c)(i)-1",
                    "25(3)(c)")

    def link(charge: str, element: str, kind: str, fact: str, how: str,
             direction: Direction = Direction.INCRIMINATING) -> None:
        link_fact(store, actor, case_id, charge, element, kind, fact,
                  reliability=Reliability.C, credibility=Credibility.POSSIBLY_TRUE, how=how,
                  direction=direction)

    link(c1, "1", "act", act, "the register and a survivor both record the killings")
    link(c1, "ctx:knowledge", "involvement", signed, "signing the order implies knowing of it")
    link(c2, "1", "act", act, "the killings")
    link(c2, "2", "involvement", signed, "the order bears Alef's signature")
    link(c3, "1", "act", act, "the killings")
    # "Be commanded the guards on duty", in Persian.
    link(c3, "2", "involvement", guarded, "بِ فرماندهٔ نگهبانانِ کشیک بود")
    link(c3, "3", "claim", on_leave, "Be was on leave for part of the period",
         Direction.EXCULPATORY)
    return DemoCase(case_id, (alef, be), (c1, c2, c3))


__all__ = ["SUSPECT_A", "SUSPECT_B", "DemoCase", "build_demo_case"]
