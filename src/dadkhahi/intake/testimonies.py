"""Testimonies: a source with a protected witness, the interview's circumstances, and
consent per recipient.

A testimony is a source of kind ``testimony`` (protected by default) plus a
``testimony.recorded`` event: the witness's identity, the interview's date and place, the
interviewer, who else was present, any interpreter, the language, whether the statement
was read back and acknowledged, materials shown and prior statements. Every one of these
is sealed (``domain.protected.CLEAR_FIELDS["testimony"]`` keeps only the IDs, the
pseudonym and the time in clear); everyone without the grant sees a **random pseudonym**
(not a sequence number, which would tell how many witnesses there are).

Consent is recorded per recipient (the team, a named partner organisation, a named UN
mechanism, a named court, the public) by ``consent.recorded`` events: given or refused,
the date and how it was given, and whether the witness was told the statement may reach
a defence. A withdrawal is a ``consent.recorded`` event with status ``withdrawn`` that lists
what had already been disclosed to that recipient. Importing this module registers the
consent with the one disclosure rule (:data:`CONSENT_RULES`, through
:func:`dadkhahi.access.disclosure.register_consent`): every export, bundle and
publication to a partner, UN mechanism or court decides through
:func:`~dadkhahi.access.disclosure.may_disclose`, which then asks for this consent;
:func:`consent_allows` answers the same question for a set of sources.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Text,
    bindparam,
    case,
    func,
    select,
)

from dadkhahi.access.disclosure import (
    AUDIENCE_KIND,
    AUDIENCE_NAME,
    ConsentRule,
    Tier,
    register_consent,
)
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.sources import change_language, register_source
from dadkhahi.search.index import (
    Passage,
    index_passages,
    is_protected,
    partition_for,
)
from dadkhahi.store import schema as s
from dadkhahi.store.db import write_transaction
from dadkhahi.store.store import Store, Transaction, utc_now
from dadkhahi.store.versions import check_version

RECIPIENT_KINDS = ("team", "partner", "un_mechanism", "court", "public")
#: Recipient kinds that are one body and need no name.
_UNNAMED = frozenset({"team", "public"})
CONSENT_STATES = ("given", "refused", "withdrawn")
#: Letters of a pseudonym: no 0/O or 1/I/L, so it can be read aloud and typed back.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_pseudonym() -> str:
    """A random pseudonym such as ``W-7KQ2-M9XD`` (40 bits: no order, no count)."""
    chars = [secrets.choice(_ALPHABET) for _ in range(8)]
    return f"W-{''.join(chars[:4])}-{''.join(chars[4:])}"


@dataclass(frozen=True)
class TestimonySpec:
    """What is known of one interview. Everything but ``title`` is optional."""

    title: str
    witness_name: str | None = None
    witness_contact: str | None = None
    interview_date: str | None = None
    interview_place: str | None = None
    interviewer: str | None = None
    others_present: list[str] = field(default_factory=list)
    interpreter: str | None = None
    language: str | None = None
    read_back: bool | None = None
    materials_shown: list[str] = field(default_factory=list)
    prior_statements: list[str] = field(default_factory=list)
    sensitivity: Sensitivity = Sensitivity.PROTECTED


def add_testimony(store: Store, spec: TestimonySpec, actor: str) -> dict[str, str]:
    """Register the testimony's source and its interview; returns IDs and the pseudonym."""
    with store.transaction(actor) as tx:
        return record_testimony(store, tx, spec)


def record_testimony(store: Store, tx: Transaction, spec: TestimonySpec) -> dict[str, str]:
    """:func:`add_testimony` inside the caller's transaction (so a service can grant the
    new source to its creator in the same write)."""
    if not spec.title.strip():
        raise ValidationError("a testimony needs a title (it is sealed like the rest)")
    pseudonym = new_pseudonym()
    testimony_id = new_id("testimony")
    source_id = register_source(store, tx, SourceSpec(
        title=spec.title, kind=SourceKind.TESTIMONY, sensitivity=spec.sensitivity,
        language=spec.language))
    data: dict[str, Any] = {
        "id": testimony_id, "source_id": source_id, "pseudonym": pseudonym,
        "sensitivity": str(spec.sensitivity), "created_at": utc_now(),
        **{k: v for k, v in asdict(spec).items() if k not in ("title", "sensitivity")},
    }
    # Lists and flags travel in the sealed payload; their columns keep no trace.
    data["others_present"] = data["others_present"] or None
    data["materials_shown"] = data["materials_shown"] or None
    data["prior_statements"] = data["prior_statements"] or None
    if spec.sensitivity is Sensitivity.PROTECTED:
        data = tx.seal_protected("testimony", data, testimony_id)
    tx.emit("testimony.recorded", data)
    return {"testimony_id": testimony_id, "source_id": source_id, "pseudonym": pseudonym}


