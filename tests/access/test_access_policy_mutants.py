"""What the mutation run of ``access.policy`` found untested (issue 18).

A refusal names who was refused and what they may not do, in the documentation's words
(a person reads it; ``benchmarks/mutation``'s survivors were misspelt refusals); the
principal as an audience carries its name (consent rules and the audit trail use it);
``visible_ids`` gives exactly the IDs of the rows the principal may see.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from disclosure_world import LEVELS, build_chain
from sqlalchemy import select

from access_spec import ACTIONS, ROLE_MAY, sees
from dadkhahi.access import disclosure, grants, passwords, users
from dadkhahi.access.policy import (
    ForbiddenError,
    Permission,
    Principal,
    Role,
    audience,
    params,
    require,
    visible_ids,
)
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: The documentation's words for each action ("may not add evidence").
WORDS = {
    "add_evidence": "add evidence", "add_facts": "add facts", "review": "review",
    "analyse": "analyse", "sign": "sign", "manage_users": "manage users", "grant": "grant",
    "audit": "audit", "erase": "erase", "publish": "publish",
}


def test_a_refusal_names_the_role_and_the_action_in_words() -> None:
    assert set(WORDS) == ACTIONS
    for role, allowed in ROLE_MAY.items():
        principal = Principal(user_id="u", username="u", role=Role(role))
        for action in ACTIONS:
            if action in allowed:
                require(principal, Permission(action))  # no refusal
                continue
            with pytest.raises(ForbiddenError) as refused:
                require(principal, Permission(action))
            assert str(refused.value) == f"{role} may not {WORDS[action]}"
    for action in ACTIONS:
        with pytest.raises(ForbiddenError) as refused:
            require(Principal(), Permission(action))
        assert str(refused.value) == f"anonymous visitors may not {WORDS[action]}"


def test_the_principal_as_an_audience_keeps_its_name() -> None:
    who = Principal(user_id="usr_1", username="rahimi", role=Role.RESEARCHER)
    seen = audience(who)
    assert (seen.kind, seen.name, seen.user_id, seen.team) == (
        disclosure.AudienceKind.USER, "rahimi", "usr_1", True)
    bound = params(who)
    assert bound[disclosure.AUDIENCE_NAME] == "rahimi"
    assert bound[disclosure.AUDIENCE_KIND] == "user"
    assert audience(Principal()).name == "anonymous"


def test_visible_ids_are_the_ids_of_the_rows_the_principal_sees(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    chains = {level: build_chain(store, level, tmp_path) for level in LEVELS}
    granted = users.add_user(store, "granted", Role.RESEARCHER, "SYNTHETIC long passphrase",
                             "setup")
    for scope in chains[LEVELS[2]].scopes():
        grants.grant(store, scope, granted, "setup")
    principals = {
        (None, False): Principal(),
        ("viewer", False): Principal(user_id="usr_v", username="v", role=Role.VIEWER),
        ("researcher", False): Principal(user_id="usr_r", username="r", role=Role.RESEARCHER),
        ("researcher", True): Principal(user_id=granted, username="granted",
                                        role=Role.RESEARCHER),
    }
    for (role, has_grant), principal in principals.items():
        expected = {chain.ids["source"] for level, chain in chains.items()
                    if sees(role, str(level), has_grant)}
        own = {chain.ids["source"] for chain in chains.values()}
        with store.reading() as conn:
            got = set(conn.execute(visible_ids(principal, s.sources),
                                   params(principal)).scalars())
            # As a subquery, the way its callers use it.
            inner = conn.execute(
                select(s.sources.c.id).where(s.sources.c.id.in_(
                    visible_ids(principal, s.sources))), params(principal)).scalars()
        assert got & own == expected, (role, has_grant)
        assert set(inner) & own == expected, (role, has_grant)
