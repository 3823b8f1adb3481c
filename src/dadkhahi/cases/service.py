"""What the API and pages ask of cases: only the case's team reads a case, every read audited.

A case is a grant scope: a caller who holds no grant on it gets the same 404 as for a
case that does not exist (its existence is not revealed), whatever their role.
Changes follow the services' one order: what the request names must be visible to the
caller (404), then the role must allow it (403, 401 when not signed in): opening a
case, charging and linking facts, and marking gaps are review work (``Permission.REVIEW``: lawyers,
analysts, investigators, admins). Whoever opens a case is its first team member.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Permission, Principal, Role, require
from dadkhahi.access.reads import keyset_page, visible_row
from dadkhahi.cases.case import (
    FACT_KINDS,
    Case,
    Scope,
    add_charge,
    case_members,
    create_case,
    link_fact,
    list_cases,
    load_case,
)
from dadkhahi.cases.frameworks import frameworks
from dadkhahi.cases.gaps import gap_entries, gap_marks, mark_gap
from dadkhahi.cases.matrix import DEFAULT_THRESHOLD, element_rows, matrix_records, suspect_labels
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import Credibility, Direction, GapStatus, Reliability
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

_FACT_TABLES = {"act": s.acts, "involvement": s.involvements, "claim": s.claims}


def _member_case(store: Store, principal: Principal, case_id: str) -> Case:
    with store.reading() as conn:
        # A viewer sees public data only, team or not.
        known = principal.team and principal.user_id is not None and \
            principal.user_id in case_members(conn, case_id)
        if not known:
            raise NotFoundError(f"no case {case_id!r}")
        return load_case(store, conn, case_id)


def my_cases(store: Store, principal: Principal) -> list[dict[str, Any]]:
    """The cases whose team the caller is on (none for anyone else); audited."""
    if principal.user_id is None or not principal.team:
        return []
    with store.reading() as conn:
        found = [c.summary() for c in list_cases(store, conn, principal.user_id)]
    record_reads(store, principal, "cases.list", [("case", c["id"]) for c in found])
    return found


#: What the list of cases may be sorted by (``-`` first: descending).
CASE_SORTS = ("-created_at", "created_at")


def cases_page(
    store: Store, principal: Principal, *, sort: str = "-created_at",
    cursor: str | None = None, limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the cases whose team the caller is on (none for anyone else), newest
    first by default (the ID breaking ties), the team read in SQL and paged there; the
    next page's cursor. Audited, as :func:`my_cases`."""
    if sort not in CASE_SORTS:
        raise ValidationError(f"sort by one of {', '.join(CASE_SORTS)}")
    if principal.user_id is None or not principal.team:
        return [], None
    c, g = s.cases.c, s.access_grants.c
    stmt = select(s.cases).where(c.id.in_(select(g.scope_id).where(
        g.user_id == principal.user_id)))
    with store.reading() as conn:
        rows, next_cursor = keyset_page(store, conn, stmt, c.created_at, c.id,
                                        descending=sort.startswith("-"), cursor=cursor,
                                        limit=limit)
        found = [load_case(store, conn, str(r["id"])).summary() for r in rows]
    record_reads(store, principal, "cases.list", [("case", x["id"]) for x in found])
    return found, next_cursor


def case_matrix(store: Store, principal: Principal, case_id: str,
                threshold: int = DEFAULT_THRESHOLD, language: str = "en") -> dict[str, Any]:
    """A case, its charges and its evidence matrix, for a member of its team; audited.
    ``language``: of the crimes' and elements' words, as their framework states them."""
    case = _member_case(store, principal, case_id)
    with store.reading() as conn:
        rows = element_rows(store, conn, case, language=language)
        labels = suspect_labels(store, conn, case.scope.suspects)
    record_reads(store, principal, "cases.read", [("case", case.id)])
    # Each row also carries its element's standing as values (not words), so a page
    # words it in its own language; "status" stays the English of the CSV and bundle.
    standing = {(r.charge_id, r.element_id): r.standing(threshold) for r in rows}
    return {**case.summary(), "charges": [vars(c) for c in case.charges],
            "threshold": threshold,
            "suspects": [{"id": pid, "label": labels.get(pid, pid)}
                         for pid in case.scope.suspects],
            "matrix": [{**rec, "standing": standing[(rec["charge_id"], rec["element_id"])]}
                       for rec in matrix_records(rows, threshold)]}


