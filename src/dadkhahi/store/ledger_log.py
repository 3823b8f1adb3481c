"""The ledger's tables: appending events, tree nodes, checkpoints and proofs.

The tree algorithms live in :mod:`dadkhahi.ledger.merkle`; this module only
feeds them stored perfect-subtree hashes (one batched query per proof) and
writes what they return.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, insert, select, update

from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.ledger import merkle
from dadkhahi.ledger.checkpoint import Checkpoint, NoteSigner
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.ledger.events import leaf_bytes
from dadkhahi.ledger.redaction import redaction_of
from dadkhahi.store import schema as s

# Levels per query; a tree of 2**64 leaves has 64, so one query in practice.
_TERM_CHUNK = 64
#: Indexes per level term; keeps every statement far below the drivers' parameter limits.
_IDS_PER_TERM = 50


class SqlNodes:
    """:class:`dadkhahi.ledger.merkle.NodeReader` over the ``ledger_nodes`` table."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_nodes(self, keys: Collection[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
        by_level: dict[int, list[int]] = {}
        for level, idx in set(keys):
            by_level.setdefault(level, []).append(idx)
        # One (level = ? AND idx IN (…)) term per level: both SQLite and PostgreSQL
        # answer each term from the primary-key index (a row-value IN is scanned).
        # The SQL goes straight to the driver: every append reads its frontier here, and
        # building the same expression in SQLAlchemy cost more than the rest of the append.
        mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        terms: list[tuple[str, list[int]]] = []
        for level, ixs in by_level.items():
            for start in range(0, len(ixs), _IDS_PER_TERM):
                part = ixs[start:start + _IDS_PER_TERM]
                terms.append((f"(level = {mark} AND idx IN ({', '.join([mark] * len(part))}))",
                              [level, *part]))
        found: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(terms), _TERM_CHUNK):
            chunk = terms[start:start + _TERM_CHUNK]
            where = " OR ".join(term for term, _ in chunk)
            args = tuple(v for _, values in chunk for v in values)
            # The statement is built from the fixed text above and placeholders only.
            rows = self.conn.exec_driver_sql(
                f"SELECT level, idx, hash FROM ledger_nodes WHERE {where}", args)  # noqa: S608
            found.update({(lvl, idx): bytes(h) for lvl, idx, h in rows})
        return found


@dataclass(frozen=True)
class StoredEvent:
    index: int
    leaf_hash: bytes
    type: str
    body: bytes

    @property
    def redacted(self) -> bool:
        """Whether the body is a redacted form (``ledger.redaction``): it no longer
        hashes to the leaf, which a later ``event.redacted`` names."""
        return redaction_of(self.body) is not None


# Every transaction reads and moves the head: these are built once.
_HEAD = select(s.ledger_head.c.size, s.ledger_head.c.origin).where(s.ledger_head.c.id == 1)
_HEAD_LOCKED = _HEAD.with_for_update()
_MOVE_HEAD = update(s.ledger_head).where(s.ledger_head.c.id == 1).values(
    size=bindparam("new_size"))


def head(conn: Connection, *, lock: bool = False) -> tuple[int, str]:
    """(size, origin) of the log; ``lock`` holds the head row until commit (PostgreSQL)."""
    locked = lock and conn.dialect.name != "sqlite"
    row = conn.execute(_HEAD_LOCKED if locked else _HEAD).one_or_none()
    if row is None:
        raise UserError("the database holds no ledger; run `dadkhahi init` first")
    return int(row.size), str(row.origin)


def version(conn: Connection) -> tuple[int, str, bytes]:
    """(size, origin, leaf hash of the last event): one state of the ledger, for caches of
    what is read from the projected tables, which change only with an event. The last
    leaf tells apart two stores of one origin and size (a store made anew at that URL)."""
    size, origin = head(conn)
    last = conn.execute(select(s.ledger_events.c.leaf_hash)
                        .where(s.ledger_events.c.idx == size - 1)).scalar_one_or_none()
    return size, origin, bytes(last or b"")


def head_exists(conn: Connection) -> bool:
    """True if this database already holds a ledger."""
    return conn.execute(select(s.ledger_head.c.id)).first() is not None


def create_head(conn: Connection, origin: str) -> None:
    """Start an empty log for ``origin``."""
    conn.execute(insert(s.ledger_head).values(id=1, size=0, origin=origin))


