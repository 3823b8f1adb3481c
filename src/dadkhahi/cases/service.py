"""What the API and pages ask of cases: only the case's team reads a case, every read audited.

A case is a grant scope: a caller who holds no grant on it gets the same 404 as for a
case that does not exist (its existence is not revealed), whatever their role.
"""

from __future__ import annotations

from typing import Any

from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Principal
from dadkhahi.cases.case import Case, case_members, list_cases, load_case
from dadkhahi.cases.matrix import DEFAULT_THRESHOLD, element_rows, matrix_records
from dadkhahi.domain.errors import NotFoundError
from dadkhahi.store.store import Store


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


def case_matrix(store: Store, principal: Principal, case_id: str,
                threshold: int = DEFAULT_THRESHOLD) -> dict[str, Any]:
    """A case, its charges and its evidence matrix, for a member of its team; audited."""
    case = _member_case(store, principal, case_id)
    with store.reading() as conn:
        rows = element_rows(store, conn, case)
    record_reads(store, principal, "cases.read", [("case", case.id)])
    return {**case.summary(), "charges": [vars(c) for c in case.charges],
            "threshold": threshold, "matrix": matrix_records(rows, threshold)}


def case_gaps(store: Store, principal: Principal, case_id: str,
              threshold: int = DEFAULT_THRESHOLD) -> list[dict[str, Any]]:
    """The gap report of a case, for a member of its team; audited."""
    case = _member_case(store, principal, case_id)
    with store.reading() as conn:
        rows = element_rows(store, conn, case)
    record_reads(store, principal, "cases.gaps", [("case", case.id)])
    return [{"charge_id": r.charge_id, "crime": r.crime, "suspect": r.suspect,
             "element_number": r.number, "element_id": r.element_id,
             "independent_sources": r.independent, "status": r.status(threshold),
             "line": r.gap_line(threshold)}
            for r in rows if r.is_gap(threshold)]


__all__ = ["case_gaps", "case_matrix", "my_cases"]
