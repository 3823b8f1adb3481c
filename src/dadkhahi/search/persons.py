"""The one person search: a name in any script finds the persons whose records carry it.

Every face calls :func:`search_persons` (``dadkhahi persons search``, ``POST
/api/persons/search``, the workspace's search page, document mentions, the public
memorial); none writes a second search.

How it works:

* **Keys.** Each public or restricted record's name is turned into the cross-script keys
  linkage compares (:func:`dadkhahi.persian.name_keys`): per name part its canonical id
  (``Hossein``, ``Hosein``, ``حسین`` → ``c:hossein``), its consonant skeleton
  (``s:hsn``) and its ASCII phonetic form (``p:hosein``), plus the skeleton of the whole
  name run together (``w:…``, so ``Abdol Hossein`` finds ``Abdolhossein``). They live
  in the ``name_keys`` table (key, record id), indexed by key. Protected records are
  never keyed: a sealed name must not be kept in clear, so they are not searchable.
* **Freshness.** Records are never edited, so the index only grows: before answering,
  the records written since ``name_keys_state.indexed_through`` are keyed (one indexed
  range read; nothing when the store did not change).
* **Candidates in SQL.** Each query key reads its records from ``name_keys`` in ledger
  order (the primary key is key, event, row), filtered by the one visibility rule
  (:func:`dadkhahi.access.policy.visible`) and by list version (a superseded version's
  records are not searched), a few hundred at most per key; the parts each of those
  records matches are then read by record. Records are ranked by how many query parts
  matched (a whole-name match counts as all of them) and cut to a few hundred. Ties are
  broken by ledger order and row number, which two homes holding the same lists share.
* **Ranking.** Only those candidates are scored in Python: each query part against the
  record's best-matching part (:func:`dadkhahi.persian.part_similarity`), and why each
  matched is said in words ("same name hossein", "same consonant skeleton rzy").
  Records linked to one person are one hit; a record not linked yet is a hit alone.

Protected objects in an answer are written to the audit trail before it is returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from dadkhahi.access.answers import kept
from dadkhahi.access.audit import ObjectRef, record_reads
from dadkhahi.access.disclosure import COUNTED_BY
from dadkhahi.access.policy import Principal, params, visible_for, visible_groups
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.persian import NameKeys, name_keys, name_similarity, part_similarity
from dadkhahi.store import schema as s
from dadkhahi.store.db import is_sqlite, write_transaction
from dadkhahi.store.store import Store

#: Longest query accepted (a name, not a document).
MAX_QUERY = 200
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
#: Hits scoring below this are left out (a different known name scores at most 0.5).
DEFAULT_MIN_SCORE = 0.7
#: Candidate records scored in Python per hit asked for (SQL ranks before that).
_CANDIDATES_PER_HIT = 10
_MIN_CANDIDATES = 200
_BATCH = 5000
#: Records read per query key, in candidates asked for (a common key is read only so far).
_PER_KEY = 1
#: Pages of a key read at most while too few of its records may be shown to the reader.
_MAX_PAGES = 8
_STATE_ID = 1
_NAME_FIELDS = ("full_name", "given_name", "family_name")


@dataclass(frozen=True)
class MatchedRecord:
    """One record behind a hit: its name as the record gives it, and why it matched."""

    record_id: str
    source_id: str
    external_id: str | None
    name: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PersonHit:
    """A person (or a record not linked to anyone yet) whose records carry the name."""

    person_id: str | None
    label: str
    score: float
    reasons: tuple[str, ...]
    records: tuple[MatchedRecord, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, the same for the CLI's ``--json`` and the API."""
        return {
            "person_id": self.person_id,
            "label": self.label,
            "score": round(self.score, 3),
            "reasons": list(self.reasons),
            "records": [
                {"record_id": r.record_id, "source_id": r.source_id,
                 "external_id": r.external_id, "name": r.name, "score": round(r.score, 3),
                 "reasons": list(r.reasons)}
                for r in self.records
            ],
        }


@dataclass(frozen=True)
class PersonSearch:
    """The answer: hits best first, and how many records matched any key at all."""

    query: str
    hits: tuple[PersonHit, ...]
    candidates: int
    keys: tuple[str, ...] = field(default=())
    #: True when a key had more records than were read (``candidates`` is then a floor).
    more: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``keys``: the query's keys, to see what was looked for)."""
        return {"query": self.query, "candidates": self.candidates, "more": self.more,
                "keys": list(self.keys), "hits": [h.as_dict() for h in self.hits]}


