"""The perpetrator registry: every named official, in the language of allegation.

A registry entry is what sources say, never a finding: "named as having signed the
order for an execution by source X". It lists each person some source names in a
role on the side of those who acted (``ALLEGED_ROLES``) or as holding an office, with
the positions, acts and the sources behind each. Guilt is for a court; modes of
liability belong to a charge inside a case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, true, union

from dadkhahi.domain.sources import REDACTED
from dadkhahi.domain.vocab import ALLEGED_ROLES, InvolvementRole, Sensitivity
from dadkhahi.facts.entities import POSITION
from dadkhahi.store import schema as s
from dadkhahi.store.sealed import KeyRing

#: How each role reads as an allegation ("<person> is named as having …").
ALLEGATION: dict[InvolvementRole, str] = {
    InvolvementRole.PERPETRATOR_ORDERED: "named as having ordered",
    InvolvementRole.PERPETRATOR_CARRIED_OUT: "named as having carried out",
    InvolvementRole.PERPETRATOR_TOOK_PART: "named as having taken part in",
    InvolvementRole.PERPETRATOR_COMMISSION_MEMBER: "named as a member of the commission behind",
    InvolvementRole.SIGNED: "named as having signed the order for",
    InvolvementRole.INTERROGATED: "named as having interrogated a victim of",
    InvolvementRole.GUARDED: "named as having guarded the victims of",
    InvolvementRole.TRANSPORTED: "named as having transported the victims of",
    InvolvementRole.BURIED: "named as having buried the victims of",
    InvolvementRole.SAT_ON_COMMISSION: "named as having sat on the commission behind",
}

#: Who may read a registry built for these sensitivity levels (the caller decides).
TEAM_LEVELS = frozenset({Sensitivity.PUBLIC, Sensitivity.RESTRICTED})


@dataclass
class Sourced:
    """One statement of the registry with the sources behind it."""

    kind: str  # "position" or "act"
    fact_id: str  # the claim or involvement
    text: str
    sources: list[dict[str, str]] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Entry:
    person_id: str
    label: str
    positions: list[Sourced] = field(default_factory=list)
    acts: list[Sourced] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "label": self.label,
                "positions": [vars(p) for p in self.positions],
                "acts": [vars(a) for a in self.acts]}


def _sources(conn: Connection, table: Any, key: str, ids: Collection[str],
             levels: Collection[str]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    if not ids:
        return out
    t, src = table.c, s.sources.c
    rows = conn.execute(
        select(t[key], src.id, src.title, src.reliability, src.credibility, src.sensitivity)
        .join(s.sources, src.id == t.source_id).where(t[key].in_(list(ids)))
        .order_by(t[key], t.seq))
    for fact_id, sid, title, rel, cred, level in rows:
        if level in levels:
            out[str(fact_id)].append({"source_id": sid, "title": title,
                                      "admiralty": f"{rel}{cred}"})
    return out


def _cited(sources: list[dict[str, str]]) -> str:
    if not sources:
        return "no source recorded"
    titles = "; ".join(f"{x['title']} ({x['admiralty']})" for x in sources)
    return f"by {len(sources)} source{'s' if len(sources) != 1 else ''}: {titles}"


def named_persons(levels: Collection[str] = TEAM_LEVELS) -> Any:
    """The IDs of the persons the registry names (in an alleged role, a protected
    involvement's sealed role counted, or an office) at ``levels``: a statement to page
    in SQL."""
    i, c = s.involvements.c, s.claims.c
    roles = sorted(str(r) for r in ALLEGED_ROLES)
    return union(
        select(i.person_id.label("id")).where(i.person_id.is_not(None),
                                              i.role.in_([*roles, REDACTED]),
                                              i.sensitivity.in_(list(levels))),
        select(c.entity_id.label("id")).where(c.entity_kind == "person",
                                              c.property == POSITION,
                                              c.status == "asserted",
                                              c.sensitivity.in_(list(levels))))


def perpetrator_registry(
    conn: Connection, levels: Collection[str] = TEAM_LEVELS, keys: KeyRing | None = None,
    person_ids: Collection[str] | None = None,
) -> list[Entry]:
    """Every person named in an alleged role or an office (of ``person_ids`` when given),
    with what says so.

    Only rows (persons, acts, involvements, claims, sources) whose sensitivity is in
    ``levels`` are read, so a registry built for a reader shows nothing above them.
    Protected rows are sealed: they are opened with ``keys`` (and left out without it,
    or when erased). Entries are sorted by label, then ID.
    """

    def opened(sealed: Any, context: str, field_: str, value: Any) -> Any:
        if not sealed:
            return value
        payload = keys.unseal(conn, sealed, context) if keys is not None else None
        return None if payload is None else payload.get(field_, value)

    p, i, a, c = s.persons.c, s.involvements.c, s.acts.c, s.claims.c
    roles = sorted(str(r) for r in ALLEGED_ROLES)
    inv = conn.execute(
        select(i.id, i.person_id, i.role, i.sealed, a.id.label("act_id"), a.type,
               a.date_text, a.sealed.label("act_sealed"), p.label,
               p.sealed.label("person_sealed"))
        .join(s.acts, a.id == i.act_id).join(s.persons, p.id == i.person_id)
        .where(i.role.in_([*roles, REDACTED]), i.sensitivity.in_(list(levels)),
               a.sensitivity.in_(list(levels)), p.sensitivity.in_(list(levels)),
               true() if person_ids is None else p.id.in_(sorted(person_ids)))
        .order_by(i.ledger_index)).all()
    pos = conn.execute(
        select(c.id, c.entity_id, c.value, c.date_text, c.sealed, p.label,
               p.sealed.label("person_sealed"))
        .join(s.persons, p.id == c.entity_id)
        .where(c.entity_kind == "person", c.property == POSITION, c.status == "asserted",
               c.sensitivity.in_(list(levels)), p.sensitivity.in_(list(levels)),
               true() if person_ids is None else p.id.in_(sorted(person_ids)))
        .order_by(c.ledger_index)).all()
    inv_src = _sources(conn, s.involvement_support, "involvement_id", [r.id for r in inv],
                       levels)
    pos_src = _sources(conn, s.claim_support, "claim_id", [r.id for r in pos], levels)
    org_names = dict(conn.execute(select(s.organizations.c.id, s.organizations.c.name)).all())
    entries: dict[str, Entry] = {}
    for row in pos:
        label = opened(row.person_sealed, row.entity_id, "label", row.label)
        raw = opened(row.sealed, row.id, "value", row.value)
        if label is None or raw is None:
            continue
        entry = entries.setdefault(row.entity_id, Entry(row.entity_id, label))
        value = raw if isinstance(raw, dict) else {"office": str(raw)}
        org = org_names.get(value.get("organization_id") or "")
        where = f" of {org}" if org else ""
        date_text = opened(row.sealed, row.id, "date_text", row.date_text)
        when = f" ({date_text})" if date_text else ""
        sources = pos_src.get(row.id, [])
        entry.positions.append(Sourced(
            "position", row.id,
            f"named as holding the office of {value.get('office')}{where}{when} "
            f"{_cited(sources)}", sources, dict(value)))
    for irow in inv:
        label = opened(irow.person_sealed, irow.person_id, "label", irow.label)
        role = opened(irow.sealed, irow.id, "role", irow.role)
        if label is None or role not in roles:
            continue
        entry = entries.setdefault(irow.person_id, Entry(irow.person_id, label))
        date_text = opened(irow.act_sealed, irow.act_id, "date_text", irow.date_text)
        when = f", {date_text}" if date_text else ""
        sources = inv_src.get(irow.id, [])
        act = f"{str(irow.type).replace('_', ' ')} ({irow.act_id}{when})"
        entry.acts.append(Sourced(
            "act", irow.id, f"{ALLEGATION[InvolvementRole(role)]} {act} {_cited(sources)}",
            sources, {"act_id": irow.act_id, "role": role}))
    return sorted(entries.values(), key=lambda e: (e.label, e.person_id))


__all__ = ["ALLEGATION", "TEAM_LEVELS", "Entry", "Sourced", "named_persons", "perpetrator_registry"]
