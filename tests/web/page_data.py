"""SYNTHETIC data for the workspace pages' tests: facts (officials, acts, positions,
dated events) and recorded estimates.

Facts: a public official who signed a public act (cited by a public source), and guarded
its victims as a protected source says (so that involvement is protected however it was
marked), and holds an office in a public and in a protected organisation; a protected
official in the same act; a protected act naming the public official; a dated event.
"""

from __future__ import annotations

from datetime import date

from api_world import World

from dadkhahi.access import grants
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.vocab import ActType, EntityKind, InvolvementRole, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Position, Support

PUBLIC, PROTECTED = Sensitivity.PUBLIC, Sensitivity.PROTECTED
MORDAD_1367 = DateRange(date(1988, 7, 23), date(1988, 8, 22), "Mordad 1367")


def add_facts(world: World) -> dict[str, str]:
    """Add the facts (see the module docstring); the protected official is granted to
    ``investigator_g``. Returns the IDs: act, official, hidden, hidden_act."""
    pub, pro = world.objects[PUBLIC], world.objects[PROTECTED]
    with world.store.transaction("setup") as tx:
        act = entities.create_act(tx, ActType.EXECUTION, place_id=pub.place, date=MORDAD_1367,
                                  description="SYNTHETIC mass execution",
                                  sensitivity=PUBLIC)
        official = entities.create_person(tx, "Official PUBLIC-perp SYNTHETIC",
                                          sensitivity=PUBLIC, synthetic=True)
        entities.add_involvement(tx, act, InvolvementRole.SIGNED, person_id=official,
                                 sensitivity=PUBLIC, support=[Support(pub.source)])
        entities.add_involvement(tx, act, InvolvementRole.GUARDED, person_id=official,
                                 sensitivity=PUBLIC,
                                 support=[Support(pub.source), Support(pro.source)])
        entities.add_position(tx, official, Position(
            "prosecutor SYNTHETIC", organization_id=pub.organization,
            period=DateRange(date(1988, 3, 21), date(1989, 3, 20), "1367")),
            [Support(pub.source)], sensitivity=PUBLIC)
        entities.add_position(tx, official, Position(
            "deputy SYNTHETIC", organization_id=pro.organization, place_id=pro.place),
            [Support(pub.source)], sensitivity=PUBLIC)
        hidden = entities.create_person(tx, "SECRET-official SYNTHETIC",
                                        sensitivity=PROTECTED, synthetic=True)
        entities.add_involvement(tx, act, InvolvementRole.SAT_ON_COMMISSION,
                                 person_id=hidden, sensitivity=PROTECTED,
                                 support=[Support(pro.source)])
        hidden_act = entities.create_act(tx, ActType.TORTURE, date=MORDAD_1367,
                                         description="SECRET-act of torture",
                                         sensitivity=PROTECTED)
        entities.add_involvement(tx, hidden_act, InvolvementRole.INTERROGATED,
                                 person_id=official, sensitivity=PUBLIC,
                                 support=[Support(pub.source)])
        entities.add_claim(tx, EntityKind.PERSON, official, "arrest_date", "arrested",
                           [Support(pub.source)],
                           date=DateRange(date(1988, 8, 3), date(1988, 8, 3), "12 Mordad 1367"),
                           sensitivity=PUBLIC)
    grants.grant(world.store, hidden, world.user_ids["investigator_g"], "setup")
    return {"act": act, "official": official, "hidden": hidden, "hidden_act": hidden_act}


#: The SYNTHETIC capture histories of the recorded estimates (4,512 persons, a cell of 3).
CAPTURE_LISTS = ["SYNTHETIC list A", "SYNTHETIC list B", "SYNTHETIC list C"]
CAPTURE_PATTERNS = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1],
                    [1, 1, 1]]
CAPTURE_COUNTS = [2100, 1500, 600, 200, 90, 19, 3]


