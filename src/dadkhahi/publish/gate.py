"""The editorial gate: who may be published, who is held back and why, withdrawals.

One wrong merge would put a victim's facts on someone else's page, or take a page
away: the very harm the memorial answers. So a person is published only when

* every source it comes from (its records' sources and its claims' supports) has been
  approved for publication (``publish.approved``) *after* the person's records last
  changed, a record joining or leaving it (a person whose cluster changes after
  approval goes back to review);
* none of its records waits in the last linkage run's review queue;
* it is a victim: a record on a list whose kind is ``victims``, a public claim that
  they were executed or killed (``fate``), or a public victim involvement in an
  execution or killing;
* it is public under the one disclosure rule (a non-public person is simply absent).

A family may ask that a name be withdrawn (``publish.withdrawn``, the reason sealed):
the page stays at its address as a nameless tombstone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from dadkhahi.access.disclosure import Audience, bind, condition
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.vocab import HIDDEN_CLAIM_STATUSES, ActType, InvolvementRole, ListKind
from dadkhahi.intake.list_description import list_kinds
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: Claim property and values that say a person was killed (besides a victims list).
FATE = "fate"
KILLED = frozenset({"executed", "killed"})
_KILLING_ACTS = (str(ActType.EXECUTION), str(ActType.EXTRAJUDICIAL_KILLING))

#: Reasons a person is held back, as the build report says them.
NOT_APPROVED = "a source it comes from is not approved for publication"
CHANGED = "its records changed after its sources were approved (approve again)"
PENDING = "a pair of its records waits for review"
NOT_VICTIM = "not known as a victim (no victims list, no public claim of execution or killing)"
NO_NAME = "no public, sourced name"


@dataclass
class GateResult:
    """Who passes the gate, who is withdrawn, and who is held back with which reasons."""

    published: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    held: dict[str, list[str]] = field(default_factory=dict)


def approve(store: Store, actor: str, source_ids: Iterable[str] = (), *,
            all_sources: bool = False) -> list[str]:
    """Approve sources for publication (one ``publish.approved`` event); returns them.

    ``all_sources``: every source the store holds now (the event lists them, so a
    source registered later is not approved by it).
    """
    wanted = sorted(set(source_ids))
    if not wanted and not all_sources:
        raise UserError("name a source to approve (--source SRC) or --all")
    with store.transaction(actor) as tx:
        known = {str(r[0]) for r in tx.conn.execute(select(s.sources.c.id))}
        if all_sources:
            wanted = sorted(known)
        missing = [w for w in wanted if w not in known]
        if missing:
            raise NotFoundError(f"no source {missing[0]!r}")
        if not wanted:
            raise UserError("the store holds no source to approve")
        tx.emit("publish.approved", {"source_ids": wanted, "all": all_sources})
    return wanted


def withdraw(store: Store, actor: str, person_id: str, reason: str) -> int:
    """A family's request that a name be withdrawn: its page becomes a nameless tombstone.

    The reason is sealed under its own data key: it may name the family.
    """
    if not reason.strip():
        raise UserError("give the reason for the withdrawal (it is kept sealed)")
    with store.transaction(actor) as tx:
        found = tx.conn.execute(
            select(s.persons.c.id).where(s.persons.c.id == person_id)).first()
        if found is None:
            raise NotFoundError(f"no person {person_id!r}")
        sealed = tx.seal({"reason": reason}, person_id)
        return tx.emit("publish.withdrawn", {"person_id": person_id, "sealed": sealed})


def _pending_records(conn: Connection) -> set[str]:
    """Records in an undecided pair of the last model run's review queue."""
    r = s.link_runs.c
    run = conn.execute(select(r.id).where(r.kind == "model")
                       .order_by(r.ledger_index.desc()).limit(1)).scalar()
    if run is None:
        return set()
    lr, d = s.link_review.c, s.link_decisions.c
    decided = select(d.id).where(d.record_a == lr.record_a, d.record_b == lr.record_b)
    out: set[str] = set()
    for a, b in conn.execute(select(lr.record_a, lr.record_b)
                             .where(lr.run_id == run, ~decided.exists())):
        out.update((str(a), str(b)))
    return out


