"""What the memorial may show: the allow-list of fields, read through the one disclosure rule.

Every claim shown is one the disclosure rule releases to the public
(``access.disclosure.condition`` for :meth:`Audience.public`: the claim, the person it
is about and *every* support public), and only for the properties in :data:`ALLOWED`.
Nothing else of a record is read: never the father's name, ID numbers, notes or the
verbatim cells; witnesses and families are never persons of the memorial (only victims
who pass the gate are). Conflicting values stay side by side, each with its sources.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, func, select

from dadkhahi.access.disclosure import Audience, bind, condition, disclosable
from dadkhahi.analysis.estimates import ReleasedEstimate
from dadkhahi.domain.vocab import HIDDEN_CLAIM_STATUSES
from dadkhahi.facts.figures import PublishedFigure, published_figures
from dadkhahi.persian.normalize import is_persian_script
from dadkhahi.publish.addresses import Addresses, resolve
from dadkhahi.publish.gate import GateResult, evaluate
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: The only claim properties a victim's page shows, in the order shown.
ALLOWED: tuple[str, ...] = (
    "name", "sex", "birth_year", "age_at_death", "city", "province", "affiliation",
    "prison", "death_date", "burial_place",
)


@dataclass(frozen=True)
class Fact:
    """One allowed value of a victim, with the public sources that state it."""

    prop: str
    value: str
    earliest: str | None
    latest: str | None
    #: The dates as the sources wrote them (Solar Hijri or Gregorian, partial …).
    texts: tuple[str, ...]
    sources: tuple[str, ...]
    #: The ledger index of the latest event that wrote a claim behind it.
    changed: int = 0


@dataclass
class Victim:
    """A published victim: its allowed facts by property (conflicts side by side)."""

    id: str
    facts: dict[str, list[Fact]] = field(default_factory=dict)
    synthetic: bool = False

    def values(self, prop: str) -> list[str]:
        """The distinct values of one property, most supported first."""
        return [f.value for f in self.facts.get(prop, [])]

    @cached_property
    def names_fa(self) -> list[str]:
        """Names in Persian script."""
        return [v for v in self.values("name") if is_persian_script(v)]

    @cached_property
    def names_latin(self) -> list[str]:
        """Names in Latin spellings."""
        return [v for v in self.values("name") if not is_persian_script(v)]

    def changed(self, sources: dict[str, Source]) -> int:
        """The ledger index of the latest event behind what the victim's entry shows:
        its facts' claims, and the sources they cite (a source's row and its latest
        approval for publication). Public events only: a protected claim's change is
        not read into a public date."""
        return max([f.changed for facts in self.facts.values() for f in facts]
                   + [sources[src].changed for src in self.sources() if src in sources]
                   + [0])

    def sources(self) -> list[str]:
        """Every source cited on the page, in first-cited order."""
        seen: dict[str, None] = {}
        for prop in ALLOWED:
            for fact in self.facts.get(prop, []):
                seen.update(dict.fromkeys(fact.sources))
        return list(seen)


@dataclass(frozen=True)
class Source:
    """A public source as the memorial cites it."""

    id: str
    title: str
    kind: str
    citation: str | None
    reliability: str
    credibility: str
    #: The ledger index of the latest event that wrote the source or approved it for
    #: publication.
    changed: int = 0


@dataclass(frozen=True)
class Place:
    """A public prison or burial site with coordinates, for the memorial's map."""

    id: str
    kind: str
    name: str
    name_fa: str | None
    latitude: float
    longitude: float
    #: The latest accepted status (``facts.place_status``: only claims as open as the place).
    status: str


#: The kinds of place the memorial's map shows.
MAPPED = ("prison", "burial_site")


@dataclass
class Memorial:
    """Everything one build shows, already filtered: the site renders only this."""

    victims: list[Victim]
    tombstones: list[str]
    sources: dict[str, Source]
    gate: GateResult
    #: Counts published by others (claims of their sources), in the order recorded.
    figures: list[PublishedFigure]
    #: Estimates released to the public, latest first (``estimate.released``).
    estimates: list[ReleasedEstimate]
    #: Titles of the public lists the released estimates name (list ID → title).
    list_titles: dict[str, str]
    synthetic: bool
    #: Where the addresses published before lead now (redirects, pages under review).
    addresses: Addresses = field(default_factory=Addresses)
    #: Public prisons and burial sites with coordinates, by name.
    places: list[Place] = field(default_factory=list)