def case_gaps(store: Store, principal: Principal, case_id: str,
              threshold: int = DEFAULT_THRESHOLD, language: str = "en") -> list[dict[str, Any]]:
    """The gap report of a case, for a member of its team, each gap with its mark (status
    and note, or None); audited. ``language`` as for :func:`case_matrix`."""
    case = _member_case(store, principal, case_id)
    with store.reading() as conn:
        rows = element_rows(store, conn, case, language=language)
        marks = gap_marks(store, conn, case)
    record_reads(store, principal, "cases.gaps", [("case", case.id)])
    return gap_entries(rows, threshold, marks)


def mark(store: Store, principal: Principal, case_id: str, charge_id: str, element_id: str,
         status: GapStatus, note: str) -> dict[str, Any]:
    """Mark a gap of the case's evidence with a status and a note (team members who may
    review); the note is sealed with the case, and the mark is never support."""
    case = _member_case(store, principal, case_id)
    require(principal, Permission.REVIEW)
    mark_id = mark_gap(store, principal.name, case.id, charge_id, element_id, status, note)
    return {"id": mark_id, "case_id": case.id, "charge_id": case.charge(charge_id).id,
            "element_id": element_id, "status": str(status)}


def open_case(store: Store, principal: Principal, title: str, scope: Scope) -> dict[str, Any]:
    """Open a sealed case over visible suspects, acts and places; the caller is its team."""
    with store.reading() as conn:
        for ids, table, what in ((scope.suspects, s.persons, "person"),
                                 (scope.acts, s.acts, "act"), (scope.places, s.places, "place")):
            for ident in ids:
                visible_row(conn, principal, table, ident, what)
    require(principal, Permission.REVIEW)
    if principal.user_id is None:  # a role without an account: nobody to give the case to
        raise ValidationError("a case is opened by a signed-in user, its first team member")
    case_id = create_case(store, principal.name, title, scope, members=[principal.user_id])
    return case_matrix(store, principal, case_id)


def charge(store: Store, principal: Principal, case_id: str, suspect_id: str,
           framework_id: str, crime_id: str, mode_id: str) -> dict[str, Any]:
    """Charge a suspect of the case's scope (team members only)."""
    case = _member_case(store, principal, case_id)
    require(principal, Permission.REVIEW)
    charge_id = add_charge(store, principal.name, case.id, suspect_id, framework_id, crime_id,
                           mode_id)
    return {"id": charge_id, "case_id": case.id, "suspect_id": suspect_id,
            "framework_id": framework_id, "crime_id": crime_id, "mode_id": mode_id}


def link(store: Store, principal: Principal, case_id: str, charge_id: str, element_id: str,
         fact_kind: str, fact_id: str, *, reliability: Reliability, credibility: Credibility,
         how: str, direction: Direction) -> dict[str, Any]:
    """Link a fact the caller can see to one element of a charge (team members only)."""
    case = _member_case(store, principal, case_id)
    if fact_kind not in FACT_KINDS:
        raise ValidationError(f"a fact is one of {', '.join(FACT_KINDS)}, not {fact_kind!r}")
    with store.reading() as conn:
        visible_row(conn, principal, _FACT_TABLES[fact_kind], fact_id, fact_kind)
    require(principal, Permission.REVIEW)
    link_id = link_fact(store, principal.name, case.id, charge_id, element_id, fact_kind,
                        fact_id, reliability=reliability, credibility=credibility, how=how,
                        direction=direction)
    return {"id": link_id, "case_id": case.id, "charge_id": charge_id,
            "element_id": element_id, "fact_kind": fact_kind, "fact_id": fact_id,
            "direction": str(direction)}


