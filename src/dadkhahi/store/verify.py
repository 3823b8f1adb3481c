"""Full verification: the log, its tree, its checkpoints, and the tables it explains.

Nothing here trusts a stored hash it can recompute. The order of checks goes
from the bytes up: event bodies → leaf hashes → every stored tree node → every
signed checkpoint → a replay of all events into a scratch database compared
row by row with the live tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, Text, create_engine, select
from sqlalchemy.pool import StaticPool

from dadkhahi.ledger import merkle
from dadkhahi.ledger.checkpoint import Checkpoint, NoteVerifier, open_note
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.events import leaf_bytes
from dadkhahi.ledger.redaction import REDACTION_EVENT, redaction_of, redaction_problem
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.projection import OpBuffer, project

Progress = Callable[[str, int], None]


@dataclass
class Finding:
    """One thing wrong, with the first event it points to (if any)."""

    check: str
    message: str
    event: int | None = None


@dataclass
class VerifyReport:
    size: int = 0
    root_hash: bytes = b""
    checkpoints: int = 0
    rows_compared: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def first_bad_event(self) -> int | None:
        """The lowest event index any finding points to."""
        events = [f.event for f in self.findings if f.event is not None]
        return min(events) if events else None


def verify_ledger(
    conn: Connection, verifier_key: str, progress: Progress | None = None
) -> VerifyReport:
    """Check everything; never stops at the first problem of one kind only."""
    report = VerifyReport()
    size, origin = ledger_log.head(conn)
    report.size = size
    scratch = _scratch_engine()
    redacted: dict[int, tuple[bytes, bytes, object]] = {}
    redactions: dict[int, dict[str, Any]] = {}
    with scratch.begin() as replay:
        leaves = _check_events_and_replay(conn, replay, size, report, progress,
                                          redacted, redactions)
        if leaves is None:
            return report
        levels = _check_nodes(conn, leaves, report)
        report.root_hash = _root_from_levels(levels, size)
        signed = _check_checkpoints(conn, origin, verifier_key, levels, report)
        _check_redactions(redacted, redactions, signed, report)
        if not any(f.check == "replay" for f in report.findings):
            for table in s.PROJECTED:
                _compare_table(table, conn, replay, report)
    return report


def _scratch_engine() -> Engine:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    s.metadata.create_all(engine, tables=list(s.PROJECTED))
    return engine


def _check_events_and_replay(
    conn: Connection,
    replay: Connection,
    size: int,
    report: VerifyReport,
    progress: Progress | None,
    redacted: dict[int, tuple[bytes, bytes, object]],
    redactions: dict[int, dict[str, Any]],
) -> list[bytes] | None:
    """One pass over the log: recompute each leaf hash and project each event afresh.
    Fills ``redacted`` (index → body, stored leaf, the index of the redaction its marker
    names) and ``redactions`` (index of an event.redacted → its data)."""
    leaves: list[bytes] = []
    buffer = OpBuffer()
    replaying = True
    expected = 0
    for ev in ledger_log.iter_events(conn):
        if ev.index != expected:
            report.findings.append(
                Finding("events", f"event {expected} is missing from the log", expected)
            )
            return None
        try:
            recomputed = merkle.leaf_hash(leaf_bytes(ev.body))
        except (ValueError, LedgerInputError):  # a batch whose rows no longer parse
            recomputed = merkle.leaf_hash(ev.body)
        if recomputed != ev.leaf_hash:
            marker = redaction_of(ev.body)
            if marker is None:
                report.findings.append(Finding(
                    "events", f"event {ev.index}: body does not match its leaf hash", ev.index))
            else:
                # A redacted body (``ledger.redaction``): its leaf is the stored one, which
                # the tree checks below; accepted once the event.redacted it names is read.
                redacted[ev.index] = (ev.body, ev.leaf_hash, marker.get("by"))
                recomputed = ev.leaf_hash
        leaves.append(recomputed)
        if ev.type == REDACTION_EVENT:
            recorded = json.loads(ev.body)
            if recorded.get("type") == REDACTION_EVENT:
                redactions[ev.index] = recorded["data"]
        if replaying:
            try:
                body = json.loads(ev.body)
                buffer.add(replay, project(ev.index, body["type"], body["data"]))
                if buffer.pending >= 20_000:
                    buffer.flush(replay)
            except Exception as exc:  # a replay that cannot run is itself a finding
                report.findings.append(Finding("replay", f"event {ev.index}: {exc!r}", ev.index))
                replaying = False
        expected += 1
        if progress and expected % 50_000 == 0:
            progress("events", 50_000)
    if expected != size:
        report.findings.append(
            Finding("events", f"the head says {size} events but {expected} are stored",
                    min(expected, size))
        )
        return None
    if replaying:
        buffer.flush(replay)
    return leaves


def _check_redactions(
    redacted: dict[int, tuple[bytes, bytes, object]],
    redactions: dict[int, dict[str, Any]],
    signed: int,
    report: VerifyReport,
) -> None:
    """A redacted body is accepted only when a later ``event.redacted`` (the one its
    marker names) names its index, its stored leaf hash and its fields, and a signed
    checkpoint of ``signed`` events (the largest one verified) covers that
    event.redacted; else a finding. An event.redacted past every signed checkpoint needs
    no key to append (a tail is only leaves and nodes), so it would let anyone with write
    access to the database rewrite a signed body; a redaction signs a checkpoint in its
    own transaction (``Store.transaction``, ``upgrade_transaction``)."""
    for index, (body, leaf, by) in sorted(redacted.items()):
        recorded = redactions.get(by) if isinstance(by, int) and by > index else None
        problem = redaction_problem(index, body, leaf, recorded)
        if problem is None and isinstance(by, int) and by >= signed:
            problem = "redacted body: its event.redacted is covered by no signed checkpoint"
        if problem is not None:
            report.findings.append(Finding("events", f"event {index}: {problem}", index))


def _check_nodes(conn: Connection, leaves: list[bytes], report: VerifyReport) -> list[list[bytes]]:
    """Recompute every perfect-subtree node from the verified leaves; compare with storage.

    Only the lowest level that disagrees is reported: everything above it
    disagrees as a consequence and would only point at earlier events.
    """
    levels = [leaves]
    level = 0
    reported = False
    while True:
        current = levels[-1]
        if not reported:
            reported = _compare_level(conn, level, current, report)
        if len(current) < 2:
            break
        levels.append(
            [merkle.node_hash(current[i], current[i + 1]) for i in range(0, len(current) - 1, 2)]
        )
        level += 1
    return levels


def _compare_level(
    conn: Connection, level: int, expected: list[bytes], report: VerifyReport
) -> bool:
    n = s.ledger_nodes.c
    stored = {
        int(idx): bytes(h)
        for idx, h in conn.execute(select(n.idx, n.hash).where(n.level == level))
    }
    for idx, h in enumerate(expected):
        if stored.get(idx) != h:
            report.findings.append(
                Finding("tree", f"stored tree node ({level}, {idx}) is wrong or missing",
                        idx << level)
            )
            return True
    if len(stored) != len(expected):
        report.findings.append(
            Finding("tree", f"level {level} holds {len(stored) - len(expected)} nodes too many")
        )
        return True
    return False


def _root_from_levels(levels: list[list[bytes]], size: int) -> bytes:
    return merkle.root(size, _LevelNodes(levels)) if size else merkle.EMPTY_ROOT


class _LevelNodes:
    """NodeReader over recomputed levels (so roots never come from stored nodes)."""

    def __init__(self, levels: list[list[bytes]]) -> None:
        self.levels = levels

    def get_nodes(self, keys: Any) -> dict[tuple[int, int], bytes]:
        return {(lv, ix): self.levels[lv][ix] for lv, ix in keys}


def _check_checkpoints(
    conn: Connection,
    origin: str,
    verifier_key: str,
    levels: list[list[bytes]],
    report: VerifyReport,
) -> int:
    """Check every stored checkpoint; returns the size of the largest one that is
    signed by the verifier key and agrees with the stored events (0 when none)."""
    verifier = NoteVerifier.from_key(verifier_key)
    signed = 0
    c = s.ledger_checkpoints.c
    for size, note in conn.execute(select(c.size, c.note).order_by(c.size)):
        report.checkpoints += 1
        try:
            cp = Checkpoint.parse(open_note(str(note), verifier))
        except VerificationError as exc:
            report.findings.append(Finding("checkpoint", f"checkpoint {size}: {exc}", None))
            continue
        if cp.origin != origin or cp.size != int(size):
            report.findings.append(
                Finding("checkpoint", f"checkpoint {size} names {cp.origin} size {cp.size}", None)
            )
        elif cp.size > len(levels[0]):
            report.findings.append(
                Finding("checkpoint", f"checkpoint {size} is beyond the log's end", len(levels[0]))
            )
        elif _root_from_levels(levels, cp.size) != cp.root_hash:
            report.findings.append(
                Finding("checkpoint",
                        f"signed checkpoint at size {cp.size} disagrees with the stored events",
                        _first_divergence(levels, cp))
            )
        else:
            signed = max(signed, cp.size)
    return signed


def _first_divergence(levels: list[list[bytes]], cp: Checkpoint) -> int | None:
    # The checkpoint only commits to a root, so the exact event cannot be named;
    # point at the end of the range it covers.
    return cp.size - 1 if cp.size else None


def _rows(conn: Connection, table: Table) -> Iterator[tuple[Any, ...]]:
    order = [
        # Byte order on both sides: PostgreSQL's locale collation would not match SQLite's.
        col.collate("C") if conn.dialect.name == "postgresql" and isinstance(col.type, Text)
        else col
        for col in table.primary_key.columns
    ]
    result = conn.execution_options(yield_per=10_000).execute(select(table).order_by(*order))
    for row in result:
        yield tuple(row)


def _compare_table(
    table: Table, live: Connection, replay: Connection, report: VerifyReport
) -> None:
    names = [c.name for c in table.c]
    pk = [names.index(c.name) for c in table.primary_key.columns]
    at = names.index("ledger_index")
    live_rows, replay_rows = _rows(live, table), _rows(replay, table)
    a, b = next(live_rows, None), next(replay_rows, None)
    while a is not None or b is not None:
        key_a = tuple(a[i] for i in pk) if a is not None else None
        key_b = tuple(b[i] for i in pk) if b is not None else None
        if a is not None and b is not None and key_a == key_b:
            if a != b:
                changed = [n for n, x, y in zip(names, a, b, strict=True) if x != y]
                report.findings.append(Finding(
                    "tables", f"{table.name} {key_a}: {', '.join(changed)} differ from the ledger",
                    int(b[at]),
                ))
                return
            report.rows_compared += 1
            a, b = next(live_rows, None), next(replay_rows, None)
        elif b is None or (a is not None and key_a is not None and key_b is not None
                           and key_a < key_b):
            assert a is not None
            report.findings.append(Finding(
                "tables", f"{table.name} {key_a}: row not produced by any event",
                int(a[at]) if isinstance(a[at], int) else None,
            ))
            return
        else:
            report.findings.append(Finding(
                "tables", f"{table.name} {key_b}: row missing (written by event {b[at]})",
                int(b[at]),
            ))
            return
