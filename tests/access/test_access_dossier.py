"""The person page's claims a page at a time (:func:`dadkhahi.access.dossier.person_dossier`):
read along ``ix_claims_entity_page`` in (property, ledger order, id) order, every claim
the reader may see on exactly one page in that order, none they may not, on SQLite and
PostgreSQL (SYNTHETIC)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.access import dossier
from dadkhahi.access.disclosure import disclosable
from dadkhahi.access.policy import Principal, Role, audience
from dadkhahi.domain.vocab import EntityKind, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from disclosure_world import new_source

PUB, RES, PRO = Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED


def test_a_person_s_claims_come_a_page_at_a_time_in_order_under_the_rule(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.transaction("setup") as tx:
        sources = {level: new_source(store, tx, level, f"{level} source")
                   for level in (PUB, RES, PRO)}
        person = entities.create_person(tx, "Many claims SYNTHETIC", sensitivity=PUB,
                                        synthetic=True)
        # Properties written out of order, each with claims of every level (a protected
        # source's support hides a claim from who may not see that source).
        for n, prop in enumerate(["c", "a", "b", "a", "c", "b", "a", "c", "b", "a"] * 2):
            level = (PUB, RES, PRO)[n % 3]
            entities.add_claim(tx, EntityKind.PERSON, person, prop, f"v{n} SYNTHETIC",
                               [Support(sources[level])], sensitivity=level)
    monkeypatch.setattr(dossier, "CLAIMS_PAGE", 3)
    c = s.claims.c
    for principal in (Principal(), Principal(user_id="usr_x", username="x",
                                            role=Role.ANALYST)):
        with store.reading() as conn:
            rows = conn.execute(select(c.id, c.property, c.ledger_index).where(
                c.entity_kind == "person", c.entity_id == person)).all()
            shown = disclosable(conn, "claim", [r.id for r in rows], audience(principal))
        expected = [r.id for r in sorted(rows, key=lambda r: (r.property, r.ledger_index,
                                                               r.id)) if r.id in shown]
        assert 0 < len(expected) < len(rows)
        paged: list[str] = []
        start: int | None = 0
        while start is not None:
            page, _ = dossier.person_dossier(store, principal, person, claims_from=start)
            assert len(page.claims) <= 3
            paged += [str(x["id"]) for x in page.claims]
            start = page.claims_next
        assert paged == expected, principal