# --- keys ---------------------------------------------------------------------------


def record_name(normalized: dict[str, Any]) -> tuple[str | None, NameKeys]:
    """The name a record gives (as shown) and its keys, from its normalised fields.

    Parsed given and family names when the list had them (titles removed, family
    suffixes joined), else the full name.
    """
    given, family, full = (_text(normalized.get(f)) for f in ("given_name", "family_name",
                                                                "full_name"))
    shown = full or " ".join(p for p in (given, family) if p) or None
    if given or family:
        g, f = name_keys(given), name_keys(family, family=True)
        keys = NameKeys(g.canonical + f.canonical, g.skeletons + f.skeletons,
                        g.phonetic + f.phonetic)
        if keys:
            return shown, keys
    return shown, name_keys(full)


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def key_strings(keys: NameKeys) -> list[tuple[int, str]]:
    """(part, key) of every index key of a name; part -1 is the whole-name key."""
    out: list[tuple[int, str]] = []
    for i, (canon, skel, phon) in enumerate(
            zip(keys.canonical, keys.skeletons, keys.phonetic, strict=True)):
        if canon:
            out.append((i, "c:" + canon))
        if skel:
            out.append((i, "s:" + skel))
        if phon:
            out.append((i, "p:" + phon))
    if len(keys.skeletons) > 1 and keys.skeleton:
        out.append((-1, "w:" + keys.skeleton))
    return out


# --- the index ----------------------------------------------------------------------


def refresh_name_index(store: Store) -> int:
    """Key the records written since the last refresh; returns how many were read.

    Cheap when nothing changed (two indexed reads). Safe to call from several
    processes: the state row is taken under the write lock and checked again.
    """
    r = s.records.c
    with store.reading() as conn:
        done = _indexed_through(conn)
        newest = conn.execute(select(func.max(r.ledger_index))).scalar()
    if newest is None or (done is not None and newest <= done):
        return 0
    _ensure_state_row(store)
    read = 0
    with write_transaction(store.engine) as conn:
        state = select(s.name_keys_state.c.indexed_through).where(
            s.name_keys_state.c.id == _STATE_ID)
        if not is_sqlite(store.engine):
            state = state.with_for_update()
        done = int(conn.execute(state).scalar_one())
        columns = (r.id, r.ledger_index, r.row_number, r.sensitivity,
                   *(r.normalized[f].as_string().label(f) for f in _NAME_FIELDS))
        through, after = done, None
        while True:
            page = select(*columns).where(r.ledger_index > done)
            if after is not None:
                page = page.where(tuple_(r.ledger_index, r.id) > tuple_(*after))
            rows = conn.execute(page.order_by(r.ledger_index, r.id).limit(_BATCH)
                                ).mappings().all()
            if not rows:
                break
            _insert_keys(conn, rows)
            read += len(rows)
            after = (rows[-1]["ledger_index"], rows[-1]["id"])
            through = int(rows[-1]["ledger_index"])
        conn.execute(s.name_keys_state.update().where(s.name_keys_state.c.id == _STATE_ID)
                     .values(indexed_through=through))
    return read


def _indexed_through(conn: Connection) -> int | None:
    value = conn.execute(select(s.name_keys_state.c.indexed_through).where(
        s.name_keys_state.c.id == _STATE_ID)).scalar()
    return None if value is None else int(value)


def _ensure_state_row(store: Store) -> None:
    try:
        with write_transaction(store.engine) as conn:
            if _indexed_through(conn) is None:
                conn.execute(insert(s.name_keys_state).values(id=_STATE_ID, indexed_through=-1))
    except SqlIntegrityError:
        pass  # another process created it first


def _insert_keys(conn: Connection, rows: Sequence[Any]) -> None:
    keyed: list[dict[str, Any]] = []
    for row in rows:
        if row["sensitivity"] == str(Sensitivity.PROTECTED):
            continue  # never keyed in clear (see the module docstring)
        _, keys = record_name({f: row[f] for f in _NAME_FIELDS})
        at = {"record_id": str(row["id"]), "record_index": int(row["ledger_index"]),
              "record_row": int(row["row_number"] or 0)}
        keyed.extend({"key": k, **at}
                     for k in dict.fromkeys(k for _, k in key_strings(keys)))
    for start in range(0, len(keyed), _BATCH):
        conn.execute(insert(s.name_keys), keyed[start:start + _BATCH])


# --- the search ---------------------------------------------------------------------


