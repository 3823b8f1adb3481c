"""Every read of stored objects for the API (and any other front end) goes through here.

Each function applies :func:`dadkhahi.access.policy.visible` in SQL, so an
invisible object is absent from lists, counts, search and exports, and a
single-object read of it is a plain "not found" (never "forbidden"). Sealed
fields are opened only for a principal who can see the row, and every
protected object returned is written to the audit trail before the caller
gets it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    Select,
    Table,
    bindparam,
    func,
    or_,
    select,
    tuple_,
)

from dadkhahi.access.audit import ObjectRef, record_reads
from dadkhahi.access.policy import (
    Permission,
    Principal,
    count_visible_rows,
    params,
    visible,
    visible_for,
)
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.protected import (
    BUNDLE_LOCATION,
    SUPPORT_LOCATORS,
    clear_court_transfer,
    open_locators,
)
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: Hard cap on one page, whatever the caller asks for.
MAX_PAGE = 500
DEFAULT_PAGE = 50
#: Sealed payload keys that must never leave the server (keys, not data).
_NEVER_SHOWN = frozenset({"file_key"})


@dataclass(frozen=True)
class Resource:
    """A kind of stored object as the API lists it."""

    name: str  # plural, as in the URL
    kind: str  # singular, as in the audit trail
    table: Table
    filters: tuple[str, ...]
    sorts: tuple[str, ...]  # NOT NULL columns only: keyset cursors need them
    search: tuple[str, ...] = ()


def _r(name: str, kind: str, table: Table, filters: tuple[str, ...],
       sorts: tuple[str, ...], search: tuple[str, ...] = ()) -> Resource:
    return Resource(name, kind, table, ("sensitivity", *filters),
                    ("id", "ledger_index", *sorts), search)


RESOURCES: dict[str, Resource] = {r.name: r for r in (
    _r("sources", "source", s.sources, ("kind", "reliability", "credibility"),
       ("created_at", "title"), ("title", "citation")),
    _r("items", "item", s.items, ("source_id", "media_type", "sha256", "derived_from"),
       ("received_at", "size"), ("original_name",)),
    _r("records", "record", s.records, ("source_id", "item_id", "import_id", "external_id"),
       ()),
    _r("persons", "person", s.persons, ("synthetic",), ("label",), ("label",)),
    _r("organizations", "organization", s.organizations, ("kind",), ("name",), ("name",)),
    _r("places", "place", s.places, ("kind", "status", "parent_id"), ("name",),
       ("name", "name_fa")),
    _r("acts", "act", s.acts, ("type", "place_id"), ("type",), ("description", "date_text")),
    _r("involvements", "involvement", s.involvements,
       ("act_id", "person_id", "organization_id", "role"), ("role",)),
    _r("claims", "claim", s.claims, ("entity_kind", "entity_id", "property", "status"),
       ("property",)),
)}


@dataclass(frozen=True)
class PageQuery:
    """Filtering, search, sorting and paging of one list request."""

    filters: Mapping[str, str] = field(default_factory=dict)
    q: str | None = None
    sort: str = "id"
    limit: int = DEFAULT_PAGE
    cursor: str | None = None
    count: bool = False


@dataclass(frozen=True)
class Page:
    data: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None


def _cursor_key(store: Store) -> bytes:
    return store.keys.subkey("page cursors")


def _encode_cursor(store: Store, scope: str, values: Sequence[Any]) -> str:
    """The next page's cursor: the last row's key (its sort value and ID), sealed.

    The sort value may be a name or a title (a restricted person's, a source's), and a
    cursor travels in an address (a page's "next page" link, the API's query string),
    where no identifying value may go: it is encrypted (AES-GCM under a key derived
    from the home's, bound to its list and order by ``scope``). Its nonce is derived from
    what it seals, so the same page gives the same cursor in every read."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _cursor_key(store)
    plain = json.dumps(list(values)).encode()
    nonce = hmac.new(key, scope.encode() + b"\0" + plain, hashlib.sha256).digest()[:12]
    sealed = AESGCM(key).encrypt(nonce, plain, scope.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def _decode_cursor(store: Store, scope: str, cursor: str) -> list[Any]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = AESGCM(_cursor_key(store)).decrypt(raw[:12], raw[12:], scope.encode())
        values = json.loads(plain)
    except (binascii.Error, ValueError, UnicodeDecodeError, InvalidTag):
        raise ValidationError("cursor is not one this server handed out") from None
    if (not isinstance(values, list) or len(values) != 2
            or not all(isinstance(v, str | int | float) for v in values)):
        raise ValidationError("cursor is not one this server handed out")
    return values


def _check(resource: Resource, query: PageQuery) -> None:
    for key in query.filters:
        if key not in resource.filters:
            raise ValidationError(f"cannot filter {resource.name} by {key!r}")
    if query.q and not resource.search:
        raise ValidationError(f"{resource.name} cannot be searched")


@dataclass(frozen=True)
class PendingAudit:
    """Protected objects a read is about to hand out, not yet written to the audit trail.

    Lets an async caller read on its event loop and write the audit event (which
    may wait for the write lock) in a worker thread, still before it answers.
    """

    action: str
    objects: list[ObjectRef]

    def record(self, store: Store, principal: Principal) -> None:
        """Write the audit event (nothing when no protected object was read)."""
        record_reads(store, principal, self.action, self.objects)


def list_objects(
    store: Store, principal: Principal, resource: Resource, query: PageQuery
) -> Page:
    """One page of the objects of ``resource`` the principal may see (audited)."""
    page, pending = read_page(store, principal, resource, query)
    pending.record(store, principal)
    return page


def page_reading(store: Store, resource: Resource,
                 query: PageQuery) -> AbstractContextManager[Connection]:
    """The connection :func:`read_page` reads a page on (enter it to open it)."""
    # A page is one statement (a sealed row's data key is looked up after it, by the
    # key's ID), so on PostgreSQL it needs no BEGIN and COMMIT, two round trips of the
    # four a read cost (issue 11). A count must agree with its page, and a claim with
    # its supports: those keep their transaction.
    alone = not query.count and resource.table is not s.claims
    return store.reading(one_statement=alone, by_key=by_key(resource, query))


def object_reading(store: Store, resource: Resource) -> AbstractContextManager[Connection]:
    """The connection :func:`read_object` reads one object on (enter it to open it)."""
    # As for a page: one statement, and one found by key.
    return store.reading(one_statement=resource.table is not s.claims, by_key=True)


def read_page(
    store: Store, principal: Principal, resource: Resource, query: PageQuery,
    conn: Connection | None = None,
) -> tuple[Page, PendingAudit]:
    """One page as :func:`list_objects` gives it, with its audit left to the caller.

    ``conn``: read on this connection, opened by the caller as :func:`page_reading` opens
    one (the API looks the request's session up on it first); by default a new one."""
    if not 1 <= query.limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}")
    descending = query.sort.startswith("-")
    sort_name = query.sort.lstrip("-")
    if sort_name not in resource.sorts:
        raise ValidationError(
            f"cannot sort {resource.name} by {sort_name!r}; use one of {', '.join(resource.sorts)}"
        )
    _check(resource, query)
    bind: dict[str, Any] = {**params(principal), _LIMIT: query.limit + 1}
    bind.update({_FILTER + name: value for name, value in query.filters.items()})
    scope = f"{resource.name} {query.sort}"
    if query.cursor is not None:
        last = _decode_cursor(store, scope, query.cursor)
        bind[_AFTER_SORT], bind[_AFTER_ID] = last
    filters = tuple(sorted(query.filters))
    stmt = _page_statement(resource, principal.team, filters, sort_name, descending,
                           query.cursor is not None)
    if query.q:
        stmt = _searching(stmt, resource, query.q)
    opened = page_reading(store, resource, query) if conn is None else nullcontext(conn)
    with opened as conn:
        rows = [dict(r) for r in conn.execute(stmt, bind).mappings()]
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        # The key as stored (a sealed row's placeholder), before its payload is opened:
        # the next page's statement compares the columns.
        after = [rows[-1][sort_name], rows[-1]["id"]] if more and rows else None
        total = None
        if query.count:
            # The page's own conditions, without its cursor, order and limit.
            matching = _page_statement(resource, principal.team, filters, sort_name,
                                       descending, False)
            if query.q:
                matching = _searching(matching, resource, query.q)
            counted = select(func.count()).select_from(
                matching.order_by(None).limit(None).subquery())
            total = int(conn.execute(counted, bind).scalar_one())
        data, audited = _render(store, conn, principal, resource, rows)
    next_cursor = None if after is None else _encode_cursor(store, scope, after)
    return Page(data, next_cursor, total), PendingAudit(f"list {resource.name}", audited)


def get_object(
    store: Store, principal: Principal, resource: Resource, object_id: str,
    *, action: str = "read",
) -> dict[str, Any]:
    """One object, or NotFoundError if it does not exist *or* the principal may not see it."""
    obj, pending = read_object(store, principal, resource, object_id, action=action)
    pending.record(store, principal)
    return obj


def read_object(
    store: Store, principal: Principal, resource: Resource, object_id: str,
    *, action: str = "read", conn: Connection | None = None,
) -> tuple[dict[str, Any], PendingAudit]:
    """One object as :func:`get_object` gives it, with its audit left to the caller
    (``conn``: as for :func:`read_page`, opened as :func:`object_reading` opens one)."""
    t = resource.table
    opened = object_reading(store, resource) if conn is None else nullcontext(conn)
    with opened as conn:
        row = conn.execute(_one_statement(t, principal.team),
                           {**params(principal), "object_id": object_id}).mappings().first()
        if row is None:
            raise NotFoundError(f"no {resource.kind} {object_id!r}")
        data, audited = _render(store, conn, principal, resource, [dict(row)])
    return data[0], PendingAudit(f"{action} {resource.kind}", audited)


def by_key(resource: Resource, query: PageQuery) -> bool:
    """Whether a page is read by key: in ID order, with no search or count, narrowed by
    nothing or by exactly the columns an index holds before the ID (the records or files
    of a source). Such a page walks that index and stops after the page whatever values
    are bound, so it is a short read that never waits for a lock, and its plan needs no
    values (``Store.reading(by_key=True)``); a filter on another column may find one row
    or most of the table, and the values bound should choose the plan."""
    if query.q or query.count or query.sort.lstrip("-") != "id":
        return False
    return _along_an_index(resource.table, frozenset(query.filters))


@cache
def _along_an_index(table: Table, filters: frozenset[str]) -> bool:
    if not filters:
        return True  # the primary key
    return any(
        names[-1] == "id" and set(names[:-1]) == filters
        for names in ([c.name for c in index.columns] for index in table.indexes))


# Bind names of the page statements below.
_LIMIT, _FILTER, _AFTER_SORT, _AFTER_ID = "page_limit", "filter_", "after_sort", "after_id"


# Statements are built once per shape and reused with bound values: building one and
# computing its cache key cost SQLAlchemy more than running the query does. The shapes
# are few (filters and sorts are checked against the resource first).
@cache
def _page_statement(
    resource: Resource, team: bool, filters: tuple[str, ...], sort_name: str,
    descending: bool, after: bool,
) -> Select[Any]:
    t = resource.table
    stmt = select(t).where(visible_for(team, t),
                           *(t.c[f] == bindparam(_FILTER + f, type_=t.c[f].type)
                             for f in filters))
    key = (t.c[sort_name], t.c.id) if sort_name != "id" else (t.c.id,)
    if after:
        last_id = bindparam(_AFTER_ID, type_=t.c.id.type)
        if len(key) > 1:
            row_key = tuple_(*key)
            bound = tuple_(bindparam(_AFTER_SORT, type_=key[0].type), last_id)
            stmt = stmt.where(row_key < bound if descending else row_key > bound)
        else:
            stmt = stmt.where(key[0] < last_id if descending else key[0] > last_id)
    return stmt.order_by(*(k.desc() if descending else k for k in key)).limit(
        bindparam(_LIMIT, type_=Integer))


def keyset_page(
    store: Store, conn: Connection, stmt: Select[Any], sort: Column[Any], key: Column[Any],
    *, descending: bool, cursor: str | None, limit: int,
    bound: Mapping[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``stmt``'s rows in (``sort``, ``key``) order after ``cursor`` (a row
    key :func:`read_page` and this function hand out), in SQL: the key, a unique column
    (an ID), breaks ties, so a page holds the same rows in every run. Returns the rows
    and the cursor of the next page (None on the last). For the lists the resources
    above do not cover (testimonies, users, jobs …); ``bound``: the statement's values."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}")
    scope = f"{sort.table.name} {'-' if descending else ''}{sort.key}"
    if cursor is not None:
        last = tuple_(*_decode_cursor(store, scope, cursor))
        stmt = stmt.where(tuple_(sort, key) < last if descending else tuple_(sort, key) > last)
    order = (sort.desc(), key.desc()) if descending else (sort, key)
    rows = [dict(r) for r in conn.execute(stmt.order_by(*order).limit(limit + 1),
                                          dict(bound or {})).mappings()]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _encode_cursor(store, scope, [rows[-1][sort.key], rows[-1][key.key]])


def _searching(stmt: Select[Any], resource: Resource, q: str) -> Select[Any]:
    """``stmt`` narrowed to rows whose searchable columns contain ``q`` (never cached)."""
    t = resource.table
    return stmt.where(or_(*(t.c[c].icontains(q, autoescape=True) for c in resource.search)))


@cache
def _one_statement(table: Table, team: bool) -> Select[Any]:
    return select(table).where(
        table.c.id == bindparam("object_id", type_=table.c.id.type), visible_for(team, table))


def _open_sealed(store: Store, conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Each row's fields with its sealed payload laid over them (or ``erased`` if the key
    is gone), in place. Every data key the rows need is read in one statement: a page of
    20 sealed rows was 21 statements (issue 11)."""
    sealed = [(row, payload) for row in rows if (payload := row.pop("sealed", None))]
    opened = store.keys.unseal_many(conn, [(payload, str(row["id"])) for row, payload in sealed])
    for (row, _), payload in zip(sealed, opened, strict=True):
        if payload is None:
            row["erased"] = True
            continue
        for k, v in payload.items():
            if k in row and k not in _NEVER_SHOWN:
                row[k] = v
        if SUPPORT_LOCATORS in payload:  # laid on the supports by _attach_support
            row[SUPPORT_LOCATORS] = payload[SUPPORT_LOCATORS]


def _render(
    store: Store, conn: Connection, principal: Principal, resource: Resource,
    rows: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[ObjectRef]]:
    audited: list[ObjectRef] = []
    for row in rows:
        row["version"] = row["ledger_index"]
        if row.get("sensitivity") == str(Sensitivity.PROTECTED):
            audited.append((resource.kind, str(row["id"])))
    _open_sealed(store, conn, rows)
    if resource.table is s.claims and rows:
        _attach_support(conn, principal, rows)
    return rows, audited


def render_rows(
    store: Store, conn: Connection, principal: Principal, resource: Resource,
    rows: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[ObjectRef]]:
    """Rows read under :func:`visible` as the API shows them (sealed fields opened,
    claims with their support), and the protected ones the caller must audit."""
    return _render(store, conn, principal, resource, rows)


@cache
def _support_statement(team: bool) -> Select[Any]:
    cs, c = s.claim_support.c, s.claims.c
    # A support row's rule is its claim's (access.disclosure: claim_support is
    # disclosable when its claim is): checked once per claim asked, not once per support
    # row, where SQLite re-checked the claim's person and, for a person made of records,
    # every one of its records: quadratic in a person's size (1,843 supports of a
    # 501-record person: 1.9 s CPU, 0.16 s checked per claim, the same supports).
    shown = select(c.id).where(c.id.in_(bindparam("claim_ids", expanding=True)),
                               visible_for(team, s.claims))
    return (
        select(cs.claim_id, cs.seq, cs.source_id, cs.record_id, cs.item_id, cs.locator)
        .where(cs.claim_id.in_(shown))
        .order_by(cs.claim_id, cs.seq))


def _attach_support(conn: Connection, principal: Principal, claims: list[dict[str, Any]]) -> None:
    by_claim: dict[str, list[dict[str, Any]]] = {str(c["id"]): [] for c in claims}
    rows = conn.execute(_support_statement(principal.team),
                        {**params(principal), "claim_ids": list(by_claim)}).mappings()
    for r in rows:
        by_claim[str(r["claim_id"])].append(
            {k: r[k] for k in ("seq", "source_id", "record_id", "item_id", "locator")})
    for c in claims:
        opened = open_locators(by_claim[str(c["id"])], c)
        c.pop(SUPPORT_LOCATORS, None)
        c["support"] = [{k: v for k, v in x.items() if k != "seq"} for x in opened]


def custody_of(store: Store, principal: Principal, item_id: str) -> list[dict[str, Any]]:
    """An item's chain of custody, oldest first (the item must be visible).

    Sealed fields are opened for whoever may see the item, except those of a transfer in
    a court bundle (location ``bundle:<export ID>``): they name the recipient, opened for
    the case's team only (the read audited as ``cases.custody``). A transfer written before
    the recipient was sealed names it in clear: anyone else reads the placeholder."""
    item = get_object(store, principal, RESOURCES["items"], item_id, action="custody of")
    c = s.custody.c
    with store.reading() as conn:
        rows = conn.execute(
            select(s.custody).where(c.item_id == item["id"], visible(principal, s.custody))
            .order_by(c.ledger_index), params(principal)
        ).mappings().all()
        cases = _court_transfers(conn, rows)
        mine = _cases_of(conn, principal, set(cases.values()))
        out, to_open = [], []
        for r in rows:
            row = dict(r)
            case_id = cases.get(str(row["id"]))
            in_clear = clear_court_transfer(row)
            if in_clear is not None and case_id not in mine:
                # Written before the recipient was sealed: the same rule, by placeholder.
                row["how"] = in_clear
            elif row["sealed"] and row["location"] and str(row["location"]).startswith(
                    BUNDLE_LOCATION) and case_id not in mine:
                # A court transfer's recipient: sealed for all but the case's team, even
                # for whoever may see the item (fail closed: no case found, no opening).
                row.pop("sealed")
            else:
                to_open.append(row)
            out.append(row)
        _open_sealed(store, conn, to_open)
    # The case team's reading of a recipient is a read of the case: audited as one.
    record_reads(store, principal, "cases.custody", [("case", c) for c in sorted(mine)])
    return out


def capture_verifications_of(store: Store, principal: Principal, item_id: str
                             ) -> list[dict[str, Any]]:
    """The verifications of an item's capture time and place, oldest first (the item must
    be visible; read as the item is, audited when protected). Sealed fields (a protected
    item's time, place, method, note) are opened for whoever may see the item."""
    item = get_object(store, principal, RESOURCES["items"], item_id,
                      action="capture verifications of")
    v = s.capture_verifications.c
    with store.reading() as conn:
        rows = conn.execute(
            select(s.capture_verifications)
            .where(v.item_id == item["id"], visible(principal, s.capture_verifications))
            .order_by(v.ledger_index), params(principal)).mappings().all()
        out = [dict(r) for r in rows]
        _open_sealed(store, conn, out)
        return out


def _court_transfers(conn: Connection, rows: Sequence[Mapping[Any, Any]]) -> dict[str, str]:
    """Custody ID → case ID of each court bundle's transfer among ``rows`` (custody rows
    or events' data) that names its recipient: sealed, or in clear (written before)."""
    exports: dict[str, str] = {}  # custody ID → export ID
    for r in rows:
        location = str(r.get("location") or "")
        if location.startswith(BUNDLE_LOCATION) and (
                r.get("sealed") or clear_court_transfer(r) is not None):
            exports[str(r["id"])] = location[len(BUNDLE_LOCATION):]
    if not exports:
        return {}
    e = s.case_exports.c
    case_of = {str(i): str(c) for i, c in conn.execute(
        select(e.id, e.case_id).where(e.id.in_(sorted(set(exports.values())))))}
    return {k: case_of[export] for k, export in exports.items() if export in case_of}


def _cases_of(conn: Connection, principal: Principal, case_ids: set[str]) -> set[str]:
    """Which of these cases the principal is on the team of (a grant on the case; a
    viewer sees public data only, as for every case read)."""
    if not case_ids or principal.user_id is None or not principal.team:
        return set()
    g = s.access_grants.c
    return {str(c) for c in conn.execute(select(g.scope_id).where(
        g.user_id == principal.user_id, g.scope_id.in_(sorted(case_ids)))).scalars()}


def item_for_download(
    store: Store, principal: Principal, item_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(item as shown, stored row) for a download; audited before the first byte leaves.

    Opening the bytes is intake's business (``intake.evidence.item_content``).
    """
    item = get_object(store, principal, RESOURCES["items"], item_id, action="download")
    with store.reading() as conn:
        raw = conn.execute(select(s.items).where(s.items.c.id == item_id)).mappings().one()
    return item, dict(raw)


def count_visible(store: Store, principal: Principal,
                  kinds: Iterable[str] = tuple(RESOURCES)) -> dict[str, int]:
    """How many objects of each kind (a governed table's name, every resource by default)
    the principal can see."""
    with store.reading() as conn:
        return {name: count_visible_rows(conn, principal, s.metadata.tables[name])
                for name in kinds}


# --- the ledger, event by event ----------------------------------------------------

#: Event type → (table, data field naming the row) that decides who may see the event.
EVENT_OBJECTS: dict[str, tuple[Table, str]] = {
    "source.registered": (s.sources, "id"),
    "source.language_changed": (s.sources, "id"),
    "item.added": (s.items, "id"),
    "item.released": (s.items, "item_id"),
    "custody.recorded": (s.items, "item_id"),
    "item.capture_verified": (s.items, "item_id"),
    "record.added": (s.records, "id"),
    # A list import is governed by its list_imports row (its own sensitivity, its source
    # and its list): its header, rows and file hash are as protected as its records.
    "records.imported": (s.list_imports, "import_id"),
    "list.described": (s.lists, "list_id"),
    # A re-import of a file imported before is as protected as that earlier import (and
    # carries the stricter sensitivity of the two).
    "list.duplicate_found": (s.list_imports, "duplicate_of"),
    "person.created": (s.persons, "id"),
    "organization.created": (s.organizations, "id"),
    "place.created": (s.places, "id"),
    "place.status_changed": (s.places, "id"),
    "act.created": (s.acts, "id"),
    "act.changed": (s.acts, "id"),
    "act.raised": (s.acts, "id"),
    # A withdrawn involvement has no row left to decide by: its events (the one that added
    # it, and its withdrawal) are read by holders of the audit permission only.
    "involvement.added": (s.involvements, "id"),
    "claim.added": (s.claims, "id"),
    "claim.status_changed": (s.claims, "id"),
}
#: Events anyone may read.
PUBLIC_EVENTS = frozenset({"ledger.initialized"})


def _event_visibility(
    conn: Connection, principal: Principal, events: Sequence[ledger_log.StoredEvent]
) -> tuple[list[bool], list[ObjectRef]]:
    """Which of these events the principal may read, and which of those are protected.

    An event about an object is readable when the object is visible now; the
    rest (users, grants, audit, erasures, and any type not listed here) only
    by holders of the audit permission. Unknown types fail closed.
    """
    parsed = [json.loads(e.body) for e in events]
    wanted: dict[str, set[str]] = {}
    for body in parsed:
        target = EVENT_OBJECTS.get(body["type"])
        if target is not None:
            wanted.setdefault(target[0].name, set()).add(str(body["data"][target[1]]))
    seen: dict[str, dict[str, str]] = {}
    for name, ids in wanted.items():
        table = s.metadata.tables[name]
        seen[name] = {
            str(r.id): str(r.sensitivity) for r in conn.execute(
                select(table.c.id, table.c.sensitivity)
                .where(table.c.id.in_(sorted(ids)), visible(principal, table)),
                params(principal))
        }
    flags: list[bool] = []
    protected: list[ObjectRef] = []
    for event, body in zip(events, parsed, strict=True):
        target = EVENT_OBJECTS.get(body["type"])
        if target is None:
            ok = body["type"] in PUBLIC_EVENTS or principal.can(Permission.AUDIT)
        else:
            sensitivity = seen.get(target[0].name, {}).get(str(body["data"][target[1]]))
            ok = sensitivity is not None and _event_sensitivity_ok(principal, body["data"])
            if ok and Sensitivity.PROTECTED in (sensitivity, body["data"].get("sensitivity")):
                protected.append(("event", str(event.index)))
        flags.append(ok)
    _withhold_clear_recipients(conn, principal, parsed, flags, protected)
    return flags, protected


def _withhold_clear_recipients(
    conn: Connection, principal: Principal, parsed: Sequence[Mapping[str, Any]],
    flags: list[bool], protected: list[ObjectRef],
) -> None:
    """Withhold, from all but the case's team, a court transfer written before 8e1750f: it
    names the recipient in clear and the ledger cannot seal it afterwards (the rule of
    ``custody_of``; fail closed: no case found, withheld). The team's reading is audited
    as a read of the case."""
    old = {pos: body["data"] for pos, (body, ok) in enumerate(zip(parsed, flags, strict=True))
           if ok and body["type"] == "custody.recorded"
           and clear_court_transfer(body["data"]) is not None}
    if not old:
        return
    cases = _court_transfers(conn, list(old.values()))
    mine = _cases_of(conn, principal, set(cases.values()))
    for pos, data in old.items():
        case_id = cases.get(str(data["id"]))
        if case_id in mine:
            protected.append(("case", case_id))
        else:
            flags[pos] = False


def _event_sensitivity_ok(principal: Principal, data: Mapping[str, Any]) -> bool:
    # A batch event (records.imported) carries its own sensitivity besides its source's.
    level = data.get("sensitivity")
    return level in (None, str(Sensitivity.PUBLIC)) or principal.team


def read_event(store: Store, principal: Principal, index: int) -> ledger_log.StoredEvent:
    """One event if the principal may read it; NotFoundError otherwise."""
    with store.reading() as conn:
        try:
            event = ledger_log.get_event(conn, index)
        except NotFoundError:
            raise NotFoundError(f"no event {index}") from None
        flags, protected = _event_visibility(conn, principal, [event])
    if not flags[0]:
        raise NotFoundError(f"no event {index}")
    record_reads(store, principal, "read event", protected)
    return event


def export_events(
    store: Store, principal: Principal, batch: int = 5000
) -> Iterator[dict[str, Any]]:
    """Every event in log order; events the principal may not read are withheld.

    A withheld event keeps its index and leaf hash (which reveal nothing), so
    the export still rebuilds the tree and checks against signed checkpoints.
    """
    start = 0
    while True:
        with store.reading() as conn:
            events = list(_take(ledger_log.iter_events(conn, start, batch), batch))
            if not events:
                return
            flags, protected = _event_visibility(conn, principal, events)
        record_reads(store, principal, "export events", protected)
        for event, ok in zip(events, flags, strict=True):
            line: dict[str, Any] = {"index": event.index, "leaf_hash": event.leaf_hash.hex()}
            if ok:
                line.update(type=event.type, event=event.body.decode("utf-8"))
                if event.redacted:
                    line["redacted"] = True  # its body no longer hashes to its leaf
            else:
                line["withheld"] = True
            yield line
        start = events[-1].index + 1


def _take(events: Iterator[ledger_log.StoredEvent], n: int) -> Iterator[ledger_log.StoredEvent]:
    for i, event in enumerate(events):
        if i >= n:
            return
        yield event


__all__ = [
    "MAX_PAGE",
    "RESOURCES",
    "Page",
    "PageQuery",
    "Resource",
    "capture_verifications_of",
    "count_visible",
    "custody_of",
    "export_events",
    "get_object",
    "item_for_download",
    "keyset_page",
    "list_objects",
    "object_reading",
    "page_reading",
    "read_event",
    "visible_row",
]


def visible_row(
    conn: Connection, principal: Principal, table: Table, object_id: str, what: str
) -> dict[str, Any]:
    """The stored row if the principal may see it; NotFoundError (never "forbidden") if not.

    For checks before a change: nothing is shown, so nothing is audited.
    """
    row = conn.execute(_one_statement(table, principal.team),
                       {**params(principal), "object_id": object_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"no {what} {object_id!r}")
    return dict(row)
