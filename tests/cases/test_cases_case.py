"""A case's links name who made them by pseudonym, as every actor in the ledger is named
(``store.actors``): a name in clear beside a sealed case would tell anyone holding the
ledger (or the database files) who works on it. The team, the matrix and a court bundle
read the name. Every name SYNTHETIC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.cases.bundle import write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact, load_case
from dadkhahi.demo.case import build_demo_case
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.vocab import (
    ActType,
    Credibility,
    Direction,
    PlaceKind,
    Reliability,
    Sensitivity,
)
from dadkhahi.facts.entities import create_act, create_person, create_place
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from database_files import database_files

LINKER = "SYNTHETICLINKERQZ"


def test_a_link_names_its_linker_by_pseudonym_and_the_team_reads_the_name(
    store: Store, tmp_path: Path,
) -> None:
    """Fails before: ``case.linked`` carried the linker's name in clear (event and row)."""
    with store.transaction("tester") as tx:
        evin = create_place(tx, "Evin Prison", PlaceKind.PRISON)
    demo = build_demo_case(store, "analyst", evin)
    with store.reading() as conn:
        act = load_case(store, conn, demo.case_id).links[0].fact_id
    link_id = link_fact(store, LINKER, demo.case_id, demo.charges[1], "1", "act", act,
                        reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
                        how="SYNTHETIC: a second look at the killings",
                        direction=Direction.INCRIMINATING)
    with store.reading() as conn:
        bodies = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "case.linked")).scalars().all()
        rows = conn.execute(select(s.case_links.c.linked_by)).scalars().all()
        case = load_case(store, conn, demo.case_id)
    ours = [json.loads(b)["data"] for b in bodies if link_id.encode() in b]
    assert len(ours) == 1 and ours[0]["linked_by"].startswith("actor_")
    assert all(r.startswith("actor_") for r in rows)
    # The team reads the names (the matrix's "linked_by").
    assert {lk.id: lk.linked_by for lk in case.links}[link_id] == LINKER
    assert {lk.linked_by for lk in case.links} == {"analyst", LINKER}
    # A court bundle names the linker too, as it names custodians; it still verifies.
    bundle = write_bundle(store, "lawyer", demo.case_id, tmp_path / "bundle",
                          recipient="SYNTHETIC Court of Demo")
    assert verify(bundle.path, store.verifier_key()) == []
    matrix = json.loads((bundle.path / "data/matrix.json").read_text("utf-8"))
    assert LINKER in {e["linked_by"] for e in matrix["elements"]}
    # The grep attack on the database's own files: no name in clear.
    assert LINKER.encode() not in database_files(store)


def test_an_unsealed_case_links_public_facts_only(store: Store) -> None:
    """Fails before: an unsealed case linked a protected act, and the lawyer's note on it
    (which may quote the act) went in clear into the row and the hash-chained event, where
    no erasure reaches it: a link less protected than the fact it rests on."""
    with store.transaction("tester") as tx:
        suspect = create_person(tx, "SYNTHETIC Official Quv", synthetic=True)
        hidden = create_act(tx, ActType.EXECUTION, description="SYNTHETIC told in confidence",
                            sensitivity=Sensitivity.PROTECTED)
        known = create_act(tx, ActType.EXECUTION, description="SYNTHETIC published",
                           sensitivity=Sensitivity.PUBLIC)
    open_case = create_case(store, "analyst", "SYNTHETIC open case",
                            Scope((suspect,), (hidden, known)), sealed=False)
    sealed_case = create_case(store, "analyst", "SYNTHETIC sealed case",
                              Scope((suspect,), (hidden, known)))
    charges = {c: add_charge(store, "analyst", c, suspect, "national-murder", "murder",
                             "instigator") for c in (open_case, sealed_case)}

    def link(case_id: str, act: str) -> str:
        return link_fact(store, "analyst", case_id, charges[case_id], "1", "act", act,
                         reliability=Reliability.C, credibility=Credibility.POSSIBLY_TRUE,
                         how=f"SYNTHETIC NOTEQZ on {act}", direction=Direction.INCRIMINATING)

    def events() -> int:
        with store.reading() as conn:
            return len(conn.execute(select(s.ledger_events.c.idx)).all())

    before = events()
    with pytest.raises(UserError) as refused:
        link(open_case, hidden)
    assert "links public facts only" in str(refused.value)
    assert "restricted" not in str(refused.value) and "protected" in str(refused.value)
    assert "NOTEQZ" not in str(refused.value)
    assert events() == before
    with store.reading() as conn:
        assert conn.execute(select(s.case_links.c.id)).first() is None
    # A public fact links in clear, as the case asks; a sealed case links either.
    link(open_case, known)
    link(sealed_case, hidden)
    with store.reading() as conn:
        assert len(load_case(store, conn, open_case).links) == 1
        assert len(load_case(store, conn, sealed_case).links) == 1