def append(conn: Connection, size: int, bodies: Sequence[bytes], types: Sequence[str],
           leaf_data: Sequence[bytes] | None = None) -> int:
    """Append canonical event bodies at ``size``; returns the new size.

    ``leaf_data``: what each leaf hash is taken over, when the caller has it already
    (a batch's committed form); by default it is derived from the bodies (``leaf_bytes``).
    The caller holds the write lock and commits; events, tree nodes and the
    projected rows therefore land together or not at all.
    """
    data = leaf_data if leaf_data is not None else [leaf_bytes(b) for b in bodies]
    leaves = [merkle.leaf_hash(d) for d in data]
    nodes = merkle.nodes_for_append(size, leaves, SqlNodes(conn))
    _bulk_insert(
        conn,
        "ledger_events (idx, leaf_hash, type, body)",
        [(size + i, leaf, t, body) for i, (leaf, t, body) in
         enumerate(zip(leaves, types, bodies, strict=True))],
    )
    _bulk_insert(conn, "ledger_nodes (level, idx, hash)", nodes)
    new_size = size + len(bodies)
    conn.execute(_MOVE_HEAD, {"new_size": new_size})
    return new_size


def _bulk_insert(conn: Connection, target: str, rows: Sequence[tuple[object, ...]]) -> None:
    """executemany straight to the driver: the ledger's rows are plain ints, bytes and text,
    and SQLAlchemy's per-row parameter processing would cost more than the hashing."""
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(rows[0]))
    # ``target`` is one of two literals in this module, never user input.
    conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", list(rows))  # noqa: S608


def root(conn: Connection, size: int) -> bytes:
    """Root hash of the first ``size`` events."""
    return merkle.root(size, SqlNodes(conn))


def sign_checkpoint(conn: Connection, signer: NoteSigner, created_at: str) -> str:
    """Sign and store a checkpoint of the current log; returns the signed note."""
    size, origin = head(conn)
    existing = latest_checkpoint(conn)
    if existing is not None and existing[0] == size:
        return existing[1]
    if existing is not None and existing[0] > size:
        # The log was cut back behind a checkpoint already signed (and perhaps handed
        # out): a checkpoint of what is written now would be a second, inconsistent
        # history signed with the same key, so every write stops until it is looked into.
        raise VerificationError(
            f"the log holds {size} events but its checkpoint at {existing[0]} events is "
            "signed: it was cut back; no checkpoint is signed over it "
            "(see `dadkhahi ledger verify`)")
    root_hash = root(conn, size)
    note = signer.sign(Checkpoint(origin=origin, size=size, root_hash=root_hash).body())
    conn.execute(
        insert(s.ledger_checkpoints).values(
            size=size, root_hash=root_hash, note=note, created_at=created_at
        )
    )
    return note


def latest_checkpoint(conn: Connection) -> tuple[int, str] | None:
    """(size, note) of the newest checkpoint, if any."""
    c = s.ledger_checkpoints.c
    row = conn.execute(select(c.size, c.note).order_by(c.size.desc()).limit(1)).one_or_none()
    return None if row is None else (int(row.size), str(row.note))


def checkpoint_at(conn: Connection, size: int) -> str:
    """The stored signed checkpoint for exactly ``size`` events."""
    c = s.ledger_checkpoints.c
    note = conn.execute(select(c.note).where(c.size == size)).scalar_one_or_none()
    if note is None:
        raise NotFoundError(f"no checkpoint at tree size {size}")
    return str(note)


def get_event(conn: Connection, index: int) -> StoredEvent:
    """One stored event."""
    e = s.ledger_events.c
    row = conn.execute(
        select(e.idx, e.leaf_hash, e.type, e.body).where(e.idx == index)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no event {index} in the ledger")
    return StoredEvent(int(row.idx), bytes(row.leaf_hash), str(row.type), bytes(row.body))


def iter_events(conn: Connection, start: int = 0, batch: int = 20_000) -> Iterator[StoredEvent]:
    """Every stored event from ``start`` in log order, read in batches (keyset paging)."""
    e = s.ledger_events.c
    nxt = start
    while True:
        rows = conn.execute(
            select(e.idx, e.leaf_hash, e.type, e.body)
            .where(e.idx >= nxt)
            .order_by(e.idx)
            .limit(batch)
        ).all()
        if not rows:
            return
        for r in rows:
            yield StoredEvent(int(r.idx), bytes(r.leaf_hash), str(r.type), bytes(r.body))
        nxt = int(rows[-1].idx) + 1


def count_events(conn: Connection) -> int:
    """Rows in the events table (which ``verify`` compares with the head)."""
    return int(conn.execute(select(func.count()).select_from(s.ledger_events)).scalar_one())


def inclusion_proof(conn: Connection, index: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of event ``index`` in the tree of ``size`` events."""
    current, _ = head(conn)
    if not 0 <= index < size <= current:
        raise UserError(f"no event {index} in a tree of size {size} (log size {current})")
    return merkle.inclusion_proof(index, size, SqlNodes(conn))


def consistency_proof(conn: Connection, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 consistency proof between two tree sizes."""
    current, _ = head(conn)
    if not 0 < old_size <= new_size <= current:
        raise UserError(f"cannot prove {old_size} → {new_size} in a log of size {current}")
    return merkle.consistency_proof(old_size, new_size, SqlNodes(conn))