def _value_text(value: Any) -> str | None:
    # Only plain values are shown: a structured value (an office, coordinates) is not
    # one of the allowed fields even under an allowed name.
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def _public_claims(conn: Connection, props: tuple[str, ...],
                   entity_kind: str) -> dict[str, dict[str, list[Fact]]]:
    """Allowed public claims of ``entity_kind`` by entity and property."""
    public = Audience.public()
    c, cs = s.claims.c, s.claim_support.c
    rows = conn.execute(
        select(c.id, c.entity_id, c.property, c.value, c.date_earliest, c.date_latest,
               c.date_text, cs.source_id, c.ledger_index)
        .join(s.claim_support, cs.claim_id == c.id)
        .where(c.entity_kind == entity_kind, c.property.in_(props),
               c.status.not_in(HIDDEN_CLAIM_STATUSES), condition(public, s.claims))
        .order_by(c.entity_id, c.property, c.id, cs.seq), bind(public))
    grouped: dict[tuple[str, str, str], dict[str, Any]] = {}
    for _cid, eid, prop, value, lo, hi, text, src, index in rows:
        shown = _value_text(value)
        if shown is None:
            continue
        if lo or hi:
            # A date is its interval: "1367/05/12" and "12 Mordad 1367" are one fact,
            # each wording kept in ``texts``.
            shown = f"{lo or ''}/{hi or ''}"
        # Claims with the same value (a later run, another source) merge into one fact.
        key = (str(eid), str(prop), shown)
        entry = grouped.setdefault(key, {"lo": lo, "hi": hi, "texts": set(), "src": {},
                                         "changed": 0})
        entry["changed"] = max(entry["changed"], int(index))
        if text:
            entry["texts"].add(str(text))
        entry["src"][str(src)] = None
    out: dict[str, dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
    for (eid, prop, shown), entry in grouped.items():
        out[eid][prop].append(Fact(prop, shown, entry["lo"], entry["hi"],
                                   tuple(sorted(entry["texts"])), tuple(sorted(entry["src"])),
                                   entry["changed"]))
    for facts in out.values():
        for prop in facts:
            # Most supported first; ties by value, never by a random ID.
            facts[prop].sort(key=lambda f: (-len(f.sources), f.value))
    return out


def _sources(conn: Connection, ids: set[str]) -> dict[str, Source]:
    # Every support of a disclosable claim is public already; asking the rule again
    # costs one query and keeps a source's title out of the site if that ever changed.
    allowed = disclosable(conn, "source", ids, Audience.public())
    src, ap = s.sources.c, s.publication_approvals.c
    approved = dict(conn.execute(select(ap.source_id, func.max(ap.ledger_index))
                                 .where(ap.source_id.in_(sorted(allowed)))
                                 .group_by(ap.source_id)).all())
    out: dict[str, Source] = {}
    for row in conn.execute(select(src.id, src.title, src.kind, src.citation,
                                   src.reliability, src.credibility, src.ledger_index)
                            .where(src.id.in_(sorted(allowed)))):
        out[str(row.id)] = Source(str(row.id), str(row.title), str(row.kind),
                                  row.citation, str(row.reliability), str(row.credibility),
                                  max(int(row.ledger_index), int(approved.get(row.id) or 0)))
    return out


def event_time(store: Store, index: int) -> str:
    """The time ledger event ``index`` was recorded, as a W3C date-time to the second
    (``2026-12-04T15:36:10Z``): a book's date in its PDF metadata, taken from the store
    state it shows, never from the clock."""
    from dadkhahi.store.ledger_log import get_event

    with store.reading() as conn:
        time = str(json.loads(get_event(conn, index).body)["time"])
    return time[:19] + "Z"


def _list_titles(conn: Connection, estimates: list[ReleasedEstimate]) -> dict[str, str]:
    """Titles of the lists the estimates name, for those the rule releases to the public
    (a list given to the team in confidence is counted, not named)."""
    wanted = {str(x["list"]) for e in estimates for x in e.lists if x.get("list")}
    public = disclosable(conn, "list", wanted, Audience.public())
    li, src = s.lists.c, s.sources.c
    return {str(lid): str(title) for lid, title in conn.execute(
        select(li.id, src.title).join(s.sources, src.id == li.source_id)
        .where(li.id.in_(sorted(public))))}


def _places(conn: Connection) -> list[Place]:
    """Prisons and burial sites the rule releases to the public, with coordinates."""
    public = Audience.public()
    pl = s.places.c
    rows = conn.execute(
        select(pl.id, pl.kind, pl.name, pl.name_fa, pl.latitude, pl.longitude, pl.status)
        .where(pl.kind.in_(MAPPED), pl.latitude.is_not(None), pl.longitude.is_not(None),
               condition(public, s.places))
        .order_by(pl.name, pl.id), bind(public))
    return [Place(str(r.id), str(r.kind), str(r.name), r.name_fa, float(r.latitude),
                  float(r.longitude), str(r.status)) for r in rows]


def named_persons(conn: Connection) -> set[str]:
    """Persons with a public, sourced name (the gate's last condition)."""
    return {pid for pid, facts in _public_claims(conn, ("name",), "person").items()
            if facts.get("name")}


def collect(store: Store, conn: Connection,
            estimates: list[ReleasedEstimate] | None = None) -> Memorial:
    """Read what one build shows, from one consistent snapshot.

    ``estimates``: those released to the public (``analysis.estimates.released_estimates``).
    """
    claims = _public_claims(conn, ALLOWED, "person")
    gate = evaluate(store, conn, {pid for pid, facts in claims.items() if facts.get("name")})
    synthetic = {str(r[0]) for r in conn.execute(
        select(s.persons.c.id).where(s.persons.c.synthetic == 1))}
    victims = [Victim(pid, dict(claims[pid]), pid in synthetic) for pid in gate.published]
    public = Audience.public()
    figures = published_figures(conn, where=condition(public, s.claims), params=bind(public))
    cited = {src for v in victims for src in v.sources()}
    cited.update(src for f in figures for src in f.sources)
    sources = _sources(conn, cited)
    # A source the rule no longer releases takes its facts with it.
    for victim in victims:
        for prop, facts in list(victim.facts.items()):
            kept = [f for f in facts if all(src in sources for src in f.sources)]
            victim.facts[prop] = kept
    addresses = resolve(conn, set(gate.published), set(gate.withdrawn))
    # Every page naming an invented person's address is labelled, the nameless ones a
    # relinking leaves (redirects, "under review") and tombstones too.
    shown = {*gate.published, *gate.withdrawn, *addresses.redirects, *addresses.reviewing}
    return Memorial(
        victims=victims,
        tombstones=sorted(gate.withdrawn),
        sources=sources,
        gate=gate,
        figures=[f for f in figures if all(src in sources for src in f.sources)],
        estimates=list(estimates or []),
        list_titles=_list_titles(conn, list(estimates or [])),
        synthetic=bool(synthetic & shown) or any(
            "SYNTHETIC" in src.title for src in sources.values()),
        addresses=addresses,
        places=_places(conn),
    )
