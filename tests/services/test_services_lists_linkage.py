"""The review queue's pairs and progress as the pages and the API ask them (issue 14): a
pair counts, and is offered, only when the reviewer may see both its records. Checked
for every reviewer, on SQLite and PostgreSQL, against the rule row by row
(:func:`dadkhahi.access.disclosure.disclosable` on each record), after decisions on pairs
at every level: a pair with a record someone may not see moves none of their figures.
"""

from __future__ import annotations

from api_world import PEOPLE, World
from sqlalchemy import select

from dadkhahi.access.disclosure import disclosable
from dadkhahi.access.policy import Permission, Principal, audience
from dadkhahi.services import lists_linkage
from dadkhahi.store import schema as s


def test_pairs_and_progress_are_the_rule_row_by_row_for_every_reviewer(world: World) -> None:
    reviewers = {name: Principal(user_id=world.user_ids[name], username=name, role=role)
                 for name, role, _ in PEOPLE
                 if any(Principal(role=role).can(p) for p in (Permission.REVIEW,
                                                              Permission.ANALYSE))}
    # Decisions at every level, by one who sees them all: half the queue decided.
    decider = reviewers["admin_g"]
    decided = world.review[::2]
    for a, b in decided:
        lists_linkage.decide_for(world.store, decider, a, b, "different", None)
    waiting = [pair for pair in world.review if pair not in decided]
    records = sorted({x for pair in world.review for x in pair})
    with world.store.reading() as conn:
        d = s.link_decisions.c
        decisions = conn.execute(select(d.record_a, d.record_b)).all()
    fewer = 0
    for who, principal in reviewers.items():
        with world.store.reading() as conn:
            seen = disclosable(conn, "record", records, audience(principal))
        shown = [p for p in waiting if set(p) <= seen]
        progress = lists_linkage.review_progress(world.store, principal)
        assert progress["pending"] == len(shown), who
        assert progress["decided"] == sum({a, b} <= seen for a, b in decisions), who
        offered = lists_linkage.review_for(world.store, principal, 500)
        assert [(p["left"]["id"], p["right"]["id"]) for p in offered] == shown, who
        fewer += len(shown) < len(waiting)
    assert fewer  # some reviewer may not see some pair: a dropped rule would count it
