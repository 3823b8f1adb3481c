"""The code's permission table against the specification written from the documentation."""

from __future__ import annotations

import re
from pathlib import Path

from access_spec import ACTIONS, ROLE_MAY, ROLE_SEES
from dadkhahi.access.policy import ROLE_PERMISSIONS, Permission, Principal, Role

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ARCHITECTURE.md"


def test_every_role_may_do_exactly_what_the_specification_says() -> None:
    assert {str(r) for r in Role} == set(ROLE_MAY)
    assert {str(p) for p in Permission} == set(ACTIONS)
    for role in Role:
        granted = {str(p) for p in ROLE_PERMISSIONS[role]}
        assert granted == ROLE_MAY[str(role)], role
        principal = Principal(user_id="u", username="u", role=role)
        for action in ACTIONS:
            assert principal.can(Permission(action)) is (action in ROLE_MAY[str(role)])
    assert not any(Principal().can(Permission(a)) for a in ACTIONS)


def test_team_flag_matches_what_roles_see() -> None:
    for role in Role:
        without, _ = ROLE_SEES[str(role)]
        assert Principal(user_id="u", role=role).team is ("restricted" in without), role
    assert not Principal().team


def _table(heading: str) -> list[list[str]]:
    """The rows of the Markdown table that follows ``heading`` in ARCHITECTURE.md."""
    text = DOCS.read_text("utf-8")
    start = text.index(heading)
    rows = []
    for line in text[start:].splitlines()[1:]:
        line = line.strip()
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not set("".join(cells)) <= set("-"):
            rows.append(cells)
    return rows[1:]


_DOC_ACTIONS = {
    "add evidence": {"add_evidence"}, "add facts": {"add_facts"}, "review": {"review"},
    "sign checkpoints": {"sign"}, "analyse": {"analyse"}, "manage users": {"manage_users"},
    "grant": {"grant"}, "read the audit trail": {"audit"}, "erase": {"erase"},
    "publish the memorial": {"publish"},
}


def test_the_documented_role_table_is_the_specification() -> None:
    """The specification and the documentation say the same (neither drifts alone)."""
    documented: dict[str, set[str]] = {}
    for role, text in _table("- Roles (what each may *do*"):
        actions: set[str] = set()
        for phrase, names in _DOC_ACTIONS.items():
            if re.search(rf"\b{re.escape(phrase)}\b", text):
                actions |= names
        if text.startswith("all of the above"):
            actions |= set().union(*(ROLE_MAY[r] for r in documented))
        documented[role] = actions
    assert documented == {r: set(a) for r, a in ROLE_MAY.items()}


def test_the_documented_audience_table_matches_what_roles_see() -> None:
    rows = {r[0]: r[1:] for r in _table("Audiences see at three tiers")}
    public = rows["the public, anonymous visitors, `viewer`"]
    team = rows["a team member (researcher, investigator, analyst, lawyer, admin)"]
    assert public == ["yes", "no", "no"]
    assert team == ["yes", "yes", "with a grant on its scope"]
    assert ROLE_SEES["viewer"][1] == {"public"}
    for role in ("researcher", "investigator", "analyst", "lawyer", "admin"):
        assert ROLE_SEES[role] == ({"public", "restricted"},
                                   {"public", "restricted", "protected"})