def record_estimate(world: World, estimate_id: str, estimate: float, seed: int) -> None:
    """An ``estimate.computed`` event as the estimate job writes it (SYNTHETIC numbers
    and lists; the linkage run is the world's)."""
    import numpy as np

    from dadkhahi.analysis.estimates import capture_json, table_sha256
    from dadkhahi.estimate import table_from_counts
    from dadkhahi.linkage.store_io import latest_run

    pub, res = world.objects[PUBLIC], world.objects[Sensitivity.RESTRICTED]
    table = table_from_counts(CAPTURE_LISTS, np.asarray(CAPTURE_PATTERNS, dtype=np.int64),
                              np.asarray(CAPTURE_COUNTS, dtype=np.int64))
    with world.store.reading() as conn:
        run = latest_run(conn)
    run_id = None if run is None else str(run["id"])
    with world.store.transaction("setup") as tx:
        tx.emit("estimate.computed", {
            "id": estimate_id, "method": "loglinear",
            "estimand": "people killed (SYNTHETIC), in all provinces, as listed by 3 "
                        "independent lists of victims",
            "documented": 4512, "estimate": estimate, "low": estimate - 900.5,
            "high": estimate + 1500.5, "level": 0.95, "fixed_low": None,
            "fixed_high": None, "partitions": None, "seed": seed, "link_run_id": run_id,
            "inputs_sha256": table_sha256(table), "capture": capture_json(table),
            "diagnostics": {"criterion": "aic", "selected_model": "[AB][AC][BC]",
                            "selected_df": 1, "se": 412.25,
                            "interval_method": "profile likelihood (multinomial)",
                            "warnings": []},
            "settings": {"method": "loglinear", "lists": [
                {"list": pub.list_id, "import": pub.list_import,
                 "title": "SYNTHETIC list A", "kind": "victims", "used": True},
                {"list": res.list_id, "import": res.list_import,
                 "title": "SYNTHETIC list B", "kind": "victims", "used": True}]},
            "versions": {"dadkhahi": "test"}, "computed_at": f"2026-12-0{seed}T10:00:00Z",
        })


def add_estimates(world: World) -> dict[str, str]:
    """Two recorded estimates: one released to the public, one not released at all."""
    from dadkhahi.analysis.estimates import release_estimate

    record_estimate(world, "est_" + "1" * 20, 7021.4, 1)
    record_estimate(world, "est_" + "2" * 20, 8333.3, 2)
    release_estimate(world.store, "setup", "est_" + "1" * 20, "public")
    return {"released": "est_" + "1" * 20, "unreleased": "est_" + "2" * 20}


#: A protected place's name (a secret detention site known from one witness): a marker
#: never in a page of a reader outside the team.
SITE = "SECRET-site SYNTHETIC"


def add_estimate_by_prison(world: World) -> str:
    """An estimate by prison, released to the public: its strata are a public prison
    ("Evin", as the name table spells the public place "Evin Prison"), the protected
    site ``SITE`` (granted to investigator_g) and the unknown stratum; the site is named
    in a warning and as a merged stratum too, as a run writes them."""
    import numpy as np
    import pandas as pd

    from dadkhahi.analysis.estimates import (
        capture_json,
        capture_table,
        release_estimate,
        table_sha256,
    )
    from dadkhahi.domain.vocab import PlaceKind
    from dadkhahi.estimate import table_from_counts
    from dadkhahi.estimate.table import STRATUM
    from dadkhahi.linkage.store_io import latest_run

    with world.store.reading() as conn:
        run = latest_run(conn)
    with world.store.transaction("setup") as tx:
        entities.create_place(tx, "Evin Prison", PlaceKind.PRISON,
                              sensitivity=Sensitivity.PUBLIC)
        site = entities.create_place(tx, SITE, PlaceKind.PRISON,
                                     sensitivity=Sensitivity.PROTECTED)
    grants.grant(world.store, site, world.user_ids["investigator_g"], "setup")
    parts = []
    for stratum in ("Evin", SITE, "unknown"):
        part = table_from_counts(["SYNTHETIC list A", "SYNTHETIC list C"],
                                 np.asarray([[1, 0], [0, 1], [1, 1]], dtype=np.int64),
                                 np.asarray([300, 200, 60], dtype=np.int64))
        part[STRATUM] = stratum
        parts.append(part)
    capture = capture_json(pd.concat(parts, ignore_index=True))
    estimate_id = "est_" + "3" * 20
    with world.store.transaction("setup") as tx:
        tx.emit("estimate.computed", {
            "id": estimate_id, "method": "loglinear",
            "estimand": "people killed (SYNTHETIC), in all provinces, as listed by 2 "
                        "independent lists of victims",
            "documented": 1680, "estimate": 2100.0, "low": 1900.0, "high": 2500.0,
            "level": 0.95, "fixed_low": None, "fixed_high": None, "partitions": None,
            "seed": 3, "link_run_id": None if run is None else str(run["id"]),
            "inputs_sha256": table_sha256(capture_table(capture)), "capture": capture,
            "diagnostics": {"strata": 3, "warnings": [f"stratum {SITE}: SYNTHETIC"],
                            "merged_strata": {"into": "other", "strata": [SITE],
                                              "minimum": 1}},
            "settings": {"method": "loglinear", "lists": [
                {"list": world.objects[Sensitivity.PUBLIC].list_id,
                 "import": world.objects[Sensitivity.PUBLIC].list_import,
                 "title": "SYNTHETIC list A", "kind": "victims", "used": True}]},
            "versions": {"dadkhahi": "test"}, "computed_at": "2026-12-04T10:00:00Z",
        })
    release_estimate(world.store, "setup", estimate_id, "public")
    return estimate_id


