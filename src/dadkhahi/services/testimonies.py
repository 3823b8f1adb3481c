"""Testimonies on a user's behalf: list and show them, record one, record consent, divide
it into segments and keep translations beside them.

A testimony is shown only as its source may be disclosed to the caller, by the one
disclosure rule (:func:`dadkhahi.access.disclosure.may_disclose` with the caller as its
audience; the witness's consent is that rule's hook for recipients outside the team):
anyone else is told "not found", never "forbidden". A protected testimony shown is
audited. Recording a testimony, a change of its interview, consent, segments or
translations adds evidence (``add_evidence``); a new protected testimony's source is
granted to its creator in the same write, as a new protected source is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from dadkhahi.access import grants
from dadkhahi.access.audit import record_reads
from dadkhahi.access.disclosure import bind, disclosable_ids, may_disclose
from dadkhahi.access.policy import Permission, Principal, audience, require
from dadkhahi.access.reads import keyset_page
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import testimonies as t
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def _disclosed(store: Store, principal: Principal, ref: str) -> dict[str, Any]:
    """The testimony's row if its source may go to the caller; NotFoundError if not."""
    with store.reading() as conn:
        try:
            row = t.get_testimony(conn, ref)
        except NotFoundError:
            raise NotFoundError(f"no testimony {ref!r}") from None
        if not may_disclose(conn, ("source", str(row["source_id"])), audience(principal)):
            raise NotFoundError(f"no testimony {ref!r}")
    return row


#: Testimonies listed at once.
PAGE_SIZE = 50
#: What a list shows of each testimony (the interview's date and language opened).
_LISTED = ("id", "source_id", "pseudonym", "sensitivity", "created_at", "interview_date",
           "language")


#: What the list of testimonies may be sorted by (``-`` first: descending).
SORTS = ("-created_at", "created_at", "pseudonym", "-pseudonym")


def list_for(store: Store, principal: Principal, *, limit: int = PAGE_SIZE,
             sensitivity: Sensitivity | None = None, sort: str = "-created_at",
             cursor: str | None = None) -> dict[str, Any]:
    """The testimonies whose source may go to the caller (the one disclosure rule, in
    SQL), newest first by default (``sort``: one of :data:`SORTS`, the ID breaking ties),
    of one ``sensitivity`` when given, each with its interview's date and language and
    how many segments it has; the protected ones listed are audited (their fields are
    sealed). Paged in SQL after ``cursor`` (a sealed row key: ``next_cursor``, None on
    the last page), as every list is (``access.reads.keyset_page``)."""
    if sort not in SORTS:
        raise ValidationError(f"sort by one of {', '.join(SORTS)}")
    who = audience(principal)
    t = s.testimonies.c
    stmt = select(s.testimonies).where(t.source_id.in_(disclosable_ids(who, s.sources)))
    if sensitivity is not None:
        stmt = stmt.where(t.sensitivity == str(sensitivity))
    with store.reading() as conn:
        rows, next_cursor = keyset_page(store, conn, stmt, t[sort.lstrip("-")], t.id,
                                        descending=sort.startswith("-"), cursor=cursor,
                                        limit=limit, bound=bind(who))
        g = s.testimony_segments.c
        counts = {str(tid): int(n) for tid, n in conn.execute(
            select(g.testimony_id, func.count()).where(
                g.testimony_id.in_([str(r["id"]) for r in rows]))
            .group_by(g.testimony_id))} if rows else {}
        opened = store.keys.open_rows(conn, rows)  # their keys in one statement
    record_reads(store, principal, "testimonies", [
        ("testimony", str(r["id"])) for r in rows
        if r["sensitivity"] == str(Sensitivity.PROTECTED)])
    return {"testimonies": [{**{k: r.get(k) for k in _LISTED},
                             "segments": int(counts.get(str(r["id"]), 0))} for r in opened],
            "next_cursor": next_cursor}