def get_testimony(conn: Connection, ref: str) -> dict[str, Any]:
    """A testimony by its ID, its source's ID or its pseudonym (sealed fields stay sealed)."""
    t = s.testimonies.c
    row = conn.execute(select(s.testimonies).where(
        (t.id == ref) | (t.source_id == ref) | (t.pseudonym == ref))).mappings().first()
    if row is None:
        raise NotFoundError(f"no testimony {ref!r}")
    return dict(row)


# --- the interview changed afterwards --------------------------------------------------

#: The interview's circumstances a change may set: text, lists typed one entry a line,
#: and whether the statement was read back (the title stays with the source, the
#: witness's name and contact with the witness).
INTERVIEW_TEXTS = ("interview_date", "interview_place", "interviewer", "interpreter",
                   "language")
INTERVIEW_LISTS = ("others_present", "materials_shown", "prior_statements")
INTERVIEW = (*INTERVIEW_TEXTS, *INTERVIEW_LISTS, "read_back")
#: The witness: sealed in the same payload as the interview, so carried again (sealed)
#: by a change of a protected testimony, whose row keeps one payload.
_WITNESS = ("witness_name", "witness_contact")
#: Longest language code (as a translation's).
MAX_LANGUAGE = 35


def _interview_value(name: str, value: Any) -> Any:
    """One field of the interview as it is kept (empty text and empty lists are none);
    ValidationError naming the field, never quoting its value."""
    if name in INTERVIEW_TEXTS:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValidationError(f"{name}: give text, or nothing to clear it")
        if name == "language" and len(value.strip()) > MAX_LANGUAGE:
            raise ValidationError(f"language: a code of at most {MAX_LANGUAGE} characters "
                                  "(such as en or fa)")
        return value.strip() or None
    if name in INTERVIEW_LISTS:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ValidationError(f"{name}: give a list of text entries")
        return [x.strip() for x in value if x.strip()] or None
    if value is not None and not isinstance(value, bool):
        raise ValidationError("read_back: true, false, or nothing when not recorded")
    return value


def change_interview(
    store: Store, testimony_ref: str, fields: Mapping[str, Any], actor: str, *,
    expected_version: int | None,
) -> tuple[list[str], int | None]:
    """Change the interview's circumstances: the fields given (others kept), checked all
    before anything is written, as one ``testimony.interview_changed`` event carrying the
    whole interview after the change and the names of the fields changed, sealed like a
    ``testimony.recorded`` when the testimony is protected (with the witness, so the row
    keeps one payload; what it replaces stays in the ledger under its own key, destroyed
    by :func:`erase_testimony` with the rest). ``expected_version``: the testimony's
    version as read (``VersionMismatchError`` if it changed since; None: no check).

    Returns the names of the fields changed and the event's index (none, and no event,
    when nothing changes).
    """
    unknown = sorted(set(fields) - set(INTERVIEW))
    if unknown:
        raise ValidationError(f"{unknown[0]}: not a field of the interview (choose among "
                              f"{', '.join(INTERVIEW)})")
    if not fields:
        raise ValidationError("nothing to change: give a field of the interview")
    given = {name: _interview_value(name, value) for name, value in fields.items()}
    with store.transaction(actor) as tx:
        row = get_testimony(tx.conn, testimony_ref)
        testimony_id = str(row["id"])
        check_version(tx.conn, s.testimonies, testimony_id, expected_version,
                      current=int(row["ledger_index"]))
        opened = tx.keys.open_row(tx.conn, dict(row))
        if opened.get("erased"):
            raise ValidationError("this testimony was erased: its interview cannot change")
        current = {name: _interview_value(name, opened.get(name)) for name in INTERVIEW}
        new = {**current, **given}
        changed = [name for name in INTERVIEW if new[name] != current[name]]
        if not changed:
            return changed, None
        data: dict[str, Any] = {"id": testimony_id, "source_id": row["source_id"],
                                "sensitivity": row["sensitivity"], **new, "changed": changed}
        if row["sensitivity"] == str(Sensitivity.PROTECTED):
            data.update({name: opened.get(name) for name in _WITNESS})
            data = tx.seal_protected("testimony", data, testimony_id)
        index = tx.emit("testimony.interview_changed", data)
        if "language" in changed:
            # The testimony is the source: one language, which its source's page shows.
            change_language(tx, str(row["source_id"]), new["language"])
        return changed, index


