"""Access as an independent specification, written from the documentation.

Copied by hand from docs/ARCHITECTURE.md (security model: "Roles: viewer (public
data), researcher, investigator, analyst, lawyer, admin"; and the amendments'
disclosure and role tables). Nothing here is imported from ``dadkhahi``: the
code's permission table and disclosure rule are checked *against* these tables,
so a wrong permission in the code (a lawyer who may erase) fails a test.
"""

from __future__ import annotations

#: Every action a role may be allowed, by the names the documentation uses.
ACTIONS = frozenset({
    "add_evidence", "add_facts", "review", "analyse", "sign", "manage_users", "grant",
    "audit", "erase", "publish",
})

#: Role → what it may do (beyond seeing what the disclosure rule shows it).
ROLE_MAY: dict[str, frozenset[str]] = {
    "viewer": frozenset(),
    "researcher": frozenset(),
    "investigator": frozenset({"add_evidence", "add_facts", "review", "sign"}),
    "analyst": frozenset({"add_facts", "review", "analyse"}),
    "lawyer": frozenset({"review"}),
    "admin": ACTIONS,
}

#: Role → the sensitivities it may see without a grant, and with one.
ROLE_SEES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "viewer": (frozenset({"public"}), frozenset({"public"})),
    **{role: (frozenset({"public", "restricted"}),
              frozenset({"public", "restricted", "protected"}))
       for role in ("researcher", "investigator", "analyst", "lawyer", "admin")},
}


def may(role: str | None, action: str) -> bool:
    """Whether a role (None: nobody signed in) may perform ``action``."""
    assert action in ACTIONS, action
    return role is not None and action in ROLE_MAY[role]


def sees(role: str | None, level: str, granted: bool) -> bool:
    """Whether a role (None: anonymous) sees an object of ``level`` (with a grant on it)."""
    if role is None:
        return level == "public"
    without, with_grant = ROLE_SEES[role]
    return level in (with_grant if granted else without)