def add_case(world: World, members: list[str]) -> str:
    """A sealed case (title ``SECRET-case SYNTHETIC``) charging the public person, one
    fact linked to the first element; its team: ``members``."""
    from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
    from dadkhahi.domain.vocab import Credibility, Direction, Reliability

    pub = world.objects[PUBLIC]
    found = create_case(world.store, "setup", "SECRET-case SYNTHETIC",
                        Scope((pub.person,), (pub.act,)), members=members)
    charge = add_charge(world.store, "setup", found, pub.person, "national-murder",
                        "murder", "instigator")
    link_fact(world.store, "setup", found, charge, "1", "involvement", pub.involvement,
              reliability=Reliability.C, credibility=Credibility.POSSIBLY_TRUE,
              how="SYNTHETIC: the list names him", direction=Direction.INCRIMINATING)
    return found


#: A SYNTHETIC report naming the world's public person (listed as "Karimi, Ali"), a prison
#: made for it, a date and a count: mentions of every kind, and proposals of both kinds.
REPORT = ("SYNTHETIC report. Ali Karimi was executed in Evin Prison on 12 Mordad 1367. "
          "In 1999 the committee counted seventy graves.")


def add_document(world: World, level: Sensitivity, name: str = "report.txt",
                 text: str = REPORT) -> str:
    """A text item in the world's source of ``level``, extracted and read for mentions
    (the prison "Evin Prison" added once); returns the item's ID. Each call needs its
    own ``name``."""
    import tempfile
    from pathlib import Path

    from sqlalchemy import select

    from dadkhahi.domain.vocab import PlaceKind
    from dadkhahi.intake.documents import extract_items
    from dadkhahi.intake.evidence import Receipt, add_evidence
    from dadkhahi.mentions.finder import find_mentions
    from dadkhahi.store import schema as s

    store = world.store
    with store.reading() as conn:
        known = conn.execute(select(s.places.c.id).where(
            s.places.c.name == "Evin Prison")).first()
    if known is None:
        with store.transaction("setup") as tx:
            entities.create_place(tx, "Evin Prison", PlaceKind.PRISON, sensitivity=PUBLIC)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        # The name in the text too: each document's bytes differ (the same bytes would be
        # the same item, already stored).
        path.write_text(f"{text} Kept as {name}.", "utf-8")
        report = add_evidence(store, [path], Receipt(actor="setup"),
                              source_id=world.objects[level].source)
    item = report.added[0][1]
    [done] = extract_items(store, [item], "setup")
    assert done.state == "done"
    find_mentions(store, item, "setup")
    return item


#: The protected testimony's witness (a marker: never in a page of anyone without the grant).
WITNESS = "SECRET-witness SYNTHETIC"


