"""The one disclosure rule: may this object be shown to this audience?

Every output (API reads, pages, exports, case bundles, the public memorial,
mirrors) decides what to show through this module and nothing else. The rule
is written once, as SQL conditions per table, so that a single-object check
(:func:`may_disclose`), a batch check (:func:`disclosable`) and the filters of
lists, counts and searches (:func:`condition`) cannot disagree.

**Audiences** (:class:`Audience`): a signed-in user with their grants, a case
team, a partner organisation, a UN mechanism, a court, or the public. Each sees
at one of three tiers:

* ``public`` (the public, an anonymous visitor, a ``viewer``): public objects only;
* ``team`` (a user with a team role, a case team): public and restricted objects,
  and protected objects *in scope*: the user's grants, or the case's scope;
* ``outside`` (a partner, a UN mechanism, a court): public objects, and restricted
  or protected objects in the scope shared with that recipient; protected ones
  only with the witness's consent for that recipient (see below).

**Scope** of an object: its own ID (people, organisations, places, acts; a person
made of records also the scope of every one of its records: who may see them all), its
source (sources, items, records, lists, list imports), its person or
organisation or one of its supporting sources (involvements), or one of its
supporting sources (claims).

**Everything an object reveals must be disclosable too** (fail closed):

* an item: its source, and for a derivative its original (up to
  :data:`MAX_DERIVATION_DEPTH` links; a longer chain is not disclosed), except a
  *released* redacted copy: a person holding the grant permission decided, by a
  recorded ``item.released`` event, that the redaction removed what made the original
  (and its source) protected, and gave the copy a lower sensitivity of its own. Such a
  copy is judged by that sensitivity alone; it reveals neither its original (which the
  rule still withholds) nor more of its source than its ID;
* custody: its item; a verification of an item's capture time or place: its item;
* a record: its source, its item, and the list (import) it came in with;
* a list or a list import: its source (an import also its list);
* an act: its place; an involvement: its act, person and organisation, and *every*
  support (source, record, item), as a claim;
* a claim: the entity it is about and *every* support (source, record, item);
  a claim's support rows: their claim.

**Consent** (a hook): a witness may agree to their testimony going to a court
but not to a partner. Consent is recorded by the testimony packages, not here;
they plug in a :data:`ConsentRule` per table with :func:`register_consent`. A rule
returns an SQL condition on the table's rows, may use the bound audience kind
and name (:data:`AUDIENCE_KIND`, :data:`AUDIENCE_NAME`), and applies to protected
rows only. Without any rule for a table, protected rows go to no ``outside``
audience (no recorded consent, no disclosure), and the team tier needs none (the
witness gave the material to the team).

Statements built with these conditions must be executed with :func:`bind`
(the audience's parameters); forgetting it is an error, not a leak.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
)

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s


class AudienceKind(StrEnum):
    """Who an output goes to."""

    USER = "user"
    CASE_TEAM = "case_team"
    PARTNER = "partner"
    UN_MECHANISM = "un_mechanism"
    COURT = "court"
    PUBLIC = "public"


class Tier(StrEnum):
    """How far an audience sees: the public, the team, or a recipient outside it."""

    PUBLIC = "public"
    TEAM = "team"
    OUTSIDE = "outside"


@dataclass(frozen=True)
class Audience:
    """One recipient of an output.

    ``user_id``/``team``: for a signed-in user (scope: their grants, read from the
    store). ``scopes``: for every other audience, the source and entity IDs shared
    with it (a case's scope for a case team). ``name`` says which partner, court,
    mechanism or case, for consent rules and the audit trail.
    """

    kind: AudienceKind
    name: str = ""
    user_id: str | None = None
    team: bool = False
    scopes: frozenset[str] = frozenset()

    @classmethod
    def user(cls, user_id: str | None, *, team: bool, name: str = "") -> Audience:
        """A user (``user_id`` None: nobody signed in); ``team``: a role beyond viewer."""
        return cls(AudienceKind.USER, name, user_id, team and user_id is not None)

    @classmethod
    def public(cls) -> Audience:
        """Anyone at all (the memorial, mirrors, an anonymous visitor)."""
        return cls(AudienceKind.PUBLIC)

    @classmethod
    def case_team(cls, case_id: str, scopes: Iterable[str]) -> Audience:
        """The team of one case: team tier, protected material of the case's scope."""
        return cls(AudienceKind.CASE_TEAM, case_id, scopes=frozenset(scopes))

    @classmethod
    def outside(cls, kind: AudienceKind, name: str, scopes: Iterable[str]) -> Audience:
        """A partner organisation, UN mechanism or court, with what is shared with it."""
        if kind not in (AudienceKind.PARTNER, AudienceKind.UN_MECHANISM, AudienceKind.COURT):
            raise ValueError(f"{kind} is not a recipient outside the team")
        return cls(kind, name, scopes=frozenset(scopes))

    @property
    def tier(self) -> Tier:
        if self.kind is AudienceKind.USER:
            return Tier.TEAM if self.team else Tier.PUBLIC
        if self.kind is AudienceKind.CASE_TEAM:
            return Tier.TEAM
        if self.kind is AudienceKind.PUBLIC:
            return Tier.PUBLIC
        return Tier.OUTSIDE

    @property
    def key(self) -> tuple[Tier, bool]:
        """What the SQL condition depends on: the tier, and whether scope comes from grants."""
        return self.tier, self.kind is AudienceKind.USER


# Bound parameters every condition may use (see :func:`bind`).
VIEWER = "dadkhahi_viewer_id"
SCOPES = "dadkhahi_scopes"
AUDIENCE_KIND = "dadkhahi_audience_kind"
AUDIENCE_NAME = "dadkhahi_audience_name"

#: Longest chain of derivatives that is still disclosed: intake derives from originals
#: only, and every level nests the rule once more (SQLite's parser has a depth limit).
MAX_DERIVATION_DEPTH = 1
#: ``items.derivation`` of a redacted copy (``intake.redactions``), as an SQL constant.
_REDACTED = literal_column("'redacted'", Text)

# The levels are SQL constants in the statement, not bound parameters: a record read
# carries about 30 of them (the row, its source, item, original, import and list),
# and with them as parameters PostgreSQL took 3.4-3.9 ms for one read against 1.0 ms
# with constants (benchmarks/api, issue 11 load); the statement is built once and its
# text cached, so constants cost nothing per execution. Our own enum's words only.
assert all(str(level).isidentifier() for level in Sensitivity)
_PUBLIC, _RESTRICTED, _PROTECTED = (literal_column(f"'{level}'", Text) for level in Sensitivity)


def bind(audience: Audience) -> dict[str, Any]:
    """Bind values for statements built with :func:`condition` (pass them to ``execute``)."""
    return {VIEWER: audience.user_id or "", SCOPES: sorted(audience.scopes),
            AUDIENCE_KIND: str(audience.kind), AUDIENCE_NAME: audience.name}


#: A consent rule: (table or alias, tier) → SQL condition on its rows, or None where
#: the rule has nothing to say about that table.
ConsentRule = Callable[[FromClause, Tier], "ColumnElement[bool] | None"]
_CONSENT: dict[str, list[ConsentRule]] = {}


def register_consent(table: str, rule: ConsentRule) -> None:
    """Plug in the witness's consent for protected rows of ``table`` (e.g. ``"items"``).

    Every registered rule must hold. Conditions built before are rebuilt.
    """
    _CONSENT.setdefault(table, []).append(rule)
    _forget_built()


def unregister_consent(table: str, rule: ConsentRule) -> None:
    """Take a consent rule out again (tests, plug-ins unloaded)."""
    _CONSENT.get(table, []).remove(rule)
    _forget_built()


def _consent(table: FromClause, name: str, tier: Tier) -> ColumnElement[bool]:
    found = [c for rule in _CONSENT.get(name, []) if (c := rule(table, tier)) is not None]
    if found:
        return and_(*found)
    # No consent recorded anywhere for this kind: the team holds what it was given;
    # nobody outside gets it.
    return true() if tier is Tier.TEAM else false()


class _Rules:
    """The conditions of one audience key, built table by table."""

    def __init__(self, tier: Tier, from_grants: bool) -> None:
        self.tier = tier
        self.from_grants = from_grants

    def in_scope(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        if self.from_grants:
            g = s.access_grants.c
            return column.in_(select(g.scope_id).where(
                g.user_id == bindparam(VIEWER, type_=Text)))
        return column.in_(bindparam(SCOPES, expanding=True))

    def gate(self, table: FromClause, name: str,
             scoped: ColumnElement[bool]) -> ColumnElement[bool]:
        """The sensitivity of the row itself, against the tier and scope."""
        col = table.c.sensitivity
        # Equalities, not IN (…): an IN list is re-rendered into the SQL on every execution.
        if self.tier is Tier.PUBLIC:
            return col == _PUBLIC
        protected = and_(col == _PROTECTED, scoped, _consent(table, name, self.tier))
        if self.tier is Tier.TEAM:
            return or_(col == _PUBLIC, col == _RESTRICTED, protected)
        return or_(col == _PUBLIC, and_(col == _RESTRICTED, scoped), protected)
    # --- one condition per governed table; ``t`` is the table or an alias of it ---

    def sources(self, t: FromClause) -> ColumnElement[bool]:
        return self.gate(t, "sources", self.in_scope(t.c.id))

    def _source_ok(self, t: FromClause) -> ColumnElement[bool]:
        # A correlated EXISTS, not "source_id IN (…)": with IN, SQLite walks the source_id
        # index and sorts every match, where EXISTS lets a page walk the primary key and stop.
        src = s.sources.alias()
        return exists().where(src.c.id == t.c.source_id, self.sources(src))

    def items(self, t: FromClause, depth: int = MAX_DERIVATION_DEPTH) -> ColumnElement[bool]:
        if depth == 0:  # an original: no release to consider
            own = and_(self.gate(t, "items", self.in_scope(t.c.source_id)), self._source_ok(t))
            return and_(own, t.c.derived_from.is_(None))
        # A redacted copy released by a recorded decision stands on its own sensitivity.
        # (Kept shallow: these conditions nest inside claims' and records', and SQLite's
        # parser has a fixed stack.)
        released = and_(t.c.derivation == _REDACTED, t.c.release_index.is_not(None))
        own = and_(self.gate(t, "items", self.in_scope(t.c.source_id)),
                   or_(released, self._source_ok(t)))
        original = s.items.alias()
        return and_(own, or_(
            t.c.derived_from.is_(None), released,
            exists().where(original.c.id == t.c.derived_from, self.items(original, depth - 1)),
        ))

    def _item_ok(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        item = s.items.alias()
        return exists().where(item.c.id == column, self.items(item))

    def item_metadata(self, t: FromClause) -> ColumnElement[bool]:
        # What a file's metadata said (GPS, camera): its own level, and its item.
        return and_(self.gate(t, "item_metadata", self.in_scope(t.c.source_id)),
                    self._source_ok(t), self._item_ok(t.c.item_id))

    def custody(self, t: FromClause) -> ColumnElement[bool]:
        return self._item_ok(t.c.item_id)

    def capture_verifications(self, t: FromClause) -> ColumnElement[bool]:
        # Where and when a file was made, as a verifier found it, is the file's business:
        # it goes where the file goes (and is sealed with a protected one).
        return self._item_ok(t.c.item_id)

    def lists(self, t: FromClause) -> ColumnElement[bool]:
        return and_(self.gate(t, "lists", self.in_scope(t.c.source_id)), self._source_ok(t))

    def list_imports(self, t: FromClause) -> ColumnElement[bool]:
        lst = s.lists.alias()
        return and_(self.gate(t, "list_imports", self.in_scope(t.c.source_id)),
                    self._source_ok(t),
                    exists().where(lst.c.id == t.c.list_id, self.lists(lst)))

    def records(self, t: FromClause) -> ColumnElement[bool]:
        imp = s.list_imports.alias()
        return and_(
            self.gate(t, "records", self.in_scope(t.c.source_id)),
            self._source_ok(t),
            or_(t.c.item_id.is_(None), self._item_ok(t.c.item_id)),
            or_(t.c.import_id.is_(None),
                exists().where(imp.c.id == t.c.import_id, self.list_imports(imp))),
        )

    def _entity(self, name: str) -> Callable[[FromClause], ColumnElement[bool]]:
        def rule(t: FromClause) -> ColumnElement[bool]:
            return self.gate(t, name, self.in_scope(t.c.id))
        return rule

    def _ok(self, name: str, column: ColumnElement[Any]) -> ColumnElement[bool]:
        """``column`` names a disclosable row of table ``name``."""
        alias = s.metadata.tables[name].alias()
        return exists().where(alias.c.id == column, self.rule(name)(alias))

    def persons(self, t: FromClause) -> ColumnElement[bool]:
        # A person linkage made of records is in the scope of whoever may see *every*
        # one of its records (a protected person is known only from protected records):
        # a grant on the list's source reaches it, a grant on another source does not.
        # One join, not the records rule nested (persons sit inside the claims' and
        # involvements' rules, and SQLite's parser has a depth limit): a record is seen
        # here when its row and every row the records rule reads for it pass their own
        # gates: its source, its item, its list import and that import's list. (Not
        # followed further: an item's original, which intake gives no list's file.)
        pr, hidden = s.person_records.alias(), s.person_records.alias()
        rec, src, item = s.records.alias(), s.sources.alias(), s.items.alias()
        imp, lst = s.list_imports.alias(), s.lists.alias()
        seen = and_(self.gate(rec, "records", self.in_scope(rec.c.source_id)),
                    self.gate(src, "sources", self.in_scope(src.c.id)),
                    or_(rec.c.item_id.is_(None),
                        self.gate(item, "items", self.in_scope(item.c.source_id))),
                    or_(rec.c.import_id.is_(None), and_(
                        imp.c.id.is_not(None),  # an import that is not there: unseen
                        self.gate(imp, "list_imports", self.in_scope(imp.c.source_id)),
                        self.gate(lst, "lists", self.in_scope(lst.c.source_id)))))
        unseen = (select(hidden.c.record_id)
                  .select_from(hidden.join(rec, rec.c.id == hidden.c.record_id)
                               .join(src, src.c.id == rec.c.source_id)
                               .outerjoin(item, item.c.id == rec.c.item_id)
                               .outerjoin(imp, imp.c.id == rec.c.import_id)
                               .outerjoin(lst, lst.c.id == imp.c.list_id))
                  .where(hidden.c.person_id == t.c.id, not_(seen)))
        by_records = and_(exists().where(pr.c.person_id == t.c.id), not_(exists(unseen)))
        return self.gate(t, "persons", or_(self.in_scope(t.c.id), by_records))

    def acts(self, t: FromClause) -> ColumnElement[bool]:
        return and_(self.gate(t, "acts", self.in_scope(t.c.id)),
                    or_(t.c.place_id.is_(None), self._ok("places", t.c.place_id)))

    def _supports(self, t: FromClause, support: Table, owner: str
                  ) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        """(a supporting source is in scope, every support is disclosable) for a row of a
        sourced statement (a claim, an involvement) whose supports are in ``support``:
        a statement reveals what it rests on, so it goes only where each support goes."""
        cs = support.alias()
        scoped = exists().where(cs.c[owner] == t.c.id, self.in_scope(cs.c.source_id))
        bad = support.alias()
        support_ok = and_(
            self._ok("sources", bad.c.source_id),
            or_(bad.c.record_id.is_(None), self._ok("records", bad.c.record_id)),
            or_(bad.c.item_id.is_(None), self._item_ok(bad.c.item_id)),
        )
        return scoped, not_(exists().where(bad.c[owner] == t.c.id, not_(support_ok)))

    def involvements(self, t: FromClause) -> ColumnElement[bool]:
        by_source, every_support = self._supports(t, s.involvement_support, "involvement_id")
        scoped = or_(self.in_scope(t.c.id), self.in_scope(t.c.person_id),
                     self.in_scope(t.c.organization_id), by_source)
        return and_(
            self.gate(t, "involvements", scoped),
            every_support,
            self._ok("acts", t.c.act_id),
            or_(t.c.person_id.is_(None), self._ok("persons", t.c.person_id)),
            or_(t.c.organization_id.is_(None),
                self._ok("organizations", t.c.organization_id)),
        )

    def claims(self, t: FromClause) -> ColumnElement[bool]:
        # In scope: backed by a source in scope; every support disclosable.
        scoped, every_support = self._supports(t, s.claim_support, "claim_id")
        # The kind compared as ``entity_kind || ''``, which no index serves: compared
        # bare, SQLite took this OR for a way in (one index search per kind: every
        # claim) ahead of a statement's own IDs, 1.5 ms a claim for 101 of 120,000.
        kind_of = t.c.entity_kind.concat("")
        about = or_(*(
            and_(kind_of == kind, self._ok(name, t.c.entity_id))
            for kind, name in _ENTITY_TABLES.items()
        ))
        return and_(self.gate(t, "claims", scoped), every_support, about)

    def claim_support(self, t: FromClause) -> ColumnElement[bool]:
        return self._ok("claims", t.c.claim_id)

    def rule(self, name: str) -> Callable[[FromClause], ColumnElement[bool]]:
        if name in ("organizations", "places"):
            return self._entity(name)
        found: Callable[[FromClause], ColumnElement[bool]] = getattr(self, name)
        return found


_ENTITY_TABLES = {"person": "persons", "organization": "organizations",
                  "place": "places", "act": "acts"}

#: Tables the rule governs; every other table is never disclosed through it.
GOVERNED_TABLES = frozenset({
    "sources", "items", "item_metadata", "custody", "capture_verifications", "records", "lists",
    "list_imports", "persons", "organizations", "places", "acts", "involvements", "claims",
    "claim_support",
})

#: Object kinds (as the audit trail and the API name them) → their table.
KINDS: dict[str, Table] = {
    "source": s.sources, "item": s.items, "custody": s.custody,
    "capture_verification": s.capture_verifications, "record": s.records,
    "list": s.lists, "list_import": s.list_imports, "person": s.persons,
    "organization": s.organizations, "place": s.places, "act": s.acts,
    "involvement": s.involvements, "claim": s.claims,
}

_BUILT: dict[tuple[str, Tier, bool], ColumnElement[bool]] = {}
#: How many times the rule was rebuilt (a consent rule came or went), for caches of its
#: answers (:func:`generation`).
_GENERATION = [0]


def _forget_built() -> None:
    """Drop every statement built with the rule (a consent rule came or went)."""
    _BUILT.clear()
    _COUNTS.clear()
    _GROUPS.clear()
    _REFERENCES.clear()
    _GENERATION[0] += 1


def generation() -> int:
    """Which build of the rule is in force: a cache of the rule's answers keeps it in its
    key, so an answer given before a consent rule came or went is not served after."""
    return _GENERATION[0]


def condition(audience: Audience, table: Table) -> ColumnElement[bool]:
    """SQL condition: rows of ``table`` disclosable to ``audience`` (false for other tables).

    Execute the statement with ``bind(audience)``.
    """
    return condition_for(audience.key, table)


def condition_for(key: tuple[Tier, bool], table: Table) -> ColumnElement[bool]:
    """:func:`condition` for every audience with this :attr:`Audience.key` (shared clause)."""
    tier, from_grants = key
    built = _BUILT.get((table.name, tier, from_grants))
    if built is None:
        # Building these trees costs more than running the query: build each once.
        if table.name in GOVERNED_TABLES:
            built = _Rules(tier, from_grants).rule(table.name)(table)
        else:
            built = false()
        _BUILT[(table.name, tier, from_grants)] = built
    return built


# --- counts and references: the rule applied where a statement needs it -------------

#: What each table's rule reads of its own row, for :func:`count_statement`, where the
#: rule also looks up other rows for each row (its source, item, list, import): rows
#: alike in these columns are disclosed alike, so a count applies the rule once per group
#: of them instead of once per row (at 146,341 records the rule row by row took seconds
#: of CPU; grouped along ``ix_records_counted``, 30 ms). A column the rule reads that is
#: not here fails the statement's construction (KeyError), never the count. Other tables
#: are counted by the rule row by row: beyond the gate (one comparison for a row that is
#: not protected) theirs is cheap, and grouping them costs a sort (persons: 40 ms grouped,
#: 9.5 ms row by row at 99,808).
COUNTED_BY: dict[str, tuple[str, ...]] = {
    "records": ("sensitivity", "source_id", "item_id", "import_id"),
    "items": ("sensitivity", "source_id", "derived_from", "derivation", "release_index"),
    "lists": ("sensitivity", "source_id"),
    "list_imports": ("sensitivity", "source_id", "list_id"),
}

_COUNTS: dict[tuple[str, Tier, bool], Select[Any]] = {}
_GROUPS: dict[tuple[str, Tier, bool], Select[Any]] = {}
_REFERENCES: dict[tuple[str, Tier, bool, ColumnElement[Any]], ColumnElement[bool]] = {}


def count_statement(key: tuple[Tier, bool], table: Table) -> Select[Any]:
    """SQL: how many rows of ``table`` may go to audiences with this :attr:`Audience.key`
    (execute with :func:`bind`). The rule runs once per group of rows alike in what it
    reads (:data:`COUNTED_BY`): the same number as the rule row by row
    (``tests/access/test_access_counts.py``), without passing every row through it."""
    found = _COUNTS.get((table.name, *key))
    if found is not None:
        return found
    inputs = COUNTED_BY.get(table.name)
    if inputs is None:
        found = select(func.count()).select_from(table).where(condition_for(key, table))
    else:
        columns = [table.c[name] for name in inputs]
        # The rule stays outside the grouping (neither SQLite nor PostgreSQL pushes a
        # condition with subqueries into it); forcing it with MATERIALIZED cost more
        # (SQLite 3.40, 146,341 records: 22 ms as is, 28 ms materialised).
        alike = (select(*columns, func.count().label("n")).group_by(*columns)
                 .cte(f"alike_{table.name}"))
        found = (select(func.coalesce(func.sum(alike.c.n), 0))
                 .where(_Rules(*key).rule(table.name)(alike)))
    _COUNTS[(table.name, *key)] = found
    return found


def group_statement(key: tuple[Tier, bool], table: Table) -> Select[Any]:
    """SQL: every group of rows of ``table`` alike in what the rule reads
    (:data:`COUNTED_BY`: its columns, in that order), and whether its rows may go to
    audiences with this key (a last column ``shown``, 1 or 0; execute with
    :func:`bind`). The rule runs once per group, as in :func:`count_statement`: for a
    read that must tell which of many rows a reader may see (the person search's
    postings) without running the rule on each row."""
    found = _GROUPS.get((table.name, *key))
    if found is not None:
        return found
    columns = [table.c[name] for name in COUNTED_BY[table.name]]
    alike = select(*columns).group_by(*columns).cte(f"groups_{table.name}")
    shown = case((_Rules(*key).rule(table.name)(alike), 1), else_=0).label("shown")
    made: Select[Any] = select(*alike.c, shown)
    _GROUPS[(table.name, *key)] = made
    return made


def names_disclosable(key: tuple[Tier, bool], table: Table,
                      column: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL: ``column`` names a row of ``table`` that may go to audiences with this key.

    A correlated EXISTS: the rule runs for the rows the statement reaches (a queue's
    pairs), where ``column IN (disclosable_ids(...))`` has SQLite list every disclosable
    row of the table first (8 s of CPU for the review queue at 146,341 records).
    """
    found = _REFERENCES.get((table.name, *key, column))
    if found is None:
        if table.name in GOVERNED_TABLES:
            row = table.alias()
            found = exists().where(row.c.id == column, _Rules(*key).rule(table.name)(row))
        else:
            found = false()
        _REFERENCES[(table.name, *key, column)] = found
    return found


def disclosable_ids(audience: Audience, table: Table) -> Select[tuple[str]]:
    """Subquery of the IDs of disclosable rows of ``table``."""
    return select(table.c.id).where(condition(audience, table))


def disclosable(
    conn: Connection, kind: str, ids: Iterable[str], audience: Audience
) -> set[str]:
    """Which of ``ids`` (objects of ``kind``, see :data:`KINDS`) ``audience`` may be shown."""
    table = KINDS.get(kind)
    wanted = sorted(set(ids))
    if table is None or not wanted:
        return set()
    stmt = select(table.c.id).where(table.c.id.in_(bindparam("ids", expanding=True)),
                                    condition(audience, table))
    return {str(r[0]) for r in conn.execute(stmt, {**bind(audience), "ids": wanted})}


def may_disclose(conn: Connection, obj: tuple[str, str], audience: Audience) -> bool:
    """Whether object ``obj`` = (kind, id) may be shown to ``audience``.

    False for a missing object, an unknown kind, and anything whose dependencies
    (source, original, list, act, person, supports, …) may not be shown.
    """
    kind, object_id = obj
    return object_id in disclosable(conn, kind, [object_id], audience)


__all__ = [
    "AUDIENCE_KIND",
    "AUDIENCE_NAME",
    "COUNTED_BY",
    "GOVERNED_TABLES",
    "KINDS",
    "MAX_DERIVATION_DEPTH",
    "Audience",
    "AudienceKind",
    "ConsentRule",
    "Tier",
    "bind",
    "condition",
    "condition_for",
    "count_statement",
    "disclosable",
    "disclosable_ids",
    "generation",
    "group_statement",
    "may_disclose",
    "names_disclosable",
    "register_consent",
    "unregister_consent",
]