def _check_recipient(kind: str, name: str | None) -> str:
    if kind not in RECIPIENT_KINDS:
        raise ValidationError(f"recipient kind {kind!r}: choose one of "
                              f"{', '.join(RECIPIENT_KINDS)}")
    if kind in _UNNAMED:
        return ""
    if not name or not name.strip():
        raise ValidationError(f"a {kind.replace('_', ' ')} recipient needs a name "
                              "(which organisation, mechanism or court)")
    return name.strip()


def set_consent(
    store: Store, testimony_ref: str, recipient_kind: str, recipient: str | None,
    status: str, actor: str, *, date: str | None = None, how: str | None = None,
    informed_defence: bool = False, disclosed: Sequence[str] = (),
) -> int:
    """Record consent (given, refused) or its withdrawal for one recipient.

    A withdrawal lists what was already disclosed to that recipient (``disclosed``: bundle,
    export or publication IDs), so the team knows what can no longer be called back.
    Returns the event's ledger index.
    """
    name = _check_recipient(recipient_kind, recipient)
    if status not in CONSENT_STATES:
        raise ValidationError(f"consent {status!r}: choose one of {', '.join(CONSENT_STATES)}")
    if status == "given" and not how:
        raise ValidationError("say how consent was given (signed form, recorded orally…)")
    if disclosed and status != "withdrawn":
        raise ValidationError("what was already disclosed is listed with a withdrawal only")
    with store.reading() as conn:
        testimony = get_testimony(conn, testimony_ref)
    with store.transaction(actor) as tx:
        return tx.emit("consent.recorded", {
            "id": new_id("consent"), "testimony_id": testimony["id"],
            "source_id": testimony["source_id"], "recipient_kind": recipient_kind,
            "recipient": name, "status": status, "date": date or utc_now()[:10],
            "how": how, "informed_defence": bool(informed_defence),
            "disclosed": list(disclosed), "at": utc_now(),
        })


def consents(conn: Connection, source_id: str) -> list[dict[str, Any]]:
    """The current consent per recipient of a testimony's source (latest event wins)."""
    c = s.consents.c
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in conn.execute(select(s.consents).where(c.source_id == source_id)
                            .order_by(c.ledger_index)).mappings():
        latest[(row["recipient_kind"], row["recipient"])] = dict(row)
    return [latest[k] for k in sorted(latest)]


def consent_allows(
    conn: Connection, source_ids: Sequence[str], recipient_kind: str, recipient: str | None,
) -> bool:
    """Whether every testimony among these sources consents to this recipient now.

    Sources that are not testimonies need no consent. The team holds its own material:
    a testimony with no consent recorded for the team still reaches the team, but no one
    else. This is the consent hook of the one disclosure function (``access``).
    """
    name = _check_recipient(recipient_kind, recipient)
    t = s.testimonies.c
    testimony_sources = set(conn.execute(
        select(t.source_id).where(t.source_id.in_(list(source_ids)))).scalars())
    for source_id in sorted(testimony_sources):
        current = {(r["recipient_kind"], r["recipient"]): r["status"]
                   for r in consents(conn, str(source_id))}
        status = current.get((recipient_kind, name))
        if status is None and recipient_kind == "team":
            continue
        if status != "given":
            return False
    return True


# --- consent in the one disclosure rule (access.disclosure) -----------------------------

#: Tables whose protected rows carry a source's material, and the column naming it.
_CONSENTED = {"sources": "id", "items": "source_id", "item_metadata": "source_id",
              "records": "source_id", "lists": "source_id", "list_imports": "source_id"}