def add_testimonies(world: World) -> dict[str, str]:
    """A protected testimony (witness ``WITNESS``, granted to every ``_g`` user) with a
    direct and a hearsay segment, a translation and consent for a court; and a public one
    with no segment. Returns their IDs: protected, public."""
    from dadkhahi.intake import testimonies as t

    store = world.store
    made = t.add_testimony(store, t.TestimonySpec(
        title="SECRET-testimony SYNTHETIC", witness_name=WITNESS,
        witness_contact="SECRET-contact SYNTHETIC", interview_date="1399/02/10",
        interview_place="SECRET-place of interview", interviewer="SYNTHETIC interviewer",
        language="fa", read_back=True, materials_shown=["SYNTHETIC photo"]), "setup")
    for name, granted in world.granted.items():
        if granted and name != "anonymous":
            grants.grant(store, made["source_id"], world.user_ids[name], "setup")
    first, _ = t.add_segments(store, made["testimony_id"], [
        t.SegmentSpec("SECRET-segment: من او را در راهرو دیدم.", "direct", 12.0, 18.5),
        t.SegmentSpec("SECRET-segment: they told me he was taken.", "hearsay")], "setup")
    t.add_translation(store, first, "en", "SECRET-translation: I saw him in the corridor.",
                      "setup", translator="SYNTHETIC translator")
    t.set_consent(store, made["testimony_id"], "court", "SYNTHETIC court", "given", "setup",
                  date="2020-05-01", how="signed form", informed_defence=True)
    public = t.add_testimony(store, t.TestimonySpec(
        title="PUBLIC-testimony SYNTHETIC", language="en",
        sensitivity=Sensitivity.PUBLIC), "setup")
    return {"protected": made["testimony_id"], "public": public["testimony_id"]}


#: The party the SYNTHETIC sentence of :func:`add_attributed_proposal` attributes its
#: count to.
PARTY = "SYNTHETIC Example Watch"


def add_attributed_proposal(world: World) -> str:
    """A pending count proposal on the world's public item (about its public place), its
    sentence attributed to PARTY, as the mention finder records one; returns its ID."""
    from dadkhahi.domain.ids import new_id

    o = world.objects[PUBLIC]
    pid = new_id("proposal")
    with world.store.transaction("setup") as tx:
        tx.emit("mentions.found", {
            "id": new_id("mentionrun"), "item_id": o.item, "text_item_id": o.item,
            "source_id": o.source, "sensitivity": "public", "at": "2026-01-01T00:00:00Z",
            "mentions": [], "proposals": [{
                "id": pid, "seq": 0, "property": "victim_count", "entity_kind": "place",
                "entity_id": o.place, "value": {"count": 40, "attributed_to": PARTY},
                "sensitivity": "public", "locator": "text, page 1, characters 0-40"}]})
    return pid
def add_matrix_testimonies(world: World) -> None:
    """A testimony at each sensitivity (interviewer ``<marker>interviewer SYNTHETIC``, a
    witness and a segment carrying the marker), set on ``world.objects`` (``testimony``,
    ``testimony_source``, ``segment``) so the access matrix treats it as every other
    object; the protected one's source granted to every ``_g`` user, as the world's
    protected objects are."""
    from api_world import LEVELS, marker

    from dadkhahi.intake import testimonies as t

    for level in LEVELS:
        m = marker(level)
        made = t.add_testimony(world.store, t.TestimonySpec(
            title=f"{m}testimony SYNTHETIC", witness_name=f"{m}witness SYNTHETIC",
            interviewer=f"{m}interviewer SYNTHETIC", interview_date="1399/02/10",
            language="fa", sensitivity=level), "setup")
        if level is PROTECTED:
            for name, granted in world.granted.items():
                if granted and name != "anonymous":
                    grants.grant(world.store, made["source_id"], world.user_ids[name],
                                 "setup")
        [segment] = t.add_segments(world.store, made["testimony_id"], [
            t.SegmentSpec(f"{m}segment SYNTHETIC", "direct")], "setup")
        objects = world.objects[level]
        objects.testimony, objects.testimony_source = made["testimony_id"], made["source_id"]
        objects.segment = segment


def add_weighed_person(world: World) -> str:
    """A person of the two public list records and the protected one, linked with each
    field's match weight (``api_world.weighing_linker``), the world's review pairs sent to
    review with theirs; returns the person (kept as the public records' person: they are
    linked first)."""
    from api_world import weighing_linker
    from sqlalchemy import select

    from dadkhahi.linkage.service import run_linkage
    from dadkhahi.store import schema as s

    pub, pro = world.objects[PUBLIC], world.objects[PROTECTED]
    first = [(pub.list_record, pub.list_record_b)]
    run_linkage(world.store, "setup", linker=weighing_linker(world.store, first, []))
    run_linkage(world.store, "setup", linker=weighing_linker(
        world.store, [*first, (pub.list_record_b, pro.list_record)], world.review))
    with world.store.reading() as conn:
        return str(conn.execute(select(s.person_records.c.person_id).where(
            s.person_records.c.record_id == pub.list_record)).scalar_one())