def search_persons(
    store: Store,
    principal: Principal,
    name: str,
    *,
    limit: int = DEFAULT_LIMIT,
    min_score: float = DEFAULT_MIN_SCORE,
) -> PersonSearch:
    """Persons whose records carry ``name`` (any script), best first, as ``principal`` may
    see them; each hit says why it matched. Audits any protected object returned.

    ``limit``: hits wanted (1-100). ``min_score``: leave out weaker hits (0-1).
    Raises :class:`ValidationError` for an empty or over-long name or a bad limit.
    """
    text = (name or "").strip()
    if not text:
        raise ValidationError("name: give a name to search for")
    if len(text) > MAX_QUERY:
        raise ValidationError(f"name: at most {MAX_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0.0 <= min_score <= 1.0:
        raise ValidationError("min_score must be between 0 and 1")
    query = name_keys(text)
    wanted = key_strings(query)
    if not wanted:
        raise ValidationError("name: no letters to search for")
    refresh_name_index(store)
    parts = max(1, len(query.skeletons))
    shown = _shown_kinds(store, principal)
    with store.reading() as conn:
        candidates, total, more = _candidates(conn, shown, wanted, parts,
                                              max(_MIN_CANDIDATES, limit * _CANDIDATES_PER_HIT))
        records = _load(conn, principal, [c for c, _ in candidates])
    # Records giving the same name score alike: each name scored once (a quarter of the
    # candidates repeat one at 100,000 persons).
    memo: dict[NameKeys, tuple[float, tuple[str, ...]]] = {}
    scored = [(rec, *(memo.get(rec["keys"]) or memo.setdefault(
        rec["keys"], _score(query, rec["keys"])))) for rec in records]
    hits = _group(scored, min_score)[:limit]
    audited: list[ObjectRef] = []
    for hit in hits:
        if hit.person_id is not None and hit.person_sensitivity == Sensitivity.PROTECTED:
            audited.append(("person", hit.person_id))
        audited.extend(("record", r.record_id) for r, level in
                       zip(hit.hit.records, hit.record_levels, strict=True)
                       if level == Sensitivity.PROTECTED)
    record_reads(store, principal, "search persons", audited)
    return PersonSearch(text, tuple(h.hit for h in hits), total,
                        tuple(k for _, k in wanted), more)


#: The columns of ``records`` that the rule reads, in the order of a kind's values.
_KIND = COUNTED_BY["records"]


def _shown_kinds(store: Store, principal: Principal) -> frozenset[tuple[Any, ...]] | None:
    """The kinds of records (their :data:`_KIND` values: records alike in these are alike
    to the rule) whose current versions the reader may see; None when that is every
    kind (nothing to filter). The rule runs once per kind
    (:func:`dadkhahi.access.policy.visible_groups`), and the answer is kept while the
    ledger stands still, per reader key (:func:`dadkhahi.access.answers.kept`)."""
    def count() -> frozenset[tuple[Any, ...]] | None:
        li = s.list_imports.c
        with store.reading() as conn:
            groups = visible_groups(conn, principal, s.records)
            superseded = set(conn.execute(
                select(li.id).where(li.superseded_by.is_not(None))).scalars())
        at = _KIND.index("import_id")
        shown = frozenset(kind for kind, ok in groups if ok and kind[at] not in superseded)
        return None if len(shown) == len(groups) else shown

    return kept(store, principal, "record kinds", (s.records,), count)


def _candidates(
    conn: Connection, shown: frozenset[tuple[Any, ...]] | None,
    wanted: list[tuple[int, str]], parts: int, cap: int,
) -> tuple[list[tuple[str, int]], int, bool]:
    """Record ids ranked by matched query parts (of the ``shown`` kinds of records, see
    :func:`_shown_kinds`), how many records were kept, and whether a key had more than
    were read.

    Each key's records are read in ledger order straight from the primary key of
    ``name_keys``, at most :data:`_PER_KEY` times ``cap`` of them that the reader may see
    among the first :data:`_MAX_PAGES` times as many (so a common name such as Mohammad
    costs no more than a rare one: the whole match set is never joined, grouped and
    sorted); then which query parts each of those records matches is read through the
    ``(record_id, key)`` index. Rare keys and the whole-name key (usually rare) are read
    in full, so a record matching the whole query is found unless every one of its keys
    is common and it comes late in ledger order. The kinds the reader may not see are
    left out in the statement: a viewer's search read every one of them into Python, a
    page at a time (117.8 ms CPU a search at 146,341 restricted records).
    """
    if shown is not None and not shown:
        return [], 0, False  # the reader may see no record
    # Each key stands for the query part it came from (the first, if two parts share it).
    part_of: dict[str, int] = {}
    for part, key in wanted:
        part_of.setdefault(key, part)
    nk = s.name_keys.c
    per_key = cap * _PER_KEY
    # Every record is shown: the first records are the ones kept (one more tells
    # whether the key goes on); else a key's first pages are read for the ones shown.
    scan = per_key + 1 if shown is None else per_key * _MAX_PAGES
    statement = _scan(per_key, scan, shown)
    found: dict[str, tuple[int, int]] = {}
    matched: dict[str, set[int]] = {}  # the query parts each record kept matches
    cut: list[str] = []  # keys with records not read or not kept
    for key in sorted(part_of):
        rows = conn.execute(statement, {"key": key}).all()
        if shown is None:  # the first records, one more if the key goes on
            kept_rows, ended = rows[:per_key], len(rows) <= per_key
        else:
            kept_rows = [row for row in rows if row.shown][:per_key]
            scanned = int(rows[0].scanned) if rows else 0
            ended = scanned < scan and (len(kept_rows) < per_key
                                        or int(kept_rows[-1].pos) == scanned)
        # A few thousand rows a search at 100,000 persons: read by position, each
        # record's set made once (attribute reads, str() and setdefault on every row
        # were a quarter of the search's Python).
        part = part_of[key]
        for rid, index, row_number, *_ in kept_rows:
            parts_of = matched.get(rid)
            if parts_of is None:
                matched[rid] = {part}
                found[rid] = (index, row_number)
            else:
                parts_of.add(part)
        if not ended:
            cut.append(key)
    if not found:
        return [], 0, False
    if cut:  # which of the cut keys the records found under other keys have too
        ids = sorted(found)
        for start in range(0, len(ids), _BATCH):
            for rid, key in conn.execute(select(nk.record_id, nk.key).where(
                    nk.record_id.in_(ids[start:start + _BATCH]), nk.key.in_(cut))):
                matched[rid].add(part_of[key])
    # A whole-name match stands for every part; otherwise count distinct parts matched.
    score = {rid: len(p) + (parts if -1 in p else 0) for rid, p in matched.items()}
    ranked = sorted(found, key=lambda rid: (-score.get(rid, 0), *found[rid], rid))
    return [(rid, score.get(rid, 0)) for rid in ranked[:cap]], len(found), bool(cut)


@lru_cache(maxsize=64)
def _scan(keep: int, scan: int, shown: frozenset[tuple[Any, ...]] | None) -> Select[Any]:
    """A key's first ``scan`` records in ledger order. With every kind shown (``shown``
    None): those records (``scan`` is then one more than kept). Else numbered (``pos``,
    and how many were read: ``scanned``), of which those of the ``shown`` kinds come
    back (``shown`` = 1) up to ``keep`` of them, and the last one read whatever its kind
    (``shown`` = 0 if not), which tells where the reading stopped. Built once per shape:
    SQLAlchemy then reuses its compiled form."""
    nk, r = s.name_keys.c, s.records.c
    # The kinds' columns only where the kinds are compared (every kind shown: none).
    first = (select(nk.record_id, nk.record_index, nk.record_row,
                    *(r[name] for name in (_KIND if shown is not None else ())))
             .select_from(s.name_keys.join(s.records, r.id == nk.record_id))
             .where(nk.key == bindparam("key"))
             .order_by(nk.key, nk.record_index, nk.record_row, nk.record_id)
             .limit(scan))
    if shown is None:
        return first
    first_c = first.subquery("first").c
    order = (first_c.record_index, first_c.record_row, first_c.record_id)
    numbered = select(*first_c, func.row_number().over(order_by=order).label("pos"),
                      func.count().over().label("scanned")).subquery("numbered")
    c = numbered.c
    ok = or_(*(and_(*(c[name].is_(None) if value is None else c[name] == value
                      for name, value in zip(_KIND, kind, strict=True)))
               for kind in sorted(shown, key=repr)))
    return (select(c.record_id, c.record_index, c.record_row, c.pos, c.scanned,
                   case((ok, 1), else_=0).label("shown"))
            .where(or_(ok, c.pos == c.scanned)).order_by(c.pos).limit(keep + 1))


def _load(conn: Connection, principal: Principal, ids: list[str]) -> list[dict[str, Any]]:
    """The candidates' names, sources and (visible) persons, in candidate order."""
    if not ids:
        return []
    r, pr, p = s.records.c, s.person_records.c, s.persons.c
    person_ok = and_(p.id == pr.person_id, visible_for(principal.team, s.persons))
    stmt = (
        select(r.id, r.source_id, r.external_id, r.sensitivity,
               *(r.normalized[f].as_string().label(f) for f in _NAME_FIELDS),
               p.id.label("person_id"), p.label, p.sensitivity.label("person_sensitivity"))
        .select_from(s.records.outerjoin(s.person_records, pr.record_id == r.id)
                     .outerjoin(s.persons, person_ok))
        .where(r.id.in_(ids))
    )
    by_id = {str(row["id"]): dict(row) for row in conn.execute(stmt, params(principal))
             .mappings()}
    out = []
    for record_id in ids:
        row = by_id[record_id]
        shown, keys = record_name({f: row[f] for f in _NAME_FIELDS})
        row["name"], row["keys"] = shown or "(no name)", keys
        out.append(row)
    return out


def _score(query: NameKeys, keys: NameKeys) -> tuple[float, tuple[str, ...]]:
    """How well a record's name answers the query, and why (one reason per query part)."""
    if not keys:
        return 0.0, ()
    reasons: list[str] = []
    total = 0.0
    used: set[int] = set()
    for i in range(len(query.skeletons)):
        options = [j for j in range(len(keys.skeletons)) if j not in used] or list(
            range(len(keys.skeletons)))
        j = max(options, key=lambda j: (part_similarity(query, i, keys, j), -j))
        used.add(j)
        sim = part_similarity(query, i, keys, j)
        total += sim
        reasons.append(_why(query, i, keys, j, sim))
    coverage = min(1.0, len(query.skeletons) / len(keys.skeletons))
    score = total / len(query.skeletons) * (0.85 + 0.15 * coverage)
    whole = name_similarity(query, keys)
    if whole > score:
        if query.skeleton == keys.skeleton:
            reasons = [f"same consonant skeleton of the whole name ({keys.skeleton})"]
        score = whole
    return min(1.0, score), tuple(reasons)


def _why(query: NameKeys, i: int, keys: NameKeys, j: int, sim: float) -> str:
    shown = keys.canonical[j] or keys.phonetic[j]
    if query.canonical[i] is not None and query.canonical[i] == keys.canonical[j]:
        return f"same name: {query.canonical[i]}"
    if query.skeletons[i] == keys.skeletons[j]:
        return f"same consonant skeleton: {keys.skeletons[j]} ({shown})"
    if query.phonetic[i] == keys.phonetic[j]:
        return f"same sound: {keys.phonetic[j]}"
    return f"similar spelling: {query.phonetic[i]} ~ {shown} ({sim:.2f})"


@dataclass(frozen=True)
class _Ranked:
    hit: PersonHit
    person_id: str | None
    person_sensitivity: str | None
    record_levels: tuple[str, ...]


def _group(
    scored: Iterable[tuple[dict[str, Any], float, tuple[str, ...]]], min_score: float
) -> list[_Ranked]:
    """Records of one person become one hit (best record first); candidate order breaks
    ties, so the answer is the same in every home holding the same lists."""
    groups: dict[str, list[tuple[dict[str, Any], float, tuple[str, ...]]]] = {}
    order: list[str] = []
    for rec, score, reasons in scored:
        if score < min_score:
            continue
        key = rec["person_id"] or "record:" + str(rec["id"])
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((rec, score, reasons))
    ranked: list[tuple[float, int, _Ranked]] = []
    for position, key in enumerate(order):
        members = sorted(groups[key], key=lambda m: -m[1])
        best_rec, best, reasons = members[0]
        matched = tuple(
            MatchedRecord(str(rec["id"]), str(rec["source_id"]), rec["external_id"],
                          rec["name"], score, why)
            for rec, score, why in members)
        person_id = best_rec["person_id"]
        label = best_rec["label"] if person_id and best_rec["label"] else best_rec["name"]
        hit = PersonHit(person_id, str(label), best, reasons, matched)
        ranked.append((best, position, _Ranked(
            hit, person_id, best_rec["person_sensitivity"],
            tuple(str(rec["sensitivity"]) for rec, _, _ in members))))
    ranked.sort(key=lambda t: (-t[0], t[1]))
    return [r for _, _, r in ranked]


__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_MIN_SCORE",
    "MAX_LIMIT",
    "MatchedRecord",
    "PersonHit",
    "PersonSearch",
    "key_strings",
    "record_name",
    "refresh_name_index",
    "search_persons",
]