def consent_given(source: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL: the witness of testimony ``source`` consents now (latest consent event per
    recipient wins) to the bound audience (:data:`~dadkhahi.access.disclosure.AUDIENCE_KIND`
    and :data:`~dadkhahi.access.disclosure.AUDIENCE_NAME`)."""
    c = s.consents.c
    # One flat subquery (no EXISTS within EXISTS): the rule nests once per dependency of
    # an object, and SQLite's parser has a depth limit.
    given = func.max(case((c.status == "given", c.ledger_index)))
    return source.in_(
        select(c.source_id)
        .where(c.recipient_kind == bindparam(AUDIENCE_KIND, type_=Text),
               c.recipient == bindparam(AUDIENCE_NAME, type_=Text))
        .group_by(c.source_id)
        .having(given == func.max(c.ledger_index)))


def _consent_rule(column: str) -> ConsentRule:
    def rule(table: FromClause, tier: Tier) -> ColumnElement[bool] | None:
        # The team holds what witnesses gave it; outside the team, protected material
        # goes only where its witness consented to that very recipient. Protected
        # material of other sources has no witness to consent: it goes to no one outside.
        if tier is not Tier.OUTSIDE:
            return None
        return consent_given(table.c[column])
    return rule


#: The consent rules this module plugs into the disclosure rule, by table.
CONSENT_RULES: dict[str, ConsentRule] = {name: _consent_rule(column)
                                         for name, column in _CONSENTED.items()}
for _table, _rule in CONSENT_RULES.items():
    register_consent(_table, _rule)


# --- segments: what the witness knew directly and what by hearsay ---------------------

KNOWLEDGE = ("direct", "hearsay")
#: Most segments in one call (a transcript is split once, in order).
MAX_SEGMENTS = 5000
MAX_SEGMENT_CHARS = 100_000


@dataclass(frozen=True)
class SegmentSpec:
    """One passage of a transcript, exactly as transcribed, and how the witness knows it.

    ``start``/``end``: a time code in seconds of the recording, when there is one.
    """

    text: str
    knowledge: str
    start: float | None = None
    end: float | None = None
    note: str | None = None


def _check_segment(n: int, spec: SegmentSpec) -> None:
    where = f"segment {n + 1}"
    if not spec.text.strip():
        raise ValidationError(f"{where}: text is empty")
    if len(spec.text) > MAX_SEGMENT_CHARS:
        raise ValidationError(f"{where}: text is {len(spec.text):,} characters; at most "
                              f"{MAX_SEGMENT_CHARS:,}")
    if spec.knowledge not in KNOWLEDGE:
        raise ValidationError(f"{where}: knowledge {spec.knowledge!r}: choose direct or "
                              "hearsay")
    for name, value in (("start", spec.start), ("end", spec.end)):
        if value is not None and value < 0:
            raise ValidationError(f"{where}: {name} must be 0 seconds or more")
    if spec.start is not None and spec.end is not None and spec.end < spec.start:
        raise ValidationError(f"{where}: end comes before start")


def add_segments(
    store: Store, testimony_ref: str, segments: Sequence[SegmentSpec], actor: str,
) -> list[str]:
    """Divide a testimony into segments (after any it has), each marked direct or hearsay.

    A segment's text is kept exactly as given and never changed afterwards (a correction
    is a new segment; a translation sits beside it). All or nothing: one bad segment
    refuses them all, naming it. Sealed like the testimony when it is protected.
    """
    if not segments:
        raise ValidationError("no segments given")
    if len(segments) > MAX_SEGMENTS:
        raise ValidationError(f"{len(segments):,} segments; at most {MAX_SEGMENTS:,} at once")
    for n, spec in enumerate(segments):
        _check_segment(n, spec)
    with store.reading() as conn:
        testimony = get_testimony(conn, testimony_ref)
        g = s.testimony_segments.c
        last = conn.execute(select(g.seq).where(g.testimony_id == testimony["id"])
                            .order_by(g.seq.desc()).limit(1)).scalar()
        where = _search_partition(conn, str(testimony["sensitivity"]),
                                  str(testimony["source_id"]))
    first = 0 if last is None else int(last) + 1
    level = str(testimony["sensitivity"])
    ids: list[str] = []
    passages: list[Passage] = []
    with store.transaction(actor) as tx:
        rows = []
        for n, spec in enumerate(segments):
            sid = new_id("segment")
            row: dict[str, Any] = {
                "id": sid, "testimony_id": testimony["id"],
                "source_id": testimony["source_id"], "seq": first + n, "text": spec.text,
                "knowledge": spec.knowledge, "start": spec.start, "end": spec.end,
                "note": spec.note, "sensitivity": level}
            if level == str(Sensitivity.PROTECTED):
                row = tx.seal_protected("segment", row, sid)
            rows.append(row)
            ids.append(sid)
            passages.append(Passage(sid, first + n, spec.text))
        tx.emit("testimony.segmented", {"testimony_id": testimony["id"], "segments": rows})
        _index(store, tx.conn, testimony, where, passages)
    return ids


def _search_partition(conn: Connection, level: str, source_id: str) -> str:
    """The full-text partition of a testimony's passages (its level and its source's)."""
    source_level = conn.execute(select(s.sources.c.sensitivity).where(
        s.sources.c.id == source_id)).scalar_one()
    return partition_for(level, str(source_level), source_id)


def _index(store: Store, conn: Connection, testimony: Mapping[str, Any], partition: str,
           passages: Sequence[Passage]) -> None:
    """Index passages of a testimony for full-text search, in the caller's transaction
    (a protected testimony's words as keyed hashes, under its source's search key)."""
    source_id = str(testimony["source_id"])
    key = (store.keys.subkey(f"search-tokens {source_id}") if is_protected(partition)
           else None)
    index_passages(conn, testimony_id=str(testimony["id"]), source_id=source_id,
                   partition=partition, passages=passages, token_key=key)


def add_translation(
    store: Store, segment_id: str, language: str, text: str, actor: str, *,
    translator: str | None = None, method: str = "human",
) -> str:
    """Keep a translation beside a segment (the segment's own text is left as it is).

    ``method`` says how it was made (``human``: machine translation is out of reach
    offline). Several translations of one segment, even in one language, are all kept.
    """
    if not text.strip():
        raise ValidationError("the translation is empty")
    if len(text) > MAX_SEGMENT_CHARS:
        raise ValidationError(f"the translation is {len(text):,} characters; at most "
                              f"{MAX_SEGMENT_CHARS:,}")
    if not language.strip() or len(language) > 35:
        raise ValidationError("give the translation's language (a code such as en or fa)")
    with store.reading() as conn:
        segment = conn.execute(select(s.testimony_segments).where(
            s.testimony_segments.c.id == segment_id)).mappings().first()
        if segment is None:
            raise NotFoundError(f"no segment {segment_id!r}")
        where = _search_partition(conn, str(segment["sensitivity"]),
                                  str(segment["source_id"]))
    tid = new_id("translation")
    row: dict[str, Any] = {
        "id": tid, "segment_id": segment_id, "testimony_id": segment["testimony_id"],
        "source_id": segment["source_id"], "language": language.strip(), "text": text,
        "translator": translator, "method": method, "created_at": utc_now(),
        "sensitivity": segment["sensitivity"]}
    with store.transaction(actor) as tx:
        if segment["sensitivity"] == str(Sensitivity.PROTECTED):
            row = tx.seal_protected("translation", row, tid)
        tx.emit("segment.translated", row)
        _index(store, tx.conn, {"id": segment["testimony_id"],
                                "source_id": segment["source_id"]}, where,
               [Passage(segment_id, int(segment["seq"]), text, tid)])
    return tid


def index_unindexed(store: Store) -> int:
    """Index every segment and translation that has no full-text index row (recorded
    before passages were indexed), a testimony per transaction; returns the passages
    indexed. Sealed words are opened to be tokenised (and stored as keyed hashes); an
    erased passage has no words left and is passed over. For ``documents reindex``."""
    g, tr, ix = s.testimony_segments.c, s.segment_translations.c, s.search_segments.c
    # Through the testimony's index rows (ix_search_segments_testimony_id), not a scan.
    indexed_segment = select(ix.id).where(ix.testimony_id == g.testimony_id,
                                          ix.segment_id == g.id, ix.translation_id.is_(None))
    indexed_translation = select(ix.id).where(ix.testimony_id == tr.testimony_id,
                                              ix.translation_id == tr.id)
    with store.reading() as conn:
        waiting = sorted(set(conn.execute(
            select(g.testimony_id).where(~indexed_segment.exists())).scalars())
            | set(conn.execute(select(tr.testimony_id).where(
                ~indexed_translation.exists())).scalars()))
    done = 0
    for testimony_id in waiting:
        with write_transaction(store.engine) as conn:
            testimony = dict(conn.execute(select(s.testimonies.c.id, s.testimonies.c.source_id,
                                                 s.testimonies.c.sensitivity).where(
                s.testimonies.c.id == testimony_id)).mappings().one())
            segments = [store.keys.open_row(conn, dict(r)) for r in conn.execute(
                select(g.id, g.sealed, g.seq, g.text).where(
                    g.testimony_id == testimony_id, ~indexed_segment.exists())
                .order_by(g.seq)).mappings()]
            seqs = dict(conn.execute(select(g.id, g.seq).where(
                g.testimony_id == testimony_id)).all())
            translations = [store.keys.open_row(conn, dict(r)) for r in conn.execute(
                select(tr.id, tr.sealed, tr.segment_id, tr.text).where(
                    tr.testimony_id == testimony_id, ~indexed_translation.exists())
                .order_by(tr.ledger_index, tr.id)).mappings()]
            passages = [Passage(str(r["id"]), int(r["seq"]), str(r["text"]))
                        for r in segments if not r.get("erased")]
            passages += [Passage(str(r["segment_id"]), int(seqs[r["segment_id"]]),
                                 str(r["text"]), str(r["id"]))
                         for r in translations if not r.get("erased")]
            where = _search_partition(conn, str(testimony["sensitivity"]),
                                      str(testimony["source_id"]))
            _index(store, conn, testimony, where, passages)
            done += len(passages)
    return done


def segments_of(store: Store, conn: Connection, testimony_id: str) -> list[dict[str, Any]]:
    """A testimony's segments in order, each with its translations (sealed fields opened:
    the caller decides who may see them)."""
    g, tr = s.testimony_segments.c, s.segment_translations.c
    segments = [_open(store, conn, dict(r)) for r in conn.execute(
        select(s.testimony_segments).where(g.testimony_id == testimony_id)
        .order_by(g.seq)).mappings()]
    translations: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(select(s.segment_translations).where(
            tr.testimony_id == testimony_id).order_by(tr.ledger_index, tr.id)).mappings():
        row = _open(store, conn, dict(r))
        translations.setdefault(str(row["segment_id"]), []).append(row)
    for segment in segments:
        segment["translations"] = translations.get(str(segment["id"]), [])
    return segments


def _open(store: Store, conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
    row.pop("ledger_index", None)
    return store.keys.open_row(conn, row)


def testimony_details(store: Store, conn: Connection, ref: str) -> dict[str, Any]:
    """A testimony with its sealed fields opened, its current consents and its segments."""
    row = get_testimony(conn, ref)
    shown = _open(store, conn, dict(row))
    shown["consents"] = [{k: v for k, v in c.items() if k != "ledger_index"}
                         for c in consents(conn, str(row["source_id"]))]
    shown["segments"] = segments_of(store, conn, str(row["id"]))
    return shown


def erase_testimony(store: Store, ref: str, reason: str, actor: str) -> list[int]:
    """Erase a protected testimony by erasing its source (``intake.erasure.erase_source``):
    every key sealing its source, its interviews, segments and translations, and every
    fact told from it (claims, involvements, the acts whose account cites it, their case
    links and gap marks) is destroyed, one ``key.destroyed`` event each, in one
    transaction, then the store is scrubbed. Returns the events' indices.

    One erasure rule: a witness who withdraws must leave nothing readable behind, and what
    the team wrote from the testimony (an act's description, a case link's note) repeats
    it. A testimony has a source of its own (:func:`add_testimony`), so erasing that
    source takes no other witness's words.
    """
    # Imported here: erasure is rare, and store.erase is not needed to record testimonies.
    from dadkhahi.intake.erasure import erase_source

    with store.reading() as conn:
        testimony = get_testimony(conn, ref)
        source_sealed = conn.execute(select(s.sources.c.sealed).where(
            s.sources.c.id == testimony["source_id"])).scalar_one_or_none()
    if not (testimony["sealed"] or source_sealed):
        raise ValidationError("this testimony holds no sealed fields to erase (it is not "
                              "protected)")
    return erase_source(store, str(testimony["source_id"]), reason, actor)
