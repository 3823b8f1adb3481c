"""A claim's supports go out by the one rule: a support row is disclosable when its claim
is (``access.disclosure``). ``access.reads`` applies it once per claim asked, not once per
support row (which re-checked the claim's person, and each record of a person made of
records, for every support: quadratic in a person's size, 1.9 s of CPU for a 501-record
person's page, ``benchmarks/web/bench_pages.py``). Asked for every claim of the world,
visible or not, it returns exactly the rows the rule discloses row by row, for every
principal, on both stores."""

from __future__ import annotations

from api_world import PRINCIPALS, World
from sqlalchemy import select

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal, params, visible
from dadkhahi.store import schema as s


def test_supports_are_what_the_rule_discloses_row_by_row(shared_world: World) -> None:
    store = shared_world.store
    cs = s.claim_support.c
    with store.reading() as conn:
        every = list(conn.execute(select(s.claims.c.id)).scalars())
    counts: dict[str, int] = {}
    for who in PRINCIPALS:
        principal = Principal() if who == "anonymous" else Principal(
            user_id=shared_world.user_ids[who], username=who, role=shared_world.roles[who])
        with store.reading() as conn:
            got = conn.execute(reads._support_statement(principal.team),
                               {**params(principal), "claim_ids": every}).all()
            want = conn.execute(
                select(cs.claim_id, cs.seq, cs.source_id, cs.record_id, cs.item_id,
                       cs.locator)
                .where(cs.claim_id.in_(every), visible(principal, s.claim_support))
                .order_by(cs.claim_id, cs.seq), params(principal)).all()
        assert [tuple(r) for r in got] == [tuple(r) for r in want], who
        counts[who] = len(got)
    # Not vacuous: supports are shown, and some only to who holds the grants.
    assert 0 < counts["anonymous"] < counts["admin_g"], counts