def request_bundle(store: Store, principal: Principal, case_id: str, recipient: str,
                   encrypt_to: str | None = None) -> dict[str, Any]:
    """Queue the court bundle of a case for ``recipient`` (team members who may review).

    The recipient and the age recipient are sealed in the job's parameters
    (:func:`dadkhahi.cases.jobs.queue_bundle`); the answer is the job as
    :func:`case_bundles` shows it.
    """
    from dadkhahi.cases.jobs import queue_bundle

    case = _member_case(store, principal, case_id)
    require(principal, Permission.REVIEW)
    job = queue_bundle(store, principal.name, case.id, recipient=recipient,
                       encrypt_to=encrypt_to, created_by=principal.user_id)
    return _bundle_view(job)


def _bundle_view(job: Any) -> dict[str, Any]:
    # Never the parameters: they hold the sealed recipient, which a page has no use for.
    return {"id": job.id, "state": str(job.state), "created_at": job.created_at,
            "finished_at": job.finished_at,
            "progress": {"done": job.progress_done, "total": job.progress_total,
                         "note": job.progress_note},
            "result": job.result, "error": job.error}


def _may_fetch(principal: Principal, job: Any, case_id: str) -> bool:
    """A bundle job is the business of whoever asked for it (and of admins), while they
    are on the case's team (checked by the caller)."""
    from dadkhahi.cases.jobs import JOB_KIND

    return job.kind == JOB_KIND and job.params.get("case_id") == case_id and (
        job.created_by == principal.user_id or principal.role is Role.ADMIN)


def case_bundles(store: Store, principal: Principal, case_id: str,
                 limit: int = 20, *, audited: bool = True) -> list[dict[str, Any]]:
    """The court bundles of a case the caller asked for (every one, for an admin on the
    team), newest first; 404 off the team. Audited as a read of the case
    (``cases.bundles``) unless ``audited`` is False: the case page, whose own read of the
    case is audited, and its polls of the same list."""
    from dadkhahi.jobs import queue

    case = _member_case(store, principal, case_id)
    mine = None if principal.role is Role.ADMIN else principal.user_id
    found = [j for j in queue.list_jobs(store, created_by=mine, limit=1000)
             if _may_fetch(principal, j, case.id)]
    if audited:
        record_reads(store, principal, "cases.bundles", [("case", case.id)])
    return [_bundle_view(j) for j in found[:limit]]


def bundle_download(store: Store, principal: Principal, case_id: str, job_id: str) -> Path:
    """The finished bundle's archive, for whoever may see the job on the case's team;
    the download is audited (``cases.bundle_download``, naming the case and the export)
    before the path is handed out. 404 for anything else, as for a job that does not
    exist."""
    from dadkhahi.cases.jobs import bundle_archive
    from dadkhahi.jobs import queue

    case = _member_case(store, principal, case_id)
    try:
        job = queue.get(store, job_id)
    except NotFoundError:
        job = None
    if job is None or not _may_fetch(principal, job, case.id) or job.state != "succeeded":
        raise NotFoundError("no such bundle")
    path = bundle_archive(store, job.id)
    if not path.is_file():
        raise NotFoundError("no such bundle")
    export_id = str((job.result or {}).get("export_id", ""))
    record_reads(store, principal, "cases.bundle_download",
                 [("case", case.id), *([("export", export_id)] if export_id else [])])
    return path


def charge_choices() -> list[dict[str, Any]]:
    """What a charge can name: each framework with its crimes (and their elements) and its
    modes of liability, in English and Persian (the frameworks' own data)."""
    return [{"id": fw.id, "title": fw.title, "crimes": [
                {"id": c.id, "title": c.title, "elements": fw.elements_of(c.id)}
                for c in fw.crimes],
             "modes": fw.modes_of_liability} for fw in frameworks()]


__all__ = ["bundle_download", "case_bundles", "case_gaps", "case_matrix", "charge",
           "charge_choices", "link", "mark", "my_cases", "open_case", "request_bundle"]
