"""The review queue's "not sure" (the pair goes to another reviewer), undo as a
superseding decision, and the earlier decision shown on a pair decided before."""

from __future__ import annotations

from api_world import World
from fastapi import FastAPI
from sqlalchemy import select
from web_world import client_for, csrf_of

from dadkhahi.linkage.store_io import load_decisions
from dadkhahi.store import schema as s


def _pair(html: str) -> tuple[str, str]:
    a = html.split('name="record_a" value="')[1].split('"')[0]
    b = html.split('name="record_b" value="')[1].split('"')[0]
    return a, b


def _decisions(world: World, a: str, b: str) -> list[tuple[str, str]]:
    d = s.link_decisions.c
    with world.store.reading() as conn:
        return [(r.decision, r.actor) for r in conn.execute(
            select(d.decision, d.actor).where(d.record_a == min(a, b),
                                              d.record_b == max(a, b))
            .order_by(d.ledger_index))]


def test_not_sure_sends_the_pair_to_another_reviewer(app: FastAPI, world: World) -> None:
    first = client_for(app, world, "admin")
    page = first.get("/en/review").text
    assert 'data-key="KeyN"' in page and "Not sure" in page
    a, b = _pair(page)
    token = csrf_of(page)
    assert first.post("/en/review", data={"csrf": token, "record_a": a, "record_b": b,
                                          "decision": "unsure"}).status_code == 303
    # Not shown again to who was unsure, and no decision in force for linkage.
    assert f'name="record_a" value="{a}"' not in first.get("/en/review").text
    with world.store.reading() as conn:
        in_force = load_decisions(conn)
    assert not ((in_force["record_id_l"] == min(a, b))
                & (in_force["record_id_r"] == max(a, b))).any()
    # The second reviewer gets it, with the first one's doubt shown beside it.
    second = client_for(app, world, "admin_g")
    shown = second.get("/en/review").text
    assert _pair(shown) == (a, b)
    assert "Decided before: not sure (for another reviewer), by" in shown
    fa = second.get("/fa/review").text
    assert "پیش‌تر" in fa
    assert second.post("/en/review", data={"csrf": csrf_of(shown), "record_a": a,
                                           "record_b": b, "decision": "same"}
                       ).status_code == 303
    decided = _decisions(world, a, b)
    assert [d for d, _ in decided] == ["unsure", "same"]
    assert decided[0][1] != decided[1][1]  # two reviewers (their pseudonyms)
    with world.store.reading() as conn:
        in_force = load_decisions(conn)
    row = in_force[(in_force["record_id_l"] == min(a, b))
                   & (in_force["record_id_r"] == max(a, b))]
    assert row["decision"].tolist() == ["same"]


def test_undo_returns_the_pair_to_the_decision_before(app: FastAPI, world: World) -> None:
    client = client_for(app, world, "lawyer_g")
    page = client.get("/en/review").text
    a, b = _pair(page)
    token = csrf_of(page)
    client.post("/en/review", data={"csrf": token, "record_a": a, "record_b": b,
                                    "decision": "different"})
    # Decided again by someone else, then that person undoes theirs: "different" is
    # back in force (not its opposite, and not nothing).
    other = client_for(app, world, "investigator_g")
    other_token = csrf_of(other.get("/en/review").text)
    other.post("/en/review", data={"csrf": other_token, "record_a": a, "record_b": b,
                                   "decision": "same"})
    assert other.post("/en/review", data={"csrf": other_token, "decision": "undo"}
                      ).status_code == 303
    assert [d for d, _ in _decisions(world, a, b)] == ["different", "same", "different"]
    # The first reviewer's own last decision is no longer the latest on the pair: their
    # undo is refused rather than overwriting the later one.
    refused = client.post("/en/review", data={"csrf": token, "decision": "undo"})
    assert refused.headers["location"] == "/en/review?error=1"
    assert len(_decisions(world, a, b)) == 3