def evaluate(store: Store, conn: Connection, names: set[str]) -> GateResult:
    """Apply the gate to every public person; ``names``: persons with a public name claim.

    A protected list's kind is sealed: it is opened with the store's keys (a record on
    an approved protected list of victims counts, as any approved source does).
    """
    public = Audience.public()
    params = bind(public)
    p = s.persons.c
    persons = sorted(str(r[0]) for r in conn.execute(
        select(p.id).where(condition(public, s.persons)), params))
    withdrawn = {str(r[0]) for r in conn.execute(
        select(s.publication_withdrawals.c.person_id))}
    approved: dict[str, int] = {
        str(src): int(idx) for src, idx in conn.execute(
            select(s.publication_approvals.c.source_id,
                   func.max(s.publication_approvals.c.ledger_index))
            .group_by(s.publication_approvals.c.source_id))}

    pr, rec, li = s.person_records.c, s.records.c, s.list_imports.c
    sources: dict[str, set[str]] = defaultdict(set)
    changed_at: dict[str, int] = {}
    records_of: dict[str, set[str]] = defaultdict(set)
    victims: set[str] = set()
    kinds = list_kinds(store, conn)
    rows = conn.execute(
        select(pr.person_id, pr.record_id, pr.ledger_index, rec.source_id, li.list_id)
        .join(s.records, rec.id == pr.record_id)
        .outerjoin(s.list_imports, li.id == rec.import_id))
    for pid, rid, idx, src, list_id in rows:
        pid = str(pid)
        sources[pid].add(str(src))
        records_of[pid].add(str(rid))
        changed_at[pid] = max(changed_at.get(pid, -1), int(idx))
        if kinds.get(str(list_id)) == str(ListKind.VICTIMS):
            victims.add(pid)

    # A person that lost records (the larger part of a split keeps its ID, and its
    # remaining records did not move) changed too.
    lin = s.person_lineage.c
    for pid, idx in conn.execute(select(lin.from_person, func.max(lin.ledger_index))
                                 .group_by(lin.from_person)):
        pid = str(pid)
        if pid in changed_at:
            changed_at[pid] = max(changed_at[pid], int(idx))

    c, cs = s.claims.c, s.claim_support.c
    for pid, src in conn.execute(
            select(c.entity_id, cs.source_id).join(s.claim_support, cs.claim_id == c.id)
            .where(c.entity_kind == "person", c.status != "superseded")):
        sources[str(pid)].add(str(src))
    victims.update(_fate_values(conn, params))
    inv, act = s.involvements.c, s.acts.c
    victims.update(str(r[0]) for r in conn.execute(
        select(inv.person_id).join(s.acts, act.id == inv.act_id)
        .where(inv.role == str(InvolvementRole.VICTIM), act.type.in_(_KILLING_ACTS),
               condition(public, s.involvements)), params) if r[0] is not None)

    pending = _pending_records(conn)
    result = GateResult()
    for pid in persons:
        if pid in withdrawn:
            result.withdrawn.append(pid)
            continue
        reasons: list[str] = []
        srcs = sources.get(pid, set())
        if not srcs or any(src not in approved for src in srcs):
            reasons.append(NOT_APPROVED)
        elif changed_at.get(pid, -1) > min(approved[src] for src in srcs):
            reasons.append(CHANGED)
        if records_of.get(pid, set()) & pending:
            reasons.append(PENDING)
        if pid not in victims:
            reasons.append(NOT_VICTIM)
        if pid not in names:
            reasons.append(NO_NAME)
        if reasons:
            result.held[pid] = reasons
        else:
            result.published.append(pid)
    return result


def _fate_values(conn: Connection, params: dict[str, object]) -> set[str]:
    """Persons with a public ``fate`` claim saying executed or killed."""
    c = s.claims.c
    found: set[str] = set()
    for pid, value in conn.execute(
            select(c.entity_id, c.value).where(
                c.entity_kind == "person", c.property == FATE,
                c.status.not_in(HIDDEN_CLAIM_STATUSES),
                condition(Audience.public(), s.claims)), params):
        if str(value).strip().lower() in KILLED:
            found.add(str(pid))
    return found