def add_for(store: Store, principal: Principal, spec: t.TestimonySpec) -> dict[str, str]:
    """Record a testimony (``add_evidence``); answers its IDs and the witness's pseudonym."""
    require(principal, Permission.ADD_EVIDENCE)
    with store.transaction(principal.name) as tx:
        made = t.record_testimony(store, tx, spec)
        if spec.sensitivity is Sensitivity.PROTECTED and principal.user_id:
            grants.grant_in(tx, made["source_id"], principal.user_id)
    return made


def show_for(store: Store, principal: Principal, ref: str) -> dict[str, Any]:
    """A testimony as the caller may see it: its interview, consents and segments with
    their translations (everything sealed opened, the read audited when protected)."""
    row = _disclosed(store, principal, ref)
    with store.reading() as conn:
        shown = t.testimony_details(store, conn, str(row["id"]))
    if row["sensitivity"] == str(Sensitivity.PROTECTED):
        record_reads(store, principal, "testimony", [("testimony", str(row["id"])),
                                                     ("source", str(row["source_id"]))])
    # The version a change of the interview names (as the row was when read).
    shown["version"] = int(row["ledger_index"])
    return shown


def interview_for(store: Store, principal: Principal, ref: str, fields: Mapping[str, Any],
                  expected_version: int) -> dict[str, Any]:
    """Change the interview's circumstances (``add_evidence``): the fields given, one
    ``testimony.interview_changed`` event sealed as the testimony is (none when nothing
    changes), if the testimony is still at the version the caller read
    (``VersionMismatchError`` otherwise). Answers the names of the fields changed and
    the testimony's version."""
    row = _disclosed(store, principal, ref)
    require(principal, Permission.ADD_EVIDENCE)
    changed, index = t.change_interview(store, str(row["id"]), fields, principal.name,
                                        expected_version=expected_version)
    return {"testimony_id": row["id"], "changed": changed,
            "version": int(row["ledger_index"]) if index is None else index}


def consent_for(
    store: Store, principal: Principal, ref: str, recipient_kind: str, recipient: str | None,
    status: str, *, date: str | None, how: str | None, informed_defence: bool,
    disclosed: Sequence[str],
) -> dict[str, Any]:
    """Record a witness's consent for one recipient, or its withdrawal (``add_evidence``)."""
    row = _disclosed(store, principal, ref)
    require(principal, Permission.ADD_EVIDENCE)
    index = t.set_consent(store, str(row["id"]), recipient_kind, recipient, status,
                          principal.name, date=date, how=how,
                          informed_defence=informed_defence, disclosed=disclosed)
    return {"testimony_id": row["id"], "event": index}


def segments_for(store: Store, principal: Principal, ref: str,
                 segments: Sequence[t.SegmentSpec]) -> dict[str, Any]:
    """Divide a testimony into segments, each direct or hearsay (``add_evidence``)."""
    row = _disclosed(store, principal, ref)
    require(principal, Permission.ADD_EVIDENCE)
    ids = t.add_segments(store, str(row["id"]), segments, principal.name)
    return {"testimony_id": row["id"], "segment_ids": ids}


def translation_for(
    store: Store, principal: Principal, ref: str, segment_id: str, language: str, text: str,
    translator: str | None,
) -> dict[str, Any]:
    """Keep a translation beside one of the testimony's segments (``add_evidence``)."""
    row = _disclosed(store, principal, ref)
    with store.reading() as conn:
        found = conn.execute(s.testimony_segments.select().where(
            s.testimony_segments.c.id == segment_id,
            s.testimony_segments.c.testimony_id == row["id"])).first()
    if found is None:
        raise NotFoundError(f"no segment {segment_id!r} in this testimony")
    require(principal, Permission.ADD_EVIDENCE)
    tid = t.add_translation(store, segment_id, language, text, principal.name,
                            translator=translator)
    return {"segment_id": segment_id, "translation_id": tid}
